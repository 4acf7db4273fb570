#!/usr/bin/env python3
"""Assert on one kernel-matrix guest's serial console (tests/kernels/init.sh).

usage: check.py CONSOLE_LOG OUT_DIR

The guest printed its files between @@FILE/@@EOF markers; they are written to
OUT_DIR and checked here. Expected values come from the workloads' own truth:
sysload's construction (N loops x T threads x P processes of each call) and
the truth lines qbench measured itself. Prints one line per check; exits 1 if
any failed.

Tolerances under emulation (TCG, 2 emulated CPUs on a shared 2-core host
where other jobs run too): counts are exact. The guest stalls now and then
for up to a few hundred ms (its vCPU threads preempted on the host); a stall
makes every message in it wait, so the mean wait of a window depends on
which stalls fall inside it, and streamtrace's inner intervals and the
truth's window (after --warmup) are not the same window. Hence two checks:
- over the window (queue_check.py): λ within 10% (Poisson noise of ~1000
  messages is 3%), S within 20% and ρ within 0.12 (a stall stretches the
  spun service of the message it interrupts, in one window more than in the
  other); W is not compared there;
- over the whole run, where both sides see every message: W within 10% of
  the truth's run_response_s, D + Wq within 20% of run_wait_s (qbench's
  wait includes the wake-up that streamtrace reports as dispatch D, and the
  CPU up to the dequeue that streamtrace counts as service), S within 15%
  of the workers' own CPU per message (run_cpu_per_msg_s: the spin and the
  CPU of the receives and sends around it, which streamtrace counts as
  busy); the window's S and ρ are judged against that CPU too.
queue_check.py's defaults (5%, 10%, 0.05, 20%) are for the host.
"""
import json
import re
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QCHECK = os.path.join(HERE, "..", "integration", "queue_check.py")

fails = 0


def check(ok, what):
    global fails
    print(("    ok   " if ok else "    FAIL ") + what)
    if not ok:
        fails += 1


def parse(log):
    files, rcs, meta = {}, {}, {}
    cur, buf = None, []
    for raw in open(log, errors="replace"):
        line = raw.rstrip("\r\n").replace("\r", "")
        i = line.find("@@")
        tag = line[i:] if i >= 0 else ""
        if cur is not None:
            if tag == "@@EOF " + cur:
                files[cur] = "\n".join(buf) + ("\n" if buf else "")
                cur, buf = None, []
            else:
                buf.append(line)
            continue
        if tag.startswith("@@FILE "):
            cur, buf = tag[7:], []
        elif tag.startswith("@@RC "):
            parts = tag.split()
            rcs[parts[1]] = int(parts[2]) if len(parts) > 2 and parts[2].lstrip("-").isdigit() else None
        elif tag.startswith("@@KERNEL "):
            meta["kernel"] = tag[9:]
        elif tag == "@@DONE":
            meta["done"] = True
    return files, rcs, meta


def jlines(text):
    out = []
    for l in (text or "").splitlines():
        l = l.strip()
        if l.startswith("{"):
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out


def summary(objs):
    s = [o for o in objs if o.get("type") == "summary"]
    return s[-1] if s else None


def sc(s, name, field="count"):
    return sum(c[field] for p in s["processes"] for c in p["syscalls"] if c["name"] == name)


def errno(s, name, err):
    return sum(c["errnos"].get(err, 0) for p in s["processes"] for c in p["syscalls"]
               if c["name"] == name)


def proc(s, pid):
    for p in s["processes"]:
        if p["pid"] == pid:
            return p
    return None


def in_flight(s):
    """Receives the tracer cannot see: with fexit (the fallback before Linux
    6.3) a call already inside recvmsg when the program is attached returns
    without passing the trampoline. qbench's workers are each blocked in one
    recv when streamtrace attaches (the producer is held back until then),
    so by construction exactly `workers` receives are in flight, 1 here.
    The tracepoint, hit after the call returns, sees them."""
    tr = (s or {}).get("tracer") or {}
    return 1 if (tr.get("attach") or {}).get("sockets") == "fexit" else 0


# How the two tested kernels must hook the socket families: 6.1 has neither
# sock_recv_length (6.3) nor sk_data_ready, 6.12 has both. The "fb" runs
# take those tracepoints away, so the fallbacks run on both.
EXPECT = {(6, 1): ("fexit", "fentry"), (6, 12): ("tracepoint", "tracepoint")}


def check_methods(name, s, kernel):
    attach = ((s or {}).get("tracer") or {}).get("attach") or {}
    try:
        ver = tuple(int(x) for x in kernel.split("-")[0].split(".")[:2])
    except ValueError:
        ver = None
    want = ("fexit", "fentry") if name.endswith("fb") else EXPECT.get(ver)
    if want is None:
        return
    got = (attach.get("sockets"), attach.get("data_ready"))
    check(got == want, f"{name}: sockets and data_ready hooked by {got}, want {want}")


def check_queue(name, files, rcs, out, kernel):
    """M/M/1 over TCP: λ, S, ρ, W against qbench's truth; exact rx counts."""
    check(rcs.get(name + ".qbench") == 0 and rcs.get(name + ".streamtrace") == 0,
          f"{name}: qbench and streamtrace exit 0 ({rcs.get(name + '.qbench')}, "
          f"{rcs.get(name + '.streamtrace')})")
    err = files.get(name + ".st.err", "").strip()
    check(err == "", f"{name}: streamtrace said nothing on stderr ({err[:160]!r})")
    server = (files.get(name + ".server") or "0").strip()
    s = summary(jlines(files.get(name + ".json")))
    p = proc(s, int(server)) if s and server.isdigit() else None
    q = p and p["queue"]
    print(f"         {name} attach: {json.dumps(((s or {}).get('tracer') or {}).get('attach'))}")
    check_methods(name, s, kernel)
    check(bool(q) and q.get("arrival_rate") is not None and q.get("wait_s") is not None,
          f"{name}: socket and queue figures are not null")
    r = subprocess.run([sys.executable, QCHECK, os.path.join(out, name + ".truth"),
                        os.path.join(out, name + ".json"), server, "--servers", "1",
                        "--tol-lambda", "0.10", "--tol-s", "0.20", "--tol-rho", "0.12",
                        "--tol-w", "1e9", "--s-truth", "cpu"], capture_output=True, text=True)
    for l in r.stdout.splitlines():
        if " W " in l:
            l = l.replace("ok   ", "info ").split(" (within")[0] + " (windows differ: not compared)"
        print("       " + l)
    check(r.returncode == 0, f"{name}: λ, S, ρ over the window within the emulation tolerances")
    truth = jlines(files.get(name + ".truth"))
    if q and truth and q.get("wait_s") is not None and q.get("service_time_s") is not None:
        t = truth[0]
        # qbench's wait runs from the send to the server's dequeue, wake-up
        # included; streamtrace reports that wake-up apart, as dispatch D
        # (W = D + Wq + S), so the truth's wait is compared with D + Wq
        D = q.get("dispatch_s") or 0.0
        W, Wq, S = D + q["wait_s"] + q["service_time_s"], D + q["wait_s"], q["service_time_s"]

        def rel(x, y):
            return abs(x - y) / y if y else float("inf")

        check(rel(W, t["run_response_s"]) <= 0.10,
              f"{name}: whole-run W {W * 1e3:.2f} ms vs truth {t['run_response_s'] * 1e3:.2f} (within 10%)")
        # 20%: the woken server's CPU from its return to the CPU to the read
        # that takes the message (leaving epoll_wait, the read itself) is
        # service to streamtrace (busy from the switch-in) but queue wait to
        # qbench (until the dequeue); under TCG that is ~0.3 ms a message,
        # which put D + Wq 14% under the truth in every run (W stays within 10%)
        check(rel(Wq, t["run_wait_s"]) <= 0.20,
              f"{name}: whole-run D + Wq {Wq * 1e3:.2f} ms vs truth {t['run_wait_s'] * 1e3:.2f} (within 20%)")
        # S against the workers' own CPU per message (qbench's
        # CLOCK_THREAD_CPUTIME_ID): streamtrace counts the CPU of the
        # receive and send around the spun service as busy, and under TCG on
        # a loaded host that CPU was 17-23% of the spin (S failed at 15%
        # against the spin alone); the spin is shown for reference
        check(rel(S, t["run_cpu_per_msg_s"]) <= 0.15,
              f"{name}: whole-run S {S * 1e6:.0f} µs vs the workers' CPU per message "
              f"{t['run_cpu_per_msg_s'] * 1e6:.0f} (within 15%; spin alone "
              f"{t['run_service_time_s'] * 1e6:.0f})")
    if p and truth:
        t, k = truth[0], in_flight(s)
        net = p.get("net") or {}
        check(net.get("rx_ops") == t["rx_ops"] - k,
              f"{name}: rx_ops {net.get('rx_ops')} == truth {t['rx_ops']} - {k} in flight")
        check(net.get("rx_bytes") == t["rx_bytes"] - k * t["size"],
              f"{name}: rx_bytes {net.get('rx_bytes')} == truth {t['rx_bytes']} - {k} x {t['size']}")


def check_drops(name, files):
    """UDP drops: every datagram the workload lost is a drop charged to the
    server, with the kernel's reason."""
    truth = jlines(files.get(name + ".truth"))
    s = summary(jlines(files.get(name + ".json")))
    server = (files.get(name + ".server") or "0").strip()
    p = proc(s, int(server)) if s and server.isdigit() else None
    if not truth or not p:
        check(False, f"{name}: a truth line and the server in the summary")
        return
    t, k = truth[0], in_flight(s)
    net = p.get("net") or {}
    reasons = net.get("drop_reasons") or {}
    print(f"         {name} attach: {json.dumps(((s or {}).get('tracer') or {}).get('attach'))}")
    check(t["lost"] >= 1, f"{name}: the workload lost messages ({t['lost']})")
    check(net.get("drops") == t["lost"], f"{name}: drops {net.get('drops')} == lost {t['lost']}")
    check(reasons.get("SOCKET_RCVBUFF") == t["lost"], f"{name}: reason SOCKET_RCVBUFF {reasons}")
    check(net.get("rx_ops") == t["rx_ops"] - k,
          f"{name}: rx_ops {net.get('rx_ops')} == {t['rx_ops']} - {k} in flight")


# A kernel splat (BUG, oops, WARN, panic) while streamtrace ran is a defect
# even when the suite passes. When the guest died before the end, the tail
# of the kernel's log says why (it is on its own serial port).
SPLAT = re.compile(r"BUG:|Oops|Kernel panic|general protection fault|WARNING: CPU|"
                   r"Call Trace:|RIP: |Out of memory|segfault at")


def kernel_log(path, done):
    if not path:
        return
    try:
        lines = [l.rstrip("\r\n") for l in open(path, errors="replace")]
    except OSError as e:
        check(False, f"the kernel's log {path}: {e}")
        return
    splats = [l for l in lines if SPLAT.search(l)]
    check(not splats, f"no BUG, oops, WARN or panic in the kernel's log ({len(splats)} lines)")
    if splats or not done:
        print("         the kernel's log ends:")
        for l in lines[-40:]:
            print("         | " + l)


def main():
    log, out = sys.argv[1], sys.argv[2]
    files, rcs, meta = parse(log)
    os.makedirs(out, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    kernel = meta.get("kernel", "?")
    print(f"    kernel {kernel}; files in {out}")
    check(meta.get("done", False), "the guest suite ran to its end (@@DONE)")
    kernel_log(sys.argv[3] if len(sys.argv) > 3 else None, meta.get("done", False))

    # which attach method each family used (-v), and the JSON's tracer key
    for l in files.get("verbose.err", "").splitlines():
        if l.startswith("streamtrace:"):
            print("         " + l)

    # 1. exact syscall counts: 300 loops x 2 threads x 2 processes
    n = 300 * 2 * 2
    s = summary(jlines(files.get("sysload.json")))
    check(rcs.get("sysload") == 3, f"sysload exit status 3 passed through (got {rcs.get('sysload')})")
    if s is None:
        check(False, "sysload: a JSON summary")
    else:
        check(sc(s, "getppid") == n, f"getppid {sc(s, 'getppid')} == {n}")
        check(sc(s, "umask") == n, f"umask {sc(s, 'umask')} == {n}")
        check(errno(s, "chdir", "ENOENT") == n, f"chdir ENOENT {errno(s, 'chdir', 'ENOENT')} == {n}")
        check(errno(s, "close", "EBADF") == n, f"close EBADF {errno(s, 'close', 'EBADF')} == {n}")
        check(len(s["processes"]) == 2, f"2 processes (got {len(s['processes'])})")
        check(s["lost"]["events"] == 0, f"lost events {s['lost']['events']} == 0")
        tr = s.get("tracer")
        if tr is not None:
            print(f"         tracer: {json.dumps(tr)}")

    for sfx in ("", "fb"):
        check_queue("mm1" + sfx, files, rcs, out, kernel)
        check_drops("drop" + sfx, files)

    # 4. pipeline: stages in order, B the bottleneck, end-to-end W near the
    #    sink's own measure (three queues' noise under emulation: 40%)
    pids = [int(x) for x in (files.get("pl.pid") or "").split()]
    s = summary(jlines(files.get("pl.json")))
    truth = jlines(files.get("pl.truth"))
    if len(pids) != 4 or not s or not truth:
        check(False, "pipeline: 4 pids, a summary and the truth")
    else:
        stages = [(proc(s, x) or {}).get("stage") for x in pids]
        check(stages == [1, 2, 3, 4], f"pipeline: stage order {stages}")
        pl = s.get("pipeline") or {}
        check(pl.get("bottleneck_pid") == pids[2],
              f"pipeline: bottleneck {pl.get('bottleneck_pid')} is stage B {pids[2]}")
        e2e, want = pl.get("end_to_end_response_s"), truth[-1]["e2e_response_s"]
        check(e2e is not None and abs(e2e - want) <= 0.40 * want,
              f"pipeline: end-to-end W {e2e} vs the sink's {want:.6f} (within 40%)")

    # 4b. the thread and connection views (sampled each interval, so their
    #     sums may miss a socket's last traffic, at most one interval's:
    #     150/s x 0.25 s of ~590 messages, 6%; within 10% of the exact
    #     process counts, as queue.sh's test_views) and resets, exactly one
    #     RST per connection by the workload's construction
    pids = [int(x) for x in (files.get("views.pids") or "").split()]
    s = summary(jlines(files.get("views.json")))
    if len(pids) != 2 or not s or not proc(s, pids[0]) or not proc(s, pids[1]):
        check(False, "views: server and producer in the summary")
    else:
        sv, pr = proc(s, pids[0]), proc(s, pids[1])
        rx = (sv.get("net") or {}).get("rx_ops") or 0
        serving = [t for t in sv.get("threads_detail") or [] if t["rx_ops"] > 0]
        conns = sv.get("connections") or []
        check(len(serving) == 2, f"views: serving threads {len(serving)} == 2")
        check(len(conns) == 2, f"views: server connections {len(conns)} == 2")
        check(sorted(c["remote"] for c in conns) ==
              sorted(c["local"] for c in pr.get("connections") or []),
              "views: both ends of each connection")
        crx = sum(c["rx_ops"] for c in conns)
        check(0.9 * rx <= crx <= rx, f"views: connection rx_ops {crx} within 10% of {rx}")
    pids = [int(x) for x in (files.get("rst.pids") or "").split()]
    s = summary(jlines(files.get("rst.json")))
    truth = jlines(files.get("rst.truth"))
    if len(pids) != 2 or not s or not truth or not proc(s, pids[0]):
        check(False, "rst: the server in the summary and the truth")
    else:
        got = (proc(s, pids[0]).get("net") or {}).get("resets")
        check(got == truth[0]["resets"] == 2, f"rst: resets {got} == truth {truth[0]['resets']} == 2")

    # 5. kill -9 leaves none of its programs loaded
    k = dict(l.split(":", 1) for l in (files.get("k9.txt") or "").splitlines() if ":" in l)
    ids = k.get("ids", "").split()
    check(len(ids) >= 9, f"kill -9: {len(ids)} programs of ours were loaded")
    check(k.get("left", "").strip() == "0", f"kill -9: programs left {k.get('left', '?').strip()}")

    print(f"    {kernel}: {'FAIL' if fails else 'ok'} ({fails} failed)")
    return 1 if fails else 0


sys.exit(main())
