#!/usr/bin/env python3
"""The queueing models of one process over its full intervals, for the
real-server suite's open-loop case.

usage: models.py FILE PID
Prints shell assignments M_name='value' ("null" when unknown), each the
throughput-weighted mean over the full intervals (the process took messages
in that interval and in the ones before and after it: the load's start and
end cut the first and last): rho, util, lam, svc, disp, wait, resp, ca2,
cs2, the models' responses (mm1 mmc mg1 gg1 mg1_setup) and their errors against resp
(err_mm1 ...), best (the model with the smallest |error|) and n (intervals).
The summary's figures are over the whole traced span, idle time before and
after the load included, so its λ (and so ρ and the models) is diluted.
"""
import json
import sys


def full_intervals(path, pid):
    """Process pid's full intervals in streamtrace's JSON lines at path: it
    took messages in each and in the ones before and after. A list of
    (process object, (start, end) in UNIX seconds)."""
    ivs = []
    for line in open(path):
        if not line.strip():
            continue
        o = json.loads(line)
        if o.get("type") != "interval":
            continue
        p = next((p for p in o["processes"] if p["pid"] == pid), None)
        ok = p and (p.get("net") or {}).get("rx_ops") and p.get("queue")
        ivs.append((p if ok else None, (o["time"] - o["span_s"], o["time"])))
    return [ivs[i] for i in range(1, len(ivs) - 1)
            if ivs[i - 1][0] and ivs[i][0] and ivs[i + 1][0]]


def wmean(full, get):
    """The throughput-weighted mean of get(process) over full_intervals()."""
    num = den = 0.0
    for p, _ in full:
        v, x = get(p), p["queue"].get("throughput") or 0
        if v is None or x <= 0:
            continue
        num += v * x
        den += x
    return num / den if den > 0 else None


def main():
    full = full_intervals(sys.argv[1], int(sys.argv[2]))
    out = {"n": len(full)}
    q = lambda k: (lambda p: p["queue"].get(k))
    for name, key in (("rho", "rho"), ("util", "utilization"), ("lam", "arrival_rate"),
                      ("svc", "service_time_s"), ("disp", "dispatch_s"), ("wait", "wait_s"),
                      ("resp", "response_s"), ("ca2", "arrival_cv2"), ("cs2", "service_cv2"),
                      ("resp_ans", "response_answered_s")):
        out[name] = wmean(full, q(key))
    best, best_err = None, None
    for m in ("mm1", "mmc", "mg1", "gg1", "mg1_setup"):
        out[m] = wmean(full, lambda p: (p["queue"].get("model") or {}).get(m + "_response_s"))
        err = None
        if out[m] is not None and out["resp"]:
            err = out[m] / out["resp"] - 1
        out["err_" + m] = err
        if err is not None and (best_err is None or abs(err) < abs(best_err)):
            best, best_err = m, err
    out["best"] = best
    for k, v in out.items():
        print("M_%s='%s'" % (k, "null" if v is None else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
