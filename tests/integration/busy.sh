#!/usr/bin/env bash
# Busy, idle, dispatch and saturation against a server whose busy time is
# known: tests/workload/busyserv serves 64-byte requests with a set CPU burn
# (its thread's CPU clock) and optional blocking per request, and reports its
# thread's CPU and run-queue time from schedstat. Tolerances and why: in
# busy_check.py, at each check. Ports 21400-21499.
# usage: tests/integration/busy.sh [TEST_NAME_PATTERN]
set -u
PATTERN=${1:-${PATTERN:-}}
. "$(dirname "$0")/lib.sh"
BUSYSERV=$ROOT/build/tests/busyserv
CHECK="python3 $ROOT/tests/integration/busy_check.py"

# busy_run NAME PORT SERVER_ARGS -- CLIENT_ARGS: a traced server and its
# client; leaves $OUT/NAME.truth and $OUT/NAME.json and sets SERVER
busy_run() {
	local name=$1 port=$2
	shift 2
	local sargs=() cargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	shift
	cargs=("$@")
	rm -f "$OUT/$name.pid"
	timeout 60 "$BUSYSERV" server --port "$port" --pidfile "$OUT/$name.pid" "${sargs[@]}" \
		>"$OUT/$name.truth" 2>"$OUT/$name.err" &
	local sw=$!
	wait_file "$OUT/$name.pid" || { bad "busyserv did not start: $(cat "$OUT/$name.err")"; return 1; }
	SERVER=$(cat "$OUT/$name.pid")
	timeout 60 "$ST" --json -i 1 -p "$SERVER" >"$OUT/$name.json" 2>"$OUT/$name.st.err" &
	local stp=$!
	wait_lines "$OUT/$name.json" 1 10 || bad "no interval within 10 s"
	timeout 60 "$BUSYSERV" client --port "$port" "${cargs[@]}" >/dev/null 2>>"$OUT/$name.err" ||
		bad "client failed: $(tail -1 "$OUT/$name.err")"
	wait "$sw" || bad "server failed: $(tail -1 "$OUT/$name.err")"
	wait "$stp"
	eq "$?" 0 "streamtrace stops when the server exits"
	contract_ok "$OUT/$name.json"
}

bcheck() { # bcheck NAME MODE [ARGS]
	local name=$1
	shift
	$CHECK "$OUT/$name.truth" "$OUT/$name.json" "$SERVER" "$@" >"$OUT/$name.check" 2>&1
	local rc=$?
	sed 's/^/    /' "$OUT/$name.check"
	[ $rc = 0 ] || bad "busy figures of $name"
}

# (a) 400 µs of CPU per request, one request in flight, 400 µs think time:
# U near half, S + D against schedstat.
test_busy_cpu() {
	busy_run cpu 21410 --cpu-us 400 -- --think-us 400 --duration 6 || return
	bcheck cpu cpu
}

# (b) a request blocks 20 ms on a futex (then in nanosleep) while in service:
# that time is busy, and shown as futex (other) blocking.
test_busy_block_futex() {
	busy_run blkf 21411 --cpu-us 100 --block-ms 20 --block futex -- --think-us 10000 --duration 4 || return
	bcheck blkf block futex
}
test_busy_block_sleep() {
	busy_run blks 21412 --cpu-us 100 --block-ms 20 --block sleep -- --think-us 10000 --duration 4 || return
	bcheck blks block other
}

# (c) 32 requests kept in flight: the server never waits for input, so it is
# saturated in every full interval and no model predicts anything.
test_busy_saturated() {
	busy_run sat 21413 --cpu-us 200 -- --depth 32 --duration 5 || return
	bcheck sat saturated
}

run_all busy
