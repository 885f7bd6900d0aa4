#!/usr/bin/env bash
# Configures and builds Allmenning with CMake and Ninja.
# BUILD_DIR (default: build, relative to the repository root) picks the build tree.
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=$(nproc)

echo "build: cmake -S . -B $build_dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "build: cmake --build $build_dir -j$jobs"
cmake --build "$build_dir" -j"$jobs"
