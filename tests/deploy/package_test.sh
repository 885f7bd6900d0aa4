#!/usr/bin/env bash
# Checks the Debian package deploy/package.sh built: control fields, the
# file list, the maintainer scripts, lintian (no errors) and the systemd
# unit's hardening (systemd-analyze security at 2.0 or lower).
#
#   tests/deploy/package_test.sh [DEB]    default: the newest build/allmenning_*.deb
#
# Exits 77 (skipped, for ctest) when there is no package or a tool is missing.
set -uo pipefail

cd "$(dirname "$0")/../.."
deb=${1:-$(ls -t "${BUILD_DIR:-build}"/allmenning_*.deb 2>/dev/null | head -1)}
if [[ -z $deb || ! -f $deb ]]; then
  echo "package test: skipped: no package; build one with deploy/package.sh"
  exit 77
fi
for tool in dpkg-deb lintian systemd-analyze; do
  if ! command -v "$tool" >/dev/null; then
    echo "package test: skipped: $tool is not installed (deploy/setup.sh installs it)"
    exit 77
  fi
done

passed=0
failed=0
check() {  # check NAME COMMAND...: runs the command, counts and reports it
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"
listing=$(dpkg-deb -c "$deb")
field() { dpkg-deb -f "$deb" "$1"; }

# --- control fields -----------------------------------------------------
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "${BUILD_DIR:-build}/CMakeCache.txt")
check "Package is allmenning" test "$(field Package)" = allmenning
check "Version is the project's ($version)" test "$(field Version)" = "$version"
check "Architecture is $(dpkg --print-architecture)" \
  test "$(field Architecture)" = "$(dpkg --print-architecture)"
check "Section is net" test "$(field Section)" = net
depends=$(field Depends)
echo "  Depends: $depends"
# dpkg-shlibdeps found the libraries the binary links; none is written by hand.
# (RocksDB is linked statically; its compression libraries show instead.)
for lib in libc6 libstdc++6 libsodium libxapian libcapnp libzstd; do
  check "Depends names $lib (computed by dpkg-shlibdeps)" grep -q "$lib" <<<"$depends"
done
check "Depends lets systemd-sysusers create the user" \
  grep -q "systemd | systemd-standalone-sysusers | systemd-sysusers" <<<"$depends"
check "no hand-written Depends in deploy/debian/control" \
  grep -qx 'Depends: ${shlibs:Depends}, ${misc:Depends}' deploy/debian/control

# --- files ----------------------------------------------------------------
has() { grep -qE "$1" <<<"$listing"; }
check "/usr/bin/allmenning, root-owned, 0755" has '^-rwxr-xr-x root/root .* \./usr/bin/allmenning$'
check "the unit in /lib/systemd/system" has ' \./lib/systemd/system/allmenning\.service$'
check "the sysusers.d entry" has ' \./usr/lib/sysusers\.d/allmenning\.conf$'
check "the tmpfiles.d entry" has ' \./usr/lib/tmpfiles\.d/allmenning\.conf$'
check "the man page allmenning(1)" has ' \./usr/share/man/man1/allmenning\.1\.gz$'
check "the bash completion" has ' \./usr/share/bash-completion/completions/allmenning$'
check "/etc/allmenning/allmenning.toml links to the home's config" \
  has ' \./etc/allmenning/allmenning\.toml -> /var/lib/allmenning/allmenning\.toml$'
check "the copyright file" has ' \./usr/share/doc/allmenning/copyright$'
# dpkg removes what it owns; the node's key and log must never be among it.
check "no file or folder under /var/lib/allmenning belongs to the package" \
  bash -c "! grep -q ' \./var/lib/allmenning' <<<\"\$1\"" _ "$listing"
check "the binary in the package answers --help" "$work/root/usr/bin/allmenning" --help >/dev/null
check "sysusers.d makes the allmenning user with its home in /var/lib/allmenning" \
  grep -qx 'u allmenning - "Allmenning node" /var/lib/allmenning' \
  "$work/root/usr/lib/sysusers.d/allmenning.conf"
check "tmpfiles.d makes /var/lib/allmenning, 0700, owned by allmenning" \
  grep -qx 'd /var/lib/allmenning 0700 allmenning allmenning -' \
  "$work/root/usr/lib/tmpfiles.d/allmenning.conf"

# --- maintainer scripts -----------------------------------------------------
check "postinst creates the user (systemd-sysusers)" grep -q systemd-sysusers "$work/control/postinst"
check "postinst creates the home (systemd-tmpfiles)" grep -q systemd-tmpfiles "$work/control/postinst"
check "no maintainer script removes /var/lib/allmenning" \
  bash -c "! grep -l '/var/lib/allmenning' \"\$1\"/control/p* 2>/dev/null | grep -q ." _ "$work"

# --- lintian ------------------------------------------------------------------
lintian_out=$(lintian --fail-on error --display-level '>=warning' "$deb" 2>&1)
lintian_rc=$?
[[ -n $lintian_out ]] && sed 's/^/  lintian: /' <<<"$lintian_out"
check "lintian reports no errors" test "$lintian_rc" -eq 0
check "lintian reports no E: tag" bash -c "! grep -q '^E:' <<<\"\$1\"" _ "$lintian_out"

# --- the unit ---------------------------------------------------------------
unit=$work/root/lib/systemd/system/allmenning.service
security=$(systemd-analyze security --offline=true "$unit" 2>&1 | tail -1)
echo "  $security"
exposure=$(sed -n 's/.*Overall exposure level for allmenning.service: \([0-9.]*\).*/\1/p' \
  <<<"$security")
check "systemd-analyze security rates the unit 2.0 or lower (measured: ${exposure:-none})" \
  awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
check "Type=notify" grep -qx 'Type=notify' "$unit"
check "systemctl reload sends SIGHUP (run reloads its config on it)" \
  grep -qx "ExecReload=/bin/sh -c 'kill -HUP \"\$MAINPID\"'" "$unit"
# verify needs the binary where ExecStart names it: a copy of the unit
# whose ExecStart names the extracted binary, and nothing else changed
# (the install test verifies the installed unit itself). No man pages: the
# Documentation= page is checked above.
sed "s|^ExecStart=/usr/bin/allmenning|ExecStart=$work/root/usr/bin/allmenning|" "$unit" \
  >"$work/allmenning.service"
verify_out=$(systemd-analyze verify --man=no "$work/allmenning.service" 2>&1)
verify_rc=$?
[[ -n $verify_out ]] && sed 's/^/  verify: /' <<<"$verify_out"
check "systemd-analyze verify accepts the unit" test "$verify_rc" -eq 0

echo "package test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
