#!/usr/bin/env bash
# Installs the package into a clean Debian 12 root and uses it as an
# operator would: --help, init as the allmenning user into /var/lib/allmenning,
# case put, search, verify; then purges the package and checks that the node
# (its key and database) is still there. Then, where systemd-nspawn exists, it
# boots that root with systemd as PID 1 and checks the service under its real
# unit (tests/deploy/service_probe.sh). docs/operations.md shows this run.
#
#   tests/deploy/install_test.sh [DEB]    default: the newest build/allmenning_*.deb
#
# Needs root, debootstrap and the Debian mirror; exits 77 (skipped) without
# them, saying why. The minimal root (debootstrap --variant=minbase
# bookworm) is cached in build/install-test/cache and copied fresh for each
# run; the copy and its mounts (/proc, /dev) are removed on every exit path.
set -uo pipefail

cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build}
deb=${1:-$(ls -t "$build_dir"/allmenning_*.deb 2>/dev/null | head -1)}
skip() {
  echo "install test: skipped: $1"
  exit 77
}
[[ -n $deb && -f $deb ]] || skip "no package; build one with deploy/package.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (deploy/setup.sh installs it)"

base=$(realpath -m "$build_dir/install-test")
cache=$base/cache
root=$base/root
mkdir -p "$base"

started=$SECONDS
if [[ ! -f $cache/.complete ]]; then
  rm -rf "$cache"
  echo "install test: debootstrap --variant=minbase bookworm $cache"
  if ! debootstrap --variant=minbase bookworm "$cache" >"$base/debootstrap.log" 2>&1; then
    tail -5 "$base/debootstrap.log"
    rm -rf "$cache"
    skip "debootstrap failed (no route to the Debian mirror?); see $base/debootstrap.log"
  fi
  touch "$cache/.complete"
  echo "install test: debootstrap took $((SECONDS - started)) s"
fi

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null; done
  # Only once nothing is mounted under it may the copy go.
  if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
}
trap cleanup EXIT INT TERM
rm -rf "$root"
cp -a "$cache" "$root"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/allmenning.deb"
cp deploy/examples/flomvarsling-sma-vassdrag.json "$root/tmp/case.json"

passed=0
failed=0
# run_in NAME COMMAND...: runs COMMAND in the root (through bash -c), shows its
# output indented, and counts it.
run_in() {
  local name=$1
  shift
  local out rc
  out=$(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /bin/bash -c "$*" 2>&1)
  rc=$?
  [[ -n $out ]] && sed 's/^/    /' <<<"$out"
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name (exit $rc)"
  fi
}
as_node() { echo "runuser -u allmenning -- allmenning --home /var/lib/allmenning $*"; }

echo "install test: apt-get install ./allmenning.deb in a clean root"
run_in "apt-get update" "apt-get update -q >/dev/null"
run_in "apt-get install ./allmenning.deb" \
  "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/allmenning.deb \
     >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }"
run_in "allmenning --version" "allmenning --version"
run_in "the allmenning user, with its home in /var/lib/allmenning" \
  "getent passwd allmenning | grep -q ':/var/lib/allmenning:' && getent passwd allmenning"
run_in "/var/lib/allmenning is the user's, mode 0700" \
  "test \"\$(stat -c '%U %a' /var/lib/allmenning)\" = 'allmenning 700' && stat -c '%U %a %n' /var/lib/allmenning"
run_in "init as the allmenning user" \
  "$(as_node init --name "'Lom kommune'" --kommunenummer 3434 --listen 127.0.0.1:0)"
run_in "/etc/allmenning/allmenning.toml is the node's config" \
  "grep -q '^listen = .127.0.0.1:0.' /etc/allmenning/allmenning.toml && ls -l /etc/allmenning/allmenning.toml"
run_in "the key is the user's, mode 0600" \
  "test \"\$(stat -c '%U %a' /var/lib/allmenning/key)\" = 'allmenning 600'"
run_in "case put" "cd /tmp && $(as_node case put case.json)"
run_in "search" "$(as_node search flomvarsling) | grep -q flomvarsling-sma-vassdrag && $(as_node search flomvarsling)"
run_in "verify" "$(as_node verify)"
run_in "systemd-analyze verify of the installed unit" \
  "systemd-analyze verify --man=no /lib/systemd/system/allmenning.service"
run_in "apt-get purge allmenning" \
  "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q allmenning >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }"
run_in "the binary and the config link are gone" \
  "! test -e /usr/bin/allmenning && ! test -L /etc/allmenning/allmenning.toml"
run_in "/var/lib/allmenning, its key and database are still there" \
  "test -f /var/lib/allmenning/key && test -d /var/lib/allmenning/db && ls /var/lib/allmenning"
run_in "installed again, the node is the same and verifies" \
  "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/allmenning.deb \
     >/tmp/apt.log 2>&1 && $(as_node case show flomvarsling-sma-vassdrag) | head -3 && $(as_node verify) >/dev/null"

# Under systemd: boot the root with systemd as PID 1 (systemd-nspawn) and
# let tests/deploy/service_probe.sh check the service under its real unit.
if command -v systemd-nspawn >/dev/null; then
  cp deploy/examples/tunnel-evakuering-lyd.json "$root/root/case.json"
  install -m 0755 tests/deploy/service_probe.sh "$root/usr/local/bin/service-probe"
  mkdir -p "$root/etc/systemd/system/allmenning.service.d"
  # The test waits 12 s, not minutes: the watchdog then expects a ping every 2 s.
  printf '[Service]\nWatchdogSec=4s\n' >"$root/etc/systemd/system/allmenning.service.d/test.conf"
  printf '[Unit]\nAfter=allmenning.service\nWants=allmenning.service\n[Service]\nType=oneshot\nExecStart=/usr/local/bin/service-probe\n' \
    >"$root/etc/systemd/system/service-probe.service"
  ln -sf /etc/systemd/system/service-probe.service \
    "$root/etc/systemd/system/multi-user.target.wants/service-probe.service"
  run_in "systemctl enable allmenning" "systemctl enable allmenning 2>&1 | tail -1"
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
  mounted=()
  echo "install test: booting the root with systemd-nspawn"
  timeout 300 systemd-nspawn -q --register=no --keep-unit -D "$root" --boot \
    >"$base/boot.log" 2>&1 </dev/null
  if [[ -f $root/root/probe.txt ]] && grep -q "^probe: done" "$root/root/probe.txt"; then
    cat "$root/root/probe.txt"
    passed=$((passed + $(grep -c '^ok: ' "$root/root/probe.txt")))
    failed=$((failed + $(grep -c '^FAILED: ' "$root/root/probe.txt")))
  else
    failed=$((failed + 1))
    echo "FAILED: the booted root ran the probe (see $base/boot.log)"
    tail -20 "$base/boot.log"
  fi
else
  echo "install test: the systemd part is skipped: systemd-nspawn is not installed"
fi

echo "install test: took $((SECONDS - started)) s"
echo "install test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
