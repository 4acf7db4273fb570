#!/usr/bin/env bash
# The Prometheus endpoint (--listen) scraped by a real Prometheus: streamtrace
# traces qbench's server (-p) while serving /metrics on loopback; Debian's
# prometheus, started here on loopback with a 1 s scrape interval and a
# temporary data dir, scrapes it; the test then asks Prometheus's HTTP API for
# the streamtrace series and histogram buckets and checks their values
# against the workload's known rates. Also: promtool check metrics on a
# scrape, 404 on another path, 405 (with Allow) on POST, the loopback default,
# and one-line errors for a bad or busy address. Issue 16: the scrape answers
# under 1 s while other addresses hold 200 idle connections; a real
# Prometheus scrapes over TLS with basic auth and is refused a wrong
# password; client certificates by client_auth_type; bad web configs; the
# running agent's capabilities from /proc/PID/status. ST_TEST_PORTS=LO-HI
# keeps every port the suite opens in that range.
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

# --- issue 16: an endpoint that holds on an open network ---------------------------

# flood HOST PORT SECONDS SRC:N [SRC:N...]: open N idle connections from each
# source address (loopback has them all: 127.0.0.2, ...), send nothing, and
# watch each one for SECONDS: a line "ready" once all are open and 0.5 s has
# passed, then "refused R timed_out T open O early E" where R closed within
# 1 s of connecting (the endpoint refused them), T were closed by the
# endpoint 2.8 to 4.5 s after connecting (its request deadline is 3 s; the
# watchdog ticks every 100 ms, and a loaded machine adds its delays), O were
# still open at the end, E were closed at any other moment (should be 0).
flood() {
	python3 -u -c '
import select, socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks = {}
for spec in sys.argv[4:]:
    src, n = spec.split(":")
    for _ in range(int(n)):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((host, port))
        s.setblocking(False)
        socks[s.fileno()] = [s, time.monotonic(), None]
p = select.poll()
for fd in socks:
    p.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
t0 = time.monotonic()
ready = False
while time.monotonic() - t0 < secs:
    for fd, ev in p.poll(50):
        s, t, _ = socks[fd]
        try:
            d = s.recv(1)
        except BlockingIOError:
            continue
        except OSError:
            d = b""
        if d == b"":
            socks[fd][2] = time.monotonic() - t
            p.unregister(fd)
    if not ready and time.monotonic() - t0 > 0.5:
        print("ready", flush=True)
        ready = True
refused = sum(1 for v in socks.values() if v[2] is not None and v[2] < 1)
timed = sum(1 for v in socks.values() if v[2] is not None and 2.8 <= v[2] <= 4.5)
still = sum(1 for v in socks.values() if v[2] is None)
print("refused", refused, "timed_out", timed, "open", still,
      "early", len(socks) - refused - timed - still, flush=True)
' "$@"
}

# metric NAME_AND_LABELS FILE: its value in a scrape, "none" if absent
metric() {
	awk -v m="$1" '$1 == m { print $2; f = 1 } END { if (!f) print "none" }' "$2"
}

# max_time FILE: the largest second column (curl's time_total)
max_time() { awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$1"; }

# Another address holds 200 idle connections: the scrape still answers in
# under 1 s. First 200 from one address (16 held, the rest refused at once
# by the per-client limit), then 16 from each of 13 addresses (208 held,
# all within the pool of 512). The endpoint's own counters must equal what
# the flooding clients saw: refusals, and the held ones closed at the 3 s
# request deadline.
test_idle_flood() {
	need_tools || return
	local P sp i srcs="" n r1 t1 o1 e1 r2 t2 o2 e2
	P=$(free_port)
	sleep 60 &
	local target=$!
	PIDS="$PIDS $target"
	timeout 50 "$ST" -q -i 1 --listen "127.0.0.1:$P" -p "$target" 2>"$OUT/fl.err" &
	sp=$!
	PIDS="$PIDS $sp"
	wait_http "http://127.0.0.1:$P/metrics" 200 10 || { bad "/metrics never answered: $(head -2 "$OUT/fl.err")"; return; }

	flood 127.0.0.1 "$P" 5 127.0.0.2:200 >"$OUT/fl1.txt" 2>&1 &
	local fp=$!
	wait_lines "$OUT/fl1.txt" 1 15 || { bad "flood did not start: $(cat "$OUT/fl1.txt")"; return; }
	eq "$(head -1 "$OUT/fl1.txt")" ready "flooder connected"
	for i in 1 2 3 4 5; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 \
			"http://127.0.0.1:$P/metrics" >>"$OUT/fl1.curl"
	done
	wait "$fp"
	sed 's/^/    | /' "$OUT/fl1.curl"
	sed -n 2p "$OUT/fl1.txt" | sed 's/^/    | /'
	eq "$(awk '$1 == 200' "$OUT/fl1.curl" | wc -l)" 5 "scrapes answered 200 during the flood"
	within "$(max_time "$OUT/fl1.curl")" 0 1 "slowest scrape during the flood (s)"
	read -r _ r1 _ t1 _ o1 _ e1 <<<"$(sed -n 2p "$OUT/fl1.txt")"
	eq "$r1" 184 "connections refused at once (200 from one address, 16 allowed)"
	eq "$t1" 16 "held connections closed at the request deadline"
	eq "$o1" 0 "connections still open after 5 s"
	eq "$e1" 0 "connections closed at another moment"

	# 13 addresses x 16: every one held, and still the scrape answers
	for i in $(seq 3 15); do srcs="$srcs 127.0.0.$i:16"; done
	# shellcheck disable=SC2086
	flood 127.0.0.1 "$P" 5 $srcs >"$OUT/fl2.txt" 2>&1 &
	fp=$!
	wait_lines "$OUT/fl2.txt" 1 15 || { bad "second flood did not start: $(cat "$OUT/fl2.txt")"; return; }
	for i in 1 2 3 4 5; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 5 \
			"http://127.0.0.1:$P/metrics" >>"$OUT/fl2.curl"
	done
	wait "$fp"
	sed 's/^/    | /' "$OUT/fl2.curl"
	sed -n 2p "$OUT/fl2.txt" | sed 's/^/    | /'
	eq "$(awk '$1 == 200' "$OUT/fl2.curl" | wc -l)" 5 "scrapes answered 200 while 208 were held"
	within "$(max_time "$OUT/fl2.curl")" 0 1 "slowest scrape while 208 were held (s)"
	read -r _ r2 _ t2 _ o2 _ e2 <<<"$(sed -n 2p "$OUT/fl2.txt")"
	eq "$r2" 0 "connections refused (16 per address is within the limit)"
	eq "$t2" 208 "held connections closed at the request deadline"
	eq "$o2 $e2" "0 0" "none left open, none closed early"

	sleep 1.5 # a new interval renders the counters
	curl -s --max-time 5 "http://127.0.0.1:$P/metrics" >"$OUT/fl.metrics"
	eq "$(metric 'streamtrace_http_connections_refused_total{reason="per_client_limit"}' "$OUT/fl.metrics")" \
		"$r1" "refusals counted by streamtrace vs seen by the client"
	eq "$(metric 'streamtrace_http_connections_refused_total{reason="connection_limit"}' "$OUT/fl.metrics")" \
		0 "refusals for a full endpoint"
	eq "$(metric 'streamtrace_http_connections_timed_out_total{phase="request"}' "$OUT/fl.metrics")" \
		"$((t1 + t2))" "request timeouts counted by streamtrace vs seen by the clients"
	eq "$(metric 'streamtrace_http_connections_timed_out_total{phase="response"}' "$OUT/fl.metrics")" \
		0 "response timeouts"
	n=$(metric streamtrace_http_connections_open "$OUT/fl.metrics")
	within "$n" 0 1 "connections open after the floods (at most the scrape itself)"
	promtool check metrics <"$OUT/fl.metrics" >"$OUT/fl.promtool" 2>&1 ||
		bad "promtool check metrics: $(head -3 "$OUT/fl.promtool")"
	kill "$sp"
	wait "$sp"
	eq "$?" 0 "exit status after SIGTERM"
	cleanup
}

# The deadlines are totals, not inactivity: a client that trickles its
# request a byte every 0.5 s (libmicrohttpd's own timeout would wait
# forever) is closed 3 s after it connected; a kept-alive connection is
# closed 3 s after its answer. Each closing is counted in its phase.
test_deadlines() {
	command -v curl >/dev/null || { skip "curl not installed"; return; }
	local P sp
	P=$(free_port)
	sleep 60 &
	local target=$!
	PIDS="$PIDS $target"
	timeout 50 "$ST" -q -i 1 --listen "127.0.0.1:$P" -p "$target" 2>"$OUT/dl.err" &
	sp=$!
	PIDS="$PIDS $sp"
	wait_http "http://127.0.0.1:$P/metrics" 200 10 || { bad "/metrics never answered: $(head -2 "$OUT/dl.err")"; return; }
	python3 -u -c '
import socket, sys, time, threading
port = int(sys.argv[1])
res = {}

def trickle():
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 40
    s.settimeout(0.5)
    for b in req:
        try:
            s.send(bytes([b]))
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        res["trickle"] = "never closed"
        return
    res["trickle"] = "%.2f" % (time.monotonic() - t0)

def keepalive():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, body = buf.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < n:
        body += s.recv(65536)
    t0 = time.monotonic()
    s.settimeout(10)
    d = s.recv(1)
    res["keepalive"] = "%.2f" % (time.monotonic() - t0) if d == b"" else "data after the answer"

ts = [threading.Thread(target=trickle), threading.Thread(target=keepalive)]
for t in ts: t.start()
for t in ts: t.join()
print(res["trickle"], res["keepalive"])
' "$P" >"$OUT/dl.txt" 2>&1
	sed 's/^/    | closed after (s): trickling, kept alive: /' "$OUT/dl.txt"
	read -r tr ka <"$OUT/dl.txt"
	# 3 s, plus the watchdog's 100 ms tick and a loaded machine's delays
	within "$tr" 2.8 4.5 "a request trickled byte by byte is closed at its deadline (s)"
	within "$ka" 2.8 4.5 "a kept-alive connection is closed 3 s after its answer (s)"
	sleep 1.5 # a new interval renders the counters
	curl -s --max-time 5 "http://127.0.0.1:$P/metrics" >"$OUT/dl.metrics"
	eq "$(metric 'streamtrace_http_connections_timed_out_total{phase="request"}' "$OUT/dl.metrics")" \
		1 "request timeouts: the trickling client"
	eq "$(metric 'streamtrace_http_connections_timed_out_total{phase="idle"}' "$OUT/dl.metrics")" \
		1 "idle timeouts: the kept-alive connection"
	kill "$sp"
	wait "$sp"
	eq "$?" 0 "exit status after SIGTERM"
	cleanup
}

# make_pki DIR: a throw-away CA, a server certificate for 127.0.0.1 signed by
# it, a client certificate signed by it, and a self-signed "rogue" client.
make_pki() {
	local d=$1 ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	mkdir -p "$d"
	# shellcheck disable=SC2086
	{
		openssl req -x509 $ec -days 1 -subj /CN=streamtrace-test-ca -keyout "$d/ca.key" -out "$d/ca.pem" &&
			openssl req $ec -subj /CN=streamtrace -keyout "$d/server.key" -out "$d/server.csr" &&
			printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/server.ext" &&
			openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
				-days 1 -extfile "$d/server.ext" -out "$d/server.pem" &&
			openssl req $ec -subj /CN=prometheus -keyout "$d/client.key" -out "$d/client.csr" &&
			printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext" &&
			openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
				-days 1 -extfile "$d/client.ext" -out "$d/client.pem" &&
			openssl req -x509 $ec -days 1 -subj /CN=rogue -keyout "$d/rogue.key" -out "$d/rogue.pem"
	} >"$d/openssl.log" 2>&1
}

# bcrypt PASSWORD: a $2b$ hash of cost 10 from Python's crypt (libxcrypt);
# fails when this Python has no crypt module (3.13 dropped it).
bcrypt() {
	python3 -W ignore -c '
import sys
try:
    import crypt
except ImportError:
    sys.exit(1)
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))' "$1" 2>/dev/null
}

# A real Prometheus scrapes over TLS with basic auth (its scrape config's
# tls_config and basic_auth) and gets the series; a second job with a wrong
# password is refused (401, up == 0). curl: no credentials or a wrong
# password get 401 with WWW-Authenticate, plain HTTP gets nothing, TLS 1.1
# is refused under min_version TLS12, and the 401s streamtrace counts are
# the ones its clients received.
test_tls_basic_auth_prometheus() {
	need_tools || return
	command -v openssl >/dev/null || { skip "openssl not installed"; return; }
	local d=$OUT/pki P P2 sp pp hash base c401=0 code i=0 t_eval got want
	make_pki "$d" || { bad "openssl: $(tail -3 "$d/openssl.log")"; return; }
	hash=$(bcrypt 'correct horse') || { skip "no bcrypt hasher (python3 crypt module)"; return; }
	# exporter-toolkit's format; relative paths are from the file's directory
	printf '%s\n' "tls_server_config:" "  cert_file: server.pem" "  key_file: server.key" \
		"  min_version: TLS12" "http_server_config:" "  headers:" \
		"    X-Content-Type-Options: nosniff" "basic_auth_users:" "  prometheus: $hash" \
		>"$d/web.yml"
	P=$(free_port)
	P2=$(free_port)
	while [ "$P2" = "$P" ]; do P2=$(free_port); done
	base=https://127.0.0.1:$P
	sleep 60 &
	local target=$!
	PIDS="$PIDS $target"
	timeout 50 "$ST" -q -i 1 --listen "127.0.0.1:$P" --web-config "$d/web.yml" -p "$target" \
		2>"$OUT/tls.err" &
	sp=$!
	PIDS="$PIDS $sp"
	# the first answer is a 401: no credentials
	while [ "$(http_code "$base/metrics" --cacert "$d/ca.pem")" != 401 ]; do
		sleep 0.2
		i=$((i + 1))
		[ $i -gt 50 ] && { bad "no 401 over TLS within 10 s: $(head -2 "$OUT/tls.err")"; return; }
	done
	c401=1
	code=$(http_code "$base/metrics" --cacert "$d/ca.pem" -u 'prometheus:correct horse')
	eq "$code" 200 "TLS + the right password"
	code=$(http_code "$base/metrics" --cacert "$d/ca.pem" -u 'prometheus:wrong')
	eq "$code" 401 "TLS + a wrong password"
	code=$(http_code "$base/metrics" --cacert "$d/ca.pem" -u 'nobody:correct horse')
	eq "$code" 401 "TLS + an unknown user"
	curl -s -D - -o /dev/null --max-time 5 --cacert "$d/ca.pem" "$base/metrics" >"$OUT/tls.h"
	c401=$((c401 + 3))
	grep -qi '^WWW-Authenticate: Basic realm=' "$OUT/tls.h" || bad "401 without WWW-Authenticate: $(head -3 "$OUT/tls.h")"
	grep -qi '^X-Content-Type-Options: nosniff' "$OUT/tls.h" || bad "the configured header is missing"
	code=$(http_code "http://127.0.0.1:$P/metrics")
	[ "$code" != 200 ] || bad "plain HTTP on the TLS port answered 200"
	code=$(http_code "$base/metrics" --cacert "$d/ca.pem" --tlsv1.0 --tls-max 1.1)
	[ "$code" = 000 ] || bad "TLS 1.1 accepted with min_version TLS12 (got $code)"

	printf '%s\n' "global:" "  scrape_interval: 1s" "  scrape_timeout: 1s" "scrape_configs:" \
		"  - job_name: st_tls" "    scheme: https" "    tls_config:" "      ca_file: $d/ca.pem" \
		"    basic_auth:" "      username: prometheus" "      password: correct horse" \
		"    static_configs:" "      - targets: ['127.0.0.1:$P']" \
		"  - job_name: st_wrong" "    scheme: https" "    tls_config:" "      ca_file: $d/ca.pem" \
		"    basic_auth:" "      username: prometheus" "      password: not the password" \
		"    static_configs:" "      - targets: ['127.0.0.1:$P']" >"$OUT/prom-tls.yml"
	mkdir -p "$OUT/tsdb-tls"
	prometheus --config.file="$OUT/prom-tls.yml" --storage.tsdb.path="$OUT/tsdb-tls" \
		--web.listen-address="127.0.0.1:$P2" >"$OUT/prom-tls.log" 2>&1 &
	pp=$!
	PIDS="$PIDS $pp"
	wait_http "http://127.0.0.1:$P2/-/ready" 200 15 || { bad "prometheus not ready: $(tail -3 "$OUT/prom-tls.log")"; return; }
	# Prometheus starts scraping a few seconds after it is ready (its scrape
	# manager takes new targets every 5 s): wait for 4 scrapes of each job
	i=0
	# (each side compared on its own: ">=" binds tighter than "and", so the
	# wrong-password job was not held to 4 and was seen with 3)
	until echo 'n (count_over_time(up{job="st_wrong"}[1m]) >= 4) and on() (count_over_time(up{job="st_tls"}[1m]) >= 4)' |
		promq "$P2" "$(date +%s.%N)" | grep -qE '^n [0-9]'; do
		sleep 0.5
		i=$((i + 1))
		[ $i -gt 40 ] && { bad "Prometheus made fewer than 4 scrapes of each job in 20 s"; break; }
	done
	t_eval=$(date +%s.%N)
	printf '%s\n' 'up_ok up{job="st_tls"}' 'up_wrong up{job="st_wrong"}' \
		'build streamtrace_build_info{job="st_tls"}' \
		'n_wrong_series {job="st_wrong",__name__=~"streamtrace_.*"}' \
		'wrong_scrapes count_over_time(up{job="st_wrong"}[1m])' |
		promq "$P2" "$t_eval" >"$OUT/q.txt"
	python3 -c '
import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/targets" % sys.argv[1], timeout=5))
for t in d["data"]["activeTargets"]:
    print(t["labels"]["job"], t["health"], t["lastError"].replace(" ", "_") or "-")
' "$P2" >"$OUT/targets.txt" 2>&1
	kill "$pp"
	wait "$pp" 2>/dev/null
	sed 's/^/    | /' "$OUT/q.txt" "$OUT/targets.txt"
	eq "$(r up_ok)" 1 "up{job=\"st_tls\"} (TLS + basic auth)"
	eq "$(r build)" 1 "streamtrace_build_info scraped over TLS"
	eq "$(r up_wrong)" 0 "up{job=\"st_wrong\"} (wrong password)"
	eq "$(r n_wrong_series)" 0 "series stored from the wrong-password job"
	grep -q '^st_wrong down .*401' "$OUT/targets.txt" || bad "the wrong job's error does not say 401: $(grep st_wrong "$OUT/targets.txt")"
	ge "$(r wrong_scrapes)" 4 "wrong-password scrapes Prometheus made"

	sleep 1.5 # Prometheus is gone: the next rendering has every 401 answered
	curl -s --max-time 5 --cacert "$d/ca.pem" -u 'prometheus:correct horse' "$base/metrics" >"$OUT/tls.metrics"
	got=$(metric 'streamtrace_http_requests_total{code="401"}' "$OUT/tls.metrics")
	want=$((c401 + $(r wrong_scrapes)))
	# Prometheus may make one more scrape after it was asked (up to 1 s
	# later) and have one answered while it is being stopped
	msg "| 401 answers: streamtrace counted $got; curl and Prometheus received $want (+ at most 2)"
	within "$got" "$want" "$((want + 2))" "401 answers counted vs received by curl and Prometheus"
	kill "$sp"
	wait "$sp"
	eq "$?" 0 "exit status after SIGTERM"
	cleanup
}

# Client certificates by client_auth_type, checked by curl: a certificate
# from the configured CA passes, a self-signed one fails the handshake, and
# none passes only where the type does not require one (Go's crypto/tls
# meanings, which exporter-toolkit uses).
test_client_certificates() {
	command -v curl >/dev/null || { skip "curl not installed"; return; }
	command -v openssl >/dev/null || { skip "openssl not installed"; return; }
	local d=$OUT/pki2 P sp mode spec got url i
	make_pki "$d" || { bad "openssl: $(tail -3 "$d/openssl.log")"; return; }
	sleep 60 &
	local target=$!
	PIDS="$PIDS $target"
	# type, then the answer with no certificate, a CA-signed one, a self-signed
	# one (200 served, 000 handshake refused)
	for spec in "RequireAndVerifyClientCert 000 200 000" "VerifyClientCertIfGiven 200 200 000" \
		"RequireAnyClientCert 000 200 200" "RequestClientCert 200 200 200"; do
		# shellcheck disable=SC2086
		set -- $spec
		mode=$1
		printf '%s\n' "tls_server_config:" "  cert_file: server.pem" "  key_file: server.key" \
			"  client_ca_file: ca.pem" "  client_auth_type: $mode" >"$d/$mode.yml"
		P=$(free_port)
		url=https://127.0.0.1:$P/metrics
		timeout 30 "$ST" -q -i 1 --listen "127.0.0.1:$P" --web-config "$d/$mode.yml" -p "$target" \
			2>"$OUT/cc.err" &
		sp=$!
		i=0
		while [ "$(http_code "$url" --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client.key")" != 200 ]; do
			sleep 0.2
			i=$((i + 1))
			[ $i -gt 50 ] && break
		done
		got="$(http_code "$url" --cacert "$d/ca.pem")"
		got="$got $(http_code "$url" --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client.key")"
		got="$got $(http_code "$url" --cacert "$d/ca.pem" --cert "$d/rogue.pem" --key "$d/rogue.key")"
		eq "$got" "$2 $3 $4" "$mode: no certificate, CA-signed, self-signed"
		kill "$sp"
		wait "$sp" 2>/dev/null
	done
	cleanup
}

# Bad web configs: one line naming the file, exit 2 (an input file, as for
# report and diff), before anything is traced.
test_web_config_errors() {
	command -v openssl >/dev/null || { skip "openssl not installed"; return; }
	local d=$OUT/pki3 f P
	make_pki "$d" || { bad "openssl: $(tail -3 "$d/openssl.log")"; return; }
	P=$(free_port)
	printf 'tls_server_config:\n  cert_fil: server.pem\n' >"$d/unknown.yml"
	printf 'tls_server_config:\n  cert_file: server.pem\n  key_file: rogue.key\n' >"$d/mismatch.yml"
	printf 'tls_server_config:\n  cert_file: server.pem\n' >"$d/nokey.yml"
	printf 'basic_auth_users:\n  prometheus: hunter2\n' >"$d/plainpw.yml"
	printf 'tls_server_config: [\n' >"$d/notyaml.yml"
	for f in unknown mismatch nokey plainpw notyaml missing; do
		"$ST" -q -d 1 --listen "127.0.0.1:$P" --web-config "$d/$f.yml" -p $$ >/dev/null 2>"$OUT/wc.err"
		eq "$?" 2 "exit status for a bad web config ($f)"
		eq "$(wc -l <"$OUT/wc.err")" 1 "one line for a bad web config ($f)"
		grep -q -- "--web-config $d/$f.yml: " "$OUT/wc.err" || bad "the message names the file ($f): $(cat "$OUT/wc.err")"
		case $f in
		unknown) grep -q "unknown key 'cert_fil'" "$OUT/wc.err" || bad "names the unknown key: $(cat "$OUT/wc.err")" ;;
		mismatch) grep -q "do not match" "$OUT/wc.err" || bad "says the key does not match: $(cat "$OUT/wc.err")" ;;
		esac
	done
	"$ST" -q -d 1 --web-config "$d/unknown.yml" -p $$ >/dev/null 2>"$OUT/wc.err"
	eq "$?" 2 "exit status for --web-config without --listen"
}

# cap_hex CAP...: the CapEff-style hex mask of capability numbers
cap_hex() {
	python3 -c 'import sys; print("%016x" % sum(1 << int(c) for c in sys.argv[1:]))' "$@"
}

# status_field PID FIELD: a field of /proc/PID/status (its values, space-separated)
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status" 2>/dev/null; }

# child_of PID [NAME]: the (first) child process of PID, within 5 s
child_of() {
	local i=0 c
	while :; do
		c=$(pgrep -P "$1" ${2:+-x "$2"} | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.05
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
	done
}

# Once attached, the agent holds no capability it does not need, cannot win
# any back (bounding set, no_new_privs) and is no longer uid 0; it still
# serves /metrics and traces. Maps need CAP_BPF (39) only on kernels before
# 6.5 with kernel.unprivileged_bpf_disabled set (every bpf(2) call asked it
# there); --connections keeps CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE
# (19), -- COMMAND keeps CAP_KILL (5) to stop the command, which itself
# keeps the caller's credentials.
test_capabilities() {
	command -v curl >/dev/null || { skip "curl not installed"; return; }
	[ "$(id -u)" = 0 ] || { skip "run as root to see the switch from uid 0"; return; }
	local P sp st base extra="" kv ub child
	kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
	ub=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null || echo 0)
	[ "$kv" -lt 6005 ] && [ "$ub" != 0 ] && extra=39
	P=$(free_port)
	base=http://127.0.0.1:$P
	sleep 60 &
	local target=$!
	PIDS="$PIDS $target"
	timeout 30 "$ST" -q -i 1 --listen "127.0.0.1:$P" -p "$target" 2>"$OUT/cap.err" &
	sp=$!
	PIDS="$PIDS $sp"
	wait_http "$base/metrics" 200 10 || { bad "/metrics never answered: $(head -2 "$OUT/cap.err")"; return; }
	sleep 0.5 # the drop comes right after attaching, before the first interval
	st=$(child_of "$sp") || { bad "no streamtrace under timeout"; return; }
	grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$st/status" |
		sed 's/^/    | /'
	# shellcheck disable=SC2086
	eq "$(status_field "$st" CapEff)" "$(cap_hex $extra)" "CapEff of the running agent"
	# shellcheck disable=SC2086
	eq "$(status_field "$st" CapPrm)" "$(cap_hex $extra)" "CapPrm of the running agent"
	# shellcheck disable=SC2086
	eq "$(status_field "$st" CapBnd)" "$(cap_hex $extra)" "CapBnd: no execve can win any back"
	eq "$(status_field "$st" CapAmb)" 0000000000000000 "CapAmb"
	eq "$(status_field "$st" NoNewPrivs)" 1 "NoNewPrivs"
	eq "$(status_field "$st" Uid)" "65534 65534 65534 65534" "uids after the drop (were 0)"
	eq "$(status_field "$st" Gid)" "65534 65534 65534 65534" "gids after the drop"
	sleep 2
	curl -s --max-time 5 "$base/metrics" >"$OUT/cap.metrics"
	ge "$(metric streamtrace_run_seconds "$OUT/cap.metrics")" 1.5 "still tracing and serving after the drop"
	kill "$sp"
	wait "$sp"
	eq "$?" 0 "exit status after SIGTERM"

	timeout 30 "$ST" -q -i 1 -d 3 --connections -p "$target" 2>"$OUT/cap2.err" &
	sp=$!
	sleep 1.5
	st=$(child_of "$sp")
	# shellcheck disable=SC2086
	eq "$(status_field "$st" CapEff)" "$(cap_hex 2 19 $extra)" "CapEff with --connections"
	wait "$sp"
	eq "$?" 0 "exit status with --connections"

	timeout 30 "$ST" -q -i 1 -d 2 -- sleep 30 2>"$OUT/cap3.err" &
	sp=$!
	sleep 1
	st=$(child_of "$sp")
	child=$(child_of "$st" sleep)
	# shellcheck disable=SC2086
	eq "$(status_field "$st" CapEff)" "$(cap_hex 5 $extra)" "CapEff with -- COMMAND"
	eq "$(status_field "$child" CapEff)" "$(status_field $$ CapEff)" "the command's CapEff is the caller's"
	eq "$(status_field "$child" Uid)" "$(status_field $$ Uid)" "the command's uids are the caller's"
	wait "$sp"
	eq "$?" 143 "exit status: the command stopped by SIGTERM at -d"
	cleanup
}

run_all prometheus
