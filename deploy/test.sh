#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite under ctest;
# with CI=true it then runs the fuzz targets for 30 s each (deploy/fuzz.sh).
# The exit status is ctest's, or the fuzzing's when ctest passed.
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}

bash deploy/setup.sh
bash deploy/build.sh

# Tests read sample data (cases, schemas) from the shared folder next to the repo.
if [[ -d ../shared ]]; then
  ALLMENNING_SHARED_DIR=$(realpath ../shared)
  export ALLMENNING_SHARED_DIR
  echo "test: ALLMENNING_SHARED_DIR=$ALLMENNING_SHARED_DIR"
fi

echo "test: ctest --test-dir $build_dir --output-on-failure -j2 --timeout 600"
ctest_log=$(mktemp)
trap 'rm -f "$ctest_log"' EXIT
ctest_status=0
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600 2>&1 | tee "$ctest_log" ||
  ctest_status=$?

# CI also fuzzes every decoder of outside bytes for 30 s each (docs/fuzzing.md).
fuzz_status=0
if [[ ${CI:-} == true ]]; then
  echo "test: bash deploy/fuzz.sh 30"
  bash deploy/fuzz.sh 30 || fuzz_status=$?
  [[ $fuzz_status -eq 0 ]] || echo "test: fuzzing FAILED (exit $fuzz_status)" >&2
  # ctest's summary again, so it stays the closing lines of the run.
  grep -E "tests passed|Total Test time" "$ctest_log" || true
fi

[[ $ctest_status -ne 0 ]] && exit "$ctest_status"
exit "$fuzz_status"
