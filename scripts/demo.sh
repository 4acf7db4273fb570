#!/usr/bin/env bash
# The demo: the bundled pipeline (source -> stage A -> stage B -> sink, four
# processes over loopback TCP, stage B the slow one) traced live by
# streamtrace for a few seconds. `make demo` builds everything first.
# usage: scripts/demo.sh [SECONDS] [extra streamtrace options...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
[ "$(id -u)" = 0 ] || { echo "demo: needs root (BPF): sudo make demo" >&2; exit 1; }
tmp=$(mktemp -d /tmp/streamtrace-demo.XXXXXX)
trap 'kill $qb 2>/dev/null || true; rm -rf "$tmp"' EXIT
# a load that rises through the run, so the queue at stage B builds up
./build/tests/qbench pipeline --rate 250 --arrival ramp --rate-end 550 \
	--stage-service-us 400,1600 --duration "$secs" --start-signal \
	--pidfile "$tmp/pids" >"$tmp/truth.json" 2>"$tmp/qbench.err" &
qb=$!
while [ ! -s "$tmp/pids" ]; do sleep 0.05; done
read -r src a b sink <"$tmp/pids"
echo "demo: pipeline source $src -> A $a -> B $b -> sink $sink; tracing for ${secs}s"
[ -t 0 ] && [ -t 1 ] &&
	echo "demo: full screen: p the pipeline and its bottleneck, Enter a row's details, ? help, q stop" &&
	sleep 2
( sleep 0.5; kill -USR1 $qb ) &
t_start=$(date +%s.%N)
./streamtrace -p "$src,$a,$b,$sink" -i 1 "$@"
t_end=$(date +%s.%N)
wait $qb || true
echo
# Not the same window: the workload measures from its start signal for
# SECONDS; streamtrace's SUMMARY covers its whole run, from attaching to the
# pipeline's exit once its queues drained. Counts compare as they are; rates
# are put over streamtrace's window (its wall time, start-up included) too.
echo "demo: what the workload measured itself (its ground truth):"
python3 - "$tmp/truth.json" "$t_start" "$t_end" <<'PY'
import json, sys, textwrap
st_span = float(sys.argv[3]) - float(sys.argv[2])
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["role"] == "stage":
        print(f"  stage {t['stage']} pid {t['pid']}{' (bottleneck)' if t['bottleneck'] else ''}:"
              f" {t['messages']} messages; over its {t['span_s']:.1f} s window")
        print(f"    λ {t['arrival_rate']:.0f}/s  ρ {t['rho']:.2f}  W {t['response_s'] * 1e3:.2f} ms;"
              f" over streamtrace's ~{st_span:.1f} s: λ {t['messages'] / st_span:.0f}/s")
    elif t["role"] == "sink":
        print(f"  end to end: W {t['e2e_response_s'] * 1e3:.2f} ms")
print(textwrap.fill(
    "note: these cover the workload's own send window. streamtrace's SUMMARY covers "
    "its own run, the span on its SUMMARY line (here at most the "
    f"{st_span:.1f} s streamtrace ran, start-up included): from attaching to the "
    "pipeline's exit after its queues drained. Its λ is lower by the ratio of the "
    "spans, and its ρ and W take in the idle and draining seconds. Compare the "
    "counts, or rates over the same window.", 78, initial_indent="  ",
    subsequent_indent="  "))
PY
