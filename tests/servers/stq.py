#!/usr/bin/env python3
"""Figures of a streamtrace --json run, for the real-server suite.

usage: stq.py FILE FIGURE|all [PID...]
"all" prints every figure below as a shell assignment F_figure='value' (and
F_thread_busy_TID for each thread in threads_detail), for one eval.
The summary (last line) of FILE, over the processes PID... (every process
when none is given). A figure that is missing or null prints "null".
  rx_msgs       net.rx_msgs summed
  rx_ops        net.rx_ops summed
  (sums are over the processes that received something in the span)
  x_count       queue.throughput x span_s, summed (messages dequeued)
  l_count       queue.arrival_rate x span_s, summed (messages arrived)
  x_rate        queue.throughput summed
  l_rate        queue.arrival_rate summed
  unit          queue.unit (the distinct values, joined with '+')
  util          queue.utilization (of the one process)
  mm1 mmc mg1 gg1 mg1_setup   queue.model.*_response_s (of the one process)
  busy_s        queue.utilization x servers x span_s, summed
  svc           queue.service_time_s (of the one process)
  disp          queue.dispatch_s (of the one process)
  disp_awake    queue.dispatch_s less dispatch_asleep_s (its part before the
                wake-up, the thread asleep), of the one process
  resp          queue.response_s (of the one process)
  servers       queue.servers (of the one process)
  resp_total_s  queue.response_s x throughput x span_s, summed
  saturated     queue.saturated (of the one process)
  thread_busy:TID   threads_detail busy_s of thread TID (needs --threads)
  sat_full      "K N": of the N full intervals (the process took messages
                in that interval and in the ones before and after it), K
                had queue.saturated true
  span          summary span_s
"""
import json
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    objs = []
    for line in open(sys.argv[1]):
        line = line.strip()
        if line:
            try:
                objs.append(json.loads(line))
            except ValueError:
                pass
    sums = [o for o in objs if o.get("type") == "summary"]
    ivs = [o for o in objs if o.get("type") == "interval"]
    if not sums:
        print("null")
        return 0
    s = sums[-1]
    pids = [int(p) for p in sys.argv[3:]]
    fig = sys.argv[2]

    def sel(obj):
        return [p for p in obj.get("processes", []) if not pids or p["pid"] in pids]

    procs = sel(s)
    span = s.get("span_s")

    def get(p, group, key):
        g = p.get(group)
        return None if g is None else g.get(key)

    def total(f):
        # processes that took no message in the span (a postmaster, a
        # checkpointer) add nothing; one that did and has no figure makes
        # the total unknown
        vals = [f(p) for p in procs if (get(p, "net", "rx_ops") or 0) > 0]
        if not vals or any(v is None for v in vals):
            return None
        return sum(vals)

    def mul(*xs):
        if any(x is None for x in xs):
            return None
        r = 1.0
        for x in xs:
            r *= x
        return r

    def figure(fig):
        v = None
        if fig in ("rx_msgs", "rx_ops"):
            v = total(lambda p: get(p, "net", fig))
        elif fig == "x_count":
            v = total(lambda p: mul(get(p, "queue", "throughput"), span))
        elif fig == "l_count":
            v = total(lambda p: mul(get(p, "queue", "arrival_rate"), span))
        elif fig == "x_rate":
            v = total(lambda p: get(p, "queue", "throughput"))
        elif fig == "l_rate":
            v = total(lambda p: get(p, "queue", "arrival_rate"))
        elif fig == "unit":
            us = sorted({str(get(p, "queue", "unit")) for p in procs
                         if p.get("queue") and (get(p, "net", "rx_ops") or 0) > 0})
            v = "+".join(us) if us else None
        elif fig in ("util", "svc", "saturated", "resp", "servers", "disp"):
            key = {"util": "utilization", "svc": "service_time_s", "saturated": "saturated",
                   "resp": "response_s", "servers": "servers", "disp": "dispatch_s"}[fig]
            v = get(procs[0], "queue", key) if len(procs) == 1 else None
        elif fig == "disp_awake":
            d = get(procs[0], "queue", "dispatch_s") if len(procs) == 1 else None
            a = get(procs[0], "queue", "dispatch_asleep_s") if len(procs) == 1 else None
            v = d - (a or 0) if d is not None else None
        elif fig in ("mm1", "mmc", "mg1", "gg1", "mg1_setup"):
            m = get(procs[0], "queue", "model") if len(procs) == 1 else None
            v = m.get(fig + "_response_s") if isinstance(m, dict) else None
        elif fig == "busy_s":
            v = total(lambda p: mul(get(p, "queue", "utilization"), get(p, "queue", "servers"),
                                    span))
        elif fig == "resp_total_s":
            v = total(lambda p: mul(get(p, "queue", "response_s"), get(p, "queue", "throughput"),
                                    span))
        elif fig.startswith("thread_busy:"):
            tid = int(fig.split(":")[1])
            for p in procs:
                for t in p.get("threads_detail") or []:
                    if t["tid"] == tid:
                        v = t.get("busy_s")
        elif fig == "sat_full":
            took = []
            for iv in ivs:
                ps = sel(iv)
                took.append((sum((p.get("net") or {}).get("rx_ops") or 0 for p in ps) > 0,
                             ps[0] if len(ps) == 1 else None))
            n = k = 0
            for i in range(1, len(took) - 1):
                if took[i - 1][0] and took[i][0] and took[i + 1][0] and took[i][1]:
                    n += 1
                    k += 1 if get(took[i][1], "queue", "saturated") is True else 0
            v = "%d %d" % (k, n)
        elif fig == "span":
            v = span
        else:
            print("stq.py: unknown figure '%s'" % fig, file=sys.stderr)
            sys.exit(2)
        return show(v)

    if fig == "all":
        names = ["rx_msgs", "rx_ops", "x_count", "l_count", "x_rate", "l_rate", "unit", "util",
                 "svc", "disp", "disp_awake", "saturated", "resp", "servers", "busy_s", "resp_total_s", "sat_full",
                 "span", "mm1", "mmc", "mg1", "gg1", "mg1_setup"]
        for n in names:
            print("F_%s='%s'" % (n, figure(n)))
        for p in procs:
            for t in p.get("threads_detail") or []:
                print("F_thread_busy_%d='%s'" % (t["tid"], show(t.get("busy_s"))))
    else:
        print(figure(fig))
    return 0


def show(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "%.9g" % v
    return str(v)


sys.exit(main())
