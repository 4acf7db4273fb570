#!/usr/bin/env bash
# --profile (issue 13) against workloads whose profile is known by
# construction: hotspin spends its CPU in hot_function; offsvc blocks a known
# time in block_in_service while each message is in service. Both are built
# with frame pointers. Checks and tolerances: profile_check.py. About 25 s.
# usage: tests/integration/profile.sh [TEST_NAME_PATTERN]
set -u
PATTERN=${1:-${PATTERN:-}}
. "$(dirname "$0")/lib.sh"
HOTSPIN=$ROOT/build/tests/hotspin
OFFSVC=$ROOT/build/tests/offsvc
CHECK="python3 $ROOT/tests/integration/profile_check.py"

test_oncpu_hot_function() {
	timeout 60 "$ST" --profile --folded "$OUT/hot.folded" --json -- "$HOTSPIN" 3 \
		>"$OUT/hot.jsonl" 2>"$OUT/hot.err"
	eq "$?" 0 "streamtrace --profile exit status"
	grep '^{"requests"' "$OUT/hot.jsonl" >"$OUT/hot.truth"
	grep -v '^{"requests"' "$OUT/hot.jsonl" >"$OUT/hot.st.jsonl"
	contract_ok "$OUT/hot.st.jsonl"
	$CHECK oncpu "$OUT/hot.folded" "$OUT/hot.truth" "$OUT/hot.jsonl" 99 >"$OUT/c.txt" ||
		bad "$(cat "$OUT/c.txt")"
	msg "$(head -1 "$OUT/c.txt")"
}

test_oncpu_rate() {
	# --profile=HZ: the count follows the rate (CPU time x HZ)
	timeout 60 "$ST" --profile=49 --folded "$OUT/hot49.folded" --json -- "$HOTSPIN" 2 \
		>"$OUT/hot49.jsonl" 2>"$OUT/hot49.err"
	eq "$?" 0 "streamtrace --profile=49 exit status"
	grep '^{"requests"' "$OUT/hot49.jsonl" >"$OUT/hot49.truth"
	$CHECK oncpu "$OUT/hot49.folded" "$OUT/hot49.truth" "$OUT/hot49.jsonl" 49 >"$OUT/c.txt" ||
		bad "$(cat "$OUT/c.txt")"
	msg "$(head -1 "$OUT/c.txt")"
}

test_offcpu_in_service() {
	# 120 messages, each blocked 10 ms in service; the client thinks 5 ms
	# before each, so the server also waits 0.6 s for input (idle)
	timeout 60 "$ST" --profile --folded "$OUT/off.folded" -q -- "$OFFSVC" 120 10 5 \
		>"$OUT/off.truth" 2>"$OUT/off.err"
	eq "$?" 0 "streamtrace --profile exit status"
	$CHECK offcpu "$OUT/off.folded" "$OUT/off.truth" 5 >"$OUT/c.txt" || bad "$(cat "$OUT/c.txt")"
	msg "$(head -1 "$OUT/c.txt")"
}

test_record_report_folded() {
	timeout 60 "$ST" record -o "$OUT/off.strec" --profile --json -- "$OFFSVC" 60 10 \
		>"$OUT/rec.live" 2>"$OUT/rec.err"
	eq "$?" 0 "record --profile exit status"
	grep '^{"requests"' "$OUT/rec.live" >"$OUT/rec.truth"
	grep -v '^{"requests"' "$OUT/rec.live" >"$OUT/rec.live.jsonl"
	# what record --json printed, profile included, is what report --json reads
	"$ST" report "$OUT/off.strec" --json >"$OUT/rec.report.jsonl" 2>>"$OUT/rep.err"
	cmp -s "$OUT/rec.live.jsonl" "$OUT/rec.report.jsonl" ||
		bad "report --json differs from record --json: $(diff "$OUT/rec.live.jsonl" \
			"$OUT/rec.report.jsonl" | head -c 300)"
	"$ST" report "$OUT/off.strec" --folded >"$OUT/rec.folded" 2>"$OUT/rep.err"
	eq "$?" 0 "report --folded exit status"
	$CHECK offcpu "$OUT/rec.folded" "$OUT/rec.truth" 0 >"$OUT/c.txt" || bad "$(cat "$OUT/c.txt")"
	msg "from the recording: $(head -1 "$OUT/c.txt")"
	"$ST" report "$OUT/off.strec" --folded "$OUT/rec2.folded" 2>>"$OUT/rep.err"
	eq "$?" 0 "report --folded FILE exit status"
	cmp -s "$OUT/rec.folded" "$OUT/rec2.folded" || bad "report --folded FILE differs from stdout"
	"$ST" report "$OUT/off.strec" --json | tail -1 | grep -q '"profile":{"hz":99' ||
		bad "report --json has no profile key"
	# a recording without a profile: one line, exit 2
	timeout 30 "$ST" record -o "$OUT/plain.strec" -q -- "$OFFSVC" 3 1 >/dev/null 2>&1
	"$ST" report "$OUT/plain.strec" --folded >"$OUT/plain.out" 2>"$OUT/plain.err"
	eq "$?" 2 "report --folded without a profile: exit status"
	eq "$(wc -l <"$OUT/plain.err")" 1 "one line on stderr"
}

test_flame_graph() {
	local chrome png=$OUT/flame.png
	timeout 60 "$ST" record -o "$OUT/hot.strec" --profile -q -- "$HOTSPIN" 2 >/dev/null 2>&1
	"$ST" report "$OUT/hot.strec" --html "$OUT/hot.html" 2>"$OUT/html.err"
	eq "$?" 0 "report --html exit status"
	! grep -qi '<script' "$OUT/hot.html" || bad "the flame graph needs no script"
	$CHECK svg "$OUT/hot.html" hot_function >"$OUT/c.txt" || bad "$(cat "$OUT/c.txt")"
	msg "$(head -1 "$OUT/c.txt")"
	chrome=$(command -v chromium || command -v chromium-browser || true)
	if [ -z "$chrome" ]; then
		msg "no chromium: the SVG was checked with python's XML parser only"
		return
	fi
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$OUT/chrome" --window-size=1280,400 --screenshot="$png" \
		"file://$OUT/hot.html.flame.html" >"$OUT/chrome.log" 2>&1
	[ -s "$png" ] || { bad "Chromium wrote no screenshot: $(tail -3 "$OUT/chrome.log")"; return; }
	cp "$png" "$ROOT/build/profile-flame.png" 2>/dev/null
	$CHECK png "$png" >"$OUT/c.txt" || bad "$(cat "$OUT/c.txt")"
	msg "$(head -1 "$OUT/c.txt") (build/profile-flame.png)"
}

# perf events open (anon_inode:[perf_event]) in a running streamtrace
perf_fds() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'perf_event' || true
}
# wait until streamtrace PID has attached (BPF links open, the process
# traced): up to 15 s on a loaded machine
attached() {
	local i=0
	while [ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'bpf_link')" -lt 5 ]; do
		sleep 0.1
		i=$((i + 1))
		[ $i -gt 150 ] && return 1
	done
	sleep 0.3 # the perf events come after the other links
}

test_off_without_profile() {
	local st n
	"$HOTSPIN" 30 >/dev/null &
	local hp=$!
	# -d bounds it (no timeout(1): $! must be streamtrace itself)
	"$ST" -q -d 20 -p "$hp" 2>"$OUT/np.err" &
	st=$!
	attached "$st" || bad "streamtrace did not attach within 15 s"
	n=$(perf_fds "$st")
	eq "$n" 0 "perf events without --profile"
	kill -INT "$st"
	wait "$st"
	"$ST" -q -d 20 --profile -p "$hp" 2>"$OUT/p.err" &
	st=$!
	attached "$st" || bad "streamtrace --profile did not attach within 15 s"
	for _ in $(seq 50); do # the perf events are opened last: a moment more
		n=$(perf_fds "$st")
		[ "$n" = "$(nproc)" ] && break
		sleep 0.1
	done
	eq "$n" "$(nproc)" "perf events with --profile (one per CPU)"
	kill -INT "$st"
	wait "$st"
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
	"$ST" --profile=0 -p 1 >/dev/null 2>&1
	eq "$?" 2 "--profile=0 is a usage error"
	"$ST" --folded -p 1 >/dev/null 2>&1
	eq "$?" 2 "--folded without FILE is a usage error"
}

# --- preflight --------------------------------------------------------------

GLOBAL_SKIP=""
if [ "$(id -u)" != 0 ]; then
	GLOBAL_SKIP="needs root (BPF)"
elif [ ! -x "$ST" ] || [ ! -x "$HOTSPIN" ] || [ ! -x "$OFFSVC" ]; then
	GLOBAL_SKIP="build first: make"
fi
if [ -n "$GLOBAL_SKIP" ]; then
	echo "profile: skipped: $GLOBAL_SKIP"
	exit 0
fi

run_test test_oncpu_hot_function
run_test test_oncpu_rate
run_test test_offcpu_in_service
run_test test_record_report_folded
run_test test_flame_graph
run_test test_off_without_profile

[ $skipped -gt 0 ] && echo "profile: $skipped skipped"
[ -n "$failures" ] && echo "profile: failed:$failures"
echo "profile: $pass passed, $failed failed"
[ $failed = 0 ]
