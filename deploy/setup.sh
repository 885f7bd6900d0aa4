#!/usr/bin/env bash
# Installs the build dependencies of Allmenning on Debian 12 (bookworm).
# Safe to re-run: when every package is already installed, apt is not touched.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  python3 python3-jsonschema
  libboost-dev libsodium-dev librocksdb-dev capnproto libcapnp-dev
  libgtest-dev libgmock-dev libxapian-dev libicu-dev nlohmann-json3-dev
  libcli11-dev libtomlplusplus-dev libspdlog-dev
  iproute2  # `ip netns` for the partition tests (tests/net)
  # The Debian package and its tests (deploy/package.sh, tests/deploy/):
  debhelper lintian systemd groff-base debootstrap systemd-container
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} build dependencies are already installed"
  exit 0
fi

# Root runs apt directly; anyone else needs sudo.
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: not root and sudo is not available; missing: ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
fi

echo "setup: missing packages: ${missing[*]}"
echo "setup: apt-get update"
"${as_root[@]}" apt-get update
# Only the missing packages, so installed libraries are never upgraded under a build.
echo "setup: apt-get install -y --no-install-recommends ${missing[*]}"
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: done"
