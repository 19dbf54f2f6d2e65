#!/usr/bin/env bash
# test.sh - installs the test dependencies (idempotent) and runs the whole
# suite: gcc build + ctest, clang -Werror build, ASan+UBSan build + ctest, and
# a short libFuzzer run of every fuzz target. Exits non-zero on any failure.
#   FUZZ_SECONDS (default 20) per target; JOBS (default nproc).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh" test
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}
out=${TRAWL_TEST_BUILD:-$top/build-test}
export TRAWL_SHARED=${TRAWL_SHARED:-$top/../shared}
status=0
steps_passed=0 steps_failed=0

step() { echo; echo "=== $*"; }
# tally STATUS_BEFORE: counts the step that just ran as passed or failed
tally() { if [ "$status" = "$1" ]; then steps_passed=$((steps_passed + 1)); else steps_failed=$((steps_failed + 1)); fi; }

step "gcc build, full suite"
cmake -S "$top" -B "$out/gcc" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/gcc" -j"$jobs" >/dev/null
(cd "$out/gcc" && ctest --output-on-failure -j"$jobs") || status=1
tally 0

step "clang build (warnings are errors)"
cmake -S "$top" -B "$out/clang" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
before=$status
cmake --build "$out/clang" -j"$jobs" >/dev/null || status=1
tally "$before"

# Every test but the tshark cross-check, which compares trawl's JSON (the
# same in both builds, and checked by the golden rows under ASan) with
# tshark's reading of 60 pcaps: under ASan it only adds minutes.
step "ASan+UBSan build, full suite except the tshark cross-check"
cmake -S "$top" -B "$out/asan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DTRAWL_SANITIZE=ON >/dev/null
cmake --build "$out/asan" -j"$jobs" >/dev/null
before=$status
(cd "$out/asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   TRAWL_TIMEOUT_MULT=4 ctest --output-on-failure -j"$jobs" -E '^golden\.tshark_check$') || status=1
tally "$before"

step "libFuzzer, ${fuzz_seconds}s per target"
cmake -S "$top" -B "$out/fuzz" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DTRAWL_SANITIZE=ON \
      -DTRAWL_FUZZ=ON -DTRAWL_E2E=OFF >/dev/null
cmake --build "$out/fuzz" -j"$jobs" >/dev/null
for bin in "$out"/fuzz/tests/fuzz_*; do
  t=$(basename "$bin"); t=${t#fuzz_}
  work=$(mktemp -d)
  dict=(); [ -f "$top/tests/fuzz/dict/$t.dict" ] && dict=(-dict="$top/tests/fuzz/dict/$t.dict")
  # -timeout: a single input taking over 10 s is a hang; fail at once
  # rather than after libFuzzer's default 20 minutes.
  if "$bin" -max_total_time="$fuzz_seconds" -timeout=10 -artifact_prefix="$work/" "${dict[@]}" \
       "$work" "$top/tests/fuzz/corpus/$t" >"$work/log" 2>&1; then
    echo "fuzz $t: ok ($(grep -o 'Done [0-9]* runs' "$work/log" | tail -1))"
    rm -rf "$work"; steps_passed=$((steps_passed + 1))
  else
    echo "fuzz $t: FAILED; log and crash input kept in $work"; tail -30 "$work/log"; status=1
    steps_failed=$((steps_failed + 1))
  fi
done

echo
echo "steps: $steps_passed passed, $steps_failed failed"
exit "$status"
