#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) under ASan and UBSan in build-fuzz and
# runs each for SECONDS seconds (default 60) from a scratch copy of its seed
# corpus. Fails on any crash, leak, timeout or out-of-memory, and on any
# corpus input that takes longer than FUZZ_SLOW_MS (100) to replay.
#
#   bash deploy/fuzz.sh [SECONDS]
#
# FUZZ_TARGETS picks targets (default: all), FUZZ_RUNS stops a target after
# that many executions (whichever of time and runs comes first), FUZZ_NICE
# runs the fuzzers under nice, FUZZ_SKIP_BUILD=1 uses the binaries already
# built, FUZZ_KEEP_CORPUS=1 goes on from the working corpus of an earlier
# run. docs/fuzzing.md describes the targets.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-60}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
work=${FUZZ_WORK_DIR:-$build_dir/fuzz-work}
slow_ms=${FUZZ_SLOW_MS:-100}
default_targets="fuzz_frame fuzz_handshake fuzz_wire fuzz_entry fuzz_case_json fuzz_sync"
default_targets+=" fuzz_ocds fuzz_record_json fuzz_admin_wire fuzz_intent"
read -r -a targets <<<"${FUZZ_TARGETS:-$default_targets}"
nice_cmd=()
[[ -n ${FUZZ_NICE:-} ]] && nice_cmd=(nice -n "$FUZZ_NICE")

install_clang() {
  local packages=(clang libclang-rt-14-dev libfuzzer-14-dev) missing=() pkg status
  for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local as_root=()
  [[ $(id -u) -ne 0 ]] && as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
  export DEBIAN_FRONTEND=noninteractive
  echo "fuzz: missing packages: ${missing[*]}"
  "${as_root[@]}" apt-get update
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

build() {
  bash deploy/setup.sh
  install_clang
  # The shared compiler cache, when there is one.
  if command -v ccache >/dev/null 2>&1; then
    export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
    export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  fi
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DALLMENNING_FUZZ=ON >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target fuzz_all
}

# FUZZ_SKIP_BUILD=1 runs the binaries already in $build_dir/fuzz.
[[ -n ${FUZZ_SKIP_BUILD:-} ]] || build

# Leaks count as failures; UBSan findings stop the run with a stack trace.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

# The best of three runs of one input, in ms: a busy machine can stretch a
# single run, never shorten it.
best_of_three() {
  local bin=$1 file=$2
  for _ in 1 2 3; do
    "$bin" "$file" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p'
  done | sort -n | head -1
}

# Replays every file of the working corpus once, times the five slowest again
# one by one, and prints "MS FILE" of the slowest.
replay() {
  local bin=$1 dir=$2 log=$3 file ms
  if ! find "$dir" -type f -print0 | xargs -0 -r -n 500 "$bin" -rss_limit_mb=2048 >"$log" 2>&1; then
    echo "fuzz: replaying $dir failed; log: $log" >&2
    return 1
  fi
  sed -n 's/^Executed \(.*\) in \([0-9]*\) ms$/\2 \1/p' "$log" | sort -n | tail -5 |
    while read -r _ file; do
      ms=$(best_of_three "$bin" "$file")
      echo "${ms:-999999} $file"
    done | sort -n | tail -1
}

failed=0
for target in "${targets[@]}"; do
  bin=$build_dir/fuzz/$target
  corpus=$work/$target
  artifacts=$work/$target-artifacts
  log=$work/$target.log
  # FUZZ_KEEP_CORPUS=1 goes on from the working corpus of an earlier run.
  [[ -n ${FUZZ_KEEP_CORPUS:-} ]] || rm -rf "$corpus"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp -r "fuzz/corpus/$target/." "$corpus/"
  runs=()
  [[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
  echo "fuzz: $target for ${seconds}s ${runs[*]}"
  start=$(date +%s)
  status=0
  "${nice_cmd[@]}" "$bin" -max_total_time="$seconds" "${runs[@]}" -rss_limit_mb=2048 -timeout=10 \
    -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 ||
    status=$?
  wall=$(($(date +%s) - start))
  if [[ $status -ne 0 ]]; then
    echo "fuzz: $target FAILED (exit $status); log: $log; input: $(ls "$artifacts")" >&2
    grep -E "ERROR|invariant broken|SUMMARY|runtime error" "$log" | head -20 >&2 || true
    failed=1
    continue
  fi
  if ! slowest=$(replay "$bin" "$corpus" "$work/$target.replay.log"); then
    failed=1
    continue
  fi
  slow_time=${slowest%% *}
  echo "fuzz: $target: $(stat_of number_of_executed_units "$log") execs," \
    "$(stat_of average_exec_per_sec "$log") exec/s, ${wall}s," \
    "corpus $(find "$corpus" -type f | wc -l) inputs," \
    "slowest ${slow_time:-?} ms (${slowest#* })," \
    "peak rss $(stat_of peak_rss_mb "$log") MB"
  if [[ -z $slow_time || $slow_time -gt $slow_ms ]]; then
    echo "fuzz: $target: an input takes ${slow_time:-?} ms (limit $slow_ms): ${slowest#* }" >&2
    failed=1
  fi
done

if [[ $failed -ne 0 ]]; then
  echo "fuzz: FAILED" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
