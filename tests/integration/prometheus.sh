#!/usr/bin/env bash
# The Prometheus endpoint (--listen) scraped by a real Prometheus: streamtrace
# traces qbench's server (-p) while serving /metrics on loopback; Debian's
# prometheus, started here on loopback with a 1 s scrape interval and a
# temporary data dir, scrapes it; the test then asks Prometheus's HTTP API for
# the streamtrace series and histogram buckets and checks their values
# against the workload's known rates. Also: promtool check metrics on a
# scrape, 404 on another path, 405 (with Allow) on POST, the loopback default,
# and one-line errors for a bad or busy address.
#
# Tolerances: qbench sends a Poisson stream at 400/s with exponential service
# of mean 500 us (rho = 0.2). Over a 5-6 s window the arrival count's sd is
# 1/sqrt(2000) ~ 2%: rates over a window (the counter's, and the 1 s gauges
# lambda and X averaged over 5 s) are checked within 15%. Busy time is only
# checked for plausibility (mean service 0.35-1 ms, rho 0.12-0.4): a 2-CPU
# machine also runs the producer, Prometheus and the test itself, and every
# preemption of the server lengthens its measured busy time (queue.sh checks
# S and rho tightly on a quiet run). Prometheus is asked about a moment
# before the endpoint checks, the heaviest part of this test.
# Bounded: every wait has a deadline; the whole suite takes about 30 s.
# usage: tests/integration/prometheus.sh [TEST_NAME_PATTERN]
set -u
PATTERN=${1:-}
. "$(dirname "$0")/lib.sh"

RATE=400
SERVICE_US=500
PIDS=""

# Kill what this suite started (by pid), then remove its files.
cleanup() {
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
trap 'cleanup; rm -rf "$OUT"' EXIT

# A free port: from ST_TEST_PORTS=LO-HI when set (machines that hand out
# port ranges), else one the kernel picks.
free_port() {
	python3 -c '
import os, socket, sys
lo, _, hi = os.environ.get("ST_TEST_PORTS", "").partition("-")
ports = list(range(int(lo), int(hi) + 1)) if lo and hi else [0]
if ports != [0]:
    import random
    random.shuffle(ports)
for p in ports:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(s.getsockname()[1])
    sys.exit(0)
sys.exit(1)'
}

# http_code URL [CURL_ARGS...]: the status code only
http_code() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url"
}

# wait_http URL CODE TIMEOUT_S: until URL answers CODE
wait_http() {
	local i=0
	while [ "$(http_code "$1")" != "$2" ]; do
		sleep 0.2
		i=$((i + 1))
		[ $i -gt $(($3 * 5)) ] && return 1
	done
	return 0
}

# promq PORT TIME < QUERIES: run "NAME EXPR" lines (one per line) as instant
# queries at UNIX time TIME and print "NAME VALUE" lines; VALUE is the first series'
# value, "none" when there is none; a NAME starting with n_ gets the number
# of series instead.
promq() {
	python3 -c '
import json, sys, urllib.parse, urllib.request
port, t = sys.argv[1:3]
for line in sys.stdin:
    name, _, expr = line.strip().partition(" ")
    if not name:
        continue
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr, "time": t}))
    try:
        d = json.load(urllib.request.urlopen(url, timeout=5))["data"]
        res = d["result"]
        if name.startswith("n_"):
            v = len(res)
        elif d["resultType"] == "scalar":
            v = res[1]
        else:
            v = res[0]["value"][1] if res else "none"
    except Exception as e:
        v = "error:" + str(e).replace(" ", "_")
    print(name, v)
' "$1" "$2"
}
# r NAME: a value from the last promq batch (in $OUT/q.txt)
r() { awk -v n="$1" '$1 == n { print $2 }' "$OUT/q.txt"; }

# near ACTUAL WANT REL_TOL WHAT: |actual - want| <= tol * want
near() {
	python3 -c "import sys; a=float('$1'); sys.exit(0 if abs(a - $2) <= $3 * $2 else 1)" 2>/dev/null ||
		bad "$4: got '$1', want $2 within $(python3 -c "print(round($3 * 100))")%"
}
# within ACTUAL LO HI WHAT
within() {
	python3 -c "import sys; a=float('$1'); sys.exit(0 if $2 <= a <= $3 else 1)" 2>/dev/null ||
		bad "$4: got '$1', want within [$2, $3]"
}

need_tools() {
	command -v prometheus >/dev/null || { skip "prometheus not installed (apt-get install prometheus)"; return 1; }
	command -v promtool >/dev/null || { skip "promtool not installed (apt-get install prometheus)"; return 1; }
	command -v curl >/dev/null || { skip "curl not installed"; return 1; }
	return 0
}

# --- tests ------------------------------------------------------------------------

test_scraped_by_prometheus() {
	need_tools || return
	local pidf=$OUT/qb.pid sp pp P1 P2 server base
	P1=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P1" ]; do P2=$(free_port); done
	base=http://127.0.0.1:$P1

	"$QBENCH" run --rate $RATE --service-us $SERVICE_US --duration 16 --start-signal \
		--pidfile "$pidf" >"$OUT/qb.truth" 2>"$OUT/qb.err" &
	local qb=$!
	PIDS="$PIDS $qb"
	wait_file "$pidf" || { bad "qbench did not start: $(cat "$OUT/qb.err")"; return; }
	server=$(cat "$pidf")

	: >"$OUT/st.json"
	timeout 50 "$ST" --json -i 1 --listen "127.0.0.1:$P1" -p "$server" >"$OUT/st.json" \
		2>"$OUT/st.err" &
	sp=$!
	PIDS="$PIDS $sp"
	wait_lines "$OUT/st.json" 1 10 || { bad "no interval within 10 s: $(head -2 "$OUT/st.err")"; return; }
	wait_http "$base/metrics" 200 5 || { bad "/metrics never answered 200: $(head -2 "$OUT/st.err")"; return; }

	# the same address again: busy, one line, exit 1
	timeout 10 "$ST" --listen "127.0.0.1:$P1" -p "$server" >/dev/null 2>"$OUT/busy.err"
	eq "$?" 1 "exit status when the address is in use"
	eq "$(wc -l <"$OUT/busy.err")" 1 "one line when the address is in use"

	cat >"$OUT/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: streamtrace
    static_configs:
      - targets: ['127.0.0.1:$P1']
EOF
	mkdir -p "$OUT/tsdb"
	prometheus --config.file="$OUT/prometheus.yml" --storage.tsdb.path="$OUT/tsdb" \
		--web.listen-address="127.0.0.1:$P2" >"$OUT/prom.log" 2>&1 &
	pp=$!
	PIDS="$PIDS $pp"
	wait_http "http://127.0.0.1:$P2/-/ready" 200 15 || { bad "prometheus not ready: $(tail -3 "$OUT/prom.log")"; return; }

	kill -USR1 "$qb"
	sleep 8 # traffic for 8 of its 16 s: 8 scrapes, 5 s rate windows well inside
	# Prometheus is asked about this moment, before the endpoint checks below
	# (curl, promtool) load the machine and stretch the server's busy time
	local t_eval
	t_eval=$(date +%s.%N)

	# the endpoint itself (while the workload still runs)
	curl -s --max-time 5 "$base/metrics" >"$OUT/scrape.txt"
	promtool check metrics <"$OUT/scrape.txt" >"$OUT/promtool.txt" 2>&1 ||
		bad "promtool check metrics: $(head -3 "$OUT/promtool.txt")"
	curl -s --max-time 5 --compressed -H 'Accept-Encoding: gzip' "$base/metrics" >"$OUT/scrape.gz.txt"
	grep -q '^streamtrace_net_rx_ops_total{' "$OUT/scrape.gz.txt" || bad "gzip-encoded scrape"
	eq "$(curl -s -o /dev/null -w '%{content_type}' --max-time 5 "$base/metrics")" \
		"text/plain; version=0.0.4; charset=utf-8" "Content-Type"
	eq "$(http_code "$base/other")" 404 "GET /other"
	eq "$(http_code "$base/")" 404 "GET /"
	eq "$(http_code "$base/metrics" -X POST -d x=1)" 405 "POST /metrics"
	curl -s -D - -o /dev/null -X POST --max-time 5 "$base/metrics" | grep -qi '^Allow: GET' ||
		bad "405 without an Allow: GET header"
	eq "$(http_code "$base/metrics" -I)" 200 "HEAD /metrics"

	# what Prometheus stored, all asked at once, as of t_eval
	local sel="pid=\"$server\"" rf="syscall=\"recvfrom\""
	promq "$P2" "$t_eval" >"$OUT/q.txt" <<EOF
up up{job="streamtrace"}
rx_rate increase(streamtrace_net_rx_ops_total{$sel}[6s]) / on() delta(streamtrace_run_seconds[6s])
lambda avg_over_time(streamtrace_queue_arrival_rate{$sel}[5s])
x avg_over_time(streamtrace_queue_throughput{$sel}[5s])
rho avg_over_time(streamtrace_queue_rho{$sel}[5s])
c streamtrace_queue_servers{$sel}
n_rf_buckets streamtrace_syscall_duration_seconds_bucket{$sel,$rf}
inf_minus_count streamtrace_syscall_duration_seconds_bucket{$sel,$rf,le="+Inf"} - on(pid,comm,syscall) streamtrace_syscall_duration_seconds_count{$sel,$rf}
calls_minus_ops streamtrace_syscall_duration_seconds_count{$sel,$rf} - on(pid,comm) streamtrace_net_rx_ops_total{$sel}
n_not_cumulative streamtrace_syscall_duration_seconds_bucket{$sel,$rf,le="0.000001024"} > on(pid,comm,syscall) streamtrace_syscall_duration_seconds_bucket{$sel,$rf,le="0.000002048"}
svc_mean rate(streamtrace_op_service_seconds_sum{$sel}[5s]) / rate(streamtrace_op_service_seconds_count{$sel}[5s])
svc_p50 histogram_quantile(0.5, rate(streamtrace_op_service_seconds_bucket{$sel}[5s]))
runq_p99 histogram_quantile(0.99, rate(streamtrace_runqueue_wait_seconds_bucket{$sel}[5s]))
n_wait_buckets streamtrace_op_queue_wait_seconds_bucket{$sel}
lost_ringbuf streamtrace_lost_events_total{kind="ringbuf_full"}
self_rss streamtrace_self_resident_memory_bytes
self_cpu streamtrace_self_cpu_seconds_total{mode="user"}
build streamtrace_build_info
n_foreign {job="streamtrace",__name__!~"streamtrace_.*|up|scrape_.*"}
EOF
	sed 's/^/    | /' "$OUT/q.txt"
	eq "$(r up)" 1 "up{job=\"streamtrace\"}"
	# per second of traced time: scrapes and intervals both 1 s apart alias
	# in a plain rate() (a window holds 4 or 5 updates); this ratio does not
	near "$(r rx_rate)" $RATE 0.15 "receives per traced second (Prometheus) vs qbench's rate"
	near "$(r lambda)" $RATE 0.15 "streamtrace_queue_arrival_rate (lambda), 5 s average"
	near "$(r x)" $RATE 0.15 "streamtrace_queue_throughput, 5 s average"
	within "$(r rho)" 0.12 0.4 "streamtrace_queue_rho (0.2 by construction), 5 s average"
	eq "$(r c)" 1 "streamtrace_queue_servers"
	# histograms: every bucket series present, cumulative, +Inf = _count
	eq "$(r n_rf_buckets)" 32 "recvfrom latency: 31 log2 buckets + Inf"
	eq "$(r inf_minus_count)" 0 "recvfrom: +Inf bucket equals _count"
	# a receive can be counted a moment before its syscall returns
	within "$(r calls_minus_ops)" -5 50 "recvfrom calls minus successful receives"
	eq "$(r n_not_cumulative)" 0 "buckets are cumulative"
	within "$(r svc_mean)" 0.00035 0.001 "mean service time from the histogram (sum/count)"
	# exponential, mean 500 us: median 347 us; log2 buckets place it within 2x
	within "$(r svc_p50)" 0.00017 0.0007 "median service time (histogram_quantile)"
	within "$(r runq_p99)" 0 1 "p99 run-queue wait (histogram_quantile)"
	[ "$(r n_wait_buckets)" = 32 ] || [ "$(r n_wait_buckets)" = 0 ] ||
		bad "queue wait histogram: $(r n_wait_buckets) bucket series"
	eq "$(r lost_ringbuf)" 0 "no ring buffer loss"
	within "$(r self_rss)" 1000000 1000000000 "streamtrace's own RSS"
	within "$(r self_cpu)" 0 100 "streamtrace's own CPU time"
	eq "$(r build)" 1 "streamtrace_build_info"
	eq "$(r n_foreign)" 0 "every metric name starts with streamtrace_"

	wait "$qb" || bad "qbench failed: $(tail -2 "$OUT/qb.err")"
	wait "$sp"
	eq "$?" 0 "streamtrace stops when the server exits"
	kill "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	PIDS=""
}

# --listen with no address listens on loopback only; a bad value is a usage error.
test_listen_address() {
	command -v ss >/dev/null || { skip "ss not installed (iproute2)"; return; }
	local P i=0 sp
	P=$(free_port)
	sleep 30 &
	local target=$!
	PIDS="$PIDS $target"
	timeout 20 "$ST" --json -d 3 --listen ":$P" -p "$target" >/dev/null 2>"$OUT/lo.err" &
	sp=$!
	PIDS="$PIDS $sp"
	while ! ss -ltnH "sport = :$P" | grep -q .; do
		sleep 0.1
		i=$((i + 1))
		[ $i -gt 100 ] && break
	done
	ss -ltnH "sport = :$P" >"$OUT/ss.txt"
	eq "$(awk '{print $4}' "$OUT/ss.txt")" "127.0.0.1:$P" "--listen :PORT binds loopback only"
	wait "$sp"
	eq "$?" 0 "exit status after -d 3"

	"$ST" --listen "127.0.0.1:notaport" -p "$target" >/dev/null 2>"$OUT/bad.err"
	eq "$?" 2 "exit status for a bad --listen value"
	eq "$(wc -l <"$OUT/bad.err")" 1 "one line for a bad --listen value"
	grep -q -- '--listen' "$OUT/bad.err" || bad "the message names --listen: $(cat "$OUT/bad.err")"
	"$ST" --listen "::1:9100" -p "$target" >/dev/null 2>"$OUT/bad6.err"
	eq "$?" 2 "exit status for an IPv6 address without brackets"
	cleanup
}

run_all prometheus
