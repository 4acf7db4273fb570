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
( sleep 0.5; kill -USR1 $qb ) &
./streamtrace -p "$src,$a,$b,$sink" -i 1 "$@"
wait $qb || true
echo
echo "demo: what the workload measured itself (its ground truth):"
python3 - "$tmp/truth.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["role"] == "stage":
        print(f"  stage {t['stage']} pid {t['pid']}: λ {t['arrival_rate']:.0f}/s  ρ {t['rho']:.2f}"
              f"  W {t['response_s'] * 1e3:.2f} ms{'  (bottleneck)' if t['bottleneck'] else ''}")
    elif t["role"] == "sink":
        print(f"  end to end: W {t['e2e_response_s'] * 1e3:.2f} ms")
PY
