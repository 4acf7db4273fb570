#!/usr/bin/env bash
# The documentation a user reads checked against the program (no root,
# about 2 s; `make docs-check`, part of `make check`):
#  - docs/streamtrace.1 renders with no warning (groff -ww, and man -l);
#  - every long option of user/cli.c is in the man page, --help and the bash
#    completion; every environment variable the sources read is in the man
#    page and --help;
#  - the completion completes (sourced, asked for "--no-");
#  - make install puts binary, man page, completion and unit in place, the
#    unit's ExecStart pointing at the installed binary.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ST=$ROOT/build/streamtrace
MAN=$ROOT/docs/streamtrace.1
COMP=$ROOT/completion/streamtrace.bash
T=$(mktemp -d /tmp/streamtrace-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
bad() {
	echo "docs: FAIL: $*"
	fails=$((fails + 1))
}

w=$(groff -ww -z -man "$MAN" 2>&1) || bad "groff failed"
[ -z "$w" ] || bad "groff warnings: $w"
w=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
[ -z "$w" ] || bad "man -l warnings: $w"
LC_ALL=C MANWIDTH=80 man -l "$MAN" 2>/dev/null >"$T/man.txt"
for s in NAME SYNOPSIS COMMANDS OPTIONS "THE LIVE VIEW" COLUMNS ENVIRONMENT "EXIT STATUS" FILES EXAMPLES; do
	grep -q "^$s" "$T/man.txt" || bad "man page: no $s section"
done

"$ST" --help >"$T/help.txt" 2>&1 || bad "--help failed"
# every {"name", ...} of long_opts
opts=$(sed -n '/long_opts\[\] = {/,/{0}/p' "$ROOT/user/cli.c" | sed -n 's/^[[:space:]]*{"\([a-z-]*\)",.*/\1/p')
[ "$(echo "$opts" | wc -w)" -ge 20 ] || bad "could not read the options of user/cli.c"
for o in $opts; do
	grep -q -- "--${o}\b" "$T/man.txt" || bad "man page: no --$o"
	grep -q -- "--${o}\b" "$T/help.txt" || bad "--help: no --$o"
	grep -q -- "--${o}\b" "$COMP" || bad "completion: no --$o"
done
vars=$(grep -oh 'getenv("[A-Z_]*")' "$ROOT"/user/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
for v in $vars; do
	grep -q "$v" "$T/man.txt" || bad "man page: no $v"
	grep -q "$v" "$T/help.txt" || bad "--help: no $v"
done
for c in PID COMM THR CPU% RUNQ% SYSC/s ERR/s RX/s ARR/s RHO "W(ms)"; do
	grep -qF -- "$c" "$T/man.txt" || bad "man page: no legend of $c"
	grep -qF -- "$c" "$T/help.txt" || bad "--help: no legend of $c"
done

# the completion, as bash would call it
got=$(bash -c ". '$COMP'; COMP_WORDS=(streamtrace -p 1 --no-); COMP_CWORD=3; _streamtrace; echo \${COMPREPLY[*]}")
[ "$got" = "--no-color --no-tui" ] || bad "completion of --no-: '$got'"
got=$(bash -c ". '$COMP'; COMP_WORDS=(streamtrace --services ''); COMP_CWORD=2; _streamtrace; echo \${COMPREPLY[*]}")
[ "$got" = "comm port cgroup" ] || bad "completion of --services: '$got'"

make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/opt/st >"$T/install.log" 2>&1 ||
	bad "make install: $(tail -3 "$T/install.log")"
for f in bin/streamtrace share/man/man1/streamtrace.1 share/bash-completion/completions/streamtrace \
	lib/systemd/system/streamtrace.service; do
	[ -f "$T/root/opt/st/$f" ] || bad "make install: no $f"
done
grep -q '^ExecStart=/opt/st/bin/streamtrace ' "$T/root/opt/st/lib/systemd/system/streamtrace.service" ||
	bad "the installed unit does not start the installed binary"
make -s -C "$ROOT" uninstall DESTDIR="$T/root" PREFIX=/opt/st >/dev/null 2>&1
[ -z "$(find "$T/root" -type f)" ] || bad "make uninstall left: $(find "$T/root" -type f)"

[ $fails = 0 ] && echo "docs: man page, --help, completion and make install agree"
[ $fails = 0 ]
