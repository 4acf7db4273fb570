#!/usr/bin/env bash
# `streamtrace top`, the full-screen view, driven under tmux as a person
# would: keys sent, the pane captured, the screen checked against what the
# workload does by construction (sysload: its processes, its syscalls, every
# chdir failing; qbench: a server offered twice what it can serve). Also:
# `q` exits 0 and gives the terminal back (alternate screen off, the summary
# printed); a resized window is honoured; no terminal means today's table.
# About 30 s. usage: tests/integration/tui.sh [TEST_NAME_PATTERN]
set -u
PATTERN=${1:-}
. "$(dirname "$0")/lib.sh"

TM="tmux -L sttui$$ -f /dev/null"
SES=top
trap '$TM kill-server 2>/dev/null; rm -rf "$OUT"' EXIT

screen() { $TM capture-pane -p -t $SES; }
# wait_screen TEXT TIMEOUT_S: until the pane shows TEXT (fixed string)
wait_screen() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
keys() { $TM send-keys -t $SES "$@"; }
# has TEXT WHAT: the pane shows TEXT within 5 s
has() {
	wait_screen "$1" 5 || {
		bad "$2: '$1' not on the screen"
		screen | sed 's/^/      | /' | head -40
	}
}

# start_top COLS ROWS ARGS...: streamtrace top in a detached tmux window;
# its exit status lands in $OUT/rc
start_top() {
	local cols=$1 rows=$2 i
	shift 2
	rm -f "$OUT/rc"
	# a fresh server each time: a new session on a server still closing its
	# last one can fail
	$TM kill-server 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		$TM has-session 2>/dev/null || break
		sleep 0.1
	done
	$TM new-session -d -s $SES -x "$cols" -y "$rows" \
		"env TERM=screen $* ; echo \$? > $OUT/rc; sleep 60"
}

# exited: wait for the rc file; echo it
exited() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$OUT/rc" ] && {
			cat "$OUT/rc"
			return
		}
		sleep 0.1
	done
	echo timeout
}

# sysload with 3 children (4 processes of one name), 1 worker each, held at
# the start signal until streamtrace is attached
start_sysload() {
	local pidf=$OUT/sl.pid
	rm -f "$pidf"
	"$SYSLOAD" --loops 400000000 --forks 3 --threads 1 --start-signal --pidfile "$pidf" \
		>/dev/null 2>&1 &
	SL=$!
	wait_file "$pidf" || { bad "sysload did not start"; return 1; }
}

stop_sysload() { # its children first: once it is gone they are no longer its
	local kids
	kids=$(pgrep -P "$SL")
	kill $kids "$SL" 2>/dev/null
	wait "$SL" 2>/dev/null
}

# A forking workload: one folded row with its count, sortable, opened, one
# process's syscalls (chdir: every call fails; getppid: none), help,
# services; q exits 0 with the terminal restored and the summary printed.
test_tui_keys() {
	start_sysload || return
	start_top 100 40 "$ST" -i 0.5 -p "$SL"
	wait_screen "PID COMM" 10 || bad "no table within 10 s"
	kill -USR1 "$SL"
	# 1 + 3 children, all named sysload: one row, "4x", closed (+)
	has "4x +sysload" "the forking workload folded into one row"
	has "CPU%v" "sorted by CPU% (descending) at first"
	keys '>'
	has "RUNQ%v" "> moves the sort to the next column"
	keys '<' r
	has "CPU%^" "r reverses it"
	keys Enter
	has "4x -sysload" "Enter opens the group"
	local kids
	kids=$(pgrep -P "$SL" | sort -n)
	for p in $SL $kids; do
		has " $p  sysload" "member $p listed under its group"
	done
	# the first member (busiest): its details
	keys Down Enter
	has "syscalls (busiest first)" "Enter on a process shows its details"
	local scr
	scr=$(screen)
	for s in getppid umask chdir close; do
		echo "$scr" | grep -qE "^  $s " || bad "$s not among its syscalls"
	done
	# chdir: as many errors as calls; getppid: no error (by construction)
	echo "$scr" | awk '$1=="chdir" { exit !($2 == $3 && $2 > 0) }' ||
		bad "chdir's ERR/s is not its COUNT/s: $(echo "$scr" | grep ' chdir ')"
	echo "$scr" | awk '$1=="getppid" { exit !($3 == 0 && $2 > 0) }' ||
		bad "getppid shows errors: $(echo "$scr" | grep ' getppid ')"
	has "threads (" "the threads section"
	keys '?'
	has "streamtrace top: keys" "? shows the help"
	has "RUNQ%   run-queue wait" "the help explains the columns"
	keys Escape
	has "syscalls (busiest first)" "Esc goes back from help"
	keys s
	has "SERVICE" "s shows the services"
	screen | grep -qE "^sysload +4 " || bad "services: sysload with 4 processes"
	keys Escape
	has "PID COMM" "Esc goes back to the table"
	keys q
	eq "$(exited)" 0 "q exits 0"
	has "SUMMARY over" "the summary is printed after the view"
	eq "$($TM display -p -t $SES '#{alternate_on}')" 0 "the terminal is back off the alternate screen"
	stop_sysload
}

# A smaller window: every line within its width, the footer on its last line,
# and the rows cut to the height; then the window grows and the view follows;
# Ctrl-C ends it as q does.
test_tui_resize() {
	start_sysload || return
	start_top 100 40 "$ST" -i 0.5 -p "$SL"
	wait_screen "PID COMM" 10 || bad "no table within 10 s"
	kill -USR1 "$SL"
	has "4x +sysload" "the group row"
	keys Enter
	has "4x -sysload" "the group opened"
	$TM resize-window -t $SES -x 60 -y 5
	sleep 1
	local scr
	scr=$(screen)
	eq "$(echo "$scr" | awk 'length > 60' | wc -l)" 0 "no line wider than 60 columns"
	eq "$(echo "$scr" | wc -l)" 5 "5 lines"
	echo "$scr" | tail -1 | grep -q "^q:quit" || bad "the footer is not the last line: $scr"
	# 5 lines: title, heading, 1 row, the "rows" line, footer (the selection
	# is the group, row 1)
	echo "$scr" | grep -q "rows 1-1 of 5" || bad "the rows cut to the height are not said: $scr"
	$TM resize-window -t $SES -x 100 -y 40
	has "4x -sysload" "the view grows back"
	eq "$(screen | grep -c ' sysload ')" 4 "its 4 members shown again"
	# Ctrl-C (SIGINT, the terminal's): as q, the summary after the view
	keys C-c
	eq "$(exited)" 0 "Ctrl-C exits 0"
	has "SUMMARY over" "the summary after Ctrl-C"
	eq "$($TM display -p -t $SES '#{alternate_on}')" 0 "the terminal is back after Ctrl-C"
	stop_sysload
}

# qbench offered 1200/s against a 1 ms service on one worker (queue.sh's
# overload: flow control holds ρ at 1): the server's row is saturated, in red (capture-pane -e keeps the colours);
# NO_COLOR=1 takes the colour away and leaves the rest.
test_tui_colour() {
	local pidf=$OUT/qb.pid
	local nc
	for nc in "" 1; do
		rm -f "$pidf"
		"$QBENCH" run --rate 1200 --service-us 1000 --duration 30 --start-signal \
			--pidfile "$pidf" >/dev/null 2>&1 &
		local qb=$!
		wait_file "$pidf" || { bad "qbench did not start"; return; }
		start_top 100 30 "NO_COLOR=$nc" "$ST" -i 0.5 -p "$(cat "$pidf")"
		wait_screen "PID COMM" 10 || bad "no table within 10 s"
		kill -USR1 $qb
		# a row whose RHO is at least 1
		local i ok=0 esc
		for ((i = 0; i < 40; i++)); do
			screen | awk '$2 ~ /qbench/ && $10+0 >= 1 { f=1 } END { exit !f }' && {
				ok=1
				break
			}
			sleep 0.2
		done
		eq $ok 1 "the overloaded server shows RHO >= 1 (NO_COLOR='$nc')"
		esc=$($TM capture-pane -e -p -t $SES | grep qbench | grep -c $'\033\\[[0-9;]*31m')
		if [ -z "$nc" ]; then
			ge "$esc" 1 "its row is red"
		else
			eq "$esc" 0 "NO_COLOR=1: no red"
		fi
		keys q
		eq "$(exited)" 0 "q exits 0"
		# seen what was to be seen: stop it (server and client first)
		kill $(pgrep -P $qb) $qb 2>/dev/null
		wait $qb 2>/dev/null
	done
}

# The demo's question, answered from the screen alone: qbench's pipeline
# (source -> A -> B -> sink), B built 4x slower than A and offered more than
# it can serve; p names B (its pid from qbench's own pidfile) as the
# bottleneck, with why; its table row is marked * and yellow.
test_tui_pipeline() {
	local pidf=$OUT/pl.pids
	rm -f "$pidf"
	"$QBENCH" pipeline --rate 700 --stage-service-us 400,1600 --duration 30 --start-signal \
		--pidfile "$pidf" >/dev/null 2>&1 &
	local qb=$!
	wait_file "$pidf" || { bad "qbench pipeline did not start"; return; }
	local src a b sink
	read -r src a b sink <"$pidf"
	start_top 100 30 "$ST" -i 0.5 -p "$src,$a,$b,$sink"
	wait_screen "PID COMM" 10 || bad "no table within 10 s"
	kill -USR1 $qb
	has " $b qbench-stageB*" "stage B marked * in the table"
	$TM capture-pane -e -p -t $SES | grep "qbench-stageB\*" | grep -q $'\033\\[[0-9;]*33m' ||
		bad "stage B's row is not yellow"
	keys p
	has "pipeline: 4 stages" "p shows the pipeline"
	has "bottleneck: $b qbench-stageB" "the bottleneck named: stage B, pid $b"
	has "why: each op keeps a server busy" "and why"
	keys q
	eq "$(exited)" 0 "q exits 0"
	kill $(pgrep -P $qb) $qb 2>/dev/null
	wait $qb 2>/dev/null
}

# Not a terminal: today's plain table, no escape sequence, no full screen.
test_not_a_terminal() {
	start_sysload || return
	timeout 20 "$ST" -i 0.3 -d 1.5 -p "$SL" >"$OUT/plain.txt" 2>/dev/null </dev/null
	eq "$?" 0 "exit 0"
	eq "$(grep -c $'\033' "$OUT/plain.txt")" 0 "no escape sequence"
	ge "$(grep -c 'PID COMM' "$OUT/plain.txt")" 2 "the plain table, each interval"
	stop_sysload
}

run_all tui
