#!/usr/bin/env bash
# Run integration suites one after another (tests/integration/SUITE.sh) and,
# at the very end, repeat what failed: each failed suite's FAIL lines and the
# test they belong to. CI keeps only the tail of a long log, so the failures
# must be the last thing printed, not buried 800 lines up.
# usage: scripts/run-suites.sh SUITE...   (env passes through, e.g. SOAK_S)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
logs=$(mktemp -d /tmp/streamtrace-suites.XXXXXX)
trap 'rm -rf "$logs"' EXIT
failed=()
for s in "$@"; do
	if [ ! -x "$root/tests/integration/$s.sh" ]; then
		echo "run-suites: no suite tests/integration/$s.sh" >&2
		failed+=("$s")
		continue
	fi
	start=$(date +%s)
	"$root/tests/integration/$s.sh" 2>&1 | tee "$logs/$s.log"
	rc=${PIPESTATUS[0]}
	echo "($s: $(($(date +%s) - start)) s, exit $rc)"
	[ "$rc" = 0 ] || failed+=("$s")
done
[ ${#failed[@]} = 0 ] && exit 0
echo
echo "=== integration: ${#failed[@]} suite(s) failed: ${failed[*]}"
for s in "${failed[@]}"; do
	[ -f "$logs/$s.log" ] || continue
	echo "--- $s"
	# each failed test's name, then its FAIL lines (at most 40 per suite)
	awk '/^--- test_/ { t = $2 } /FAIL/ { if (t != shown) { print "  " t; shown = t } print "    " $0 }' \
		"$logs/$s.log" | head -40
	grep -E '^(failed:|[a-z]+: [0-9]+ passed)' "$logs/$s.log" | tail -2 | sed 's/^/  /'
done
exit 1
