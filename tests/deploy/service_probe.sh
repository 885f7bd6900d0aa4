#!/bin/bash
# Runs inside the installed Debian root booted with systemd as PID 1
# (tests/deploy/install_test.sh boots it with systemd-nspawn): checks the
# allmenning service under its real unit and sandbox, writes one line per
# check to /root/probe.txt ("ok: …" or "FAILED: …"), then powers off.
exec >/root/probe.txt 2>&1
A="runuser -u allmenning -- allmenning --home /var/lib/allmenning"
check() {  # check NAME COMMAND...
  local name=$1
  shift
  if out=$("$@" 2>&1); then echo "ok: $name"; else echo "FAILED: $name"; fi
  [[ -n $out ]] && sed 's/^/    /' <<<"$out"
}
prop() { systemctl show allmenning -p "$1" --value; }

check "the service is active (it said READY=1)" test "$(prop ActiveState)" = active
check "systemctl status shows its STATUS= line" \
  bash -c "systemctl status allmenning --no-pager | grep 'Status: \"listening on'"
pid=$(prop MainPID)
check "it runs as allmenning, without capabilities, under seccomp, no new privileges" \
  bash -c "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$pid/status &&
    test \$(stat -c %U /proc/$pid) = allmenning &&
    grep -qE '^CapEff:\s+0+$' /proc/$pid/status && grep -qE '^CapBnd:\s+0+$' /proc/$pid/status &&
    grep -qE '^NoNewPrivs:\s+1$' /proc/$pid/status && grep -qE '^Seccomp:\s+2$' /proc/$pid/status"
check "case put through the running service" bash -c "$A case put - </root/case.json"
check "search through it" bash -c "$A search tunnel | grep -q tunnel-evakuering-lyd"
check "verify through it" $A verify
check "the journal files its lines as info (<6>), with no time of their own" \
  bash -c "journalctl -u allmenning -p info..info -o cat | grep '^listening on 127.0.0.1:[0-9]* key='"
check "nothing at warning or worse" \
  bash -c "test -z \"\$(journalctl -u allmenning -p warning -o cat)\""
# The test's drop-in sets WatchdogSec=4s: pings every 2 s. 12 s later the
# service must still be the same process, never restarted.
sleep 12
check "the watchdog is fed: same process, no restart, no timeout" \
  bash -c "test \$(systemctl show allmenning -p MainPID --value) = $pid &&
    test \$(systemctl show allmenning -p NRestarts --value) = 0 &&
    ! journalctl -u allmenning -o cat | grep -i watchdog"
# `systemctl reload` runs the unit's ExecReload (the shell's kill -HUP; a
# minimal root has no /bin/kill): the same process reads its config again.
check "systemctl reload: the config is read again by the same process" \
  bash -c "systemctl reload allmenning && sleep 1 && test \$(systemctl show allmenning -p MainPID --value) = $pid &&
    journalctl -u allmenning -o cat | grep 'config event=reloaded path=' &&
    test \"\$(systemctl show allmenning -p ActiveState --value)\" = active"
check "systemctl stop: STOPPING, exit 0, admin.sock gone" \
  bash -c "systemctl stop allmenning && test \"\$(systemctl show allmenning -p Result --value)\" = success &&
    test \"\$(systemctl show allmenning -p ExecMainStatus --value)\" = 0 &&
    ! test -e /var/lib/allmenning/admin.sock && journalctl -u allmenning -o cat | grep 'node stopped exit=0'"
check "started again, it holds both cases" \
  bash -c "systemctl start allmenning && $A search | grep -q '^2 cases'"
echo "probe: done"
systemctl poweroff
