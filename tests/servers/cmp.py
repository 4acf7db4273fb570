#!/usr/bin/env python3
"""Rows of the real-server suite's table: truth against streamtrace.

usage: cmp.py TABLE ROWS
ROWS is a file of tab-separated lines CASE WHAT TRUTH GOT MODE [TOL], MODE:
  rel TOL    |GOT - TRUTH| <= TOL x |TRUTH|
  abs TOL    |GOT - TRUTH| <= TOL
  min TOL    GOT >= TOL x TRUTH         (a lower bound)
  max TOL    GOT <= TOL x TRUTH         (an upper bound)
  gt         GOT > TRUTH
  eq         GOT == TRUTH, as strings
  info       no expectation, the row is shown only
GOT "null" (or empty) fails every mode but info. Each row is appended to
TABLE and printed; the exit status is 1 when an expectation failed.
"""
import sys


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for line in open(sys.argv[2]):
        f = line.rstrip("\n").split("\t")
        if len(f) < 5:
            continue
        rc = one_row(sys.argv[1], *f[:6])
        if rc == 2:
            return 2
        failed |= rc != 0
    return 1 if failed else 0


def one_row(table, case, what, truth, got, mode, tol=""):
    t, g = num(truth), num(got)
    err = ""
    ok = True
    if t is not None and g is not None and mode in ("rel", "min", "max", "gt"):
        err = "%+.1f%%" % (100.0 * (g - t) / t) if t else ""
    elif t is not None and g is not None and mode == "abs":
        err = "%+.3f" % (g - t)
    if mode == "info":
        want = ""
    elif mode == "eq":
        want = "= truth"
        ok = got == truth
    elif g is None or t is None:
        ok = False
        want = {"rel": "±%s%%" % (100 * float(tol)) if tol else "", "abs": "±" + tol,
                "min": ">= %s x truth" % tol, "max": "<= %s x truth" % tol,
                "gt": "> truth"}.get(mode, mode)
    elif mode == "rel":
        ok = abs(g - t) <= float(tol) * abs(t)
        want = "±%g%%" % (100 * float(tol))
    elif mode == "abs":
        ok = abs(g - t) <= float(tol)
        want = "±" + tol
    elif mode == "min":
        ok = g >= float(tol) * t
        want = ">= %s x truth" % tol
    elif mode == "max":
        ok = g <= float(tol) * t
        want = "<= %s x truth" % tol
    elif mode == "gt":
        ok = g > t
        want = "> truth"
    else:
        print("cmp.py: unknown mode '%s'" % mode, file=sys.stderr)
        return 2
    verdict = "" if mode == "info" else ("ok" if ok else "FAIL")

    def fmt(x):
        v = num(x)
        if v is None:
            return x if x else "-"
        if v == int(v) and abs(v) < 1e15:
            return "%d" % v
        return "%.4g" % v

    row = "%-34s %14s %14s %8s %-14s %s" % (what, fmt(truth), fmt(got), err, want, verdict)
    with open(table, "a") as f:
        f.write(("%-24s " % case + row).rstrip() + "\n")
    print(row.rstrip())
    return 0 if ok else 1


sys.exit(main())
