#!/usr/bin/env python3
"""Evaluate a Python expression over a streamtrace JSON-lines file.

usage: q.py FILE EXPR
Names available in EXPR:
  s            the summary object        ivs   the list of interval objects
  procs        s["processes"]            proc(pid) one process of the summary
  sc(name, field="count", pid=None)      a syscall's field summed over processes
  errno(name, err, pid=None)             count of one errno of one syscall
The result is printed (JSON for dicts/lists, plain otherwise)."""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    summaries = [o for o in objs if o.get("type") == "summary"]
    s = summaries[-1] if summaries else {"processes": []}
    ivs = [o for o in objs if o.get("type") == "interval"]
    procs = s["processes"]

    def proc(pid):
        for p in procs:
            if p["pid"] == pid:
                return p
        return None

    def sc(name, field="count", pid=None):
        t = 0
        for p in procs:
            if pid is not None and p["pid"] != pid:
                continue
            for c in p["syscalls"]:
                if c["name"] == name:
                    t += c[field]
        return t

    def errno(name, err, pid=None):
        t = 0
        for p in procs:
            if pid is not None and p["pid"] != pid:
                continue
            for c in p["syscalls"]:
                if c["name"] == name:
                    t += c["errnos"].get(err, 0)
        return t

    v = eval(sys.argv[2], {"s": s, "ivs": ivs, "procs": procs, "proc": proc, "sc": sc,
                           "errno": errno, "len": len, "sum": sum, "abs": abs, "max": max,
                           "min": min, "all": all, "any": any})
    print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
    return 0


sys.exit(main())
