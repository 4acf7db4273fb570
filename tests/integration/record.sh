#!/usr/bin/env bash
# Integration tests of recordings: the real streamtrace, as root, records the
# bundled workloads (sysload: exact syscall counts; qbench: queues with set
# arrival and service rates), then `report` and `diff` are checked against
# what is known by construction:
#  - `report --json` prints what the live `--json` printed, byte for byte;
#  - a recording whose tracer was SIGKILLed reads back to its last interval,
#    and `report` says it was cut short (exit 2);
#  - cut, flipped, foreign and future-version files exit 2 with one line;
#  - two recordings of the same qbench workload, made one after the other,
#    diff clean (exit 0); service time +30% fails naming service/response
#    time; an arrival-rate drop fails naming throughput; more failing
#    syscalls fail naming errors (exit 1);
#  - the HTML report holds its charts and renders in headless Chromium to a
#    PNG that is not blank (Chromium is installed with apt-get when missing).
# Tolerances: none on the byte-identical round trip; the diff verdicts use
# streamtrace's own default thresholds (service/response +20%, throughput
# -10%, errors +50% per call), and the workload changes are 1.5x to 50x
# larger than those. Run the same-workload pair on a quiet machine: CPU
# contention from other jobs stretches qbench's spun service time for real.
# usage: tests/integration/record.sh [TEST_NAME_PATTERN]; KEEP=1 keeps $OUT.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ST=${ST:-$ROOT/build/streamtrace}
SYSLOAD=$ROOT/build/tests/sysload
QBENCH=$ROOT/build/tests/qbench
PATTERN=${1:-}
OUT=$(mktemp -d /tmp/streamtrace-rec.XXXXXX)
STARTED_PIDS=""

cleanup() {
	for p in $STARTED_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "record: files kept in $OUT"
	else
		rm -rf "$OUT"
	fi
}
trap cleanup EXIT

pass=0
failed=0
skipped=0
failures=""

msg() { printf '    %s\n' "$*"; }
bad() {
	msg "FAIL: $*"
	T_FAILED=1
}
skip() { T_SKIP=$*; }
eq() { [ "$1" = "$2" ] || bad "$3: got '$1', want '$2'"; }
has() { grep -q -- "$2" "$1" || bad "$3: '$2' not in $(basename "$1")"; }
# a crash (signal, sanitizer) is never an acceptable way to refuse a file
no_crash() { # no_crash RC STDERR_FILE WHAT
	[ "$1" -lt 128 ] || bad "$3: killed by signal $(($1 - 128))"
	! grep -qE 'AddressSanitizer|runtime error|Segmentation' "$2" || bad "$3: sanitizer report"
}
one_line() { # one_line FILE WHAT
	[ "$(wc -l <"$1")" -eq 1 ] || bad "$2: want one line on stderr, got: $(head -c 300 "$1")"
}

run_test() {
	local name=$1
	[ -n "$PATTERN" ] && [[ $name != *$PATTERN* ]] && return
	T_FAILED=0
	T_SKIP=""
	printf '%s\n' "--- $name"
	if [ -n "$GLOBAL_SKIP" ]; then
		T_SKIP=$GLOBAL_SKIP
	else
		"$name"
	fi
	if [ -n "$T_SKIP" ]; then
		skipped=$((skipped + 1))
		msg "SKIP: $T_SKIP"
	elif [ "$T_FAILED" = 0 ]; then
		pass=$((pass + 1))
		msg ok
	else
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}

# record NAME [STREAMTRACE OPTIONS] -- COMMAND...: the recording is $OUT/NAME.str
record() {
	local name=$1
	shift
	"$ST" record -o "$OUT/$name.str" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
}

# frames FILE: byte offsets where each frame ends (the file header is 16 bytes,
# a frame a 20-byte header and its compressed length at offset 8)
frames() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
o = 16
while o + 20 <= len(d):
    o += 20 + struct.unpack_from('<I', d, o + 8)[0]
    print(o)
EOF
}

# --- tests ----------------------------------------------------------------

# The CI case: -- COMMAND, its exit status, and report --json = the live lines.
test_roundtrip_json() {
	local f=$OUT/rt.str
	"$ST" record --json -i 0.2 -o "$f" -- "$SYSLOAD" --loops 3000 --hold-ms 500 --exit 3 \
		>"$OUT/live.jsonl" 2>"$OUT/rt.err"
	eq "$?" 3 "exit status is the command's"
	eq "$(stat -c %a "$f" 2>/dev/null)" 600 "recording mode"
	"$ST" report --json "$f" >"$OUT/back.jsonl" 2>"$OUT/back.err"
	eq "$?" 0 "report --json exit status"
	cmp -s "$OUT/live.jsonl" "$OUT/back.jsonl" ||
		bad "report --json differs from the live run: $(diff "$OUT/live.jsonl" "$OUT/back.jsonl" | head -c 400)"
	[ "$(wc -l <"$OUT/live.jsonl")" -ge 3 ] || bad "want intervals and a summary, got $(wc -l <"$OUT/live.jsonl") lines"
	tail -1 "$OUT/back.jsonl" | grep -q '"type":"summary"' || bad "last line is not the summary"
	"$ST" report "$f" >"$OUT/rt.txt" 2>&1
	eq "$?" 0 "report (text) exit status"
	has "$OUT/rt.txt" "streamtrace recording" "text report header"
	has "$OUT/rt.txt" "sysload --loops 3000" "text report command line"
	has "$OUT/rt.txt" "SUMMARY" "text report summary table"
}

# SIGKILL mid-run: the file reads back to its last complete interval.
test_sigkill_mid_run() {
	local f=$OUT/kill.str pid spid n i=0
	"$ST" record -i 0.2 -o "$f" -- "$SYSLOAD" --loops 100000000 --pidfile "$OUT/kill.pid" \
		>/dev/null 2>"$OUT/kill.err" &
	pid=$!
	STARTED_PIDS="$STARTED_PIDS $pid"
	# wait for at least 4 intervals on disk
	while :; do
		n=$("$ST" report --json "$f" 2>/dev/null | wc -l)
		[ "$n" -ge 4 ] && break
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			bad "no 4 intervals on disk after 15 s ($(head -c 300 "$OUT/kill.err"))"
			break
		fi
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	spid=$(cat "$OUT/kill.pid" 2>/dev/null)
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	"$ST" report --json "$f" >"$OUT/kill.jsonl" 2>"$OUT/kill.rep.err"
	local rc=$?
	eq "$rc" 2 "report of a killed recording exits 2"
	no_crash "$rc" "$OUT/kill.rep.err" "report of a killed recording"
	one_line "$OUT/kill.rep.err" "report of a killed recording"
	has "$OUT/kill.rep.err" "cut short" "the reason"
	[ "$(wc -l <"$OUT/kill.jsonl")" -ge 4 ] || bad "want >= 4 intervals back, got $(wc -l <"$OUT/kill.jsonl")"
	! grep -q '"type":"summary"' "$OUT/kill.jsonl" || bad "a killed run cannot have a summary"
	python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$OUT/kill.jsonl" 2>/dev/null || bad "the intervals read back are not JSON"
	"$ST" report --html "$OUT/kill.html" "$f" >/dev/null 2>&1
	eq "$?" 2 "report --html of a killed recording exits 2"
	has "$OUT/kill.html" "Incomplete recording" "the HTML says the recording is incomplete"
}

# Cut at every frame boundary and inside frames, flipped bytes, foreign and
# future files: exit 2, one line, never a crash.
test_hostile_files() {
	local f=$OUT/rt.str cut rc
	[ -f "$f" ] || "$ST" record -i 0.2 -o "$f" -- "$SYSLOAD" --loops 3000 --hold-ms 500 >/dev/null 2>&1
	local size
	size=$(stat -c %s "$f")
	for end in $(frames "$f"); do
		for cut in $((end - 7)) "$end"; do
			[ "$cut" -ge "$size" ] && continue
			head -c "$cut" "$f" >"$OUT/cut.str"
			"$ST" report --json "$OUT/cut.str" >/dev/null 2>"$OUT/cut.err"
			rc=$?
			eq "$rc" 2 "cut at $cut of $size"
			no_crash "$rc" "$OUT/cut.err" "cut at $cut"
			one_line "$OUT/cut.err" "cut at $cut"
		done
	done
	for at in 3 9 13 17 30 $((size / 2)) $((size - 5)); do
		cp "$f" "$OUT/flip.str"
		python3 -c 'import sys
p, at = sys.argv[1], int(sys.argv[2])
d = bytearray(open(p, "rb").read()); d[at] ^= 0x5a; open(p, "wb").write(d)' "$OUT/flip.str" "$at"
		"$ST" report "$OUT/flip.str" >/dev/null 2>"$OUT/flip.err"
		rc=$?
		eq "$rc" 2 "byte $at flipped"
		no_crash "$rc" "$OUT/flip.err" "byte $at flipped"
		one_line "$OUT/flip.err" "byte $at flipped"
	done
	"$ST" report "$OUT/live.jsonl" >/dev/null 2>"$OUT/magic.err"
	eq "$?" 2 "a JSON file is not a recording"
	has "$OUT/magic.err" "not a streamtrace recording" "wrong magic"
	python3 -c 'import sys, struct, zlib
d = bytearray(open(sys.argv[1], "rb").read())
d[8:10] = struct.pack("<H", 9)
d[12:16] = struct.pack("<I", zlib.crc32(bytes(d[:12])))
open(sys.argv[2], "wb").write(d)' "$f" "$OUT/future.str"
	"$ST" report "$OUT/future.str" >/dev/null 2>"$OUT/future.err"
	eq "$?" 2 "a future format version"
	has "$OUT/future.err" "newer than this streamtrace" "future version message"
	"$ST" diff "$f" "$OUT/future.str" >/dev/null 2>"$OUT/dfuture.err"
	eq "$?" 2 "diff with a future version"
	"$ST" diff "$f" "$OUT/nonexistent.str" >/dev/null 2>"$OUT/dmissing.err"
	eq "$?" 2 "diff with a missing file"
	one_line "$OUT/dmissing.err" "diff with a missing file"
}

# qbench server at rho ~ 0.4: 400 msg/s, 1 ms mean exponential service.
QB_ARGS="run --rate 400 --duration 5 --service exp"
qb_record() { # qb_record NAME EXTRA_QBENCH_ARGS...
	local name=$1
	shift
	# shellcheck disable=SC2086
	record "$name" -i 0.5 -- "$QBENCH" $QB_ARGS "$@"
}

test_diff_same_workload() {
	qb_record base --service-us 1000 --seed 11 || bad "record base: $(head -c 300 "$OUT/base.stderr")"
	qb_record same --service-us 1000 --seed 12 || bad "record same: $(head -c 300 "$OUT/same.stderr")"
	"$ST" diff "$OUT/base.str" "$OUT/same.str" >"$OUT/d_same.txt" 2>&1
	eq "$?" 0 "diff of two runs of the same workload: $(grep -E 'REGRESSED' "$OUT/d_same.txt" | head -3)"
	has "$OUT/d_same.txt" "no regression beyond thresholds" "diff verdict line"
}

test_diff_service_slower() {
	[ -f "$OUT/same.str" ] || qb_record same --service-us 1000 --seed 12
	qb_record slow --service-us 1300 --seed 13 || bad "record slow"
	"$ST" diff "$OUT/same.str" "$OUT/slow.str" >"$OUT/d_slow.txt" 2>&1
	eq "$?" 1 "diff with service time +30%"
	grep -qE '(service|response) time .*REGRESSED' "$OUT/d_slow.txt" ||
		bad "service/response time not named: $(cat "$OUT/d_slow.txt")"
	grep -qE '^diff: [0-9]+ regression.*(service|response) time' "$OUT/d_slow.txt" ||
		bad "no closing line naming the regression"
	"$ST" diff --json "$OUT/same.str" "$OUT/slow.str" >"$OUT/d_slow.json" 2>&1
	eq "$?" 1 "diff --json exit status"
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == 1 and any("service time" in r or "response time" in r for r in d["regressions"])' \
		"$OUT/d_slow.json" 2>/dev/null || bad "diff --json: $(head -c 300 "$OUT/d_slow.json")"
}

# Issue 11's case: 800 us against 1100 us of service, -i 1, 6 s runs. The
# run's last interval is a sliver (~0.05 s) that used to weigh like a full
# one in the rank test over intervals, so +37% was called noise (p=0.013)
# and diff exited 0. Partial intervals are left out of those tests now.
# 1200 us rather than 1100: qbench spins its service, and on a loaded 2-core
# machine contention adds the same ~100-150 us to both runs, which brought
# +37% under the 20% threshold; +50% stays above it (the rank test's flaw
# does not depend on the size of the change).
test_diff_partial_interval() {
	local s
	for s in 800 1200; do
		record "p$s" -- "$QBENCH" run --rate 400 --service-us $s --duration 6 ||
			bad "record p$s: $(head -c 300 "$OUT/p$s.stderr")"
	done
	"$ST" diff "$OUT/p800.str" "$OUT/p1200.str" >"$OUT/d_part.txt" 2>&1
	eq "$?" 1 "diff with service time +50% and a partial last interval"
	grep -qE 'service time .*REGRESSED' "$OUT/d_part.txt" ||
		bad "service time not named: $(cat "$OUT/d_part.txt")"
	has "$OUT/d_part.txt" "partial intervals" "the note on left-out intervals"
}

# report F --html F used to truncate the recording before reading it.
test_report_own_file() {
	record own -- "$SYSLOAD" --loops 10 || bad "record own"
	local sum
	sum=$(md5sum <"$OUT/own.str")
	"$ST" report "$OUT/own.str" --html "$OUT/own.str" >/dev/null 2>"$OUT/own.err"
	eq "$?" 2 "report --html onto its own recording"
	one_line "$OUT/own.err" "report --html onto its own recording"
	eq "$(md5sum <"$OUT/own.str")" "$sum" "the recording is untouched"
	ln -sf "$OUT/own.str" "$OUT/own-link.str"
	"$ST" report "$OUT/own-link.str" --html "$OUT/own.str" >/dev/null 2>&1
	eq "$?" 2 "the same through a symlink"
}

test_diff_throughput_drop() {
	[ -f "$OUT/same.str" ] || qb_record same --service-us 1000 --seed 12
	# arrivals 400/s -> 200/s: the server's throughput halves
	# shellcheck disable=SC2086
	record drop -i 0.5 -- "$QBENCH" run --rate 200 --duration 5 --service exp --service-us 1000 \
		--seed 14 || bad "record drop"
	"$ST" diff "$OUT/same.str" "$OUT/drop.str" >"$OUT/d_drop.txt" 2>&1
	eq "$?" 1 "diff with throughput halved"
	grep -qE 'throughput .*REGRESSED' "$OUT/d_drop.txt" ||
		bad "throughput not named: $(cat "$OUT/d_drop.txt")"
}

# The same python3 loop of 4000 stat()s, on a file that exists, then on one
# that does not: errors per call rise ~50x.
test_diff_error_rise() {
	command -v python3 >/dev/null || { skip "python3 not installed"; return; }
	local loop='import os, sys
for i in range(4000): os.path.exists(sys.argv[1])'
	record err_base -i 0.2 -- python3 -c "$loop" /etc/hostname || bad "record err_base"
	record err_new -i 0.2 -- python3 -c "$loop" /nonexistent/streamtrace-x || bad "record err_new"
	"$ST" diff "$OUT/err_base.str" "$OUT/err_new.str" >"$OUT/d_err.txt" 2>&1
	eq "$?" 1 "diff with errors rising"
	grep -qE 'errors.*REGRESSED' "$OUT/d_err.txt" || bad "errors not named: $(cat "$OUT/d_err.txt")"
	grep -qE 'ENOENT \+[0-9]+' "$OUT/d_err.txt" || bad "the errno that grew is not named"
}

# --threshold moves the line (skipped until the flag is wired).
test_diff_threshold_flag() {
	[ -f "$OUT/slow.str" ] || { skip "needs test_diff_service_slower's recordings"; return; }
	"$ST" diff "$OUT/same.str" "$OUT/slow.str" --threshold service=+60% --threshold response=off \
		--threshold wait=off >"$OUT/d_th.txt" 2>&1
	local rc=$?
	if [ $rc = 2 ] && grep -q "unknown option" "$OUT/d_th.txt"; then
		skip "--threshold is not wired into this build"
		return
	fi
	eq "$rc" 0 "service +30% under a +60% threshold: $(grep REGRESSED "$OUT/d_th.txt" | head -2)"
	"$ST" diff "$OUT/same.str" "$OUT/slow.str" --threshold bogus=1 >/dev/null 2>"$OUT/d_th.err"
	eq "$?" 2 "a bad --threshold is a usage error"
}

# PNG FILE -> "distinct_colours non_white_fraction", from the pixels (zlib only)
png_stats() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
o, idat = 8, b''
while o < len(d):
    n, t = struct.unpack('>I4s', d[o:o + 8])
    c = d[o + 8:o + 8 + n]
    o += 12 + n
    if t == b'IHDR':
        w, h, bd, ct, _, _, il = struct.unpack('>IIBBBBB', c)
    elif t == b'IDAT':
        idat += c
assert bd == 8 and il == 0 and ct in (2, 6), 'unexpected PNG type'
bpp = 3 if ct == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, p, colours, ink, seen = bytearray(stride), 0, set(), 0, 0
for y in range(h):
    f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
    p += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 3:
        continue
    for x in range(0, w, 3):
        px = bytes(line[x * bpp:x * bpp + 3])
        colours.add(px)
        seen += 1
        ink += px != b'\xff\xff\xff'
print(len(colours), '%.4f' % (ink / max(seen, 1)))
EOF
}

find_chromium() {
	command -v chromium || command -v chromium-browser || command -v google-chrome || true
}

test_html_renders() {
	local html=$OUT/report.html png=$OUT/report.png chrome
	record pipe -i 0.25 --threads --connections --what-if load=+20% -- "$QBENCH" pipeline \
		--rate 300 --duration 4 --stage-service-us 300,1500 ||
		bad "record pipeline: $(head -c 300 "$OUT/pipe.stderr")"
	"$ST" report --html "$html" "$OUT/pipe.str" >"$OUT/html.out" 2>&1
	eq "$?" 0 "report --html exit status"
	eq "$(stat -c %a "$html" 2>/dev/null)" 600 "HTML file mode"
	for id in "id='process-table'" "id='chart-rates-" "id='chart-response-" "id='heat-queue-" \
		"id='heat-syscalls-" "id='syscalls-top'" "id='pipeline-stages'" \
		"id='threads'" "id='connections'" "id='whatif-table'" "id='reading'"; do
		has "$html" "$id" "section $id"
	done
	# the views recorded are shown: qbench-stageB's worker threads and its
	# loopback connection; no pointer to docs a reader of the page lacks
	has "$html" "qbench-stageB \\[" "the stage's views"
	has "$html" "127.0.0.1:" "a loopback address"
	! grep -q "docs/queueing.md\|saturates in" "$html" || bad "the page points at docs/ or forecasts a finished run"
	! grep -qiE '<script|https?://|<link' "$html" || bad "the HTML is not self-contained"
	cp "$html" "$ROOT/build/record-report.html" 2>/dev/null
	# to standard output, read by a reader that goes away (| head): the end
	# of the report, quietly, as for a live run (it said "write failed")
	"$ST" report --html - "$OUT/pipe.str" 2>"$OUT/html-head.err" | head -c 100 >/dev/null
	eq "${PIPESTATUS[0]}" 0 "report --html - | head: exit status"
	eq "$(wc -c <"$OUT/html-head.err")" 0 "report --html - | head: nothing on stderr"
	chrome=$(find_chromium)
	if [ -z "$chrome" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		msg "installing chromium (apt-get)"
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
			chromium >"$OUT/apt.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq >>"$OUT/apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
					--no-install-recommends chromium >>"$OUT/apt.log" 2>&1; }
		chrome=$(find_chromium)
	fi
	if [ -z "$chrome" ]; then
		skip "no headless Chromium (apt-get install chromium failed: $(tail -1 "$OUT/apt.log" 2>/dev/null))"
		return
	fi
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$OUT/chrome" --window-size=1100,2600 --screenshot="$png" \
		"file://$html" >"$OUT/chrome.log" 2>&1
	[ -s "$png" ] || { bad "Chromium wrote no screenshot: $(tail -3 "$OUT/chrome.log")"; return; }
	cp "$png" "$ROOT/build/record-report.png" 2>/dev/null
	local stats colours ink
	stats=$(png_stats "$png") || { bad "cannot read the screenshot"; return; }
	read -r colours ink <<<"$stats"
	msg "screenshot: $colours colours, $ink of the page inked (build/record-report.png)"
	[ "$colours" -ge 24 ] || bad "screenshot has only $colours colours: blank or unstyled"
	python3 -c "import sys; sys.exit(0 if float('$ink') >= 0.04 else 1)" ||
		bad "screenshot is nearly blank ($ink inked)"
}

# --- preflight --------------------------------------------------------------

GLOBAL_SKIP=""
if [ "$(id -u)" != 0 ]; then
	GLOBAL_SKIP="needs root (BPF)"
elif [ ! -x "$ST" ] || [ ! -x "$SYSLOAD" ] || [ ! -x "$QBENCH" ]; then
	GLOBAL_SKIP="build first: make (missing $ST, $SYSLOAD or $QBENCH)"
elif "$ST" report /nonexistent.str 2>&1 | grep -q "not in this build"; then
	GLOBAL_SKIP="record/report/diff are not wired into this build"
elif ! command -v python3 >/dev/null; then
	GLOBAL_SKIP="python3 not installed"
fi

run_test test_roundtrip_json
run_test test_sigkill_mid_run
run_test test_hostile_files
run_test test_diff_same_workload
run_test test_diff_service_slower
run_test test_diff_partial_interval
run_test test_report_own_file
run_test test_diff_throughput_drop
run_test test_diff_error_rise
run_test test_diff_threshold_flag
run_test test_html_renders

[ $skipped -gt 0 ] && echo "record: $skipped skipped"
[ -n "$failures" ] && echo "record: failed:$failures"
echo "record: $pass passed, $failed failed"
[ $failed = 0 ]
