#!/usr/bin/env bash
# streamtrace against real servers from Debian's packages (issues 8 and 15):
# redis-server, PostgreSQL, nginx, mosquitto and nats-server, each started
# here on its own port (21200-21399) and temp dir and pinned to CPU 0, driven
# by their own benchmark clients or ours on CPU 1. The truth is the servers'
# own counters (Redis INFO commandstats, pg_stat_statements, nginx
# stub_status, mosquitto $SYS, NATS /varz), what the clients say they sent,
# and the serving thread's /proc/PID/task/TID/schedstat over the same window.
# Kafka and AMQP have no server here: protostream's sink counts their frames.
#
# Every case: read the truth, attach streamtrace (--json -i 1 -p PID; the
# first line means attached), run the client, stop streamtrace (SIGINT; the
# summary is the last line), read the truth again. The truth readers are
# outside the traced window, so they are no messages of it; where a reading
# counts itself in the server's counter it is taken out (tests/servers/lib.sh).
#
# Each case prints, and appends to the table ($SERVERS_TABLE, default
# build/servers-table.txt), one row per figure: truth, streamtrace, error,
# tolerance. Rows named "truth:" check the truth itself (the client's own
# count against the server's counter): they prove the readers. The
# tolerances, and why, are in tests/servers/README.md.
# usage: tests/integration/servers.sh [TEST_NAME_PATTERN]
# shellcheck disable=SC2154 # the F_* figures are assigned by figures (eval)
set -u
PATTERN=${1:-${PATTERN:-}}
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/servers/lib.sh"
ST=${SERVERS_ST:-$ST} # SERVERS_ST=PATH: judge another streamtrace binary
W=$ROOT/build/tests
STQ="python3 $ROOT/tests/servers/stq.py"
CMP="python3 $ROOT/tests/servers/cmp.py"
TABLE=${SERVERS_TABLE:-$ROOT/build/servers-table.txt}
mkdir -p "$(dirname "$TABLE")"
printf '%-24s %-34s %14s %14s %8s %-14s %s\n' case figure truth streamtrace error tolerance verdict >"$TABLE"

REDIS_PORT=${SERVERS_REDIS_PORT:-21201} # SERVERS_REDIS_PORT: another port (parallel runs)
NGINX_PORT=21210
MQTT_PORT=21220
NATS_PORT=21230
NATS_MON=21231
PG_PORT=21240
PS_PORT=21250

COUNT_TOL=0.03 # λ, X and messages against the server's own count
UTIL_TOL=0.05  # busy against the serving thread's (CPU + preempted) share
# S against the serving thread's CPU per message, plus the run-queue wait of
# a message preempted in service (busy: the machine is shared), the issue's
# ±10%. CPU is perf's task-clock, not schedstat's: schedstat reads the run
# queue's clock, which the kernel does not update again between a wake-up and
# the switch to the woken thread, so each wake-up's switch latency counts as
# the thread's CPU (8-20 µs here: a third of mosquitto's CPU per message at
# 3000/s). tests/servers/README.md has the measurements.
SVC_TOL=0.10

now_s() { date +%s.%N; }
# calc EXPR: awk arithmetic; "null" when an operand is null
calc() {
	case "$1" in *null* | *None*) echo null ;; *) awk "BEGIN { printf \"%.9g\\n\", $1 }" ;; esac
}
json_key() { # json_key FILE KEY: a key of a one-line JSON object
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null || echo null
}

# row WHAT TRUTH GOT MODE [TOL]: a table row of the current case, judged
# (all at once, by cmp.py) when the case ends
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$T" "$1" "$2" "${3:-null}" "$4" "${5:-}" >>"$OUT/rows"
}
rows_flush() {
	[ -s "$OUT/rows" ] || return 0
	$CMP "$TABLE" "$OUT/rows" >"$OUT/rows.out" 2>&1 || T_FAILED=1
	sed 's/^/    /' "$OUT/rows.out"
	rm -f "$OUT/rows"
}
# figures PID...: every figure of the summary, as F_* variables (stq.py all)
figures() {
	eval "$($STQ "$STF" all "$@")"
}

# This suite's own case loop (tests/integration/lib.sh's, plus the table and
# each case's wall time: the suite has a budget of 4 minutes)
run_test() {
	local name=$1 t0
	[ -n "$PATTERN" ] && [[ $name != *$PATTERN* ]] && return
	T=$name
	T_FAILED=0
	T_SKIP=""
	t0=$(now_s)
	printf '%s\n' "--- $name"
	"$name"
	rows_flush
	msg "($(calc "$(now_s) - $t0") s)"
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

# st_start NAME PID [ARGS...]: streamtrace --json -i 1 -p PID into
# $OUT/NAME.json; returns once the first interval is out (attached)
st_start() {
	local name=$1 pid=$2
	shift 2
	STF=$OUT/$name.json
	STE=$OUT/$name.st.err
	timeout 120 "$ST" --json -i 1 -p "$pid" "$@" >"$STF" 2>"$STE" &
	STP=$!
	ST_LIVE=$STP # stopped by the exit trap if the suite is interrupted
	wait_lines "$STF" 1 20 || {
		bad "streamtrace: no interval within 20 s: $(tail -2 "$STE")"
		stop_pid $STP
		return 1
	}
}
# cpu_truth_start NAME TID: the serving thread's CPU by perf (task-clock,
# read at the context switches) and its run-queue wait after preemptions by
# bpftrace (preempt.bt) over the window; started before streamtrace attaches
# and stopped (cpu_truth_stop) after it stops, as schedstat is read
cpu_truth_start() {
	CT_PERF=$OUT/$1.perf
	CT_PRE=$OUT/$1.pre
	timeout 120 perf stat -x, -e task-clock -t "$2" -o "$CT_PERF" 2>/dev/null &
	CT_PP=$!
	timeout 120 bpftrace "$ROOT/tests/servers/preempt.bt" "$2" >"$CT_PRE" 2>/dev/null &
	CT_BP=$!
	CT_LIVE="$CT_PP $CT_BP"
	wait_lines "$CT_PRE" 1 20 || bad "preempt.bt did not attach within 20 s"
}
# cpu_truth_stop: sets CT_CPU (s on the CPU) and CT_PREEMPT (s waiting after
# preemptions), "null" when unknown
cpu_truth_stop() {
	kill -INT $CT_LIVE 2>/dev/null
	wait $CT_LIVE
	CT_LIVE=""
	CT_CPU=$(awk -F, '$3 ~ /^task-clock/ && $1 ~ /^[0-9.]+$/ { printf "%.9f", $1 / 1e3 }' "$CT_PERF")
	CT_PREEMPT=$(awk '$1 == "preempt_ns" { printf "%.9f", $2 / 1e9 }' "$CT_PRE")
	: "${CT_CPU:=null}" "${CT_PREEMPT:=null}"
}

# st_stop: SIGINT (unless it already stopped by itself), then the summary
st_stop() {
	kill -INT "$STP" 2>/dev/null
	wait "$STP"
	local rc=$?
	ST_LIVE=""
	[ $rc = 0 ] || bad "streamtrace exited $rc: $(tail -2 "$STE")"
	tail -1 "$STF" | grep -q '"type": *"summary"' ||
		bad "the last line of streamtrace's output is not the summary"
	contract_ok "$STF"
}

# check_msgs TRUTH UNIT: issue 8's figures (F_*, from figures) against the
# server's own message count over the window
check_msgs() {
	local truth=$1 unit=$2
	row "net.rx_msgs" "$truth" "$F_rx_msgs" rel $COUNT_TOL
	row "throughput x span" "$truth" "$F_x_count" rel $COUNT_TOL
	row "arrival_rate x span" "$truth" "$F_l_count" rel $COUNT_TOL
	row "queue.unit" "$unit" "$F_unit" eq
	row "(net.rx_ops, for reference)" "$truth" "$F_rx_ops" info
}

# check_busy TID SCHED0 SCHED1 WALL_S MSGS: issue 15's figures of a
# single-threaded server against its serving thread's schedstat. The
# schedstat window is the client's run, inside streamtrace's span, and the
# server is idle outside that run, so both sides' busy seconds cover the same
# work; both are shown as a share of the client's run (WALL_S). (Not a wider
# window: attaching perf, bpftrace and streamtrace takes seconds on a loaded
# machine and delays the idle server's few wake-ups meanwhile: mosquitto
# waited 0.07 s on the run queue outside a 2 s run, -0.03 of U.)
# Judged: the serving thread's busy time against perf's task-clock plus
# preempt.bt's waits after preemptions (the service time's truth too). Not
# against schedstat's on-CPU + run-queue share, shown beside: with perf,
# bpftrace and streamtrace all hooked on the switches, schedstat charges
# the thread ~6 us of the tracers' own work in each switch (Redis SET -c 1:
# on-CPU 1.67 s, perf 1.42 s, streamtrace 1.43 s), and U also holds the
# dispatch D, from the message's arrival through the IPI and the idle exit,
# which schedstat's run-queue time (from the enqueue) leaves out (D 0.34 s
# there, schedstat's run queue 0.03 s): the two errors cancelled to within
# 0.05 most of the time, and failed in bursts when the host's wake-ups were
# slow (nginx -c 1: +0.105 in a CI run). D has no outside truth here.
check_busy() {
	local tid=$1 s0=$2 s1=$3 wall=$4 msgs=$5 oncpu runq tb
	read -r oncpu runq _ <<<"$(sched_delta "$s0" "$s1")"
	tb=F_thread_busy_$tid
	if [ "${!tb:-null}" != null ] && [ "$CT_CPU" != null ] && [ "$CT_PREEMPT" != null ]; then
		row "busy (thread busy_s / run)" "$(calc "($CT_CPU + $CT_PREEMPT) / $wall")" \
			"$(calc "${!tb} / $wall")" abs $UTIL_TOL
		row "(utilization (busy + D) / run; schedstat's share)" \
			"$(calc "($oncpu + $runq) / $wall")" "$(calc "$F_busy_s / $wall")" info
	else
		row "utilization (busy / run)" "$(calc "($oncpu + $runq) / $wall")" \
			"$(calc "$F_busy_s / $wall")" abs $UTIL_TOL
	fi
	row "service_time_s ((CPU + preempted) / msg)" "$(calc "($CT_CPU + $CT_PREEMPT) / $msgs")" \
		"$F_svc" rel $SVC_TOL
	row "(truth: perf CPU s; preempted wait s)" "$CT_CPU" "$CT_PREEMPT" info
	row "(truth: schedstat on-CPU s; run-queue s)" "$oncpu" "$runq" info
	row "(schedstat CPU / msg; S)" "$(calc "$oncpu / $msgs")" "$F_svc" info
	row "(thread busy_s; schedstat oncpu+runq)" "$(calc "$oncpu + $runq")" "${!tb:-null}" info
	row "(queue.utilization as reported)" "" "$F_util" info
	# streamtrace's own figures must agree with each other (issue 8). U
	# counts the dispatch wait from the wake-up on as busy (it is run-queue
	# time, as schedstat says; before the wake-up the thread slept), S does
	# not (W = D + Wq + S counts it once): (S + D - D_asleep) x X = U x c
	row "consistency: (S + D awake) x X = U x servers" "$(calc "$F_util * $F_servers")" \
		"$(calc "($F_svc + $F_disp_awake) * $F_x_rate")" rel 0.02
	row "consistency: W >= S" "$F_svc" "$F_resp" min 1.0
}

# --- Redis ----------------------------------------------------------------------

ensure_redis() {
	if [ -z "${REDIS_PID:-}" ] || ! kill -0 "$REDIS_PID" 2>/dev/null; then
		start_redis $REDIS_PORT >"$OUT/redis.start" 2>&1 || { bad "$(tail -1 "$OUT/redis.start")"; return 1; }
	fi
}

# redis_bench NAME CMD CLIENTS PIPELINE N [ARGS...]: redis-benchmark -n N with
# -t CMD (or, with ARGS, the command ARGS), stopped after 4 s if it has not
# finished (a loaded machine): then the client's own count is unknown, and
# only the server's is compared
redis_bench() {
	local name=$1 cmd=$2 c=$3 p=$4 n=$5 t0 t1 c0 c1 s0 s1 w0 w1 rc
	shift 5
	ensure_redis || return
	t0=$(redis_calls $REDIS_PORT)
	c0=$(redis_calls $REDIS_PORT "$cmd")
	cpu_truth_start "$name" "$REDIS_PID"
	st_start "$name" "$REDIS_PID" --threads || return
	s0=$(sched_read "$REDIS_PID" "$REDIS_PID")
	[ $# -gt 0 ] || set -- -t "$cmd"
	w0=$(now_s)
	timeout -s INT 4 taskset -c "$CLI_CPU" redis-benchmark -p $REDIS_PORT -c "$c" -P "$p" -n "$n" -q "$@" \
		>"$OUT/$name.bench" 2>&1
	rc=$?
	w1=$(now_s)
	s1=$(sched_read "$REDIS_PID" "$REDIS_PID")
	st_stop
	cpu_truth_stop
	t1=$(redis_calls $REDIS_PORT)
	c1=$(redis_calls $REDIS_PORT "$cmd")
	case $rc in
	0) row "truth: $cmd calls = -n" "$n" "$((c1 - c0))" eq ;;
	124 | 130) row "(truth: $cmd calls; -n cut at 4 s)" "$n" "$((c1 - c0))" info ;;
	*) bad "redis-benchmark failed: $(tail -1 "$OUT/$name.bench")" ;;
	esac
	row "(truth: other commands)" "" "$((t1 - t0 - c1 + c0))" info
	figures "$REDIS_PID"
	check_msgs $((t1 - t0)) resp
	check_busy "$REDIS_PID" "$s0" "$s1" "$(calc "$w1 - $w0")" $((t1 - t0))
}

test_redis_set_c1_p1() { redis_bench redis_set_c1_p1 set 1 1 40000; }
# the issue's -94% case: 16 commands per read
test_redis_set_c1_p16() { redis_bench redis_set_c1_p16 set 1 16 300000; }
test_redis_get_c4_p1() { redis_bench redis_get_c4_p1 get 4 1 60000; }
test_redis_get_c4_p16() { redis_bench redis_get_c4_p16 get 4 16 400000; }
test_redis_xadd_c1_p1() { redis_bench redis_xadd_c1_p1 xadd 1 1 30000 XADD ststream '*' f v; }
test_redis_xadd_c4_p16() { redis_bench redis_xadd_c4_p16 xadd 4 16 300000 XADD ststream '*' f v; }

# Open loop below capacity: SET at 4000/s Poisson on one connection, the
# server idle most of the time: λ = X = the server's count.
test_redis_openloop_below() {
	local name=redis_ol_below t0 t1 sent
	ensure_redis || return
	t0=$(redis_calls $REDIS_PORT)
	st_start $name "$REDIS_PID" || return
	taskset -c "$CLI_CPU" "$W/openloop" --port $REDIS_PORT --rate 4000 --duration 2 \
		--command "SET olkey v" >"$OUT/$name.ol" 2>&1 || bad "openloop: $(tail -1 "$OUT/$name.ol")"
	st_stop
	t1=$(redis_calls $REDIS_PORT)
	sent=$(json_key "$OUT/$name.ol" sent)
	row "truth: SET calls = client sent" "$sent" "$((t1 - t0))" eq
	figures "$REDIS_PID"
	check_msgs $((t1 - t0)) resp
	row "arrival_rate / throughput" 1 "$(calc "$F_l_rate / $F_x_rate")" rel $COUNT_TOL
	row "(saturated)" false "$F_saturated" info
	# the client's own latency (loopback and its own reading included)
	# against W and each model's prediction: shown, not judged
	local lat m
	lat=$(json_key "$OUT/$name.ol" latency_mean_s)
	row "(client latency; response_s)" "$lat" "$F_resp" info
	for m in mm1 mmc mg1 gg1 mg1_setup; do
		local v=F_$m
		row "(client latency; model $m)" "$lat" "${!v}" info
	done
}

# The models against an open-loop client at ρ 0.3-0.7 (issue 15): a Lua
# loop (EVALSHA, about 40 µs of CPU on an idle machine) at Poisson arrivals,
# OL_RATE a second (default: 1.8 x a closed-loop client's rate, measured
# just before, meant to land ρ near 0.5; it can overshoot into overload,
# where the models are null: the rows say so). The inputs are judged against truth: λ against what the
# client sent, S against perf's CPU plus the preempted wait per message;
# ρ, Ca² (and the client's own send gaps' Ca²: a sender that runs late on a
# busy machine bunches them), Cs², W and each model's response and error are
# shown over the full intervals (tests/servers/models.py). The models are
# judged in test_redis_openloop_rho below, against the server's own response
# time at three loads (docs/queueing.md, "The models on a shared CPU", has
# the runs).
test_redis_openloop_models() {
	local name=redis_ol_models t0 t1 sent sha rate=${OL_RATE:-2000} m
	ensure_redis || return
	sha=$(redis-cli -p $REDIS_PORT SCRIPT LOAD "for i=1,8000 do end") || { bad "SCRIPT LOAD"; return; }
	# ρ near 0.5 whatever the machine's load, unless OL_RATE is given: 1.8 x
	# what one closed-loop client gets (ρ 0.16 at 0.6 x: each command waits for
	# the reply to the one before, and the client is slow on a loaded CPU)
	if [ -z "${OL_RATE:-}" ]; then
		local c0 c1 w0 w1
		c0=$(redis_calls $REDIS_PORT evalsha)
		w0=$(now_s)
		timeout 20 taskset -c "$CLI_CPU" redis-benchmark -p $REDIS_PORT -c 1 -n 2000 -q \
			EVALSHA "$sha" 0 >/dev/null 2>&1
		w1=$(now_s)
		c1=$(redis_calls $REDIS_PORT evalsha)
		rate=$(awk -v c=$((c1 - c0)) -v t="$(calc "$w1 - $w0")" 'BEGIN {
			r = c > 0 && t > 0 ? 1.8 * c / t : 2000
			r = r < 200 ? 200 : r
			r = (r > 20000) ? 20000 : r
			printf("%d", r) }')
	fi
	row "(open-loop rate /s)" "" "$rate" info
	t0=$(redis_calls $REDIS_PORT evalsha)
	cpu_truth_start "$name" "$REDIS_PID"
	st_start $name "$REDIS_PID" || return
	taskset -c "$CLI_CPU" "$W/openloop" --port $REDIS_PORT --rate "$rate" --duration 4 \
		--command "EVALSHA $sha 0" >"$OUT/$name.ol" 2>&1 || bad "openloop: $(tail -1 "$OUT/$name.ol")"
	st_stop
	cpu_truth_stop
	t1=$(redis_calls $REDIS_PORT evalsha)
	sent=$(json_key "$OUT/$name.ol" sent)
	row "truth: EVALSHA calls = client sent" "$sent" "$((t1 - t0))" eq
	figures "$REDIS_PID"
	row "arrival_rate x span = sent" "$sent" "$F_l_count" rel $COUNT_TOL
	row "service_time_s ((CPU + preempted) / msg)" "$(calc "($CT_CPU + $CT_PREEMPT) / $sent")" \
		"$F_svc" rel $SVC_TOL
	eval "$(python3 "$ROOT/tests/servers/models.py" "$STF" "$REDIS_PID")"
	row "(full intervals; rho)" "$M_n" "$M_rho" info
	row "(client's send gaps Ca2; arrival_cv2)" "$(json_key "$OUT/$name.ol" send_gap_cv2)" "$M_ca2" info
	row "(service_cv2; dispatch_s)" "$M_cs2" "$M_disp" info
	row "(client latency; response_s)" "$(json_key "$OUT/$name.ol" latency_mean_s)" "$M_resp" info
	for m in mm1 mmc mg1 gg1 mg1_setup; do
		local v=M_$m e=M_err_$m
		row "(model $m response; error)" "${!v}" "${!e}" info
	done
	local be=M_err_$M_best
	row "(best model; issue 15 asks within 25%)" "$M_best" "${!be:-null}" info
}

# redis_main_cpu PORT: the main thread's CPU seconds so far (INFO cpu, the
# server's own getrusage(RUSAGE_THREAD))
redis_main_cpu() {
	redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '
		/^used_cpu_(sys|user)_main_thread:/ { t += $2 } END { printf "%.6f", t }'
}

# The models at ρ 0.3 to 0.7 (issue 15's "done when"): the same Lua loop,
# open loop, at the rates that make ρ 0.25, 0.45 and 0.6 by the CPU per
# command the server's own counters give (INFO cpu over two 1 s calibration
# bursts; streamtrace's S, which counts the waits of a preempted command,
# lands ρ 0.3-0.8). The truth for W is the server's own: each command's send
# (the client's --dump) to the write that carried its reply (replies.bt,
# bpftrace), over streamtrace's full intervals (wtruth.py). Judged: λ against
# what the client sent, and the M/G/1 with set-up (docs/queueing.md) within
# 25% of that truth. Shown: every model's error against the truth and
# against streamtrace's W (which misses the wait of a command read in one go
# with others behind them: docs/queueing.md, "The models on a shared CPU").
test_redis_openloop_rho() {
	local name sha cal0 cal1 c0 c1 cpu rate target sent m late cca2 judged=0
	ensure_redis || return
	sha=$(redis-cli -p $REDIS_PORT SCRIPT LOAD "for i=1,8000 do end") || { bad "SCRIPT LOAD"; return; }
	# twice: at 2000/s, then at the ρ 0.5 that gives (a server woken for
	# every command spends more CPU on each than a busy one)
	rate=2000
	for m in 1 2; do
		c0=$(redis_calls $REDIS_PORT evalsha)
		cal0=$(redis_main_cpu $REDIS_PORT)
		taskset -c "$CLI_CPU" "$W/openloop" --port $REDIS_PORT --rate "$rate" --duration 1 \
			--command "EVALSHA $sha 0" >"$OUT/redis_ol_cal.ol" 2>&1 ||
			{ bad "openloop (calibration)"; return; }
		cal1=$(redis_main_cpu $REDIS_PORT)
		c1=$(redis_calls $REDIS_PORT evalsha)
		cpu=$(calc "($cal1 - $cal0) / ($c1 - $c0)")
		rate=$(awk -v s="$cpu" 'BEGIN { x = s > 0 ? 0.5 / s : 2000
			printf("%d", x < 200 ? 200 : (x > 30000 ? 30000 : x)) }')
	done
	row "(calibration: main thread CPU s / command)" "" "$cpu" info
	for target in 0.25 0.45 0.6; do
		name=redis_ol_rho$target
		rate=$(awk -v r="$target" -v s="$cpu" 'BEGIN { x = s > 0 ? r / s : 2000
			printf("%d", x < 200 ? 200 : (x > 30000 ? 30000 : x)) }')
		# the truth for W: each reply's write (replies.bt) against the
		# command's send (the client's --dump)
		timeout 120 bpftrace "$ROOT/tests/servers/replies.bt" "$REDIS_PID" >"$OUT/$name.w" 2>/dev/null &
		CT_BP=$!
		CT_LIVE=$CT_BP
		wait_lines "$OUT/$name.w" 1 20 || bad "replies.bt did not attach within 20 s"
		st_start $name "$REDIS_PID" || return
		taskset -c "$CLI_CPU" "$W/openloop" --port $REDIS_PORT --rate "$rate" --duration 4 \
			--command "EVALSHA $sha 0" --dump "$OUT/$name.dump" >"$OUT/$name.ol" 2>&1 ||
			bad "openloop: $(tail -1 "$OUT/$name.ol")"
		st_stop
		kill -INT $CT_BP 2>/dev/null
		wait $CT_BP
		CT_LIVE=""
		sent=$(json_key "$OUT/$name.ol" sent)
		figures "$REDIS_PID"
		row "rho $target: arrival_rate x span = sent" "$sent" "$F_l_count" rel $COUNT_TOL
		# "$-1\r\n": the script returns nothing
		eval "$(python3 "$ROOT/tests/servers/wtruth.py" "$OUT/$name.dump" "$OUT/$name.w" 5 "$STF" "$REDIS_PID")"
		row "(rho $target: truth W (send to reply write); n)" "$T_w" "$T_n" info
		row "(rho $target: response_s against truth W)" "$T_w" "$T_st" info
		row "(rho $target: client latency)" "" "$T_lat" info
		eval "$(python3 "$ROOT/tests/servers/models.py" "$STF" "$REDIS_PID")"
		row "(rho $target: rate /s; full intervals; rho)" "$rate" "$M_n $M_rho" info
		row "(rho $target: Ca2; Cs2)" "$M_ca2" "$M_cs2" info
		row "(rho $target: client's send gaps Ca2; late max s)" "$(json_key "$OUT/$name.ol" send_gap_cv2)" \
			"$(json_key "$OUT/$name.ol" late_max_s)" info
		row "(rho $target: D; response_s)" "$M_disp" "$M_resp" info
		row "(rho $target: response_answered_s against truth W)" "$T_w" "$M_resp_ans" info
		# each model against the truth, and (as streamtrace reports it)
		# against the measured W
		for m in mm1 mg1 gg1 mg1_setup; do
			local v=M_$m e=M_err_$m
			row "(rho $target: $m error vs truth W; vs response_s)" \
				"$(calc_err "${!v}" "$T_w")" "${!e}" info
		done
		local be=M_err_$M_best
		row "(rho $target: best model vs response_s; error)" "$M_best" "${!be:-null}" info
		if [ "$T_bad" != 0 ] || [ "$T_w" = null ]; then
			row "rho $target: the replies add up (truth W known)" yes no eq
			continue
		fi
		# W up to the answer holds the wait inside Redis of the commands
		# read together, which response_s leaves out: where response_s is
		# more than 15% under the truth, response_answered_s is closer to
		# it (in all 18 cases measured: -2% to -25% where response_s was
		# -15% to -64%; at low load both are within 10%, and S, busy time
		# per command, can exceed the time from a receive to the answer)
		if [ "$M_resp_ans" != null ] && [ "$M_resp" != null ] &&
			awk -v t="$T_w" -v w="$M_resp" 'BEGIN { exit !(w < 0.85 * t) }'; then
			row "rho $target: response_answered_s closer to truth W than response_s" true \
				"$(awk -v t="$T_w" -v a="$M_resp_ans" -v w="$M_resp" 'BEGIN {
					d1 = a - t; d2 = w - t; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2
					print (d1 < d2 ? "true" : "false") }')" eq
		fi
		# the issue's line: the model for the measured variability (one
		# thread, Poisson-like arrivals: M/G/1, with dispatch as set-up)
		# within 25% of the server's own response time. Judged at ρ
		# 0.25-0.75 with arrivals not in bunches (Ca² ≤ 10; Poisson is 1):
		# a stall of the whole machine for tens of ms delivers what the
		# client sent meanwhile in one bunch (Ca² 14-85), which no M/G/1
		# describes, and ρ near 1 has no steady state; such a case is shown,
		# not judged. The issue's 25% is the bound throughout. Measured:
		# on a quiet machine (a clean-clone CI run) -4.9%, +0.4% and -2.4%
		# at ρ 0.25, 0.45 and 0.6; on the shared machine under other jobs'
		# load (load average 2-4.5) all 22 cases at ρ <= 0.5 within 18%,
		# 29 of 34 at ρ 0.5-0.75, the other 5 at 27-32% (4 of them in one
		# 3-minute stretch): a heavily loaded machine can fail this row.
		# Nor is a run judged whose client sent a command 20 ms or more
		# late (its own record, late_max_s; 3-4 ms is usual here): the
		# machine stalled, and what was due meanwhile went out in one bunch.
		# A clean-clone CI run had one such at ρ 0.54 (58 ms late, Ca² only
		# 2.0 over the run, W doubled: the model -39%) between two within
		# 6%. And the client's own send gaps must be Poisson-like (Ca² ≤ 2,
		# its record; 1.0-1.3 when the machine is calm): a run on a noisy
		# host had them at 3.2 with no single send 20 ms late (many a few ms
		# late), W twice the calm runs' and the model -28%.
		late=$(json_key "$OUT/$name.ol" late_max_s)
		cca2=$(json_key "$OUT/$name.ol" send_gap_cv2)
		if awk -v r="$M_rho" -v a="$M_ca2" -v l="${late:-1}" -v c="${cca2:-99}" \
			'BEGIN { exit !(r >= 0.25 && r <= 0.75 && a <= 10 && l < 0.02 && c <= 2) }'; then
			row "rho $target: mg1_setup_response_s against truth W" "$T_w" "$M_mg1_setup" rel 0.25
			judged=$((judged + 1))
		else
			row "(rho $target: not judged: rho $M_rho, Ca2 $M_ca2, client Ca2 $cca2, late $late s; mg1_setup)" "$T_w" "$M_mg1_setup" info
		fi
	done
	[ $judged -gt 0 ] || [ "$T_FAILED" != 0 ] || skip "no load landed at rho 0.25-0.75 with Ca2 <= 10, the client's <= 2 and no stall of 20 ms (a loaded machine: see the rows)"
}

# calc_err MODEL TRUTH: MODEL / TRUTH - 1, "null" when either is unknown
calc_err() {
	if [ "$1" = null ] || [ "$2" = null ] || [ -z "$1" ] || [ -z "$2" ]; then
		echo null
	else
		calc "$1 / $2 - 1"
	fi
}

# Open loop above capacity: DEBUG SLEEP 0.002 caps the server at 500
# commands/s by construction; 1000/s arrive. streamtrace is stopped when the
# sending ends (the queue then drains, untraced): λ > X (≈ 2 X at the socket,
# less what Redis reads ahead into its own buffer) and saturated.
test_redis_openloop_overload() {
	local name=redis_ol_over t0 t1 olp sent span w0
	ensure_redis || return
	t0=$(redis_calls $REDIS_PORT debug)
	st_start $name "$REDIS_PID" || return
	w0=$(now_s)
	taskset -c "$CLI_CPU" "$W/openloop" --port $REDIS_PORT --rate 1000 --duration 2 --drain 15 \
		--command "DEBUG SLEEP 0.002" >"$OUT/$name.ol" 2>&1 &
	olp=$!
	sleep 2.2
	st_stop
	span=$(calc "$(now_s) - $w0")
	wait $olp || bad "openloop: $(tail -1 "$OUT/$name.ol")"
	t1=$(redis_calls $REDIS_PORT debug)
	sent=$(json_key "$OUT/$name.ol" sent)
	row "truth: DEBUG calls = client sent" "$sent" "$((t1 - t0))" eq
	figures "$REDIS_PID"
	row "arrival_rate x span = sent" "$sent" "$F_l_count" rel $COUNT_TOL
	# X is what the kernel saw the server dequeue: Redis reads up to 16 KiB
	# of pipelined commands into its own query buffer and runs them later,
	# so X runs ahead of the 500/s it can execute by a varying amount (X x
	# span was 1160-1525 against 500/s x 2.3 s over runs): shown, not judged.
	# What issue 8 asks, and what holds: λ > X, and saturated.
	row "(throughput x span; 500/s x run)" "$(calc "500 * $span")" "$F_x_count" info
	row "arrival_rate / throughput > 1.15" 1.15 "$(calc "$F_l_rate / $F_x_rate")" gt
	row "saturated" true "$F_saturated" eq
	row "(client latency mean s)" "" "$(json_key "$OUT/$name.ol" latency_mean_s)" info
}

# --- nginx ------------------------------------------------------------------------

ensure_nginx() {
	if [ -z "${NGINX_PID:-}" ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		start_nginx $NGINX_PORT >"$OUT/nginx.start" 2>&1 || { bad "$(tail -1 "$OUT/nginx.start")"; return 1; }
	fi
}

# nginx_wrk NAME CONNS: wrk, one thread, 2 s; stub_status counts
nginx_wrk() {
	local name=$1 c=$2 r0 r1 s0 s1 w0 w1 wrk_done truth
	ensure_nginx || return
	r0=$(nginx_requests $NGINX_PORT)
	cpu_truth_start "$name" "$NGINX_WORKER"
	st_start "$name" "$NGINX_WORKER" --threads || return
	s0=$(sched_read "$NGINX_WORKER" "$NGINX_WORKER")
	w0=$(now_s)
	timeout 30 taskset -c "$CLI_CPU" wrk -t1 -c"$c" -d2s "http://127.0.0.1:$NGINX_PORT/" >"$OUT/$name.wrk" 2>&1 ||
		bad "wrk failed: $(tail -1 "$OUT/$name.wrk")"
	w1=$(now_s)
	s1=$(sched_read "$NGINX_WORKER" "$NGINX_WORKER")
	st_stop
	cpu_truth_stop
	r1=$(nginx_requests $NGINX_PORT)
	truth=$((r1 - r0 - 1)) # the second status request counts itself
	wrk_done=$(awk '/requests in/ { print $1 }' "$OUT/$name.wrk")
	# wrk counts completed responses; up to CONNS were in flight at its end
	row "truth: requests = wrk's (+ in flight)" "$truth" "${wrk_done:-null}" abs "$c"
	figures "$NGINX_WORKER"
	check_msgs $truth http1
	check_busy "$NGINX_WORKER" "$s0" "$s1" "$(calc "$w1 - $w0")" $truth
}
test_nginx_wrk_c1() { nginx_wrk nginx_wrk_c1 1; }
test_nginx_wrk_c4() { nginx_wrk nginx_wrk_c4 4; }

# --- mosquitto -------------------------------------------------------------------

ensure_mosquitto() {
	if [ -z "${MOSQ_PID:-}" ] || ! kill -0 "$MOSQ_PID" 2>/dev/null; then
		start_mosquitto $MQTT_PORT >"$OUT/mosq.start" 2>&1 || { bad "$(tail -1 "$OUT/mosq.start")"; return 1; }
	fi
}

# mqtt_case NAME MQTTPUB_ARGS...: the broker's PUBLISH count against the
# client's; messages = PUBLISH + the client's CONNECT and DISCONNECT. Each
# reading waits for a $SYS cycle after it began (lib.sh: mqtt_received)
mqtt_case() {
	local name=$1 p0 p1 a0 a1 s0 s1 w0 w1 v0 v1 pubs
	shift
	ensure_mosquitto || return
	read -r a0 p0 <<<"$(mqtt_received $MQTT_PORT)"
	cpu_truth_start "$name" "$MOSQ_PID"
	st_start "$name" "$MOSQ_PID" --threads || return
	s0=$(sched_read "$MOSQ_PID" "$MOSQ_PID")
	v0=$(vol_switches "$MOSQ_PID" "$MOSQ_PID")
	w0=$(now_s)
	timeout 30 taskset -c "$CLI_CPU" "$W/mqttpub" --port $MQTT_PORT "$@" >"$OUT/$name.pub" 2>&1 ||
		bad "mqttpub: $(tail -1 "$OUT/$name.pub")"
	w1=$(now_s)
	v1=$(vol_switches "$MOSQ_PID" "$MOSQ_PID")
	s1=$(sched_read "$MOSQ_PID" "$MOSQ_PID")
	st_stop
	cpu_truth_stop
	read -r a1 p1 <<<"$(mqtt_received $MQTT_PORT)"
	pubs=$(json_key "$OUT/$name.pub" publishes)
	row "truth: PUBLISH received = sent" "$pubs" "$((p1 - p0))" eq
	row "(truth: all packets - PUBLISH - 2)" "" "$((a1 - a0 - p1 + p0 - 2))" info # readers, 3 each
	figures "$MOSQ_PID"
	check_msgs $((p1 - p0 + 2)) mqtt
	check_busy "$MOSQ_PID" "$s0" "$s1" "$(calc "$w1 - $w0")" $((p1 - p0 + 2))
	# a block for input is a voluntary switch: none in a flood (seen 0
	# over 4 s when sampled every 0.4 s; a few at connect and disconnect)
	row "(truth: broker's voluntary switches in the run)" "" "$((v1 - v0))" info
}
# the issue's +200% case: 3 reads per PUBLISH
test_mqtt_rate3000() { mqtt_case mqtt_rate3000 --rate 3000 --duration 2; }
# a flood the broker cannot keep up with: it never blocks for input, so it
# is saturated in every full interval
test_mqtt_flood() {
	mqtt_case mqtt_flood --flood --batch 16 --duration 4 || return
	row "saturated in full intervals" "${F_sat_full#* }" "${F_sat_full% *}" eq
}

# --- NATS -------------------------------------------------------------------------

test_nats_rate() {
	local name=nats_rate n0 n1 sent s0 s1 oncpu runq
	if [ -z "${NATS_PID:-}" ] || ! kill -0 "$NATS_PID" 2>/dev/null; then
		start_nats $NATS_PORT $NATS_MON >"$OUT/nats.start" 2>&1 || { bad "$(tail -1 "$OUT/nats.start")"; return; }
	fi
	n0=$(nats_in_msgs $NATS_MON)
	s0=$(sched_sum "$NATS_PID")
	st_start $name "$NATS_PID" || return
	timeout 30 taskset -c "$CLI_CPU" "$W/natspub" --port $NATS_PORT --rate 10000 --duration 2 \
		>"$OUT/$name.pub" 2>&1 || bad "natspub: $(tail -1 "$OUT/$name.pub")"
	st_stop
	s1=$(sched_sum "$NATS_PID")
	n1=$(nats_in_msgs $NATS_MON)
	sent=$(json_key "$OUT/$name.pub" messages)
	row "truth: in_msgs = sent" "$sent" "$((n1 - n0))" eq
	# messages = PUB + the client's CONNECT and PING
	figures "$NATS_PID"
	check_msgs $((n1 - n0 + 2)) nats
	# a Go server hands work between threads: the process is one station;
	# shown, not yet judged (issue 15 names no tolerance for it)
	read -r oncpu runq _ <<<"$(sched_delta "$s0" "$s1")"
	row "(truth: all threads' on-CPU + runq s)" "$(calc "$oncpu + $runq")" "$F_busy_s" info
}

# --- Kafka and AMQP framing over real sockets ---------------------------------

proto_case() {
	local proto=$1 name=ps_$1 pidf=$OUT/ps_$1.pid spid srv cli
	taskset -c "$SRV_CPU" "$W/protostream" server --proto "$proto" --port $PS_PORT --pidfile "$pidf" \
		>"$OUT/$name.srv" 2>&1 &
	spid=$!
	srv_track $spid
	wait_file "$pidf" || { bad "protostream server did not start"; return; }
	st_start "$name" "$spid" || return
	timeout 30 taskset -c "$CLI_CPU" "$W/protostream" client --proto "$proto" --port $PS_PORT \
		--count 200000 --duration 2 --inflight 16 --max-size 6000 >"$OUT/$name.cli" 2>&1 ||
		bad "protostream client: $(tail -1 "$OUT/$name.cli")"
	wait $spid || bad "protostream server: $(tail -1 "$OUT/$name.srv")"
	st_stop # streamtrace has stopped by itself with the server
	srv=$(json_key "$OUT/$name.srv" messages)
	cli=$(json_key "$OUT/$name.cli" messages)
	row "truth: server parsed = client sent" "$cli" "$srv" eq
	figures "$spid"
	check_msgs "$srv" "$proto"
}
test_kafka_stream() { proto_case kafka; }
test_amqp_stream() { proto_case amqp; }

# --- PostgreSQL ---------------------------------------------------------------------

PGOPTS="-h 127.0.0.1 -p $PG_PORT -U postgres"
ensure_pg() {
	if [ -z "${PG_PID:-}" ] || ! kill -0 "$PG_PID" 2>/dev/null; then
		start_pg $PG_PORT >"$OUT/pg.start" 2>&1 || { bad "$(tail -1 "$OUT/pg.start")"; return 1; }
		# shellcheck disable=SC2086
		pgbench -i -s 1 -q $PGOPTS postgres >"$OUT/pg.init" 2>&1 ||
			{ bad "pgbench -i: $(tail -1 "$OUT/pg.init")"; return 1; }
		pg_sql $PG_PORT "create table lockt (id int primary key, v int, w int); insert into lockt values (1, 0, 0)" >/dev/null
	fi
}

# pg_bench NAME STMTS_PER_TX PGBENCH_ARGS...: streamtrace on the postmaster
# (it follows the backends pgbench's connections fork); statements from
# pg_stat_statements against pgbench's own transaction count
pg_bench() {
	local name=$1 k=$2 c0 c1 tx
	shift 2
	ensure_pg || return
	c0=$(pg_calls $PG_PORT)
	st_start "$name" "$PG_PID" || return
	# shellcheck disable=SC2086
	timeout 30 taskset -c "$CLI_CPU" pgbench -n -j 1 -T 2 "$@" $PGOPTS postgres >"$OUT/$name.bench" 2>&1 ||
		bad "pgbench: $(tail -1 "$OUT/$name.bench")"
	st_stop
	c1=$(pg_calls $PG_PORT)
	tx=$(awk -F': ' '/actually processed/ { split($2, a, "/"); print a[1] }' "$OUT/$name.bench")
	# pgbench's own few set-up queries (scale, partitions) come on top
	row "truth: statements ~ pgbench tx x $k" "$((${tx:-0} * k))" "$((c1 - c0))" rel 0.01
	figures
	check_msgs $((c1 - c0)) postgres
}
test_pg_select_simple() { pg_bench pg_select_simple 1 -S -M simple -c 1; }
test_pg_select_extended() { pg_bench pg_select_extended 1 -S -M extended -c 2; }
test_pg_tpcb_simple() { pg_bench pg_tpcb_simple 7 -M simple -c 2; }
test_pg_tpcb_extended() { pg_bench pg_tpcb_extended 7 -M extended -c 1; }

# An UPDATE that waits on a row lock: session A holds the row for 3 s
# (BEGIN; UPDATE; pg_sleep), session B's UPDATE of that row starts 0.5 s in
# and waits. B's backend is found by its wait event; its wait, per
# pg_stat_statements, must show in its busy and response time (>= 0.9 N).
test_pg_lock_wait() {
	local name=pg_lock_wait ap bp bpid="" i n tb
	ensure_pg || return
	pg_sql $PG_PORT "select pg_stat_statements_reset()" >/dev/null
	st_start $name "$PG_PID" --threads || return
	psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres \
		-c "begin; update lockt set w = w + 1 where id = 1; select pg_sleep(3); commit;" \
		>"$OUT/$name.a" 2>&1 &
	ap=$!
	sleep 0.5
	psql -X -q -h 127.0.0.1 -p $PG_PORT -U postgres -d postgres \
		-c "update lockt set v = v + 1 where id = 1" >"$OUT/$name.b" 2>&1 &
	bp=$!
	for i in $(seq 40); do
		bpid=$(pg_sql $PG_PORT "select pid from pg_stat_activity where wait_event_type = 'Lock'")
		[ -n "$bpid" ] && break
		sleep 0.05
	done
	wait $ap || bad "session A: $(tail -1 "$OUT/$name.a")"
	wait $bp || bad "session B: $(tail -1 "$OUT/$name.b")"
	st_stop
	[ -n "$bpid" ] || { bad "session B never waited on the lock"; return; }
	n=$(pg_sql $PG_PORT "select total_exec_time / 1000 from pg_stat_statements where query like 'update lockt set v%'")
	row "truth: B's UPDATE time (pgss) > 2 s" 2 "${n:-null}" gt
	figures "$bpid"
	tb=F_thread_busy_$bpid
	# threads_detail is no part of the contract: shown, not judged
	row "(B busy, threads_detail busy_s)" "${n:-0}" "${!tb:-null}" info
	row "B busy (U x servers x span)" "${n:-0}" "$F_busy_s" min 0.9
	row "B response_s x messages" "${n:-0}" "$F_resp_total_s" min 0.9
}

# 4 backends pinned (with the postmaster) to one CPU and kept > 90% busy by
# pgbench -S -c 4 (on-CPU or waiting for it, from their schedstat): a
# saturated service in --services, when the flag exists.
test_pg_shared_cpu() {
	local name=pg_shared_cpu pb bks s0 s1 oncpu runq wall services=1
	ensure_pg || return
	timeout 10 "$ST" --services --json -d 0.2 -p "$PG_PID" >/dev/null 2>&1
	[ $? = 2 ] && services=0
	if [ $services = 1 ]; then
		st_start $name "$PG_PID" --services || return
	fi
	# shellcheck disable=SC2086
	timeout 30 taskset -c "$CLI_CPU" pgbench -n -S -c 4 -j 1 -T 3 $PGOPTS postgres >"$OUT/$name.bench" 2>&1 &
	pb=$!
	sleep 0.7
	bks=$(pg_backends "$PG_PID" | tr '\n' ' ')
	s0=$(sched_sum $bks)
	sleep 1.6
	s1=$(sched_sum $bks)
	wait $pb || bad "pgbench: $(tail -1 "$OUT/$name.bench")"
	[ $services = 1 ] && st_stop
	read -r oncpu runq wall <<<"$(sched_delta "$s0" "$s1")"
	row "truth: backends" 4 "$(echo $bks | wc -w)" eq
	# the CPU is saturated by the backends when they were running or
	# runnable (waiting for it) more than 90% of the time; on a machine
	# shared with other jobs part of that is run-queue wait
	row "truth: backends' CPU+runq share > 0.9" 0.9 "$(calc "($oncpu + $runq) / $wall")" gt
	row "(truth: backends' on-CPU share)" "" "$(calc "$oncpu / $wall")" info
	if [ $services = 0 ]; then
		skip "streamtrace has no --services yet (truth above)"
		return
	fi
	row "service saturated" true "$(python3 - "$STF" <<'EOF'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
svc = [v for v in s.get("services") or [] if "postgres" in str(v.get("name"))]
print(str(svc[0]["queue"]["saturated"]).lower() if svc and svc[0].get("queue") else "null")
EOF
)" eq
}

missing=""
for b in redis-server redis-benchmark nginx wrk mosquitto mosquitto_sub nats-server pgbench psql curl; do
	command -v $b >/dev/null || missing="$missing $b"
done
if [ -n "$missing" ]; then
	echo "servers: SKIP: missing$missing (scripts/install-deps.sh installs them)"
	echo "servers: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
for b in openloop mqttpub natspub protostream; do
	[ -x "$W/$b" ] || { echo "servers: build first (make)"; exit 1; }
done
python3 "$ROOT/tests/servers/selftest.py" || exit 1
run_all servers
rc=$?
echo "servers: the table of truth against streamtrace is in $TABLE"
exit $rc
