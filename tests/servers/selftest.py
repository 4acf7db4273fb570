#!/usr/bin/env python3
"""Self-test of the real-server suite's figure reader (stq.py) and judge
(cmp.py) on made-up streamtrace output: right figures must pass, wrong or
missing ones must fail. So a failing row of the suite is streamtrace's, not
the harness's. No root, no servers; servers.sh runs it first.

usage: selftest.py"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def proc(pid, rx_ops, msgs, x, lam, u, svc, resp, sat, unit, servers=1, tid_busy=None):
    p = {"pid": pid, "comm": "srv", "threads": 1,
         "net": {"rx_ops": rx_ops, "rx_msgs": msgs},
         "queue": {"arrival_rate": lam, "throughput": x, "utilization": u, "servers": servers,
                   "service_time_s": svc, "response_s": resp, "saturated": sat, "unit": unit,
                   "model": {"mm1_response_s": 1e-4, "mmc_response_s": 1e-4,
                             "mg1_response_s": 2e-4, "gg1_response_s": 3e-4}}}
    if tid_busy is not None:
        p["threads_detail"] = [{"tid": pid, "busy_s": tid_busy}]
    return p


def write(path, objs):
    with open(path, "w") as f:
        for o in objs:
            f.write(json.dumps(o) + "\n")


def stq(path, *args):
    out = subprocess.run([sys.executable, os.path.join(HERE, "stq.py"), path] + list(args),
                         capture_output=True, text=True, check=True).stdout
    return out


def judge(table, rows):
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".rows") as f:
        for r in rows:
            f.write("\t".join(["selftest"] + list(r)) + "\n")
    rc = subprocess.run([sys.executable, os.path.join(HERE, "cmp.py"), table, f.name],
                        capture_output=True, text=True).returncode
    os.unlink(f.name)
    return rc


def main():
    failures = []

    def expect(what, cond):
        if not cond:
            failures.append(what)

    d = tempfile.mkdtemp(prefix="servers-selftest.")
    js = os.path.join(d, "st.json")
    table = os.path.join(d, "table")
    # 4 s span, 1000 msgs/s, U 0.5, S 0.5 ms; intervals: idle, 3 loaded, idle
    ivs = [{"type": "interval", "span_s": 1, "processes": [proc(7, r, r, r, r, 0.5, 5e-4, 6e-4,
                                                                sat, "resp")]}
           for r, sat in ((0, False), (1000, True), (1000, True), (1000, True), (0, False))]
    summ = {"type": "summary", "span_s": 4.0,
            "processes": [proc(7, 250, 4000, 1000.0, 1000.0, 0.5, 5e-4, 6e-4, True, "resp",
                               tid_busy=2.0),
                          proc(8, 0, 0, None, None, None, None, None, False, None)]}
    write(js, ivs + [summ])
    fig = dict(line.split("=", 1) for line in stq(js, "all", "7").splitlines())
    fig = {k: v.strip("'") for k, v in fig.items()}
    expect("rx_msgs", fig["F_rx_msgs"] == "4000")
    expect("x_count", fig["F_x_count"] == "4000")
    expect("unit", fig["F_unit"] == "resp")
    expect("busy_s", fig["F_busy_s"] == "2")
    expect("thread busy", fig["F_thread_busy_7"] == "2")
    expect("sat_full", fig["F_sat_full"] == "1 1")  # only the middle loaded interval is full
    expect("mg1", fig["F_mg1"] == "0.0002")
    # sums skip processes that received nothing (pid 8 has no queue figures)
    expect("sum over all", stq(js, "x_count").strip() == "4000")
    # ... but a process that received and has no figure makes the sum unknown
    summ["processes"][1]["net"]["rx_ops"] = 5
    write(js, ivs + [summ])
    expect("unknown sum", stq(js, "x_count").strip() == "null")

    ok_rows = [("m", "4000", "4040", "rel", "0.03"), ("u", "0.5", "0.54", "abs", "0.05"),
               ("b", "2.0", "1.9", "min", "0.9"), ("x", "100", "100", "max", "1.0"),
               ("r", "1.5", "1.6", "gt"), ("e", "resp", "resp", "eq"),
               ("i", "", "null", "info")]
    expect("passing rows pass", judge(table, ok_rows) == 0)
    for bad in [("m", "4000", "4200", "rel", "0.03"), ("m", "4000", "null", "rel", "0.03"),
                ("u", "0.5", "0.56", "abs", "0.05"), ("b", "2.0", "1.7", "min", "0.9"),
                ("x", "100", "101", "max", "1.0"), ("r", "1.5", "1.5", "gt"),
                ("e", "resp", "None", "eq"), ("e", "true", "null", "eq")]:
        expect("failing row %s fails" % (bad,), judge(table, [bad]) == 1)
    if failures:
        print("servers selftest: FAIL: " + "; ".join(failures))
        return 1
    print("servers selftest: stq.py and cmp.py pass right figures and fail wrong ones")
    return 0


sys.exit(main())
