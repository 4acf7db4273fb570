#!/usr/bin/env bash
# The socket part of `make bench`: a loopback TCP request/response pair
# (bench/pingpong.c, 64-byte messages) timed bare, with streamtrace -p on
# both processes (all default metrics: syscalls, scheduler, sockets, queue
# figures), and with bpftrace counting every received message on the same
# pids (tracepoint sock:sock_recv_length). Alternating rounds, medians.
# Appends its section to bench/results.md (run after scripts/bench.sh).
# usage: scripts/bench-net.sh   (QUICK=1: fewer rounds)
set -u
cd "$(dirname "$0")/.."
ST=./streamtrace
PP=build/bench/pingpong
N=${N:-50000}
ROUNDS=$([ "${QUICK:-0}" = 1 ] && echo 3 || echo 5)
tmp=$(mktemp -d /tmp/streamtrace-bnet.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null

# until_file FILE PATTERN SECS: wait for PATTERN in FILE, at most SECS
until_file() {
	local i
	for i in $(seq $(($3 * 20))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench-net: no '$2' in $1 after $3 s" >&2
	return 1
}

# run_one MODE -> ns per round trip
run_one() {
	local mode=$1 gate=$tmp/gate out=$tmp/pp.out err=$tmp/pp.err tr=""
	rm -f "$gate" "$out" "$err" "$tmp/st.out" "$tmp/bt.out" # no last run's lines
	if [ "$mode" = bare ]; then
		"$PP" "$N" 2>/dev/null | awk '{print $2}'
		return
	fi
	"$PP" -g "$gate" "$N" >"$out" 2>"$err" &
	local pp=$!
	until_file "$err" server 10 || { kill -KILL "$pp" 2>/dev/null; wait "$pp" 2>/dev/null; return; }
	local client server
	client=$(sed -n 's/.*client \([0-9]*\) server.*/\1/p' "$err")
	server=$(sed -n 's/.*server \([0-9]*\).*/\1/p' "$err")
	if [ "$mode" = streamtrace ]; then
		"$ST" --json -i 0.2 -p "$client,$server" >"$tmp/st.out" 2>/dev/null &
		tr=$!
		until_file "$tmp/st.out" . 20
	else
		bpftrace -e "tracepoint:sock:sock_recv_length /pid == $client || pid == $server/ { @[pid] = count(); }" \
			>"$tmp/bt.out" 2>&1 &
		tr=$!
		until_file "$tmp/bt.out" Attaching 30
	fi
	touch "$gate"
	wait "$pp"
	kill -INT "$tr" 2>/dev/null
	wait "$tr" 2>/dev/null
	awk '{print $2}' "$out"
}

[ -x "$PP" ] && [ -x "$ST" ] || { echo "bench-net: build first"; exit 1; }
declare -A res
for r in $(seq "$ROUNDS"); do
	for m in bare streamtrace bpftrace; do
		res[$m]="${res[$m]:-} $(run_one $m)"
	done
done
python3 - "$N" "$ROUNDS" "${res[bare]}" "${res[streamtrace]}" "${res[bpftrace]}" <<'PY' | tee "$tmp/section.md"
import statistics, sys
n, rounds = sys.argv[1], sys.argv[2]
runs = {k: [float(x) for x in v.split()] for k, v in zip(("bare", "streamtrace", "bpftrace"), sys.argv[3:6])}
med = {k: statistics.median(v) for k, v in runs.items()}
add_st, add_bt = med["streamtrace"] - med["bare"], med["bpftrace"] - med["bare"]
print("\n## Sockets: loopback TCP request/response (scripts/bench-net.sh)\n")
print(f"{n} round trips of 64-byte messages per run (bench/pingpong.c), {rounds} alternating rounds;")
print("CPU time of both processes per round trip (the wall clock of a loopback round trip")
print("moves by microseconds with wake-up latency on this VM), medians (min..max):\n")
print("| run | CPU ns per round trip | added ns |")
print("|---|---|---|")
for k, label in (("bare", "bare"), ("streamtrace", "streamtrace -p client,server (all metrics)"),
                 ("bpftrace", "bpftrace counting every message (sock:sock_recv_length)")):
    v = runs[k]
    added = "-" if k == "bare" else f"{med[k] - med['bare']:.0f}"
    print(f"| {label} | {med[k]:.0f} ({min(v):.0f}..{max(v):.0f}) | {added} |")
ratio = add_st / add_bt if add_bt > 0 else float("nan")
print(f"\nratio streamtrace / bpftrace: {ratio:.2f} (streamtrace does far more per message: the")
print("syscall rows of 4 syscalls, 2 context switches, the enqueue side, the backlog")
print("integral and the timed wait; bpftrace counts one event)")
PY
cat "$tmp/section.md" >>bench/results.md
