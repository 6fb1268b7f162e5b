#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan, build-fuzz/ or $SOMA_FUZZ_BUILD_DIR) and
# runs each for a fixed time; exits 1 if any finds a crash, a sanitizer report, an unexpected exception, an
# input slower than the timeout or memory over the limit. docs/architecture.md ("Fuzzing") tells how to run
# them longer and how to replay a finding.
#   scripts/fuzz.sh [TARGET...]         TARGET: scenario, equations, waveform (default: all three)
#   SOMA_FUZZ_SECONDS (60)              fuzzing time per target (-max_total_time)
# Corpora grow in BUILD/fuzz-corpus/TARGET (seeded from examples/ and tests/fuzz/corpus/TARGET); findings are
# written to BUILD/fuzz-findings/TARGET/ (crash-*, timeout-*, oom-*, leak-*); each run's log is BUILD/fuzz-logs/TARGET.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/packages.sh
# Debian 12's clang 14; libclang-rt-14-dev holds libFuzzer and the sanitizers' run times.
install_missing "${soma_packages[@]}" clang libclang-rt-14-dev

build=${SOMA_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${SOMA_FUZZ_SECONDS:-60}
targets=("$@")
((${#targets[@]})) || targets=(scenario equations waveform)

# seeds TARGET: the example files that seed TARGET's corpus.
seeds() {
  case $1 in
    scenario) echo examples/*.ini ;;
    equations) echo examples/models/*.eq ;;
    waveform) ;;
    *) echo "fuzz.sh: unknown target '$1'; the targets are scenario, equations, waveform" >&2; exit 2 ;;
  esac
}

for target in "${targets[@]}"; do seeds "$target" >/dev/null; done  # an unknown target stops here

# -O1 keeps the build short and assert() on; the fuzz build needs neither the tests nor MPI nor Python.
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DSOMA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DSOMA_BUILD_TESTS=OFF -DSOMA_PYTHON=OFF -DSOMA_MPI=OFF >/dev/null
cmake --build "$build" -j"${SOMA_FUZZ_BUILD_JOBS:-2}" --target "${targets[@]/#/soma_fuzz_}"

# run TARGET: fuzzes TARGET for $seconds s, its log in BUILD/fuzz-logs/TARGET.log; fails on a finding.
run() {
  local target=$1
  local corpus=$build/fuzz-corpus/$target findings=$build/fuzz-findings/$target log=$build/fuzz-logs/$target.log
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  local files
  files=$(seeds "$target")
  [ -z "$files" ] || cp $files "$corpus"/
  # The target writes each input to a file in a directory of its own under TMPDIR, which libFuzzer's exit does not
  # always let it remove: here, in the build tree, emptied before each run.
  local scratch=$build/fuzz-tmp/$target
  rm -rf "$scratch" && mkdir -p "$scratch"
  # Only this build's plug-ins; the corpus of tests/fuzz is read, never written.
  env -u SOMA_PLUGIN_PATH TMPDIR="$scratch" "$build/bin/soma_fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1
}

# The targets run at once (the machine's cores are shared among them), each for $seconds s.
echo "fuzz: ${targets[*]} for $seconds s each, at once"
pids=()
for target in "${targets[@]}"; do
  run "$target" &
  pids+=($!)
done
passed=0 failed=0
for k in "${!targets[@]}"; do
  target=${targets[$k]} log=$build/fuzz-logs/${targets[$k]}.log
  if wait "${pids[$k]}"; then
    passed=$((passed + 1))
    echo "fuzz: $target: no finding in $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") inputs (log: $log)"
  else
    failed=$((failed + 1))
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (log: $log); the input is in $build/fuzz-findings/$target/: replay it with" \
         "$build/bin/soma_fuzz_$target FILE" >&2
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
