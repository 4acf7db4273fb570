#!/usr/bin/env bash
# The socket path of `make bench` under a message flood: mosquitto (Debian's)
# pinned to CPU 0, one publisher (tests/workload/mqttpub, CPU 1) sending
# small QoS 0 PUBLISH packets on one connection, 16 per write, as fast as
# the broker takes them, for SECS seconds. Per configuration: the broker's
# CPU time (/proc/PID/schedstat: exact, and it includes the BPF programs
# run in its syscalls and softirqs on its CPU) per PUBLISH the publisher
# sent (the broker reads every one before it closes the connection), and
# the flood's throughput (PUBLISH per second, the publisher's own count and
# span). Configurations, in rotated order each round, medians:
#   bare      nothing attached
#   floor     empty programs on every hook streamtrace uses (build/bench/floor all)
#   st        streamtrace -p BROKER (every default metric)
#   st16      streamtrace -p BROKER --sample 16
#   bt        bpftrace counting each received message of the broker
#             (tracepoint:sock:sock_recv_length, a per-pid count)
#   base      $BASE -p BROKER, when BASE=path/to/another/streamtrace is set
#             (before/after comparisons in one run)
# Then one profiled run per streamtrace (kernel.bpf_stats_enabled): ns per
# program invocation and per PUBLISH. Appends its section to OUT
# (bench/results.md), or prints it only with OUT=-.
# usage: scripts/bench-flood.sh   (QUICK=1: 3 rounds of 2 s; ROUNDS, SECS,
#        BASE, OUT, PORT (default 23883))
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
ST=$ROOT/build/streamtrace
FLOOR=$ROOT/build/bench/floor
PUB=$ROOT/build/tests/mqttpub
QUICK=${QUICK:-0}
ROUNDS=${ROUNDS:-$([ "$QUICK" = 1 ] && echo 3 || echo 5)}
SECS=${SECS:-$([ "$QUICK" = 1 ] && echo 2 || echo 3)}
PORT=${PORT:-23883}
OUT=${OUT:-$ROOT/bench/results.md}
BASE=${BASE:-}
say() { printf 'bench-flood: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
for x in "$ST" "$FLOOR" "$PUB"; do
	[ -x "$x" ] || { say "$x missing: make all build/bench/floor"; exit 1; }
done
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || { say "no mosquitto (make deps)"; exit 1; }
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ "$(nproc)" -ge 2 ] || { say "needs 2 CPUs (broker and publisher pinned apart)"; exit 1; }

TMP=$(mktemp -d /tmp/streamtrace-flood.XXXXXX)
chmod 755 "$TMP"
PIDS=""
STATS_OLD=""
cleanup() {
	local p
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null

cat >"$TMP/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest none
max_queued_messages 0
CONF
taskset -c 0 "$MOSQ" -c "$TMP/mosquitto.conf" >/dev/null 2>&1 &
BROKER=$!
PIDS="$PIDS $BROKER"
for _ in $(seq 100); do
	ss -Htln "sport = :$PORT" 2>/dev/null | grep -q . && break
	sleep 0.05
done
kill -0 "$BROKER" 2>/dev/null || { say "mosquitto did not start"; exit 1; }

cpu_ns() { awk '{print $1}' "/proc/$BROKER/schedstat"; }

# wait_for FILE PATTERN PID: until FILE matches (10 s at most)
wait_for() {
	local i
	for i in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_tracer CONFIG [ST_BINARY]: sets TP ("" for bare)
start_tracer() {
	TP=""
	# a fresh file: wait_for must not find the last round's line (the
	# tracer's redirection happens in the child, after wait_for starts)
	rm -f "$TMP/tr.err"
	case $1 in
	bare) return 0 ;;
	floor)
		"$FLOOR" all 2>"$TMP/tr.err" &
		TP=$!
		wait_for "$TMP/tr.err" attached "$TP"
		;;
	st | st16 | base)
		local bin=$ST extra=""
		[ "$1" = base ] && bin=$BASE
		[ "$1" = st16 ] && extra="--sample 16"
		# shellcheck disable=SC2086
		"$bin" -p "$BROKER" -i 1 $extra >/dev/null 2>"$TMP/tr.err" &
		TP=$!
		wait_for "$TMP/tr.err" tracing "$TP"
		;;
	bt)
		bpftrace -e "tracepoint:sock:sock_recv_length /pid == $BROKER/ { @n = count(); }" \
			>"$TMP/tr.err" 2>&1 &
		TP=$!
		wait_for "$TMP/tr.err" Attaching "$TP"
		;;
	esac
	local rc=$?
	PIDS="$PIDS $TP"
	return $rc
}

stop_tracer() {
	[ -n "$TP" ] || return 0
	kill -INT "$TP" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$TP" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$TP" 2>/dev/null
	wait "$TP" 2>/dev/null
}

# one CONFIG: prints "broker_ns_per_publish publishes_per_s", or "- -"
one() {
	local s0 s1 js
	if ! start_tracer "$1"; then
		say "$1 did not attach: $(head -c 200 "$TMP/tr.err")"
		stop_tracer
		echo "- -"
		return
	fi
	s0=$(cpu_ns)
	js=$(timeout $((SECS + 20)) taskset -c 1 "$PUB" --port "$PORT" --flood --batch 16 \
		--duration "$SECS" 2>/dev/null)
	s1=$(cpu_ns)
	stop_tracer
	python3 -c '
import json, sys
try:
    j = json.loads(sys.argv[1]); n = j["publishes"]
    print("%.1f %.0f" % ((int(sys.argv[3]) - int(sys.argv[2])) / n, n / j["span_s"]))
except Exception:
    print("- -")' "$js" "$s0" "$s1"
}

CONFIGS="bare floor st st16 bt${BASE:+ base}"
set -- $CONFIGS
NC=$#
declare -A CPU TPUT
for r in $(seq "$ROUNDS"); do
	line="round $r:"
	i=0
	for c in $CONFIGS $CONFIGS; do
		i=$((i + 1))
		[ "$i" -le $(((r - 1) % NC)) ] && continue
		[ "$i" -gt $(((r - 1) % NC + NC)) ] && continue
		read -r ns tp <<<"$(one "$c")"
		CPU[$c]="${CPU[$c]:-} $ns"
		TPUT[$c]="${TPUT[$c]:-} $tp"
		line="$line $c=$ns/$tp"
	done
	say "$line"
done

# profile: per-program run time of each streamtrace over one flood
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
profile() { # CONFIG
	local js
	start_tracer "$1" || { stop_tracer; return 1; }
	grep -h '^prog_id:' /proc/"$TP"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u >"$TMP/ids.$1"
	bpftool -j prog show >"$TMP/a.$1"
	js=$(timeout $((SECS + 20)) taskset -c 1 "$PUB" --port "$PORT" --flood --batch 16 \
		--duration "$SECS" 2>/dev/null)
	bpftool -j prog show >"$TMP/b.$1"
	stop_tracer
	echo "$js" >"$TMP/pub.$1"
}
PROFILED=""
for c in st st16${BASE:+ base}; do
	profile "$c" && PROFILED="$PROFILED $c"
done
sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
STATS_OLD=""
kill -TERM "$BROKER"
wait "$BROKER" 2>/dev/null

export TMP ROUNDS SECS CONFIGS PROFILED BASE
for c in $CONFIGS; do export "C_$c=${CPU[$c]}" "T_$c=${TPUT[$c]}"; done
python3 - <<'PY' >"$TMP/section.md" || exit 1
import json, os, statistics
E = os.environ
confs = E["CONFIGS"].split()
LABEL = {"bare": "bare (nothing attached)",
         "floor": "floor: empty programs on streamtrace's hooks",
         "st": "streamtrace -p BROKER",
         "st16": "streamtrace -p BROKER --sample 16",
         "bt": "bpftrace counting received messages (sock:sock_recv_length)",
         "base": "BASE -p BROKER (%s)" % E.get("BASE", "")}
def vals(s):
    return [float(x) for x in s.split() if x != "-"]
C = {c: vals(E["C_" + c]) for c in confs}
T = {c: vals(E["T_" + c]) for c in confs}
med = lambda v: statistics.median(v) if v else float("nan")
MC = {c: med(C[c]) for c in confs}
MT = {c: med(T[c]) for c in confs}
add = {c: MC[c] - MC["bare"] for c in confs}
fl = add.get("floor", float("nan"))
out = []
out.append("\n## Sockets: a publish flood on mosquitto (scripts/bench-flood.sh)\n")
out.append("mosquitto pinned to CPU 0, one publisher (tests/workload/mqttpub) on CPU 1: QoS 0 "
           "PUBLISH of 52 bytes, 16 per write, as fast as the broker takes them, %s s per run, "
           "%s rounds in rotated order, medians (min..max). *Broker CPU* is its schedstat "
           "CPU time per PUBLISH (BPF programs included); *x floor* is the added CPU as a "
           "multiple of what empty programs on the same hooks add.\n" % (E["SECS"], E["ROUNDS"]))
out.append("| run | broker CPU ns / PUBLISH | added ns | x floor | PUBLISH/s | throughput lost |")
out.append("|---|---|---|---|---|---|")
for c in confs:
    v, t = C[c], T[c]
    a = "-" if c == "bare" else "%.0f" % add[c]
    xf = "-" if c in ("bare", "floor") or not fl > 0 else "%.1f" % (add[c] / fl)
    lost = "-" if c == "bare" else "%.0f%%" % (100 * (1 - MT[c] / MT["bare"]))
    out.append("| %s | %.0f (%.0f..%.0f) | %s | %s | %.0f (%.0f..%.0f) | %s |" % (
        LABEL[c], MC[c], min(v or [0]), max(v or [0]), a, xf, MT[c], min(t or [0]),
        max(t or [0]), lost))
out.append("")
out.append("Raw (round order): " + "; ".join("%s: %s" % (c, E["C_" + c].strip()) for c in confs))
out.append("")
for c in E["PROFILED"].split():
    tmp = E["TMP"]
    try:
        mine = {int(x) for x in open(os.path.join(tmp, "ids." + c)).read().split()}
        a = {p["id"]: p for p in json.load(open(os.path.join(tmp, "a." + c)))}
        b = json.load(open(os.path.join(tmp, "b." + c)))
        n = json.loads(open(os.path.join(tmp, "pub." + c)).read())["publishes"]
    except Exception:
        continue
    rows, tot = [], 0
    for p in b:
        if p["id"] not in mine or p["id"] not in a:
            continue
        dc = p.get("run_cnt", 0) - a[p["id"]].get("run_cnt", 0)
        dt = p.get("run_time_ns", 0) - a[p["id"]].get("run_time_ns", 0)
        if dc > 0:
            rows.append((p.get("name", "?"), dc, dt / dc, dt / n))
            tot += dt
    rows.sort(key=lambda r: -r[3])
    out.append("BPF programs of %s over one flood (kernel.bpf_stats_enabled; %d PUBLISH; "
               "%.0f ns of BPF per PUBLISH):\n" % (LABEL[c], n, tot / n))
    out.append("| program | runs | ns/run | ns per PUBLISH |")
    out.append("|---|---|---|---|")
    for nm, dc, r, pp in rows:
        out.append("| %s | %d | %.0f | %.1f |" % (nm, dc, r, pp))
    out.append("")
print("\n".join(out))
PY
cat "$TMP/section.md"
[ "$OUT" = - ] || cat "$TMP/section.md" >>"$OUT"
