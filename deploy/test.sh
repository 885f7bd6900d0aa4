#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite under ctest.
# The exit status is ctest's.
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
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600
