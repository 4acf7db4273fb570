#!/usr/bin/env python3
"""Check streamtrace's busy, idle and dispatch figures against busyserv's truth.

usage: busy_check.py TRUTH JSON PID cpu|block|handoff|saturated [BLOCK_KIND|closed]

(cpu closed: the client keeps one request in flight, so Wq is 0.)

The truth is the server's own: its thread's CPU and run-queue time from
/proc/self/task/TID/schedstat over its serving span, its request count, the
time it spent in its blocks (measured around them); and the thread's CPU as
perf counts it (TRUTH with .perf for .truth: perf stat -e task-clock -t TID).

Steal: on a virtual machine the hypervisor may run something else while a
thread is on a CPU. The kernel's schedstat CPU leaves that time out (with
paravirtual steal accounting, the task clock stops), while the clocks a
tracer reads at the switches (and perf's task-clock) count it: a server
whose CPU was stolen really took longer to serve. The host's steal over the
run (/proc/stat, all CPUs, TRUTH with .steal for .truth) bounds how much the
tracer may rightly exceed schedstat; it is added to the upper tolerance of
every comparison against schedstat's CPU (0 on a host that stole nothing).

Why two CPU truths: schedstat splits a thread's time between CPU and run
queue with the run queue's clock, and that clock is not read again when a
wake-up is followed by the switch to the woken thread (the kernel skips the
back-to-back clock update), so the thread's CPU starts at its wake-up: each
wake-up's latency to the switch (8-20 µs per switch on this 2-CPU VM, with
the CPU shared) counts as CPU, not run-queue wait. Their sum is right.
perf's task-clock is read at the context switches themselves, as the
scheduler tracepoints are: it is the truth for CPU, and so for S; schedstat's
CPU + run-queue is the truth for busy + dispatch and U. Tolerances are
stated at each check. "Inner" intervals are the full intervals of the load: from the
second interval with answers to the one before the last with answers (the
first and last are cut by the load's start and end).
"""
import json
import math
import sys

fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def main():
    truth = json.loads(open(sys.argv[1]).readline())
    pid = int(sys.argv[3])
    mode = sys.argv[4]
    objs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    ivs, summ = [], None
    for o in objs:
        for p in o["processes"]:
            if p["pid"] == pid:
                (ivs.append((o, p)) if o["type"] == "interval" else None)
                if o["type"] == "summary":
                    summ = p
    served = [i for i, (o, p) in enumerate(ivs) if p["queue"] and p["queue"]["throughput"]]
    inner = [ivs[i] for i in served[1:-1]]
    q = summ["queue"]
    n = summ["net"]["rx_ops"]
    perf_cpu = None
    try:
        for line in open(sys.argv[1].rsplit(".", 1)[0] + ".perf"):
            f = line.split(",")
            if len(f) > 2 and f[2].startswith("task-clock") and f[0].replace(".", "").isdigit():
                perf_cpu = float(f[0]) / 1e3  # msec
    except OSError:
        pass
    preempt = None  # the thread's run-queue wait after preemptions (preempt.bt)
    try:
        for line in open(sys.argv[1].rsplit(".", 1)[0] + ".pre"):
            f = line.split()
            if len(f) == 4 and f[0] == "preempt_ns":
                preempt = (int(f[1]) / 1e9, int(f[3]))
    except OSError:
        pass
    steal = 0.0  # the host's steal over the run, all CPUs (busy.sh)
    try:
        a, b = open(sys.argv[1].rsplit(".", 1)[0] + ".steal").read().split()
        steal = max(0.0, float(b) - float(a))
    except (OSError, ValueError):
        pass
    print(f"     host steal during the run: {steal:.3f} s (added to the upper bounds "
          "against schedstat's CPU)")

    def near(x, want, tol, stolen=steal):  # within tol below, tol + what was stolen above
        return want - tol <= x <= want + tol + stolen

    print(f"     truth: {truth['requests']} requests, cpu {truth['cpu_s']:.4f} s, runq "
          f"{truth['runq_s']:.4f} s, blocked {truth['blocked_s']:.4f} s over {truth['span_s']:.3f} s;"
          f" {len(inner)} inner intervals")
    if mode == "cpu":
        # busy + dispatch is the thread's CPU plus run-queue time when it
        # blocks on nothing else. The truth for these whole-run totals is
        # the thread's schedstat over its life as a tracer can see it
        # (from before the pidfile existed to its end: the connection's
        # accept before the first request and its close after the last
        # answer are in both); 5% for its exit, after the truth's last
        # read, and run-to-run scheduling noise on a shared machine.
        # The span's truth (first request to last answer) is what U is
        # judged against, below.
        # dispatch from the wake-up on (the thread awake, on the run
        # queue): D less its part before the wake-up, when it slept
        asleep = q.get("dispatch_asleep_s") or 0
        d = (q["dispatch_s"] - asleep) * n
        tot = q["busy_s"] + d
        want = truth["cpu_s"] + truth["runq_s"]
        life = truth.get("life_cpu_s", truth["cpu_s"]) + truth.get("life_runq_s", truth["runq_s"])
        print(f"     life: schedstat cpu {truth.get('life_cpu_s', float('nan')):.4f} s, runq "
              f"{truth.get('life_runq_s', float('nan')):.4f} s; streamtrace cpu.oncpu_s "
              f"{summ['cpu']['oncpu_s']:.4f} s, runq_wait_s {summ['cpu']['runq_wait_s']:.4f} s")
        check(near(tot, life, 0.05 * life),
              f"busy + dispatch {tot:.4f} s vs schedstat cpu + runq over the thread's traced life "
              f"{life:.4f} s (within 5%)")
        # per message: S + D against (cpu + runq) per request, 10%; S alone
        # against CPU per request is shown (equal only on an idle machine)
        per = (truth["cpu_s"] + truth["runq_s"]) / truth["requests"]
        sd = q["service_time_s"] + q["dispatch_s"] - asleep
        check(near(sd, per, 0.10 * per, steal / truth["requests"]),
              f"S + D {sd * 1e6:.1f} µs vs (cpu + runq) per request {per * 1e6:.1f} µs (within 10%)")
        print(f"     S {q['service_time_s'] * 1e6:.1f} µs, schedstat CPU per request "
              f"{truth['cpu_s'] / truth['requests'] * 1e6:.1f} µs, D {q['dispatch_s'] * 1e6:.1f} µs "
              f"(asleep {asleep * 1e6:.1f} µs), Wq {q['wait_s'] * 1e6:.2f} µs")
        check(0 <= asleep <= q["dispatch_s"],
              f"D's part before the wake-up {asleep * 1e6:.2f} µs within [0, D]")
        # one request in flight (a closed loop): nothing ever waits behind
        # another, so Wq is 0 by construction; 1 µs for the clocks of the
        # arrival ring and the backlog integral. (While D was counted from
        # the wake-up, the latency from a message's arrival to the wake-up
        # reaching the scheduler showed here: 2.2 µs on the dev VM.)
        if len(sys.argv) > 5 and sys.argv[5] == "closed":
            check(q["wait_s"] is not None and q["wait_s"] <= 1e-6,
                  f"Wq {q['wait_s'] * 1e6:.2f} µs <= 1 µs (one request in flight: no queue)")
        # S against CPU per request, the 10%: on this shared
        # machine S also holds the run-queue wait of a request preempted
        # in service (busy: it is in service), so the truth is perf's CPU
        # plus bpftrace's preempted wait, per request (both over the
        # thread's whole life: accept and close outside the truth's span
        # are well under 1% here)
        check(perf_cpu is not None and preempt is not None, "perf task-clock and preempt.bt read")
        if perf_cpu is not None and preempt is not None:
            pc = (perf_cpu + preempt[0]) / truth["requests"]
            s = q["service_time_s"]
            check(abs(s - pc) <= 0.10 * pc,
                  f"S {s * 1e6:.1f} µs vs (perf CPU {perf_cpu / truth['requests'] * 1e6:.1f} + "
                  f"preempted wait {preempt[0] / truth['requests'] * 1e6:.1f} in {preempt[1]} "
                  f"preemptions) per request {pc * 1e6:.1f} µs (within 10%)")
            # the thread's on-CPU and run-queue time (cpu.*, wake-up or
            # preemption to running, as runqlat counts it) against perf's
            # CPU, and their sum against schedstat's over the thread's
            # traced life: 5% (its exit is outside the truth)
            c = summ["cpu"]
            check(abs(c["oncpu_s"] - perf_cpu) <= 0.05 * perf_cpu,
                  f"cpu.oncpu_s {c['oncpu_s']:.4f} s vs perf task-clock {perf_cpu:.4f} s (within 5%)")
            tot = c["oncpu_s"] + c["runq_wait_s"]
            check(near(tot, life, 0.05 * life),
                  f"cpu.oncpu_s + runq_wait_s {tot:.4f} s vs schedstat cpu + runq over the "
                  f"thread's traced life {life:.4f} s (within 5%)")
        # utilization over the inner intervals against the truth's share
        # of the span: ±0.05 (absolute), the tolerance. U counts
        # dispatch (a woken thread waiting to run is not idle), as the
        # thread's run-queue time in schedstat does
        busy = sum(p["queue"]["utilization"] * p["queue"]["servers"] * o["span_s"] for o, p in inner)
        span = sum(o["span_s"] * p["queue"]["servers"] for o, p in inner)
        u = busy / span if span else float("nan")
        ut = (truth["cpu_s"] + truth["runq_s"]) / truth["span_s"]
        check(len(inner) >= 3 and near(u, ut, 0.05, steal / truth["span_s"]),
              f"U {u:.3f} over inner intervals vs schedstat (cpu + runq)/span {ut:.3f} (within 0.05)")
        check(all(not p["queue"]["saturated"] for o, p in inner), "not saturated in any full interval")
        check(q["servers"] == 1, f"servers {q['servers']} == 1")
    elif mode == "block":
        kind = sys.argv[5]
        per = truth["blocked_s"] / truth["requests"]
        check(q["service_time_s"] >= 0.9 * per,
              f"S {q['service_time_s'] * 1e3:.2f} ms >= 0.9 × blocked per request {per * 1e3:.2f} ms")
        b = q["busy_blocked_s"][kind]
        check(b >= 0.9 * truth["blocked_s"],
              f"busy_blocked_s.{kind} {b:.4f} s >= 0.9 × truth blocked {truth['blocked_s']:.4f} s")
        check(q["busy_s"] >= 0.9 * truth["blocked_s"],
              f"busy_s {q['busy_s']:.4f} s >= 0.9 × blocked {truth['blocked_s']:.4f} s")
        others = sum(v for k, v in q["busy_blocked_s"].items() if k != kind)
        check(others <= 0.1 * b, f"other kinds {others:.4f} s <= 10% of {kind}")
    elif mode == "handoff":
        # the epoll thread receives, a worker answers: the process has the
        # message in service from the receive to the worker's send, and the
        # epoll thread waiting for input meanwhile is busy with it; once the
        # worker answered, its wait is idle. Truth: each request's receive
        # to its answer, summed (one in flight at a time, so no overlap).
        # The answer is written inside send(): the truth brackets each
        # request's time in service between its receive and the start of
        # that send (lo) and its return (hi; on a busy machine the worker,
        # having woken the client, is often preempted before it reads the
        # clock). 10% (the tolerance for S) outside that bracket.
        lo, hi = truth["in_service_lo_s"], truth["in_service_s"]
        n_req = truth["requests"]
        check(0.9 * lo / n_req <= q["service_time_s"] <= 1.1 * hi / n_req,
              f"S {q['service_time_s'] * 1e3:.3f} ms within 10% of receive-to-answer per request "
              f"[{lo / n_req * 1e3:.3f}, {hi / n_req * 1e3:.3f}] ms")
        check(0.9 * lo <= q["busy_s"] <= 1.1 * hi,
              f"busy_s {q['busy_s']:.3f} s within 10% of in service [{lo:.3f}, {hi:.3f}] s")
        check(q["servers"] == 1, f"servers {q['servers']} == 1 (the worker never receives)")
        check(q["idle_s"] >= 0.5 * (truth["span_s"] - truth["in_service_s"]),
              f"idle {q['idle_s']:.3f} s >= half of the time not in service "
              f"{truth['span_s'] - truth['in_service_s']:.3f} s (not busy all along)")
    elif mode == "saturated":
        check(len(inner) >= 2, f"{len(inner)} full intervals under a standing backlog")
        for o, p in inner:
            iq = p["queue"]
            models = [iq["model"][k] for k in ("mm1_response_s", "mmc_response_s",
                                                "mg1_response_s", "gg1_response_s")]
            check(iq["saturated"] and all(m is None for m in models),
                  f"interval at {o['time']:.1f}: saturated {iq['saturated']}, models {models}, "
                  f"U {iq['utilization']:.3f}, idle {iq['idle_s']}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
