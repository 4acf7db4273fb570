#!/usr/bin/env bash
# The soak test (issue 11): streamtrace as a long-running agent under process
# and thread churn, scraped throughout.
#
# The agent runs `--json -i 0.5 -c soakPIDa --cgroup DIR --listen
# 127.0.0.1:PORT`. Two churn workloads (tests/workload/churn.c) start
# SOAK_RATE short-lived processes a second each, with 0-3 threads apiece:
# soakPIDa, found by its name, and soakPIDc, which moves itself into DIR (a
# cgroup v2 directory this test creates and removes) and is found by the
# cgroup rescan; their children are followed by fork. Each workload writes
# its truth: every child's pid, when it was started and reaped, and the
# getppid calls it made by construction (none in the parents). A scraper
# fetches /metrics every 0.5 s and samples the agent's VmRSS from /proc.
# soak_check.py then asserts:
#  - every scrape answered 200 with valid text (the last one also through
#    python3-prometheus-client's parser), no counter series went backwards;
#  - no phantom: every pid listed was one of the workloads' and alive in that
#    interval (1.5 s of slack: a process's last figures come in the interval
#    in which its exit was read), none listed twice;
#  - every process counted (one by one or folded into its name's row) or
#    counted as lost, none twice: counted <= started + 2 parents <= counted
#    + lost.procs_full (that counts failed attempts: a child without a slot
#    at its fork may be traced from its exec under the -c name all the same);
#  - getppid in the summary equals the workloads' truth when nothing was
#    lost (never more than it otherwise), per process for the ones kept;
#  - RSS flat after warm-up (the first SOAK_S/5 s): the median of the last
#    third of the samples at most 2 MB above the first third's. Why 2 MB: the
#    agent's tables are sized by processes alive (64 slots, 64 retired rows,
#    64 folded names), so after warm-up nothing should grow per process; at
#    the default rate a third of the run after warm-up sees ~2,800 processes
#    (3 min) or ~58,000 (1 h), so a leak of even 1 KB a process (the bug
#    leaked 70 KB) overshoots the bound, while allocator noise (a scrape's
#    render buffer, about 2 MB of text, is freed after each scrape) stays
#    well under it.
# Robust on a loaded 2-core machine: the workloads never burst to catch up
# (rate is an upper bound), every check is a count against the workloads'
# own records, and time enters only the phantom check, with slack.
#
# usage: SOAK_S=180 tests/integration/soak.sh; SOAK_MD=docs/soak.md writes
# the figures (make soak). SOAK_RATE (default 25 per workload), SOAK_PORT
# (default 25100 + pid % 800), SOAK_ST (the binary; default build/streamtrace).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
SOAK_S=${SOAK_S:-180}
SOAK_RATE=${SOAK_RATE:-25}
SOAK_PORT=${SOAK_PORT:-$((25100 + $$ % 800))} # another checkout's soak may run meanwhile
SOAK_MD=${SOAK_MD:-}
CHURN=$ROOT/build/tests/churn
ST=${SOAK_ST:-$ST} # make soak: a copy, so that a rebuild meanwhile does not touch it
# python3-prometheus-client is Debian's (scripts/install-deps.sh): the
# system python, not a virtualenv's
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

test_soak() {
	local root cg f=$OUT/soak.json stp scr wa wb warm
	# names of this run only (a soak of another checkout may run meanwhile)
	local na=soak$$a nb=soak$$c
	[ -x "$CHURN" ] || { bad "build first (make): no $CHURN"; return; }
	root=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
	[ -n "$root" ] || { skip "no cgroup2 mount"; return; }
	cg=$root/streamtrace-soak-$$
	mkdir "$cg" || { bad "cannot create $cg"; return; }
	cp "$CHURN" "$OUT/$na"
	cp "$CHURN" "$OUT/$nb"
	# the agent as users run it, glibc's defaults and all: its RSS climbed
	# for 20 minutes while its heap in use stayed flat, until main() fixed
	# glibc's mmap threshold (see there)
	"$ST" --json -i 0.5 -c "$na" --cgroup "$cg" --listen 127.0.0.1:$SOAK_PORT \
		>"$f" 2>"$OUT/soak.err" &
	stp=$!
	if ! wait_lines "$f" 1 15; then
		bad "no interval within 15 s: $(head -3 "$OUT/soak.err")"
		kill "$stp" 2>/dev/null
		wait "$stp" 2>/dev/null
		rmdir "$cg"
		return
	fi
	$PY "$ROOT/tests/integration/soak_check.py" scrape "http://127.0.0.1:$SOAK_PORT/metrics" \
		"$stp" "$OUT/scrape.stop" "$OUT/scrape.json" &
	scr=$!
	# the cgroup workload first: it joins, then waits until the agent has
	# found it (a rescan each interval) before starting children
	"$OUT/$nb" --cgroup "$cg" --start-signal --pidfile "$OUT/b.pid" --rate "$SOAK_RATE" \
		--duration "$SOAK_S" --truth "$OUT/truth-b.jsonl" 2>"$OUT/b.err" &
	wb=$!
	wait_file "$OUT/b.pid" || bad "the cgroup workload did not start"
	local i=0
	until grep -q "\"pid\":$wb[,}]" "$f"; do
		sleep 0.1
		i=$((i + 1))
		[ $i -gt 100 ] && { bad "the agent did not find the cgroup's process within 10 s"; break; }
	done
	kill -USR1 "$wb"
	"$OUT/$na" --rate "$SOAK_RATE" --duration "$SOAK_S" --truth "$OUT/truth-a.jsonl" \
		2>"$OUT/a.err" &
	wa=$!
	msg "running for $SOAK_S s at $SOAK_RATE processes/s per workload (two workloads)"
	wait "$wa"
	eq "$?" 0 "the name workload's status: $(head -2 "$OUT/a.err")"
	wait "$wb"
	eq "$?" 0 "the cgroup workload's status: $(head -2 "$OUT/b.err")"
	sleep 1.5 # the last exits read and reported
	touch "$OUT/scrape.stop"
	wait "$scr"
	kill -INT "$stp"
	wait "$stp"
	eq "$?" 0 "SIGINT stops the agent cleanly"
	[ -s "$OUT/soak.err" ] && msg "agent's stderr: $(head -3 "$OUT/soak.err")"
	rmdir "$cg" || bad "cannot remove $cg"
	contract_ok "$f"
	warm=$((SOAK_S / 5))
	if [ -n "$SOAK_MD" ]; then
		$PY "$ROOT/tests/integration/soak_check.py" check "$f" "$OUT/scrape.json" \
			"$OUT/truth-a.jsonl" "$OUT/truth-b.jsonl" "$warm" --md "$SOAK_MD" || T_FAILED=1
	else
		$PY "$ROOT/tests/integration/soak_check.py" check "$f" "$OUT/scrape.json" \
			"$OUT/truth-a.jsonl" "$OUT/truth-b.jsonl" "$warm" || T_FAILED=1
	fi
	[ "${KEEP:-}" = 1 ] && cp -r "$OUT" "/tmp/streamtrace-soak-kept.$$" && msg "kept in /tmp/streamtrace-soak-kept.$$"
}

run_all soak
