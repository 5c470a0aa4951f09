#!/usr/bin/env bash
# Runs the date-sensitive part of the suite with the system clock moved to hard
# instants and the time zone set far from Shanghai, to show that no test (and no
# code under test) depends on the machine's date or time zone. Each scenario
# moves the clock by a fixed offset (libfaketime through Debian's `faketime`),
# so every process of the run, test files and the servers they start, agrees
# on the time, and the clock runs on from the instant across the boundary.
#
#   npm run test:clocks                 # every scenario on the default files
#   npm run test:clocks -- test/domain  # every scenario on some files
#
# Ends with "N passed, N failed" summed over the scenarios.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "test:clocks: faketime is not installed (apt-get install faketime); CI needs it"; echo "0 passed, 1 failed"; exit 1
  fi
  echo "test:clocks: skipped: faketime is not installed (apt-get install faketime)"; exit 0
fi

folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(test/domain test/routes test/plugins test/i18n test/server.test.ts test/ledger test/cli)
mapfile -t files < <(find "${folders[@]}" -name '*.test.ts' | sort)

# name | instant (UTC) | TZ
scenarios=(
  "last minute of February in Shanghai (still 28 Feb in UTC after midnight in Shanghai)|2027-02-28T15:59:00Z|America/Los_Angeles"
  "New Year in Shanghai, already 1 January far east|2026-12-31T15:59:30Z|Pacific/Kiritimati"
  "leap day, still 28 February in the time zone|2028-02-29T04:00:00Z|America/Los_Angeles"
)

npx tap build >/dev/null || { echo "test:clocks: tap build failed"; echo "0 passed, 1 failed"; exit 1; }
total_pass=0
total_fail=0
status=0
# What failed, per scenario, printed again just before the closing line (CI shows the tail of a run).
failures=$(mktemp)
for scenario in "${scenarios[@]}"; do
  IFS='|' read -r name instant zone <<<"$scenario"
  offset=$(( $(date -d "$instant" +%s) - $(date +%s) ))
  echo "== test:clocks: $name: clock at $instant, TZ=$zone"
  log=$(mktemp)
  sign="+"; [ "$offset" -lt 0 ] && sign=""
  FAKETIME_DONT_FAKE_MONOTONIC=1 TZ="$zone" faketime -f "${sign}${offset}s" npx tap "${files[@]}" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -1)
  pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
  fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
  total_pass=$(( total_pass + ${pass:-0} ))
  total_fail=$(( total_fail + ${fail:-0} ))
  if grep -qE '^ *not ok ' "$log"; then
    { echo "test:clocks: failed at $instant, TZ=$zone:"; grep -E '^ *not ok ' "$log" | head -40; } >>"$failures"
  fi
  rm -f "$log"
done
[ -s "$failures" ] && cat "$failures"
rm -f "$failures"
if [ "$status" -ne 0 ] && [ "$total_fail" -eq 0 ]; then total_fail=1; fi
echo "$total_pass passed, $total_fail failed"
exit "$status"
