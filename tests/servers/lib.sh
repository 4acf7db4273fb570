# Real servers from Debian's packages, started by the tests themselves, and
# readers of their own counters (the truth the real-server suite compares
# streamtrace with). Sourced by tests/integration/servers.sh after
# tests/integration/lib.sh.
#
# Every server: its own config and data under a temp dir, 127.0.0.1 only, a
# port of this suite's range (21200-21399), pinned to CPU 0 (SRV_CPU); the
# clients run on CPU 1 (CLI_CPU). Each is started in the background and
# remembered by pid; stop_servers (also run by the EXIT trap) stops them by
# pid, SIGTERM then SIGKILL after 3 s. Nothing is looked up or killed by name.
#
# The truth readers are requests to the server themselves. The suite reads
# them before streamtrace attaches and after it has stopped, so none of them
# falls inside a traced window; what they add to the servers' own counters is
# taken out exactly where a counter counts it (see each reader).
# shellcheck shell=bash

SRV_CPU=${SRV_CPU:-0}
CLI_CPU=${CLI_CPU:-1}
SRV_PIDS=""
SRV_DIR=$(mktemp -d /tmp/streamtrace-srv.XXXXXX)
chmod 755 "$SRV_DIR"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

# SERVERS_KEEP=DIR keeps every output of the run (streamtrace's JSON, the
# clients' lines) in DIR
servers_cleanup() {
	[ -n "${ST_LIVE:-}" ] && stop_pid "$ST_LIVE"
	for p in ${CT_LIVE:-}; do stop_pid "$p"; done
	stop_servers
	if [ -n "${SERVERS_KEEP:-}" ]; then
		mkdir -p "$SERVERS_KEEP" && cp -r "$OUT"/. "$SERVERS_KEEP"/
	fi
	rm -rf "$SRV_DIR" "$OUT"
}
trap servers_cleanup EXIT

srv_track() { SRV_PIDS="$SRV_PIDS $1"; }

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 3 s
stop_pid() {
	local p=$1 i
	kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 60); do
		kill -0 "$p" 2>/dev/null || break
		# reap it if it is our child, so kill -0 stops seeing a zombie
		wait "$p" 2>/dev/null && break
		sleep 0.05
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

stop_servers() {
	local p
	for p in $SRV_PIDS; do stop_pid "$p"; done
	SRV_PIDS=""
}

# wait_until TIMEOUT_S CMD...: poll CMD every 50 ms until it succeeds
wait_until() {
	local t=$1 i=0
	shift
	until "$@" >/dev/null 2>&1; do
		sleep 0.05
		i=$((i + 1))
		[ $i -gt $((t * 20)) ] && return 1
	done
	return 0
}

# the child pids of PID (from /proc, no name lookup)
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep .; }

# --- schedstat --------------------------------------------------------------
# sched_read PID TID: "ONCPU_NS RUNQ_NS NOW_NS" for one thread (fields 1 and 2
# of /proc/PID/task/TID/schedstat: time on the CPU and time waiting on a run
# queue, both in ns since the thread started).
sched_read() {
	local a b
	read -r a b _ <"/proc/$1/task/$2/schedstat" || return 1
	echo "$a $b $(date +%s%N)"
}
# sched_delta "BEFORE" "AFTER": "ONCPU_S RUNQ_S WALL_S" over the window
sched_delta() {
	echo "$1 $2" | awk '{ printf "%.9f %.9f %.9f\n", ($4 - $1) / 1e9, ($5 - $2) / 1e9, ($6 - $3) / 1e9 }'
}
# vol_switches PID TID: the thread's voluntary context switches (each one a
# block: a thread that never blocks for input makes none)
vol_switches() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/task/$2/status"; }
# sched_sum PID...: summed "ONCPU_NS RUNQ_NS NOW_NS" over every thread of the
# given processes (for several PostgreSQL backends sharing one CPU)
sched_sum() {
	local p t a b sa=0 sb=0
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			read -r a b _ <"$t/schedstat" 2>/dev/null || continue
			sa=$((sa + a))
			sb=$((sb + b))
		done
	done
	echo "$sa $sb $(date +%s%N)"
}

# --- Redis ------------------------------------------------------------------
# start_redis PORT: REDIS_PID; no persistence; DEBUG allowed from loopback
# (DEBUG SLEEP makes a server of known capacity for the overload case)
start_redis() {
	local port=$1 d=$SRV_DIR/redis-$1
	mkdir -p "$d"
	taskset -c "$SRV_CPU" redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --save '' \
		--appendonly no --daemonize no --enable-debug-command local --logfile "$d/log" \
		--io-threads 1 >/dev/null 2>&1 &
	REDIS_PID=$!
	srv_track $REDIS_PID
	wait_until 10 redis-cli -p "$port" ping || { echo "redis did not start: $(tail -3 "$d/log")"; return 1; }
}
# redis_calls PORT [CMD]: calls of CMD from INFO commandstats, or with no CMD
# the total over every command but INFO itself (each reading is one INFO call,
# which commandstats counts: leaving INFO out makes the total exact)
redis_calls() {
	redis-cli -p "$1" info commandstats | tr -d '\r' | awk -F'[:=,]' -v c="${2:-}" '
		/^cmdstat_/ { n = substr($1, 9); if (c != "" ? n == c : n != "info") t += $3 }
		END { print t + 0 }'
}

# --- PostgreSQL -------------------------------------------------------------
# start_pg PORT: PG_PID (the postmaster), PG_DIR. initdb as the postgres user
# (PostgreSQL refuses to run as root) into a temp dir; pg_stat_statements
# preloaded; no fsync (the tests measure messages and CPU, not disks).
start_pg() {
	local port=$1 d=$SRV_DIR/pg-$1
	[ -x "$PGBIN/postgres" ] || { echo "no PostgreSQL server in $PGBIN"; return 1; }
	mkdir -p "$d"
	chown postgres: "$d"
	setpriv --reuid postgres --regid postgres --init-groups "$PGBIN/initdb" -D "$d/data" \
		-U postgres --auth=trust -E UTF8 >"$d/initdb.log" 2>&1 ||
		{ echo "initdb failed: $(tail -3 "$d/initdb.log")"; return 1; }
	taskset -c "$SRV_CPU" setpriv --reuid postgres --regid postgres --init-groups \
		"$PGBIN/postgres" -D "$d/data" -p "$port" -c listen_addresses=127.0.0.1 \
		-c unix_socket_directories="$d" -c shared_preload_libraries=pg_stat_statements \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c max_connections=20 >"$d/log" 2>&1 &
	PG_PID=$!
	# shellcheck disable=SC2034 # for the caller (the cluster's files and log)
	PG_DIR=$d
	srv_track $PG_PID
	wait_until 20 "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" ||
		{ echo "postgres did not start: $(tail -3 "$d/log")"; return 1; }
	pg_sql "$port" "create extension if not exists pg_stat_statements" >/dev/null
}
pg_sql() { # pg_sql PORT SQL: one psql session, unaligned output
	psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}
# pg_calls PORT: statements executed, from pg_stat_statements, leaving out
# the readers' own statements on pg_stat_statements (so a reading adds
# nothing); pg_xacts PORT: committed transactions of the database
pg_calls() {
	pg_sql "$1" "select coalesce(sum(calls), 0) from pg_stat_statements where query not like '%pg_stat_statements%'"
}
pg_xacts() {
	pg_sql "$1" "select pg_stat_force_next_flush(); select xact_commit from pg_stat_database where datname = 'postgres'" | tail -1
}
# pg_backends PG_PID: the postmaster's children that are client backends
pg_backends() {
	local c
	for c in $(children_of "$1"); do
		grep -q 'postgres: postgres postgres' /proc/"$c"/cmdline 2>/dev/null && echo "$c"
	done
	return 0
}

# --- nginx --------------------------------------------------------------------
# start_nginx PORT: NGINX_PID (master), NGINX_WORKER (its one worker); / answers
# 200 "ok", /status is stub_status
start_nginx() {
	local port=$1 d=$SRV_DIR/nginx-$1 i
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen 127.0.0.1:$port;
		location / { return 200 "ok\n"; }
		location = /status { stub_status; }
	}
}
EOF
	taskset -c "$SRV_CPU" nginx -c "$d/nginx.conf" -p "$d" >/dev/null 2>&1 &
	NGINX_PID=$!
	srv_track $NGINX_PID
	wait_until 10 curl -fs "http://127.0.0.1:$port/" || { echo "nginx did not start: $(tail -3 "$d/error.log")"; return 1; }
	NGINX_WORKER=""
	for i in $(seq 40); do
		NGINX_WORKER=$(children_of $NGINX_PID | head -1)
		[ -n "$NGINX_WORKER" ] && break
		sleep 0.05
	done
	[ -n "$NGINX_WORKER" ] || { echo "no nginx worker"; return 1; }
}
# nginx_requests PORT: stub_status "requests" (it counts the status request
# that reads it: a later reading is one more than the requests in between)
nginx_requests() {
	curl -fs "http://127.0.0.1:$1/status" | awk 'NR == 3 { print $3 }'
}

# --- mosquitto ----------------------------------------------------------------
# start_mosquitto PORT: MOSQ_PID; $SYS published every second
start_mosquitto() {
	local port=$1 d=$SRV_DIR/mosq-$1
	mkdir -p "$d"
	chmod 755 "$d"
	cat >"$d/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
sys_interval 1
persistence false
log_dest none
max_queued_messages 0
EOF
	taskset -c "$SRV_CPU" mosquitto -c "$d/mosquitto.conf" >/dev/null 2>&1 &
	MOSQ_PID=$!
	srv_track $MOSQ_PID
	wait_until 10 mosquitto_sub -p "$port" -h 127.0.0.1 -C 1 -W 2 -t '$SYS/broker/uptime' ||
		{ echo "mosquitto did not start"; return 1; }
}
# mqtt_sys PORT: "UPTIME ALL PUBLISH" as last published in $SYS: the broker's
# uptime (s), its count of received MQTT control packets
# ($SYS/broker/messages/received) and of PUBLISH packets
# ($SYS/broker/publish/messages/received); the retained values, which are up
# to one $SYS interval old (more on a loaded machine: seen 1.2 s)
mqtt_sys() {
	mosquitto_sub -h 127.0.0.1 -p "$1" -v -C 3 -W 3 -t '$SYS/broker/uptime' \
		-t '$SYS/broker/messages/received' -t '$SYS/broker/publish/messages/received' |
		awk '$1 ~ /uptime$/ { u = $2 } $1 ~ /publish\/messages\/received$/ { p = $2 }
		     $1 ~ /broker\/messages\/received$/ { a = $2 } END { print u, a, p }'
}
# mqtt_received PORT: "ALL PUBLISH" counted by the broker up to now: waits
# for the next $SYS cycle after the call (the uptime moves on), then reads
# the counters republished in it. A reading is one connection (CONNECT,
# SUBSCRIBE, DISCONNECT: 3 packets, none a PUBLISH), which later readings
# count in ALL.
mqtt_received() {
	local a b i
	a=$(mqtt_sys "$1")
	for i in $(seq 40); do
		sleep 0.1
		b=$(mqtt_sys "$1")
		[ "${b%% *}" -gt "${a%% *}" ] 2>/dev/null && break
	done
	sleep 0.2 # the counters come after the uptime in a cycle
	mqtt_sys "$1" | cut -d' ' -f2-
}

# --- NATS -----------------------------------------------------------------------
# start_nats PORT MONPORT: NATS_PID; /varz on MONPORT
start_nats() {
	local port=$1 mport=$2 d=$SRV_DIR/nats-$1
	mkdir -p "$d"
	printf 'listen: "127.0.0.1:%s"\nhttp: "127.0.0.1:%s"\n' "$port" "$mport" >"$d/nats.conf"
	taskset -c "$SRV_CPU" nats-server -c "$d/nats.conf" -l "$d/log" >/dev/null 2>&1 &
	NATS_PID=$!
	srv_track $NATS_PID
	wait_until 10 curl -fs "http://127.0.0.1:$mport/varz" || { echo "nats did not start: $(tail -3 "$d/log")"; return 1; }
}
# nats_in_msgs MONPORT: /varz in_msgs (messages published to the server; the
# monitoring request is HTTP on another port and counts nothing here)
nats_in_msgs() {
	curl -fs "http://127.0.0.1:$1/varz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["in_msgs"])'
}
