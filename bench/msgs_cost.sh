#!/usr/bin/env bash
# CPU per message that tracing adds to a RESP server, with and without
# message framing (issue 8). msgbench's server (tests/workload/msgbench.c)
# takes N SET commands from one client, pipelined K per write at 10000
# writes per second (paced, so that the server, which reads 64 KiB at a
# time, takes each write in one read whether traced or not: as fast as
# possible, tracing changed how much each read batched, and with it the CPU
# per message, more than tracing itself cost); the figure is the
# server's CPU time (/proc/PID/schedstat, ns; it includes the BPF programs
# that run in its syscalls) per command, and the client's (getrusage via
# time(1), 10 ms resolution; its sends run the loopback receive path,
# sk_data_ready included).
# Configurations: untraced; traced by BASE (a streamtrace without framing,
# e.g. a build of main); traced by NEW (this tree's). Each is run ROUNDS
# times in rotation; the median is printed.
# usage: bench/msgs_cost.sh BASE_STREAMTRACE [N] [ROUNDS]   (root; ports 21150-21199)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${1:?usage: bench/msgs_cost.sh BASE_STREAMTRACE [N] [ROUNDS]}
NEW=$ROOT/build/streamtrace
MB=$ROOT/build/tests/msgbench
N=${2:-400000}
ROUNDS=${3:-3}
PORT=21150
TMP=$(mktemp -d /tmp/msgs-cost.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# nanoseconds on a CPU (schedstat: exact, unlike the 10 ms ticks of stat)
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

# run TRACER PIPELINE: prints "server_ns_per_msg client_ns_per_msg"
run() {
	local tracer=$1 k=$2 srv st=0 s0 c_out
	PORT=$((PORT + 1))
	[ $PORT -gt 21199 ] && PORT=21151
	rm -f "$TMP/pid"
	"$MB" server $PORT --reads 65536 --pidfile "$TMP/pid" >/dev/null 2>&1 &
	srv=$!
	while [ ! -s "$TMP/pid" ]; do sleep 0.02; done
	if [ "$tracer" != none ]; then
		timeout 120 "$tracer" --json -i 1 -p "$srv" >"$TMP/st.json" 2>&1 &
		st=$!
		while [ ! -s "$TMP/st.json" ]; do sleep 0.05; done
	fi
	s0=$(cpu_ns "$srv")
	c_out=$( { /usr/bin/time -f "%U %S" "$MB" client $PORT --count "$n" --pipeline "$k" \
		--rate $((k * 10000)) >/dev/null; } 2>&1)
	local s1
	s1=$(cpu_ns "$srv")
	kill -TERM "$srv"
	wait "$srv" 2>/dev/null
	[ "$st" != 0 ] && wait "$st" 2>/dev/null
	python3 -c "
s = ($s1 - $s0) / 1e9; u, sy = map(float, '$c_out'.split()[-2:])
print('%.0f %.0f' % (s / $n * 1e9, (u + sy) / $n * 1e9))"
}

for k in 16 1; do
	n=$N
	[ "$k" = 1 ] && n=$((N / 8)) # the same seconds: 10000 writes per second
	for cfg in none "$BASE" "$NEW"; do : >"$TMP/res.$k.$(basename "$(dirname "$(dirname "$cfg")")")"; done
	for r in $(seq "$ROUNDS"); do
		for cfg in none "$BASE" "$NEW"; do
			run "$cfg" "$k" >>"$TMP/res.$k.$(basename "$(dirname "$(dirname "$cfg")")")"
		done
	done
	for cfg in none "$BASE" "$NEW"; do
		name=$(basename "$(dirname "$(dirname "$cfg")")")
		[ "$cfg" = none ] && label=untraced || label=$cfg
		python3 -c "
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open('$TMP/res.$k.$name') if l.strip()]
s = statistics.median(r[0] for r in rows); c = statistics.median(r[1] for r in rows)
print('pipeline %2d  %-40.40s server %6.0f ns/msg  client %6.0f ns/msg  (%d rounds)' % ($k, '$label', s, c, len(rows)))"
	done
done
