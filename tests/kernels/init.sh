#!/bin/busybox sh
# /init of the kernel-matrix initramfs (scripts/kernel-matrix.sh): the guest
# has only busybox, the static streamtrace and the static workloads. It runs
# a focused suite and prints everything on the serial console between
# markers; the host (tests/kernels/check.py) parses and asserts. Nothing is
# judged here: the guest only runs and reports.
#   @@KERNEL release          @@FILE name ... @@EOF name     @@RC name code
#   @@DONE                    (the suite finished; the console can be closed)
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ip link set lo up
# the suite's output on the second serial port (the host parses it); the
# kernel's console, with its own messages, stays on the first
[ -c /dev/ttyS1 ] && exec >/dev/ttyS1 2>&1

ST=/bin/streamtrace
SYSLOAD=/bin/sysload
QBENCH=/bin/qbench
O=/tmp/out
mkdir -p $O

echo "@@KERNEL $(uname -r)"
echo "@@NPROC $(grep -c ^processor /proc/cpuinfo)"

dump() { # dump NAME...: files of $O on the console
	for f in "$@"; do
		echo "@@FILE $f"
		[ -f "$O/$f" ] && cat "$O/$f"
		echo "@@EOF $f"
	done
}
rc() { echo "@@RC $1 $2"; }
wait_lines() { # wait_lines FILE N TIMEOUT_S
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
		[ $i -gt $(($3 * 10)) ] && return 1
	done
	return 0
}
wait_file() { # wait_file FILE TIMEOUT_S
	i=0
	while [ ! -s "$1" ]; do
		sleep 0.1
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
	done
	return 0
}

# 1. -v: which attach method each family used (and the kernel's refusals)
$ST -v --json -d 1 -- $SYSLOAD --loops 10 >$O/verbose.json 2>$O/verbose.all
rc verbose $?
grep -v '^libbpf: ' $O/verbose.all >$O/verbose.err
dump verbose.err

# 2. Exact syscall counts from execve on: 300 loops x 2 threads x 2
#    processes of getppid, chdir (ENOENT), close(-1) (EBADF), umask.
$ST --json -i 0.5 -- $SYSLOAD --loops 300 --threads 2 --forks 1 --exit 3 \
	>$O/sysload.json 2>$O/sysload.err
rc sysload $?
dump sysload.json sysload.err

# qbench_traced NAME ARGS...: trace a qbench server with -p from before its
# first message (as tests/integration/queue.sh does)
qbench_traced() {
	name=$1
	shift
	rm -f $O/$name.pid
	$QBENCH run "$@" --start-signal --pidfile $O/$name.pid >$O/$name.truth 2>$O/$name.qb.err &
	qb=$!
	wait_file $O/$name.pid 30 || echo "qbench did not start" >>$O/$name.st.err
	server=$(cat $O/$name.pid)
	STREAMTRACE_DISABLE=$DISABLE $ST --json -i 0.5 -p "$server" >$O/$name.json 2>$O/$name.st.err &
	stp=$!
	wait_lines $O/$name.json 1 60 || echo "no interval within 60 s" >>$O/$name.st.err
	kill -USR1 $qb
	wait $qb
	rc $name.qbench $?
	wait $stp
	rc $name.streamtrace $?
	echo "$server" >$O/$name.server
	dump $name.truth $name.json $name.st.err $name.qb.err $name.server
}

# 3. M/M/1 over TCP at ρ ≈ 0.4 (kept light: TCG emulation is slow). The
#    first second or two after attach can stall the guest (TCG translating
#    new code, a busy host): a 2 s warm-up keeps that out of the truth's
#    window, which streamtrace's inner intervals would otherwise not match
DISABLE=
qbench_traced mm1 --rate 200 --service-us 2000 --duration 8 --warmup 2

# 4. UDP drops: a small receive buffer offered more than the server serves
#    (1500/s on average into a 500/s server). The rate ramps up from 200/s,
#    so the first messages are served before the buffer can fill: the socket
#    is the server's (its first receive seen) before the first drop, which
#    the fexit fallback needs (it cannot see the receive in flight at attach)
qbench_traced drop --transport udp --rcvbuf 16384 --arrival ramp --rate 200 --rate-end 2800 \
	--service-us 2000 --duration 2

# 3b, 4b. The same with the newer tracepoints taken away: the fallbacks
#    (fentry/fexit, udp_fail_queue_rcv_skb) on a kernel that also has them
DISABLE=sock_recv_length,sock_send_length,sk_data_ready,kfree_skb
qbench_traced mm1fb --rate 200 --service-us 2000 --duration 8 --warmup 2
qbench_traced dropfb --transport udp --rcvbuf 16384 --arrival ramp --rate 200 --rate-end 2800 \
	--service-us 2000 --duration 2
DISABLE=

# 5. Pipeline: source -> A -> B -> sink, B the bottleneck
rm -f $O/pl.pid
$QBENCH pipeline --rate 100 --service-us 3000 --bottleneck b --duration 4 --start-signal \
	--pidfile $O/pl.pid >$O/pl.truth 2>$O/pl.qb.err &
qb=$!
wait_file $O/pl.pid 30
pids=$(tr ' ' ',' <$O/pl.pid)
$ST --json -i 1 -p "$pids" >$O/pl.json 2>$O/pl.st.err &
stp=$!
wait_lines $O/pl.json 1 60 || echo "no interval within 60 s" >>$O/pl.st.err
kill -USR1 $qb
wait $qb
rc pl.qbench $?
wait $stp
rc pl.streamtrace $?
dump pl.pid pl.truth pl.json pl.st.err

# 5b. Resets and the thread and connection views: 2 workers, 2 TCP
#     connections, each ended by the server with an RST (qbench --reset);
#     producer and server both traced
two_ends() { # two_ends NAME ST_ARGS -- QBENCH_ARGS...
	name=$1
	stargs=$2
	shift 2
	rm -f $O/$name.pid
	$QBENCH run "$@" --start-signal --pidfile $O/$name.pid >$O/$name.truth 2>$O/$name.qb.err &
	qb=$!
	wait_file $O/$name.pid 30
	server=$(cat $O/$name.pid)
	producer=$(sed -n 's/.*producer pid \([0-9]*\).*/\1/p' $O/$name.qb.err)
	$ST --json $stargs -p "$server,$producer" >$O/$name.json 2>$O/$name.st.err &
	stp=$!
	wait_lines $O/$name.json 1 60 || echo "no interval within 60 s" >>$O/$name.st.err
	kill -USR1 $qb
	wait $qb
	rc $name.qbench $?
	wait $stp
	rc $name.streamtrace $?
	echo "$server $producer" >$O/$name.pids
	dump $name.truth $name.json $name.st.err $name.pids
}
two_ends views "-i 0.25 --threads --connections" --rate 150 --service-us 500 --workers 2 --duration 4
two_ends rst "-i 0.5" --rate 100 --service-us 100 --workers 2 --duration 2 --reset

# 6. kill -9 leaves nothing loaded: the programs streamtrace holds (from its
#    fdinfo) must all be gone from the kernel after it is killed
$SYSLOAD --loops 1 --hold-ms 60000 >/dev/null 2>&1 &
sl=$!
$ST --json -i 0.2 -p $sl >$O/k9.json 2>$O/k9.err &
stp=$!
wait_lines $O/k9.json 1 60
ids=$(cat /proc/$stp/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" {print $2}' | sort -u | tr '\n' ' ')
echo "loaded: $(/bin/bpfprog $ids)" >$O/k9.txt
kill -9 $stp
wait $stp 2>/dev/null
i=0
while [ "$(/bin/bpfprog $ids)" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "ids: $ids" >>$O/k9.txt
echo "left: $(/bin/bpfprog $ids)" >>$O/k9.txt
kill $sl
dump k9.txt k9.err

echo "@@DONE"
sync
poweroff -f
