#!/usr/bin/env bash
# The full suite as two pytest sessions side by side: the tests of the root lab (one lab
# per machine, so one session) and all the others. Each prints its 20 slowest tests; the
# exit code is the worse of the two.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider --durations=20 "$@")
others_log=$(mktemp -t fixline-tests-others.XXXXXX)
trap 'rm -f "$others_log"' EXIT

start=$SECONDS
"${PYTEST[@]}" -m "not lab" >"$others_log" 2>&1 &
others=$!
# Ctrl-C (or CI's timeout) stops both sessions, not only the one in the foreground.
trap 'kill "$others" 2>/dev/null; exit 130' INT TERM
echo "== tests without the lab: running in the background, shown when both end"
echo "== tests with the lab"
"${PYTEST[@]}" -m lab
lab_rc=$?
lab_s=$((SECONDS - start))
wait "$others"
others_rc=$?
echo
echo "== tests without the lab"
cat "$others_log"
echo
echo "== lab session: exit $lab_rc after ${lab_s} s; others: exit $others_rc;" \
  "all tests in $((SECONDS - start)) s"
# pytest's 5 means "no tests collected": a filter that matched nothing is an error here too.
exit $((lab_rc > others_rc ? lab_rc : others_rc))
