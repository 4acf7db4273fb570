#!/usr/bin/env python3
"""The soak test's two halves (tests/integration/soak.sh).

soak_check.py scrape URL PID STOPFILE OUT
    Every 0.5 s until STOPFILE exists: GET URL (must answer 200 with a body
    that parses as Prometheus text), check that no counter series (*_total)
    went backwards since it was last seen, and sample the VmRSS of PID from
    /proc (an outside source, not the agent's own figure). Writes OUT (JSON):
    scrapes, failures (the first 20), RSS samples [t, kB], latencies.

soak_check.py check JSON SCRAPES TRUTH_A TRUTH_B WARMUP_S [--md FILE]
    Judges the run: the agent's JSON lines, the scraper's OUT and the two
    workloads' truth (tests/workload/churn.c). Prints the figures, one line
    per failed assertion, and exits 1 if any failed. --md FILE writes the
    figures as a Markdown page (make soak: docs/soak.md).
"""
import json
import os
import platform
import re
import statistics
import sys
import time
import urllib.request

# one sample line of the text format: name{labels} value [timestamp]
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})?'
                  r' ([-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf))( -?[0-9]+)?$')

# RSS growth allowed between the first and the last third of the run after
# warm-up (medians of each third's samples, so one transient allocation, a
# scrape's render buffer say, does not decide). See soak.sh for why 2 MB.
RSS_BOUND_KB = 2048


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def parse_strict(text):
    """Counter series of one scrape; raises ValueError on a line that is not
    the text format."""
    series = {}
    for ln in text.split("\n"):
        if not ln or ln.startswith("# HELP ") or ln.startswith("# TYPE "):
            continue
        m = LINE.match(ln)
        if not m:
            raise ValueError("not the text format: " + ln[:120])
        if m.group(1).endswith("_total"):
            series[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return series


def scrape(url, pid, stopfile, out):
    res = {"scrapes": 0, "ok": 0, "failures": [], "n_failures": 0, "rss": [],
           "latency_max_s": 0.0, "latency_sum_s": 0.0, "series_max": 0,
           "backwards": [], "t0": time.time()}
    last = {}
    last_text = ""
    t0 = time.monotonic()
    k = 0
    while not os.path.exists(stopfile):
        k += 1
        r = rss_kb(pid)
        if r is None:
            res["failures"].append(f"{time.time():.1f}: the agent is gone")
            res["n_failures"] += 1
            break
        res["rss"].append([round(time.time() - res["t0"], 2), r])
        a = time.monotonic()
        res["scrapes"] += 1
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                code = resp.status
                text = resp.read().decode("utf-8")  # must be UTF-8
            lat = time.monotonic() - a
            res["latency_max_s"] = max(res["latency_max_s"], lat)
            res["latency_sum_s"] += lat
            if code != 200:
                raise ValueError(f"HTTP {code}")
            cur = parse_strict(text)
            res["series_max"] = max(res["series_max"], len(cur))
            for key, v in cur.items():
                if key in last and v < last[key]:
                    res["backwards"].append(f"{key} went from {last[key]} to {v}")
                last[key] = v
            last_text = text
            res["ok"] += 1
        except Exception as e:  # noqa: BLE001 (every failure is a finding)
            res["n_failures"] += 1
            if len(res["failures"]) < 20:
                res["failures"].append(f"scrape {res['scrapes']}: {e}")
        # every 0.5 s from the start, not 0.5 s after each (slow) scrape
        nxt = t0 + 0.5 * k
        time.sleep(max(0.0, nxt - time.monotonic()))
    # the last scrape through the reference parser, when Debian has it
    try:
        from prometheus_client.parser import text_string_to_metric_families
        n = sum(1 for _ in text_string_to_metric_families(last_text))
        res["reference_parser"] = f"prometheus_client: {n} families"
    except ImportError:
        res["reference_parser"] = "prometheus_client not installed (strict regex only)"
    except Exception as e:  # noqa: BLE001
        res["n_failures"] += 1
        res["failures"].append(f"prometheus_client refused the last scrape: {e}")
    with open(out, "w") as f:
        json.dump(res, f)
    return 0


def load_truth(path):
    kids, total = [], None
    for ln in open(path):
        o = json.loads(ln)
        if o.get("type") == "total":
            total = o
        else:
            kids.append(o)
    if total is None:
        raise SystemExit(f"{path}: no total line (the workload did not finish)")
    return kids, total


def check(jsonf, scrapef, ta, tb, warmup, md):
    fails = []

    def bad(msg):
        fails.append(msg)
        print("    FAIL: " + msg)

    sc = json.load(open(scrapef))
    kids_a, tot_a = load_truth(ta)
    kids_b, tot_b = load_truth(tb)
    kids = kids_a + kids_b
    parents = {tot_a["parent"]: tot_a, tot_b["parent"]: tot_b}
    started = tot_a["started"] + tot_b["started"] + 2  # and the two parents
    truth_calls = tot_a["getppid"] + tot_b["getppid"]
    if tot_a["failed"] or tot_b["failed"]:
        bad(f"workload children failed: {tot_a['failed']} + {tot_b['failed']}")
    by_pid = {}
    for k in kids:
        by_pid.setdefault(k["pid"], []).append(k)
    for lives in by_pid.values():  # a reused pid: its lives in order
        lives.sort(key=lambda k: k["start"])
    for p, t in parents.items():
        by_pid.setdefault(p, []).append({"pid": p, "start": t["start"] - 5, "end": t["end"] + 5,
                                         "getppid": 0})

    # no phantom: each pid listed in an interval is one of the workload's,
    # alive in that interval. A process's last figures are reported in the
    # interval in which its exit was read, so it may be listed up to one
    # interval after it was reaped; 1.5 s of slack (3 intervals) for a
    # loaded machine, against processes that lived 50-200 ms.
    slack = 1.5
    phantoms = 0
    listed = set()
    sums = []
    n_ivs = 0
    # one line at a time: an hour's run is about 700 MB of JSON
    for ln in open(jsonf):
        if not ln.strip():
            continue
        iv = json.loads(ln)
        if iv.get("type") == "summary":
            sums.append(iv)
            continue
        n_ivs += 1
        end = iv["time"]
        beg = end - iv["span_s"]
        seen = set()
        for p in iv["processes"]:
            pid = p["pid"]
            if pid is None:
                continue
            if pid in seen:
                bad(f"pid {pid} listed twice in the interval ending {end:.2f}")
            seen.add(pid)
            listed.add(pid)
            lives = by_pid.get(pid)
            if not lives:
                phantoms += 1
                if phantoms <= 5:
                    bad(f"pid {pid} ({p['comm']}) listed at {end:.2f} was not started by the workload")
                continue
            if not any(k["start"] - slack <= end and beg <= k["end"] + slack for k in lives):
                phantoms += 1
                if phantoms <= 5:
                    bad(f"pid {pid} listed in [{beg:.2f}, {end:.2f}] but alive only in "
                        f"[{lives[0]['start']:.2f}, {lives[0]['end']:.2f}]")
    if len(sums) != 1:
        bad(f"{len(sums)} summary objects, want 1")
        return 1
    s = sums[0]
    # the summary: every pid once, every one the workload's
    spids = [p["pid"] for p in s["processes"] if p["pid"] is not None]
    if len(spids) != len(set(spids)):
        bad("a pid listed twice in the summary")
    for pid in spids:
        if pid not in by_pid:
            phantoms += 1
            bad(f"summary lists pid {pid}, not the workload's")
    for p in s["processes"]:
        if p["pid"] is not None and p["pid"] not in parents and p.get("exit") is None:
            bad(f"summary: pid {p['pid']} has no exit (all children were reaped)")
            break

    # every process counted, one by one or folded, or counted as lost
    counted = sum(p.get("exited_processes") or 1 for p in s["processes"])
    lost_procs = s["lost"]["procs_full"]
    lost_events = s["lost"]["events"]
    # lost.procs_full counts failed attempts: a child that found no slot at
    # its fork may still be traced from its exec under the -c name (the hour
    # run had 82 such of 224), so the two may overlap; none may be missing,
    # and none counted twice
    if counted + lost_procs < started:
        bad(f"processes: {counted} counted + {lost_procs} lost (procs_full) < {started} started")
    if counted > started:
        bad(f"processes: {counted} counted > {started} started")
    # syscall totals: equal to the truth when nothing was lost, never above
    calls = sum(c["count"] for p in s["processes"] for c in p["syscalls"] if c["name"] == "getppid")
    if lost_events == 0 and lost_procs == 0:
        if calls != truth_calls:
            bad(f"getppid: {calls} traced, {truth_calls} made (nothing lost)")
    elif calls > truth_calls:
        bad(f"getppid: {calls} traced > {truth_calls} made")
    # per process, for the ones kept one by one: its own count by construction
    per_ok = per_n = 0
    for p in s["processes"]:
        if p["pid"] is None or p["pid"] in parents:
            continue
        lives = by_pid.get(p["pid"], [])
        want = lives[-1]["getppid"] if lives else None  # the kept are the latest
        got = sum(c["count"] for c in p["syscalls"] if c["name"] == "getppid")
        per_n += 1
        if lost_events == 0 and got != want:
            bad(f"pid {p['pid']}: getppid {got}, made {want}")
        else:
            per_ok += 1

    # the scrapes
    if sc["n_failures"]:
        bad(f"{sc['n_failures']} of {sc['scrapes']} scrapes failed: " + "; ".join(sc["failures"][:3]))
    # a counter series may only go backwards when its pid was reused by a new
    # process of the same name (the same labels, a counter reset, as for any
    # restarted target): the workloads' records say which pids were
    reused = {p for p, lives in by_pid.items() if len(lives) > 1}
    back = [b for b in sc["backwards"]
            if not (m := re.search(r'pid="(\d+)"', b)) or int(m.group(1)) not in reused]
    if back:
        bad(f"{len(back)} counter samples went backwards: " + "; ".join(back[:4]))
    if sc["scrapes"] < 4:
        bad(f"only {sc['scrapes']} scrapes")

    # RSS: flat after warm-up
    rss = [r for r in sc["rss"] if r[0] >= warmup]
    growth = None
    if len(rss) >= 9:
        n3 = len(rss) // 3
        first = statistics.median(r[1] for r in rss[:n3])
        last = statistics.median(r[1] for r in rss[-n3:])
        growth = last - first
        if growth > RSS_BOUND_KB:
            bad(f"RSS grew {growth:.0f} kB (median {first:.0f} -> {last:.0f} kB) after warm-up; "
                f"bound {RSS_BOUND_KB} kB")
    else:
        bad(f"{len(rss)} RSS samples after warm-up, too few to judge")

    span = s["span_s"]
    figs = {
        "duration_s": round(span, 1),
        "started": started, "threads": tot_a["threads"] + tot_b["threads"],
        "counted": counted, "lost_procs": lost_procs, "lost_events": lost_events,
        "kept_one_by_one": len(spids), "getppid_truth": truth_calls, "getppid_traced": calls,
        "intervals": n_ivs, "phantoms": phantoms, "pids_listed": len(listed),
        "per_process_checked": per_n,
        "scrapes": sc["scrapes"], "scrape_failures": sc["n_failures"],
        "counters_backwards": len(back), "counter_resets_reused_pid": len(sc["backwards"]) - len(back),
        "pids_reused": len(reused), "series_max": sc["series_max"],
        "scrape_latency_max_s": round(sc["latency_max_s"], 3),
        "scrape_latency_mean_s": round(sc["latency_sum_s"] / max(1, sc["ok"]), 3),
        "rss_kb_min": min(r[1] for r in sc["rss"]) if sc["rss"] else None,
        "rss_kb_max": max(r[1] for r in sc["rss"]) if sc["rss"] else None,
        "rss_growth_kb": growth, "rss_bound_kb": RSS_BOUND_KB,
        "reference_parser": sc.get("reference_parser"),
    }
    print("    " + json.dumps(figs))
    if md:
        write_md(md, figs, sc["rss"], warmup, fails)
    return 1 if fails else 0


def write_md(path, figs, rss, warmup, fails):
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                    if ln.startswith("model name")), "?")
    except OSError:
        cpu = "?"
    # ten RSS samples spread over the run
    pick = [rss[min(len(rss) - 1, round(i * (len(rss) - 1) / 9))] for i in range(10)] if rss else []
    with open(path, "w") as f:
        f.write("# Soak: an agent under process and thread churn\n\n")
        f.write("Written by `make soak` (tests/integration/soak.sh, SOAK_S=3600); `make check` runs\n"
                "the same test for 3 minutes. The agent runs `--json -i 0.5 -c NAME --cgroup DIR\n"
                "--listen 127.0.0.1:PORT` while two churn workloads (tests/workload/churn.c), one\n"
                "found by name and one in the cgroup, start short-lived processes with 0-3\n"
                "threads each; /metrics is scraped every 0.5 s.\n\n")
        f.write(f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n")
        f.write(f"- machine: {platform.node()}, {os.cpu_count()} CPUs ({cpu}), "
                f"kernel {platform.release()}\n")
        f.write(f"- result: {'PASS' if not fails else 'FAIL: ' + '; '.join(fails[:5])}\n\n")
        f.write("| figure | value |\n|---|---|\n")
        for k, v in figs.items():
            f.write(f"| {k} | {v} |\n")
        f.write(f"\nAgent RSS (VmRSS, kB) over the run; warm-up is the first {warmup:.0f} s:\n\n")
        f.write("| t (s) | RSS (kB) |\n|---|---|\n")
        for t, r in pick:
            f.write(f"| {t:.0f} | {r} |\n")


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "scrape":
        return scrape(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    if len(sys.argv) >= 7 and sys.argv[1] == "check":
        md = None
        if len(sys.argv) == 9 and sys.argv[7] == "--md":
            md = sys.argv[8]
        return check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), md)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
