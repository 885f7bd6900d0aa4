#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite under ctest.
# With CI=true it builds the Debian package before ctest (deploy/package.sh),
# and after it installs the package into a clean Debian 12 root
# (tests/deploy/install_test.sh) and runs the fuzz targets for 30 s each
# (deploy/fuzz.sh). The exit status is ctest's, else the install test's,
# else the fuzzing's.
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

# CI builds the Debian package first, so that ctest's package test checks it.
if [[ ${CI:-} == true ]]; then
  echo "test: bash deploy/package.sh"
  bash deploy/package.sh
fi

echo "test: ctest --test-dir $build_dir --output-on-failure -j2 --timeout 600"
ctest_log=$(mktemp)
trap 'rm -f "$ctest_log"' EXIT
ctest_status=0
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600 2>&1 | tee "$ctest_log" ||
  ctest_status=$?

# CI also installs the package into a clean Debian 12 root (a few minutes,
# so not part of ctest), and fuzzes every decoder of outside bytes for 30 s
# each (docs/fuzzing.md).
install_status=0
fuzz_status=0
if [[ ${CI:-} == true ]]; then
  echo "test: bash tests/deploy/install_test.sh"
  bash tests/deploy/install_test.sh || install_status=$?
  # 77: skipped (no root, or no route to the mirror), and it said why.
  [[ $install_status -eq 77 ]] && install_status=0
  [[ $install_status -eq 0 ]] || echo "test: install test FAILED (exit $install_status)" >&2
  echo "test: bash deploy/fuzz.sh 30"
  bash deploy/fuzz.sh 30 || fuzz_status=$?
  [[ $fuzz_status -eq 0 ]] || echo "test: fuzzing FAILED (exit $fuzz_status)" >&2
  # ctest's summary again, so it stays the closing lines of the run.
  grep -E "tests passed|Total Test time" "$ctest_log" || true
fi

[[ $ctest_status -ne 0 ]] && exit "$ctest_status"
[[ $install_status -ne 0 ]] && exit "$install_status"
exit "$fuzz_status"
