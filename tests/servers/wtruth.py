#!/usr/bin/env python3
"""The server's response time to each command of the open-loop client, from
the client's send to the write that carried its reply (independently of
streamtrace), over streamtrace's full intervals.

usage: wtruth.py DUMP WRITES REPLY_BYTES FILE PID
DUMP: openloop --dump (UNIX send time, latency, monotonic send ns per
command, in send order); WRITES: replies.bt's "w NS BYTES" lines (the
server's thread); REPLY_BYTES: the size of one reply. One connection, replies
in order: the k-th reply (from 1) is in the write whose running byte count
first reaches k x REPLY_BYTES. FILE, PID: streamtrace's JSON lines; the full
intervals are models.py's (the process took messages in it and in the ones
before and after). Prints shell assignments: T_n (commands whose reply was
written in those intervals), T_w (their mean response, s), T_lat (the
client's mean latency for them, s: T_w plus the way back to the client and
the client's own reading), T_st (streamtrace's response_s over the same
intervals, weighted by throughput), T_err (T_st / T_w - 1), T_bad (1 when
the writes do not add up to whole replies: the truth is then unknown).
"""
import sys

from models import full_intervals, wmean


def main():
    dump, writes, size, stf, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    cmds = []
    for line in open(dump):
        f = line.split()
        if len(f) >= 3:
            cmds.append((float(f[0]), float(f[1]), int(f[2])))
    ws = []
    for line in open(writes):
        f = line.split()
        if len(f) == 3 and f[0] == "w":
            ws.append((int(f[1]), int(f[2])))
    out = {"n": 0, "w": None, "lat": None, "st": None, "err": None, "bad": 0}
    if not cmds or not ws:
        out["bad"] = 1
        return show(out)
    shifts = sorted(u - m / 1e9 for u, _, m in cmds)
    shift = shifts[len(shifts) // 2]  # UNIX = monotonic + shift
    # reply k (0-based) -> the time of the write that completed it
    done = []
    total = 0
    for t, b in ws:
        if b % size:
            out["bad"] = 1
        total += b
        while (len(done) + 1) * size <= total:
            done.append(t)
    full = full_intervals(stf, pid)
    out["st"] = wmean(full, lambda p: p["queue"].get("response_s"))
    sw = sl = 0.0
    n = 0
    for k, t in enumerate(done[:len(cmds)]):
        u = t / 1e9 + shift
        if any(start <= u < end for _, (start, end) in full):
            sw += (t - cmds[k][2]) / 1e9
            sl += cmds[k][1]
            n += 1
    out["n"] = n
    if n:
        out["w"], out["lat"] = sw / n, sl / n
    if out["w"] and out["st"] is not None:
        out["err"] = out["st"] / out["w"] - 1
    return show(out)


def show(out):
    for k, v in out.items():
        print("T_%s='%s'" % (k, "null" if v is None else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
