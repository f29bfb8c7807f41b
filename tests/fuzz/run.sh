#!/usr/bin/env bash
# Runs the libFuzzer harnesses (built by the `fuzz` preset): first every kept input once (the seed
# corpus and tests/fuzz/regressions, inputs that once crashed), then each harness for SECONDS
# (default 60) from its seed corpus. A finding fails the run and is left in build/fuzz/findings/.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
shopt -s nullglob
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-60}
bin=build/fuzz/tests/fuzz
findings=build/fuzz/findings
mkdir -p "$findings"
status=0
for name in csv mm cli_args; do
  fuzzer="$bin/fuzz_$name"
  [ -x "$fuzzer" ] || { echo "tests/fuzz/run.sh: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2; exit 1; }
  kept=(tests/fuzz/corpus/"$name"/*)
  if [ -d tests/fuzz/regressions/"$name" ]; then kept+=(tests/fuzz/regressions/"$name"/*); fi
  echo "== fuzz_$name: ${#kept[@]} kept inputs"
  "$fuzzer" -runs=1 "${kept[@]}" > "$findings/$name.replay.log" 2>&1 || {
    echo "fuzz_$name: a kept input fails (see $findings/$name.replay.log)" >&2; status=1; }
  work=build/fuzz/corpus-work/$name
  mkdir -p "$work"
  echo "== fuzz_$name: ${seconds} s"
  if "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$findings/$name-" "$work" tests/fuzz/corpus/"$name" > "$findings/$name.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$findings/$name.log" | sed "s/^/   /" || true
  else
    echo "fuzz_$name: FINDING (see $findings/$name.log; input in $findings/$name-*)" >&2
    tail -n 30 "$findings/$name.log" >&2
    status=1
  fi
done
exit $status
