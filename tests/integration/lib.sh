# Shared helpers of the integration suites (sourced, not run).
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ST=$ROOT/build/streamtrace
SYSLOAD=$ROOT/build/tests/sysload
QBENCH=$ROOT/build/tests/qbench
Q="python3 $ROOT/tests/integration/q.py"
CONTRACT=$ROOT/../shared/tools/contract-check
PATTERN=${PATTERN:-}
OUT=$(mktemp -d /tmp/streamtrace-it.XXXXXX)
trap 'rm -rf "$OUT"; pkill -f "$OUT" 2>/dev/null; true' EXIT

pass=0
failed=0
skipped=0
failures=""
T=""

# --- helpers ----------------------------------------------------------------
msg() { printf '    %s\n' "$*"; }
# A failed expectation marks the current test failed (it goes on, to say all).
bad() {
	msg "FAIL: $*"
	T_FAILED=1
}
eq() { # eq ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || bad "$3: got '$1', want '$2'"
}
ge() { # ge ACTUAL MIN WHAT
	python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)" 2>/dev/null ||
		bad "$3: got '$1', want >= $2"
}
q() { $Q "$@"; }
# the host's steal time so far, all CPUs, in seconds (/proc/stat): time a
# hypervisor ran something else while this machine's CPUs were busy; clocks
# read by tracers and perf count it as on-CPU, schedstat's CPU does not
steal_s() { awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.3f\n", $9 / hz }' /proc/stat; }
contract_ok() { # contract_ok FILE
	if [ -x "$CONTRACT" ]; then
		"$CONTRACT" "$1" >"$OUT/cc.txt" 2>&1 || bad "contract-check $1: $(head -3 "$OUT/cc.txt")"
	elif command -v python3 >/dev/null && [ -f "$ROOT/../shared/tools/contract-check" ]; then
		python3 "$ROOT/../shared/tools/contract-check" "$1" >"$OUT/cc.txt" 2>&1 ||
			bad "contract-check $1: $(head -3 "$OUT/cc.txt")"
	fi
}
# wait until FILE has at least N lines (a JSON interval means: attached)
wait_lines() { # wait_lines FILE N TIMEOUT_S
	local i=0
	while [ "$( { [ -f "$1" ] && wc -l <"$1"; } || echo 0)" -lt "$2" ]; do
		sleep 0.05
		i=$((i + 1))
		[ $i -gt $(($3 * 20)) ] && return 1
	done
	return 0
}
wait_file() {
	local i=0
	while [ ! -s "$1" ]; do
		sleep 0.02
		i=$((i + 1))
		[ $i -gt 500 ] && return 1
	done
	return 0
}
run_test() {
	local name=$1
	[ -n "$PATTERN" ] && [[ $name != *$PATTERN* ]] && return
	T=$name
	T_FAILED=0
	T_SKIP=""
	printf '%s\n' "--- $name"
	"$name"
	if [ -n "$T_SKIP" ]; then
		skipped=$((skipped + 1))
		msg "SKIP: $T_SKIP"
	elif [ $T_FAILED = 0 ]; then
		pass=$((pass + 1))
		msg ok
	else
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}
skip() { T_SKIP=$*; }

# Run every test_* function defined so far (or those matching PATTERN),
# then print the closing count line; returns non-zero if one failed.
run_all() {
	local suite=$1 t
	if [ "$(id -u)" != 0 ]; then
		echo "$suite: SKIP: needs root to load BPF programs"
		echo "$suite: 0 passed, 0 failed, 1 skipped"
		return 0
	fi
	[ -x "$ST" ] && [ -x "$SYSLOAD" ] && [ -x "$QBENCH" ] || { echo "$suite: build first (make)"; return 1; }
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		run_test "$t"
	done
	echo
	[ -n "$failures" ] && echo "failed:$failures"
	echo "$suite: $pass passed, $failed failed, $skipped skipped"
	[ $failed = 0 ]
}
