#!/usr/bin/env bash
# What the host can show of the kernel-version handling (the rest is the
# kernel matrix, scripts/kernel-matrix.sh, which boots Debian's 6.1 and 6.12
# under qemu): the floor's one-line refusal, the JSON's tracer key, the
# tracepoint fallbacks for drops, and, since this host refuses fentry/fexit
# (lockdown), that a refused fallback leaves the rest working and says so.
# usage: tests/integration/kernel.sh [TEST_NAME_PATTERN]
set -u
PATTERN=${1:-}
. "$(dirname "$0")/lib.sh"

# The JSON summary says which kernel and how each family was hooked: on
# this kernel (6.18) every family has its tracepoint.
test_tracer_key() {
	local f=$OUT/tk.json
	"$ST" --json -- "$SYSLOAD" --loops 100 >"$f" 2>"$OUT/tk.err"
	eq "$?" 0 "exit status"
	contract_ok "$f"
	eq "$(q "$f" 's["tracer"]["kernel"]')" "$(uname -r)" "tracer.kernel is uname -r"
	eq "$(q "$f" 'sorted(s["tracer"]["attach"])')" \
		'["data_ready", "drops", "process", "sched", "sockets", "syscalls", "tcp"]' "families"
	eq "$(q "$f" 'sorted(set(s["tracer"]["attach"].values()))')" '["tracepoint"]' "all by tracepoint"
	eq "$(q "$f" 'sum(1 for i in ivs if "tracer" in i)')" 0 "intervals carry no tracer key"
}

# Below the floor: a kernel whose BTF has no bpf_loop helper (Linux 5.17)
# gets one line naming it and exit 1, before any program is loaded. The BTF
# is made here: a header, enum bpf_func_id with two values, its strings.
test_floor() {
	local btf=$OUT/old.btf
	python3 - "$btf" <<'PY'
import struct, sys
strs = b"\0bpf_func_id\0BPF_FUNC_unspec\0BPF_FUNC_map_lookup_elem\0"
off = lambda s: strs.index(s.encode() + b"\0")
types = struct.pack("<III", off("bpf_func_id"), (6 << 24) | 2, 4)  # ENUM, 2 values, 4 bytes
types += struct.pack("<Ii", off("BPF_FUNC_unspec"), 0) + struct.pack("<Ii", off("BPF_FUNC_map_lookup_elem"), 1)
hdr = struct.pack("<HBBIIIII", 0xeB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
open(sys.argv[1], "wb").write(hdr + types + strs)
PY
	STREAMTRACE_BTF=$btf "$ST" --json -- "$SYSLOAD" --loops 10 >"$OUT/floor.out" 2>"$OUT/floor.err"
	eq "$?" 1 "exit status below the floor"
	eq "$(wc -l <"$OUT/floor.err")" 1 "one line on stderr"
	grep -q 'bpf_loop helper (Linux 5.17+).*needs Linux 5.17 or later' "$OUT/floor.err" ||
		bad "the line names what is missing: $(cat "$OUT/floor.err")"
	eq "$(wc -c <"$OUT/floor.out")" 0 "nothing on stdout"
}

# The socket tracepoints taken away: the fentry/fexit fallbacks are tried.
# This host refuses them (lockdown): one line says so, the socket figures
# are null (never 0), the rest is exact. On a host that allows them the
# socket figures must be there instead.
test_fallback_refused_or_used() {
	local f=$OUT/fb.json pidf=$OUT/fb.pid
	"$QBENCH" run --rate 300 --service-us 200 --duration 2 --start-signal --pidfile "$pidf" \
		>"$OUT/fb.truth" 2>"$OUT/fb.qb.err" &
	local qb=$!
	wait_file "$pidf" || { bad "qbench did not start"; return; }
	local server
	server=$(cat "$pidf")
	STREAMTRACE_DISABLE=sock_recv_length,sock_send_length,sk_data_ready \
		timeout 30 "$ST" --json -i 0.5 -p "$server" >"$f" 2>"$OUT/fb.err" &
	local stp=$!
	wait_lines "$f" 1 10 || bad "no interval within 10 s"
	kill -USR1 "$qb"
	wait "$qb" || bad "qbench failed"
	wait "$stp"
	eq "$?" 0 "streamtrace exit status"
	contract_ok "$f"
	local how
	how=$(q "$f" 's["tracer"]["attach"]["sockets"]')
	msg "sockets hooked by: $how"
	if [ "$how" = none ]; then
		eq "$(grep -c 'refused the fentry/fexit fallbacks' "$OUT/fb.err")" 1 "one line says the fallback was refused"
		eq "$(wc -l <"$OUT/fb.err")" 1 "and nothing else on stderr"
		eq "$(q "$f" "proc($server)['net']['rx_ops']")" null "rx_ops null, not 0"
		eq "$(q "$f" "proc($server)['queue']")" null "queue null"
		eq "$(q "$f" 's["tracer"]["attach"]["data_ready"]')" none "data_ready not hooked"
		eq "$(q "$f" 's["tracer"]["attach"]["syscalls"]')" tracepoint "syscalls still hooked"
		# every receive is a recvfrom; the one blocked at attach entered before
		eq "$(q "$f" "sum(c['count'] for c in proc($server)['syscalls'] if c['name'] == 'recvfrom')")" \
			"$(python3 -c "import json; print(json.load(open('$OUT/fb.truth'))['rx_ops'] - 1)")" \
			"recvfrom syscalls still counted"
	else
		eq "$how" fexit "sockets by fexit"
		# the one receive in flight at attach is not seen by fexit
		eq "$(q "$f" "proc($server)['net']['rx_ops']")" \
			"$(python3 -c "import json; print(json.load(open('$OUT/fb.truth'))['rx_ops'] - 1)")" "rx_ops"
	fi
}

# STREAMTRACE_DISABLE=...,fentry: the fallbacks are not even tried (no
# retry), and the one line says why the figures are null.
test_fallback_disabled() {
	STREAMTRACE_DISABLE=sock_recv_length,sock_send_length,fentry "$ST" -v --json -- "$SYSLOAD" --loops 10 \
		>"$OUT/fd.json" 2>"$OUT/fd.err"
	eq "$?" 0 "exit status"
	eq "$(grep -c 'fallbacks are off (STREAMTRACE_DISABLE): socket and queue figures will be null' "$OUT/fd.err")" 1 "one line says why"
	eq "$(grep -c refused "$OUT/fd.err")" 0 "nothing was refused: nothing was tried"
	eq "$(grep -c 'load took' "$OUT/fd.err")" 1 "loaded once"
	eq "$(q "$OUT/fd.json" 's["tracer"]["attach"]["sockets"]')" none "sockets not hooked"
	eq "$(q "$OUT/fd.json" 'procs[0]["net"]["rx_ops"]')" null "rx_ops null"
	eq "$(q "$OUT/fd.json" 'sc("getppid")')" 10 "syscalls counted"
}

# Without kfree_skb's rx_sk (before Linux 6.11) UDP drops come from
# udp_fail_queue_rcv_skb: the same count and reason as the workload's loss.
test_udp_drops_without_kfree_skb() {
	local f=$OUT/ud.json pidf=$OUT/ud.pid
	"$QBENCH" run --transport udp --rcvbuf 65536 --arrival ramp --rate 500 --rate-end 5500 \
		--service-us 1000 --duration 3 --start-signal --pidfile "$pidf" \
		>"$OUT/ud.truth" 2>"$OUT/ud.qb.err" &
	local qb=$!
	wait_file "$pidf" || { bad "qbench did not start"; return; }
	local server
	server=$(cat "$pidf")
	STREAMTRACE_DISABLE=kfree_skb timeout 60 "$ST" --json -i 1 -p "$server" >"$f" 2>"$OUT/ud.err" &
	local stp=$!
	wait_lines "$f" 1 10 || bad "no interval within 10 s"
	kill -USR1 "$qb"
	wait "$qb" || bad "qbench failed"
	wait "$stp"
	local lost
	lost=$(python3 -c "import json; print(json.load(open('$OUT/ud.truth'))['lost'])")
	ge "$lost" 1 "the workload lost messages"
	eq "$(q "$f" "proc($server)['net']['drops']")" "$lost" "drops equal the lost messages"
	eq "$(q "$f" "proc($server)['net']['drop_reasons'].get('SOCKET_RCVBUFF')")" "$lost" "drop reason"
	eq "$(q "$f" 's["tracer"]["attach"]["drops"]')" tracepoint "drops by tracepoint"
}

run_all kernel
