# bash completion for streamtrace(1); `make install` puts it in
# $(PREFIX)/share/bash-completion/completions/streamtrace
_streamtrace()
{
	local cur prev words cword
	_init_completion -s 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local i sub=top
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--) return 0 ;; # the command's own words: leave them to it
		top | record | report | diff)
			sub=${words[i]}
			break
			;;
		esac
	done

	case $prev in
	-p | --pid)
		COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur"))
		return 0
		;;
	-c | --comm)
		COMPREPLY=($(compgen -W "$(ps -e -o comm= 2>/dev/null | sort -u)" -- "$cur"))
		return 0
		;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "${cur:-/sys/fs/cgroup/}"))
		return 0
		;;
	-o | --output | --html | --web-config | --folded)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--services)
		COMPREPLY=($(compgen -W "comm port cgroup" -- "$cur"))
		return 0
		;;
	--threshold)
		COMPREPLY=($(compgen -W "response= service= throughput= p99= errors= wait=off alpha=" -- "$cur"))
		return 0
		;;
	--what-if)
		COMPREPLY=($(compgen -W "load= service= servers=" -- "$cur"))
		return 0
		;;
	-i | --interval | -d | --duration | --max-procs | --horizon | --forecast-window | --listen | --sample)
		return 0
		;;
	esac

	local live="-p --pid -c --comm --cgroup -i --interval -d --duration --json --listen
		--web-config --max-procs --threads --connections --services --profile --folded
		--sample --no-color --no-tui
		--horizon --forecast-window --what-if -q --quiet -v --verbose -h --help -V --version"
	case $sub in
	report)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--html --json --folded -h --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	diff)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--threshold --all --json -h --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	record)
		COMPREPLY=($(compgen -W "-o --output $live" -- "$cur"))
		;;
	*)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$live" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "top record report diff" -- "$cur"))
		fi
		;;
	esac
}
complete -F _streamtrace streamtrace
