#!/usr/bin/env bash
# Builds build/allmenning_<version>_<arch>.deb (docs/operations.md, "The
# package"): the allmenning binary, its man page and bash completion from the
# build tree, and the packaging in deploy/debian/ (debhelper, without a
# second compile). Needs debhelper and dpkg-dev (deploy/setup.sh installs them).
#
# BUILD_DIR (default: build) picks the build tree; it is configured and the
# three outputs are built first when they are missing or stale.
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}

if [[ ! -f $build_dir/build.ninja ]]; then
  echo "package: cmake -S . -B $build_dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
echo "package: cmake --build $build_dir --target allmenning allmenning_manpage"
cmake --build "$build_dir" -j"$(nproc)" --target allmenning allmenning_manpage

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
arch=$(dpkg --print-architecture)
if [[ -z $version ]]; then
  echo "package: no project version in $build_dir/CMakeCache.txt" >&2
  exit 1
fi

# A staging folder inside the build tree: debhelper writes its work files
# into debian/, and the source tree stays clean.
stage=$build_dir/deb
rm -rf "$stage"
mkdir -p "$stage"
cp -r deploy/debian "$stage/debian"
cp "$build_dir/cli/allmenning" "$build_dir/cli/allmenning.1" "$build_dir/cli/allmenning.bash" \
  "$stage/"
# The changelog dates the package by the last commit, so a rebuild of one
# commit yields the same package.
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
cat >"$stage/debian/changelog" <<CHANGES
allmenning ($version) unstable; urgency=medium

  * Build of the Allmenning source tree; see its history for the changes.

 -- Allmenning developers <developers@allmenning.invalid>  $date
CHANGES

deb=$build_dir/allmenning_${version}_${arch}.deb
rm -f "$deb"
echo "package: debian/rules binary in $stage"
(cd "$stage" && DEB_DESTDIR=.. debian/rules binary)
[[ -f $deb ]] || { echo "package: $deb was not written" >&2; exit 1; }
echo "package: wrote $deb"
