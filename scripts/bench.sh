#!/bin/bash
# `make bench`: what tracing costs, streamtrace against bpftrace.
#
#   scripts/bench.sh            full run, ~2 minutes
#   QUICK=1 scripts/bench.sh    fewer, shorter runs, ~30 s
#
# Needs root, ./streamtrace built, bpftrace, gcc, python3. Measures
#   1. ns added per syscall of a traced process (tight getppid loop), for
#      streamtrace -p, streamtrace -p --sample 16, bpftrace's per-syscall
#      latency histogram, bpftrace with two empty (pid-filtered) syscall
#      probes and, as the floor every figure is also given as a multiple of,
#      empty tp_btf programs on exactly streamtrace's syscall hooks
#      (build/bench/floor syscalls, bench/floor.c)
#   2. ns added per syscall of a process NOT traced while streamtrace traces
#      another one
#   3. start-to-attached time of streamtrace
#   4. streamtrace's peak RSS while tracing
#   5. per-BPF-program cost (kernel.bpf_stats_enabled)
# prints a table and writes bench/results.md. bench/README.md explains the
# method. Exits 0 when every measurement succeeded (the goals are reported,
# not enforced), 1 when one failed. Tunables (environment): ROUNDS, N
# (getppid calls per run), ATTACH_RUNS, BENCH_OUT (results file),
# ROUNDS_BUDGET (seconds: no new round starts after that, once two are done;
# keeps the run bounded on a busy machine), QUIET_BUDGET.
set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
ST=$ROOT/streamtrace
LOOP_SRC=$ROOT/bench/getppid_loop.c
LOOP=$ROOT/build/bench/getppid_loop
FLOOR=$ROOT/build/bench/floor
OUT=${BENCH_OUT:-$ROOT/bench/results.md}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-3} N=${N:-400000} ATTACH_RUNS=${ATTACH_RUNS:-5} PROF_WINDOW=0.5
	ROUNDS_BUDGET=${ROUNDS_BUDGET:-24}
else
	ROUNDS=${ROUNDS:-5} N=${N:-2000000} ATTACH_RUNS=${ATTACH_RUNS:-10} PROF_WINDOW=1
	ROUNDS_BUDGET=${ROUNDS_BUDGET:-125}
fi
# a run may take up to this long before it is declared hung (20 µs/call + 10 s)
RUN_TIMEOUT=$((N * 20 / 1000000 + 10))
# the profile runs' loop is stopped once the snapshots are taken
PROF_N=1000000000
# seconds we may spend in all waiting for other tracers to go away
QUIET_BUDGET=${QUIET_BUDGET:-$([ "$QUICK" = 1 ] && echo 4 || echo 15)}

BT_HIST='tracepoint:raw_syscalls:sys_enter /pid==PID/ {@s[tid]=nsecs} tracepoint:raw_syscalls:sys_exit /pid==PID && @s[tid]/ {@h=hist(nsecs-@s[tid]); delete(@s[tid])}'
BT_EMPTY='tracepoint:raw_syscalls:sys_enter /pid==PID/ {} tracepoint:raw_syscalls:sys_exit /pid==PID/ {}'

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench: $*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (BPF)"
[ -x "$ST" ] || die "no ./streamtrace: run make first"
command -v bpftrace >/dev/null || die "bpftrace not installed (make deps)"
command -v python3 >/dev/null || die "python3 not installed (make deps)"
command -v gcc >/dev/null || die "gcc not installed (make deps)"
[ -x "$FLOOR" ] || die "no build/bench/floor: run make bench (or make build/bench/floor)"

TMP=$(mktemp -d /tmp/streamtrace-bench.XXXXXX) || die "mktemp failed"
PIDS=""              # background processes we started, killed on exit
STATS_OLD=""         # kernel.bpf_stats_enabled before we touched it
cleanup() {
	local p
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T_BEGIN=$EPOCHREALTIME

# -- helpers ----------------------------------------------------------------

track() { PIDS="$PIDS $1"; }
untrack() {
	local p out=""
	for p in $PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
	PIDS=$out
}

# wait_exit PID SECS: wait for a child to exit; sets RC; 1 on timeout
wait_exit() {
	local pid=$1 end=$((${EPOCHREALTIME/./} + $2 * 1000000))
	while kill -0 "$pid" 2>/dev/null; do
		# a zombie still answers kill -0: ask /proc
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		[ "${EPOCHREALTIME/./}" -gt "$end" ] && return 1
		sleep 0.01
	done
	wait "$pid" 2>/dev/null
	RC=$?
	untrack "$pid"
	return 0
}

# stop PID: SIGINT, then SIGTERM, then SIGKILL; sets RC. (Background jobs of
# a script start with SIGINT ignored: only programs that set their own
# handler, as streamtrace and bpftrace do, stop on it.)
stop() {
	local pid=$1
	kill -INT "$pid" 2>/dev/null
	wait_exit "$pid" 5 && return 0
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 3 && return 0
	kill -KILL "$pid" 2>/dev/null
	wait_exit "$pid" 3
	RC=137
}

# wait_line FILE PATTERN PID SECS: wait until FILE has a line matching PATTERN.
# Callers remove FILE before starting the writer: its redirection happens in
# the child, later, so a FILE left by the last run would match at once (under
# load that opened the gate 100-300 ms before the tracer attached).
wait_line() {
	local end=$((${EPOCHREALTIME/./} + $4 * 1000000))
	until grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		[ "${EPOCHREALTIME/./}" -gt "$end" ] && return 1
		sleep 0.01
	done
}

elapsed() { echo $(((${EPOCHREALTIME/./} - ${T_BEGIN/./}) / 1000000)); }
phase() { say "bench: $1 done at $(elapsed) s"; }

FAIL=""
fail() {
	say "bench: FAILED: $*"
	FAIL="$FAIL
- $*"
}

# start the loop held at a gate; sets LP (pid), GATE, LOUT
start_gated_loop() {
	GATE=$TMP/gate.$RANDOM$RANDOM
	LOUT=$TMP/loop.$RANDOM$RANDOM
	"$LOOP" -g "$GATE" "$1" >"$LOUT" &
	LP=$!
	track "$LP"
}

# finish_loop TIMEOUT: open the gate, wait for the loop; RES = its CPU ns
# per call, RESW = its wall-clock (CLOCK_MONOTONIC) ns per call, RESB = its
# best chunk's CPU ns per call
finish_loop() {
	RES="" RESW="" RESB=""
	touch "$GATE"
	if ! wait_exit "$LP" "$1"; then
		kill_loop
		return 1
	fi
	[ "$RC" = 0 ] && [ -s "$LOUT" ] || return 1
	read -r RESW RES RESB <"$LOUT"
	[ -n "$RESB" ] || RES="" RESW=""
}

# SIGPIPE: bash reports a job killed by any other signal on stderr
kill_loop() {
	kill -PIPE "$LP" 2>/dev/null
	wait_exit "$LP" 3
}

# Other tracers on the machine (another streamtrace, bpftrace, strace, perf)
# change what every syscall costs, the bare runs' included: list their pids.
TRACER_COMMS="streamtrace bpftrace strace perf ltrace"
foreign() {
	local c p q mine out=""
	for c in $TRACER_COMMS; do
		for p in $(pgrep -x "$c"); do
			mine=0
			for q in $PIDS; do [ "$p" = "$q" ] && mine=1; done
			[ "$mine" = 1 ] || out="$out $p"
		done
	done
	echo "$out"
}

# quiet_wait: before a run, wait (a few seconds at most, QUIET_BUDGET
# seconds in all) for other tracers to finish; sets BUSY when some remain
QUIET_USED=0
quiet_wait() {
	local t=0
	BUSY=$(foreign)
	while [ -n "$BUSY" ] && [ "$t" -lt 30 ] && [ "$QUIET_USED" -lt $((QUIET_BUDGET * 10)) ]; do
		sleep 0.1
		t=$((t + 1))
		QUIET_USED=$((QUIET_USED + 1))
		BUSY=$(foreign)
	done
}

# -- build and environment ---------------------------------------------------

mkdir -p "$ROOT/build/bench"
if [ ! -x "$LOOP" ] || [ "$LOOP_SRC" -nt "$LOOP" ]; then
	gcc -O2 -Wall -Wextra -o "$LOOP" "$LOOP_SRC" || die "cannot build getppid_loop"
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing ||
	die "cannot mount tracefs (bpftrace needs it)"
# bpftrace 0.17 complains when it cannot raise RLIMIT_MEMLOCK; the kernel does
# not need it (memcg accounting), but give it room anyway
ulimit -l unlimited 2>/dev/null || ulimit -l 65536 2>/dev/null

KERNEL=$(uname -r)
CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
NCPU=$(nproc)
CLOCKSRC=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
ST_VER=$("$ST" -V 2>/dev/null | head -1)
ST_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
git -C "$ROOT" diff --quiet HEAD -- bpf user 2>/dev/null || ST_COMMIT="$ST_COMMIT+dirty"
BT_VER=$(bpftrace --version 2>/dev/null | head -1)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
OTHERS=$(foreign)
[ -n "$OTHERS" ] && say "bench: warning: other tracers are running (pids$OTHERS); figures may be off"

say "bench: $(date -u '+%F %T') UTC, kernel $KERNEL, $NCPU x $CPU"
say "bench: $ROUNDS rounds, $N getppid calls per run$([ "$QUICK" = 1 ] && echo ' (QUICK)')"

# -- 1 and 2: per-syscall cost ------------------------------------------------

# each run_* sets RES to the loop's ns/call, or to "" when the run failed
run_bare() {
	start_gated_loop "$N"
	finish_loop "$RUN_TIMEOUT"
}

ST_COUNTED=""   # getppid calls streamtrace counted, one per run
ST16_COUNTED="" # the same with --sample 16
run_st() { # [--sample N]
	local so=$TMP/st.out se=$TMP/st.err sp cnt
	RES=""
	start_gated_loop "$N"
	rm -f "$so" "$se" # wait_line must not find the last run's line
	"$ST" "$@" -p "$LP" >"$so" 2>"$se" &
	sp=$!
	track "$sp"
	if ! wait_line "$se" 'tracing' "$sp" 15; then
		say "bench: streamtrace did not attach: $(head -c 300 "$se")"
		stop "$sp"
		kill_loop
		return 1
	fi
	if ! finish_loop "$RUN_TIMEOUT"; then
		stop "$sp"
		return 1
	fi
	# with -p alone it stops by itself once the target exited
	if ! wait_exit "$sp" 10; then
		say "bench: streamtrace did not exit 10 s after its target did"
		stop "$sp"
	fi
	[ "$RC" = 0 ] || say "bench: streamtrace exited with status $RC: $(head -c 300 "$se")"
	# getppid calls it counted, from the interval tables (before the summary)
	cnt=$(awk '/SUMMARY/ {exit} $2 == "getppid_loop" && $3 == "getppid" {s += $4} END {print s + 0}' "$so")
	if [ $# = 0 ]; then ST_COUNTED="$ST_COUNTED $cnt"; else ST16_COUNTED="$ST16_COUNTED $cnt"; fi
}
run_st16() { run_st --sample 16; }

# the floor: empty tp_btf programs on sys_enter/sys_exit (bench/floor.c), the
# hooks streamtrace's syscall path uses; every process pays them
run_floor() {
	local fe=$TMP/floor.err fp
	RES=""
	start_gated_loop "$N"
	rm -f "$fe"
	"$FLOOR" syscalls 2>"$fe" &
	fp=$!
	track "$fp"
	if ! wait_line "$fe" 'attached' "$fp" 15; then
		say "bench: floor did not attach: $(head -c 300 "$fe")"
		stop "$fp"
		kill_loop
		return 1
	fi
	finish_loop "$RUN_TIMEOUT"
	stop "$fp"
}

BT_COUNTED=""   # syscalls in bpftrace's histogram, one per run
run_bt() { # $1: program text, PID stands for the pid
	local bo=$TMP/bt.out bp cnt
	RES=""
	start_gated_loop "$N"
	rm -f "$bo"
	bpftrace -e "${1//PID/$LP}" >"$bo" 2>&1 &
	bp=$!
	track "$bp"
	if ! wait_line "$bo" '^Attaching' "$bp" 30; then
		say "bench: bpftrace did not attach: $(head -c 300 "$bo")"
		stop "$bp"
		kill_loop
		return 1
	fi
	finish_loop "$RUN_TIMEOUT"
	stop "$bp"
	[ -n "$RES" ] || return 1
	if [ "$1" = "$BT_HIST" ]; then
		cnt=$(awk '/^\[/ {for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+$/ && $(i+1) ~ /^\|/) s += $i} END {print s + 0}' "$bo")
		BT_COUNTED="$BT_COUNTED $cnt"
	fi
}
run_bt_hist() { run_bt "$BT_HIST"; }
run_bt_empty() { run_bt "$BT_EMPTY"; }

run_untraced() {
	local so=$TMP/stu.out se=$TMP/stu.err sp zp
	RES=""
	sleep 1000 &
	zp=$!
	track "$zp"
	rm -f "$so" "$se"
	"$ST" -p "$zp" >"$so" 2>"$se" &
	sp=$!
	track "$sp"
	if ! wait_line "$se" 'tracing' "$sp" 15; then
		say "bench: streamtrace did not attach: $(head -c 300 "$se")"
		stop "$sp"
		kill -TERM "$zp"; wait_exit "$zp" 3
		return 1
	fi
	start_gated_loop "$N"
	finish_loop "$RUN_TIMEOUT"
	kill -TERM "$zp"
	wait_exit "$zp" 3
	wait_exit "$sp" 10 || stop "$sp"
}

CONFIGS="bare st st16 bt_hist untraced bt_empty floor"
declare -A VALS WALL BEST
for c in $CONFIGS; do VALS[$c]="" WALL[$c]="" BEST[$c]=""; done
nconf=7
ROUNDS_DONE=0
ROUND_S=0
for r in $(seq 1 "$ROUNDS"); do
	# no new round when it would end after ROUNDS_BUDGET (two rounds at least)
	if [ "$r" -gt 2 ] && [ $(($(elapsed) + ROUND_S)) -gt "$ROUNDS_BUDGET" ]; then
		say "bench: out of time (ROUNDS_BUDGET=$ROUNDS_BUDGET s): stopping after $((r - 1)) rounds"
		break
	fi
	# rotate the order every round so that no configuration always runs
	# first, or always right after bpftrace's CPU-heavy start-up
	i=0
	line="round $r:"
	t_round=$(elapsed)
	for c in $CONFIGS $CONFIGS; do
		i=$((i + 1))
		[ "$i" -le $(((r - 1) % nconf)) ] && continue
		[ "$i" -gt $(((r - 1) % nconf + nconf)) ] && continue
		quiet_wait
		"run_$c"
		[ -n "$BUSY" ] || BUSY=$(foreign)
		if [ -z "$RES" ]; then
			fail "round $r: run '$c' failed"
			RES="-" RESW="-" RESB="-"
		fi
		# a run during which another tracer ran is marked with a *
		[ -n "$BUSY" ] && RES="$RES*" RESW="$RESW*" RESB="$RESB*"
		VALS[$c]="${VALS[$c]} $RES"
		WALL[$c]="${WALL[$c]} $RESW"
		BEST[$c]="${BEST[$c]} $RESB"
		line="$line $c=$RES/$RESW"
	done
	say "bench: $line"
	ROUNDS_DONE=$r
	ROUND_S=$(($(elapsed) - t_round))
done
phase "per-syscall rounds"
ST_CHECK=${ST_COUNTED# }
ST16_CHECK=${ST16_COUNTED# }
BT_CHECK=${BT_COUNTED# }

# -- 3: start-to-attached ------------------------------------------------------

ATT=""
sleep 1000 &
ZP=$!
track "$ZP"
FIFO=$TMP/fifo
for k in $(seq 1 "$ATTACH_RUNS"); do
	rm -f "$FIFO"
	mkfifo "$FIFO"
	t0=$EPOCHREALTIME
	"$ST" -p "$ZP" >/dev/null 2>"$FIFO" &
	sp=$!
	track "$sp"
	line=""
	IFS= read -r -t 15 line <"$FIFO"
	t1=$EPOCHREALTIME
	stop "$sp"
	case $line in
	*tracing*) ATT="$ATT $(python3 -c "print('%.1f' % (($t1 - $t0) * 1e3))")" ;;
	*) fail "start-to-attached run $k: streamtrace said: ${line:-nothing}" ;;
	esac
done
kill -TERM "$ZP"
wait_exit "$ZP" 3
phase "start-to-attached"

# whole `streamtrace -- true` runs: exec, attach, run, summary, teardown
HF_NOTE=""
if ! command -v hyperfine >/dev/null; then
	say "bench: installing hyperfine (apt-get)"
	DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq hyperfine >/dev/null 2>&1 ||
		HF_NOTE="hyperfine could not be installed; timed with \$EPOCHREALTIME instead"
fi
TRUE_RUNS=$ATTACH_RUNS
WARMUP=$([ "$QUICK" = 1 ] && echo 1 || echo 2)
if command -v hyperfine >/dev/null; then
	TRUE_CMD="hyperfine -N --warmup $WARMUP --runs $TRUE_RUNS --export-json FILE '$ST -- true'"
	if timeout 120 hyperfine -N --warmup "$WARMUP" --runs "$TRUE_RUNS" --export-json "$TMP/hf.json" \
		--style none "$ST -- true" >/dev/null 2>&1; then
		TRUE_MS=$(python3 -c "
import json, statistics as s
t = json.load(open('$TMP/hf.json'))['results'][0]['times']
print(' '.join('%.1f' % (x * 1e3) for x in t))")
	else
		fail "hyperfine '$ST -- true' failed"
		TRUE_MS=""
	fi
else
	TRUE_CMD="t0=\$EPOCHREALTIME; $ST -- true >/dev/null; t1=\$EPOCHREALTIME   (x$TRUE_RUNS)"
	TRUE_MS=""
	for k in $(seq 1 "$TRUE_RUNS"); do
		t0=$EPOCHREALTIME
		timeout 20 "$ST" -- true >/dev/null 2>&1 || fail "'$ST -- true' failed"
		t1=$EPOCHREALTIME
		TRUE_MS="$TRUE_MS $(python3 -c "print('%.1f' % (($t1 - $t0) * 1e3))")"
	done
fi

phase "-- true runs"

# -- 4 and 5: peak RSS and per-program cost --------------------------------------

if [ ! -x /usr/bin/time ]; then
	DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq time >/dev/null 2>&1
fi
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 || fail "cannot enable kernel.bpf_stats_enabled"

# stop_tracer TP RP: stop tracer RP, run as TP (RP itself, or /usr/bin/time
# running it): signal RP, wait for TP
stop_tracer() {
	local sig
	for sig in INT TERM KILL; do
		kill -"$sig" "$2" 2>/dev/null
		wait_exit "$1" 5 && return 0
	done
	stop "$1"
}

bpf_snap() { bpftool -j prog show >"$1" 2>/dev/null; }

# profile TOOL: one traced run of the loop; snapshots of every BPF
# program's run_cnt/run_time_ns 0.3 s after the loop started and 1 s later;
# the tool's peak RSS from /usr/bin/time (or VmHWM)
profile() {
	local tool=$1 o=$TMP/prof.$1.out e=$TMP/prof.$1.err tf=$TMP/prof.$1.time tp rp hwm=0 h ok
	local timecmd=()
	[ -x /usr/bin/time ] && timecmd=(/usr/bin/time -v -o "$tf")
	bpf_snap "$TMP/snap0.$tool"
	start_gated_loop "$PROF_N"
	rm -f "$o" "$e"
	if [ "$tool" = st ]; then
		"${timecmd[@]}" "$ST" -p "$LP" >"$o" 2>"$e" &
		tp=$!
		track "$tp"
		wait_line "$e" 'tracing' "$tp" 15
	else
		"${timecmd[@]}" bpftrace -e "${BT_HIST//PID/$LP}" >"$o" 2>"$e" &
		tp=$!
		track "$tp"
		wait_line "$o" '^Attaching' "$tp" 30
	fi
	ok=$?
	# the tracer itself: time's child, when wrapped (time ignores SIGINT)
	rp=$tp
	[ ${#timecmd[@]} = 0 ] || rp=$(pgrep -P "$tp" | head -1)
	[ -n "$rp" ] || rp=$tp
	track "$rp"
	if [ "$ok" != 0 ]; then
		stop_tracer "$tp" "$rp"
		kill_loop
		return 1
	fi
	# the tracer's own programs: the prog_id of its BPF fds
	grep -h '^prog_id:' /proc/"$rp"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u >"$TMP/ids.$tool"
	touch "$GATE"
	sleep 0.3
	bpf_snap "$TMP/snapA.$tool"
	sleep "$PROF_WINDOW"
	bpf_snap "$TMP/snapB.$tool"
	kill -0 "$LP" 2>/dev/null && PROF_WHOLE_WINDOW=1 || PROF_WHOLE_WINDOW=0
	# without /usr/bin/time: the tracer's VmHWM (peak so far) near the end
	h=$(awk '/^VmHWM/ {print $2}' "/proc/$rp/status" 2>/dev/null)
	[ -n "$h" ] && hwm=$h
	kill_loop
	if [ "$tool" = st ]; then
		# with -p alone it stops by itself once the target exited
		wait_exit "$tp" 10 || stop_tracer "$tp" "$rp"
	else
		stop_tracer "$tp" "$rp"
	fi
	untrack "$rp"
	if [ -s "$tf" ] && grep -q 'Maximum resident' "$tf"; then
		hwm=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tf")
		RSS_HOW="/usr/bin/time -v (Maximum resident set size)"
	else
		RSS_HOW="VmHWM of /proc/PID/status, read near the end of the run"
	fi
	echo "$hwm" >"$TMP/rss.$tool"
	[ "$PROF_WHOLE_WINDOW" = 1 ] || say "bench: warning: the loop ended inside the $tool profile window"
}
RSS_HOW=""
profile st || fail "profile run of streamtrace failed"
profile bt || fail "profile run of bpftrace failed"
sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
STATS_OLD=""
phase "profile"

T_END=$EPOCHREALTIME

# -- report -------------------------------------------------------------------

export TMP OUT ROUNDS ROUNDS_DONE N QUICK KERNEL CPU NCPU CLOCKSRC ST_VER ST_COMMIT BT_VER LOAD0 OTHERS
export PROF_WINDOW ATTACH_RUNS TRUE_CMD HF_NOTE RSS_HOW T_BEGIN T_END ST_CHECK BT_CHECK ST16_CHECK
for c in st16 floor; do export "V_$c=${VALS[$c]}" "W_$c=${WALL[$c]}" "B_$c=${BEST[$c]}"; done
export V_bare="${VALS[bare]}" V_st="${VALS[st]}" V_bt_hist="${VALS[bt_hist]}"
export V_untraced="${VALS[untraced]}" V_bt_empty="${VALS[bt_empty]}"
export W_bare="${WALL[bare]}" W_st="${WALL[st]}" W_bt_hist="${WALL[bt_hist]}"
export W_untraced="${WALL[untraced]}" W_bt_empty="${WALL[bt_empty]}"
export B_bare="${BEST[bare]}" B_st="${BEST[st]}" B_bt_hist="${BEST[bt_hist]}"
export B_untraced="${BEST[untraced]}" B_bt_empty="${BEST[bt_empty]}"
export ATT TRUE_MS BT_HIST BT_EMPTY ST FAIL
export LOOP_REL=build/bench/getppid_loop

python3 - <<'PY' || exit 1
import json, os, statistics, time

E = os.environ
tmp = E["TMP"]
KEYS = ("bare", "st", "st16", "bt_hist", "bt_empty", "untraced", "floor")
LABEL = {
    "bare": "bare (not traced)",
    "st": "streamtrace -p PID",
    "st16": "streamtrace -p PID --sample 16",
    "floor": "floor: empty tp_btf sys_enter/sys_exit",
    "bt_hist": "bpftrace latency histogram",
    "bt_empty": "bpftrace empty probes (pid-filtered)",
    "untraced": "untraced, streamtrace on another pid",
}

def nums(s):
    return [float(x) for x in s.split()] if s.strip() else []

def runs(s):
    """per-round values: (ns or None when the run failed, another tracer ran)"""
    out = []
    for x in s.split():
        t = x.endswith("*")
        x = x.rstrip("*")
        out.append((None if x == "-" else float(x), t))
    return out

def med(v):
    return statistics.median(v) if v else None

def f(x, d=1):
    return "n/a" if x is None else "%.*f" % (d, x)

def table(hdr, rws):
    w = [max(len(str(x)) for x in col) for col in zip(hdr, *rws)]
    line = lambda r: "| " + " | ".join(str(x).ljust(n) for x, n in zip(r, w)) + " |"
    return "\n".join([line(hdr), "|" + "|".join("-" * (n + 2) for n in w) + "|"] + [line(r) for r in rws])

class Figures:
    """medians and spreads of one clock's ns/call over the rounds"""
    def __init__(self, prefix):
        self.R = {k: runs(E[prefix + k]) for k in KEYS}
        # use the runs during which no other tracer ran when every
        # configuration has at least two of them; otherwise all runs
        self.clean_ok = all(sum(1 for v, t in self.R[k] if v is not None and not t) >= 2
                            for k in KEYS)
        self.tainted = sum(1 for k in KEYS for v, t in self.R[k] if t)
        self.V = {k: [v for v, t in self.R[k] if self.use(v, t)] for k in KEYS}
        self.M = {k: med(v) for k, v in self.V.items()}
        self.bare = self.M["bare"]

    def use(self, v, t):
        return v is not None and (not t or not self.clean_ok)

    def added(self, k):
        return None if self.M[k] is None or self.bare is None else self.M[k] - self.bare

    def pct(self, k):
        a = self.added(k)
        return None if a is None or not self.bare else 100 * a / self.bare

    def paired(self, k):
        """run minus the bare run of the same round"""
        return [t - b for (t, tt), (b, bt) in zip(self.R[k], self.R["bare"])
                if self.use(t, tt) and self.use(b, bt)]

    def ratio(self, k="st"):
        s, b = self.added(k), self.added("bt_hist")
        return s / b if s is not None and b and b > 0 else None

    def xfloor(self, k):
        """added ns as a multiple of the floor's added ns"""
        a, fl = self.added(k), self.added("floor")
        return a / fl if a is not None and fl and fl > 0 else None

    def rows(self):
        out = []
        for k in ("bare", "floor", "st", "st16", "untraced", "bt_hist", "bt_empty"):
            v, pd = self.V[k], self.paired(k)
            out.append((LABEL[k], f(self.M[k]), f(min(v)) if v else "n/a",
                        f(max(v)) if v else "n/a",
                        "-" if k == "bare" else f(self.added(k)),
                        "-" if k in ("bare", "floor") else f(self.xfloor(k), 2),
                        "-" if k == "bare" or not pd else "%s..%s" % (f(min(pd), 0), f(max(pd), 0)),
                        "-" if k == "bare" or self.pct(k) is None else "%+.1f%%" % self.pct(k)))
        return out

    def raw(self):
        return ["- %s: %s" % (k, " ".join((f(v) if v is not None else "-") + ("*" if t else "")
                                          for v, t in self.R[k]) or "n/a") for k in KEYS]

C, W, B = Figures("V_"), Figures("W_"), Figures("B_")
n = int(E["N"])
stc = [int(x) for x in E["ST_CHECK"].split()]
stc16 = [int(x) for x in E["ST16_CHECK"].split()]
btc = [int(x) for x in E["BT_CHECK"].split()]
att = nums(E["ATT"])
tru = nums(E["TRUE_MS"])

def read_time(tool):
    """peak RSS (kB) and user+system CPU seconds of a profile run"""
    rss = cpu = None
    try:
        rss = int(open(os.path.join(tmp, "rss." + tool)).read().split()[0]) or None
    except Exception:
        pass
    try:
        u = s = None
        for l in open(os.path.join(tmp, "prof.%s.time" % tool)):
            if "User time (seconds)" in l:
                u = float(l.split(":")[-1])
            if "System time (seconds)" in l:
                s = float(l.split(":")[-1])
        if u is not None and s is not None:
            cpu = u + s
    except Exception:
        pass
    return rss, cpu

RSS = {t: read_time(t) for t in ("st", "bt")}

def progs(tool):
    """per-program cost between the two snapshots, of the tracer's programs
    (by its fds' prog_id; failing that, the programs new since snap0)"""
    try:
        mine = {int(x) for x in open(os.path.join(tmp, "ids." + tool)).read().split()}
    except Exception:
        mine = set()
    try:
        s0 = {p["id"] for p in json.load(open(os.path.join(tmp, "snap0." + tool)))}
        a = {p["id"]: p for p in json.load(open(os.path.join(tmp, "snapA." + tool)))}
        b = json.load(open(os.path.join(tmp, "snapB." + tool)))
    except Exception:
        return []
    out = []
    for p in b:
        if (p["id"] not in mine if mine else p["id"] in s0) or p["id"] not in a:
            continue
        dc = p.get("run_cnt", 0) - a[p["id"]].get("run_cnt", 0)
        dt = p.get("run_time_ns", 0) - a[p["id"]].get("run_time_ns", 0)
        if dc > 0:
            out.append((p.get("name", "?"), p.get("type", "?"), dc, dt / dc, dt))
    out.sort(key=lambda x: -x[4])
    return out

P = {"st": progs("st"), "bt": progs("bt")}

def per_syscall(tool):
    """BPF ns per loop syscall: the programs that ran about once per syscall"""
    ps = P[tool]
    if not ps:
        return None
    top = max(c for _, _, c, _, _ in ps)
    return sum(tot for _, _, c, _, tot in ps if c >= top * 0.5) / top

def goal(ok):
    return "n/a" if ok is None else ("PASS" if ok else "MISS")

ratio, un_pct, att_med = C.ratio(), C.pct("untraced"), med(att)
st_rss = RSS["st"][0]
def nsx(F, k):
    """added ns and the multiple of the floor"""
    return "%s (%sx floor)" % (f(F.added(k)), f(F.xfloor(k), 2))
def xgoal(k, lim):
    x = C.xfloor(k)
    return "<= %.1fx floor  %s" % (lim, goal(None if x is None else x <= lim))
summary = [
    ("floor: empty tp_btf sys_enter/sys_exit, added ns/syscall", f(C.added("floor")),
     f(B.added("floor")), ""),
    ("added ns/syscall, streamtrace", nsx(C, "st"), nsx(B, "st"), xgoal("st", 2.0)),
    ("added ns/syscall, streamtrace --sample 16", nsx(C, "st16"), nsx(B, "st16"),
     xgoal("st16", 1.3)),
    ("untraced process: added ns/syscall", nsx(C, "untraced"), nsx(B, "untraced"),
     xgoal("untraced", 1.1)),
    ("added ns/syscall, bpftrace histogram", nsx(C, "bt_hist"), nsx(B, "bt_hist"), ""),
    ("added ns/syscall, bpftrace empty probes", nsx(C, "bt_empty"), nsx(B, "bt_empty"), ""),
    ("ratio streamtrace / bpftrace", f(ratio, 2), f(B.ratio(), 2),
     "<= 0.35  " + goal(None if ratio is None else ratio <= 0.35)),
    ("ratio streamtrace --sample 16 / bpftrace", f(C.ratio("st16"), 2), f(B.ratio("st16"), 2),
     ""),
    ("start-to-attached, median ms", f(att_med), "",
     "<= 100 ms  " + goal(None if att_med is None else att_med <= 100)),
    ("`streamtrace -- true` whole run, median ms", f(med(tru)), "", ""),
    ("streamtrace peak RSS, MB", f(st_rss / 1024 if st_rss else None), "",
     "<= 16 MB  " + goal(None if not st_rss else st_rss <= 16 * 1024)),
    ("bpftrace peak RSS, MB (reference)", f(RSS["bt"][0] / 1024 if RSS["bt"][0] else None),
     "", ""),
]
wall_note = ("wall clock (CLOCK_MONOTONIC) for comparison: streamtrace +%s ns, bpftrace +%s ns, "
             "ratio %s, untraced %s%%" % (f(W.added("st")), f(W.added("bt_hist")),
                                          f(W.ratio(), 2), f(W.pct("untraced"))))
busy = med([w / c for w, c in zip(W.V["bare"], C.V["bare"])]) if C.V["bare"] and \
    len(W.V["bare"]) == len(C.V["bare"]) else None

H1 = ("run", "median ns/call", "min", "max", "added ns", "x floor", "added, per round", "vs bare")
H2 = ("figure", "value", "best-chunk check", "goal")
H3 = ("program", "type", "runs", "ns/run", "total ms")

def ptable(tool):
    r = [(nm, t, c, "%.1f" % ns, "%.1f" % (tot / 1e6)) for nm, t, c, ns, tot in P[tool]]
    return table(H3, r) if r else "(no data)"

warn = []
if C.tainted:
    warn.append("other tracers ran during %d runs (marked * in the raw figures)%s" %
                (C.tainted // 1, "; left out of the figures" if C.clean_ok
                 else "; too many to leave out: the figures are suspect"))
if busy is not None and busy > 1.15:
    warn.append("the machine was busy: bare runs took %.2fx their CPU time in wall-clock "
                "time; the CPU-time figures stay fair, the wall-clock ones do not" % busy)
if any(c != n for c in stc):
    warn.append("streamtrace's getppid counts %s, expected %d each (0: its table could not "
                "be read)" % (stc, n))
if any(c != n for c in stc16):
    warn.append("streamtrace --sample 16's getppid counts %s, expected %d each (counts stay "
                "exact when sampled)" % (stc16, n))
if any(c < n for c in btc):
    warn.append("bpftrace's histogram counts %s, expected >= %d each" % (btc, n))

print()
print("streamtrace bench: %s calls x %s rounds, kernel %s, %s x %s" %
      (E["N"], E["ROUNDS_DONE"], E["KERNEL"], E["NCPU"], E["CPU"]))
print()
print("CPU time of the looping thread, ns per getppid call:")
print(table(H1, C.rows()))
print(wall_note)
print()
print(table(H2, summary))
print()
for t, name in (("st", "streamtrace"), ("bt", "bpftrace histogram")):
    ps = per_syscall(t)
    print("BPF programs of %s (kernel.bpf_stats_enabled, %s s of the loop)%s:" %
          (name, E["PROF_WINDOW"], "" if ps is None else ", %.0f ns per syscall" % ps))
    print(ptable(t))
    print()
for w in warn:
    print("WARNING: " + w)
if E["FAIL"].strip():
    print("FAILED:" + E["FAIL"])

# -- bench/results.md
loop = E["LOOP_REL"]
dur = float(E["T_END"]) - float(E["T_BEGIN"])
md = []
md.append("# streamtrace overhead benchmark: results\n")
md.append("Written by `make bench` (scripts/bench.sh%s); bench/README.md explains the method "
          "and how to read this.\n" % (", QUICK=1" if E["QUICK"] == "1" else ""))
md.append("- date: %s (the run took %.0f s)" % (time.strftime("%Y-%m-%d %H:%M:%S %Z"), dur))
md.append("- kernel: %s (clocksource %s)" % (E["KERNEL"], E["CLOCKSRC"]))
md.append("- CPU: %s x %s" % (E["NCPU"], E["CPU"]))
md.append("- streamtrace: %s (commit %s); %s" % (E["ST_VER"], E["ST_COMMIT"], E["BT_VER"]))
md.append("- load average before the run: %s%s" % (E["LOAD0"],
          "; other tracers were running: pids" + E["OTHERS"] if E["OTHERS"].strip() else ""))
md.append("- %s rounds; each round runs every configuration once, in an order rotated "
          "from round to round; %s getppid calls per run; nothing pinned%s" % (E["ROUNDS_DONE"], E["N"],
          "" if E["ROUNDS_DONE"] == E["ROUNDS"] else " (%s rounds asked for; stopped early, out of time)" % E["ROUNDS"]))
md.append("")
md.append("## Summary\n")
md.append(table(H2, summary))
md.append("")
for w in warn:
    md.append("**Warning:** " + w + "\n")
if E["FAIL"].strip():
    md.append("**Failed:**" + E["FAIL"] + "\n")
md.append("## Cost per syscall of a tight getppid loop\n")
md.append("CPU time of the looping thread per call (CLOCK_THREAD_CPUTIME_ID): median over the "
          "rounds, min and max; *added* is the median minus the bare median; *added, per "
          "round* is the range of (run - bare run of the same round).\n")
md.append(table(H1, C.rows()))
md.append("")
md.append("The same runs by wall clock (CLOCK_MONOTONIC):\n")
md.append(table(H1, W.rows()))
md.append("")
md.append("Raw CPU ns/call, in round order (`-`: the run failed; `*`: another tracer was "
          "running on the machine during the run%s):\n" %
          ("; such runs are left out of the figures" if C.clean_ok and C.tainted else
           "; too many such runs to leave them out" if C.tainted else ""))
md.extend(C.raw())
md.append("\nRaw wall-clock ns/call:\n")
md.extend(W.raw())
md.append("\nRaw best-chunk CPU ns/call (lowest of each run's 20 chunks):\n")
md.extend(B.raw())
md.append("")
md.append("Did the tracers see the loop? getppid calls streamtrace counted in each run "
          "(from its interval tables; expected %d): %s; with --sample 16 (counts stay exact): "
          "%s. Syscalls in bpftrace's histogram "
          "in each run (the loop plus its gate polling and exit; at least %d): %s."
          % (n, " ".join(map(str, stc)) or "n/a", " ".join(map(str, stc16)) or "n/a", n,
             " ".join(map(str, btc)) or "n/a"))
md.append("")
md.append("## Where the time goes: BPF programs\n")
md.append("`sysctl kernel.bpf_stats_enabled=1`, then `bpftool -j prog show` 0.3 s after a "
          "loop started and again %s s later; the difference for each program of the "
          "tracer (the prog_id of its BPF file descriptors). run_time_ns is the program body "
          "only: the tracepoint slow path, the dispatch to the program and the "
          "statistics' own clock reads are not in it.\n" % E["PROF_WINDOW"])
for t, name in (("st", "streamtrace -p PID"), ("bt", "bpftrace latency histogram")):
    ps = per_syscall(t)
    md.append("%s%s:\n" % (name, "" if ps is None else
              " (BPF program time per traced syscall: %.0f ns)" % ps))
    md.append(ptable(t))
    md.append("")
md.append("## Start-up and memory\n")
md.append("- start-to-attached: from just before exec of `streamtrace -p PID` (PID an idle "
          "`sleep`) to its stderr line `streamtrace: tracing`, which it prints once the "
          "probes are attached and the target's threads are traced; %s runs, ms: %s"
          % (E["ATTACH_RUNS"], " ".join(f(x) for x in att) or "n/a"))
md.append("- `streamtrace -- true`, whole runs (exec, attach, the command, summary, "
          "teardown), ms: %s%s" % (" ".join(f(x) for x in tru) or "n/a",
                                   " (" + E["HF_NOTE"] + ")" if E["HF_NOTE"] else ""))
md.append("- peak RSS while tracing the loop: streamtrace %s kB, bpftrace %s kB, by %s"
          % (RSS["st"][0] or "n/a", RSS["bt"][0] or "n/a", E["RSS_HOW"] or "n/a"))
if RSS["st"][1] is not None:
    md.append("- CPU time of the tracer process itself over that run, start-up included: "
              "streamtrace %.3f s, bpftrace %.3f s" % (RSS["st"][1], RSS["bt"][1] or float("nan")))
md.append("")
md.append("## Commands\n")
md.append("```")
md.append("gcc -O2 -o %s bench/getppid_loop.c" % loop)
md.append("# every run: the loop waits at a gate file until the tracer has attached")
md.append("%s -g GATE %s &   # PID=$!; prints wall and CPU ns per call" % (loop, E["N"]))
md.append("# bare:      touch GATE at once")
md.append("# st:        ./streamtrace -p PID >out 2>err   # touch GATE once err says 'tracing'")
md.append("# bt_hist:   bpftrace -e '%s'" % E["BT_HIST"])
md.append("#            touch GATE once bpftrace printed 'Attaching'; SIGINT after the loop")
md.append("# bt_empty:  bpftrace -e '%s'" % E["BT_EMPTY"])
md.append("# st16:      ./streamtrace --sample 16 -p PID, as st")
md.append("# floor:     build/bench/floor syscalls   # empty tp_btf sys_enter/sys_exit (bench/floor.c); touch GATE once it says 'attached'")
md.append("# untraced:  sleep 1000 & ./streamtrace -p $! ; then the loop, not traced")
md.append("# start-to-attached: t0=$EPOCHREALTIME; ./streamtrace -p SLEEP_PID 2>FIFO & "
          "read line <FIFO; t1=$EPOCHREALTIME")
md.append("# " + E["TRUE_CMD"])
md.append("# profile: sysctl kernel.bpf_stats_enabled=1; /usr/bin/time -v ./streamtrace -p PID "
          "(then bpftrace bt_hist) on the loop; bpftool -j prog show twice, then kill the loop")
md.append("```")
open(E["OUT"], "w").write("\n".join(md) + "\n")
print("bench: wrote %s (%.0f s)" % (os.path.relpath(E["OUT"]), dur))
PY

[ -z "$FAIL" ] || exit 1
exit 0
