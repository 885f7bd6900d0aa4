#!/usr/bin/env bash
# A local federation on 127.0.0.1: two county hubs that dial each other and
# N municipalities, each dialing one hub (they alternate). Every node trusts
# both hubs; each hub vouches for the municipalities that dial it, so every
# municipality accepts every other one through the hubs' vouches.
#
#   deploy/testnet.sh N        start 2 hubs and N municipalities, load the
#                              example cases and wait until every node has them
#   deploy/testnet.sh status   one line per node: running or not, port, key
#   deploy/testnet.sh stop     stop every node started here (SIGTERM, pid files)
#   deploy/testnet.sh clean    stop, then delete the testnet folder
#
# Environment:
#   TESTNET_DIR      folder for the node homes, logs and pid files
#                    (default /tmp/allmenning-testnet)
#   TESTNET_PORT     first port to try; ports in use are skipped (default 7400)
#   TESTNET_CASES    folder of case files loaded round-robin into the
#                    municipalities; update-*.json files are published after
#                    the others, by the node that published that case id
#                    (default deploy/examples; "none" loads nothing)
#   TESTNET_TIMEOUT  seconds to wait for every node to hold every entry (default 60)
#   ALLMENNING_BIN   the binary (default build/cli/allmenning, else allmenning on PATH)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${TESTNET_DIR:-/tmp/allmenning-testnet}")
base_port=${TESTNET_PORT:-7400}
cases_dir=${TESTNET_CASES:-$repo/deploy/examples}
timeout=${TESTNET_TIMEOUT:-60}
# How to call this script again for the same folder, for the messages.
self=$0
if [[ "$dir" != /tmp/allmenning-testnet ]]; then self="TESTNET_DIR=$dir $0"; fi

# Hubs: folder, name, orgnr (the counties' real organisation numbers).
hub_dirs=(innlandet-hub vestland-hub)
hub_names=("Innlandet fylkeskommune hub" "Vestland fylkeskommune hub")
hub_orgnrs=(920717152 821311632)

# Municipalities with their real kommunenummer, in dialing order: even
# positions dial the Innlandet hub, odd positions the Vestland hub.
muni_dirs=(lom bergen skjak voss vaga stad sel sogndal lillehammer kinn
  gjovik stord hamar askoy ringsaker luster dovre ardal lesja stryn)
muni_names=("Lom kommune" "Bergen kommune" "Skjåk kommune" "Voss kommune"
  "Vågå kommune" "Stad kommune" "Sel kommune" "Sogndal kommune"
  "Lillehammer kommune" "Kinn kommune" "Gjøvik kommune" "Stord kommune"
  "Hamar kommune" "Askøy kommune" "Ringsaker kommune" "Luster kommune"
  "Dovre kommune" "Årdal kommune" "Lesja kommune" "Stryn kommune")
muni_numbers=(3434 4601 3433 4621 3435 4649 3437 4640 3405 4602
  3407 4614 3403 4627 3411 4644 3431 4643 3432 4651)

# Prints the header comment; exits with $1 (default 2, a usage error).
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

say() {
  printf 'testnet: %s\n' "$*"
}

fail() {
  printf 'testnet: %s\n' "$*" >&2
  exit 1
}

find_bin() {
  if [[ -n "${ALLMENNING_BIN:-}" ]]; then
    bin=$ALLMENNING_BIN
  elif [[ -x "$repo/build/cli/allmenning" ]]; then
    bin=$repo/build/cli/allmenning
  elif command -v allmenning >/dev/null 2>&1; then
    bin=$(command -v allmenning)
  else
    fail "no allmenning binary: set ALLMENNING_BIN, run deploy/build.sh, or put allmenning on PATH"
  fi
  [[ -x "$bin" ]] || fail "ALLMENNING_BIN=$bin is not executable"
  bin=$(realpath "$bin")
}

# The pid in DIR/NODE.pid if that process is alive and is `allmenning ... run`
# for that node's home; nothing otherwise.
live_pid() {
  local node=$1 pid
  [[ -f "$dir/$node.pid" ]] || return 0
  pid=$(<"$dir/$node.pid")
  [[ "$pid" =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--home $dir/$node run"; then
    echo "$pid"
  fi
}

# Every node folder of the testnet, in start order (from the nodes file).
node_list() {
  [[ -f "$dir/nodes" ]] || return 0
  cut -f1 "$dir/nodes"
}

cmd_stop() {
  [[ -d "$dir" ]] || { say "$dir does not exist; nothing to stop"; return 0; }
  local node pid pids=() names=() i
  for node in $(node_list); do
    pid=$(live_pid "$node")
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid"
      pids+=("$pid")
      names+=("$node")
    fi
    rm -f "$dir/$node.pid"
  done
  if [[ ${#pids[@]} -eq 0 ]]; then
    say "no node of $dir is running"
    return 0
  fi
  # `run` exits on SIGTERM after closing its connections and the database.
  for ((i = 0; i < 100; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  local stuck=()
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then stuck+=("${names[$i]} (pid ${pids[$i]})"); fi
  done
  if [[ ${#stuck[@]} -gt 0 ]]; then
    fail "still running 10 s after SIGTERM: ${stuck[*]}; see their logs in $dir"
  fi
  say "stopped ${#pids[@]} nodes: ${names[*]}"
}

cmd_clean() {
  [[ -d "$dir" ]] || { say "$dir does not exist; nothing to clean"; return 0; }
  [[ -f "$dir/nodes" ]] || fail "$dir has no nodes file, so it is not a testnet folder; not deleting it"
  cmd_stop
  rm -rf "$dir"
  say "removed $dir"
}

cmd_status() {
  [[ -f "$dir/nodes" ]] || fail "no testnet in $dir"
  local node port key pid state
  while IFS=$'\t' read -r node port key; do
    pid=$(live_pid "$node")
    state=stopped
    [[ -n "$pid" ]] && state="pid $pid"
    printf '%-14s %-10s 127.0.0.1:%-5s %s\n' "$node" "$state" "$port" "$key"
  done <"$dir/nodes"
}

port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the node does
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

next_port=$base_port
# Sets `port` to the next free port at or after next_port.
take_port() {
  while ! port_free "$next_port"; do
    next_port=$((next_port + 1))
    ((next_port < 65536)) || fail "no free port from $base_port up"
  done
  port=$next_port
  next_port=$((next_port + 1))
}

# Prints one line per gap: a node lacking another node's newest entry, or
# finding fewer than WANT live cases. Prints nothing once every node holds
# every log up to its author's own head. Args: WANT NODE...
gaps() {
  python3 - "$bin" "$dir" "$@" <<'EOF_PY'
import json, subprocess, sys
bin, home, want, nodes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def ask(node, *args):
    out = subprocess.run([bin, "--home", f"{home}/{node}", "--json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)
heads, own = {}, {}
for node in nodes:
    authors = ask(node, "status")["authors"]
    heads[node] = {a["key"]: a["seq"] for a in authors}
    for a in authors:
        if a["trust"] == "self":
            own[node] = (a["key"], a["seq"])
for node in nodes:
    for other, (key, seq) in own.items():
        if heads[node].get(key, 0) < seq:
            print(f"{node} has {other} up to seq {heads[node].get(key, 0)} of {seq}")
    found = ask(node, "search", "--limit", "1")["total"]
    if found != want:
        print(f"{node} finds {found} of {want} cases")
EOF_PY
}

# Publishes case FILE on NODE; on failure prints the command's output and stops.
publish() {
  local out
  if ! out=$("$bin" --home "$dir/$1" case put "$2" 2>&1); then
    printf '%s\n' "$out" >&2
    fail "$1 could not publish $2"
  fi
}

now_ms() {
  date +%s%3N
}

# Seconds since T0 (from now_ms), with a tenth: "1.3 s".
elapsed() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

case_id() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["id"])' "$1"
}

started=0
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 && $started -eq 1 ]]; then
    printf 'testnet: failed; nodes started so far keep running for inspection (logs in %s).\n' "$dir" >&2
    printf 'testnet: stop them with: %s stop   (or clean)\n' "$self" >&2
  fi
}

cmd_start() {
  local n=$1
  [[ "$n" =~ ^[0-9]+$ && $n -ge 1 ]] || fail "N must be a number of municipalities, 1 or more"
  if [[ -e "$dir" ]]; then
    fail "$dir already exists; run '$self stop' to stop its nodes or '$self clean' to delete it (or set TESTNET_DIR)"
  fi
  find_bin
  local case_files=() update_files=() f
  if [[ "$cases_dir" != none ]]; then
    [[ -d "$cases_dir" ]] || fail "TESTNET_CASES=$cases_dir is not a folder"
    for f in "$cases_dir"/*.json; do
      [[ -e "$f" ]] || continue
      case "$(basename "$f")" in
        update-*) update_files+=("$f") ;;
        *) case_files+=("$f") ;;
      esac
    done
  fi

  mkdir -p "$dir"
  : >"$dir/nodes"
  say "binary $bin"
  say "folder $dir"

  # Nodes: hubs first, then municipalities. node_hub[i] is the hub index
  # a municipality dials (-1 for hubs).
  local nodes=() names=() numbers=() orgnrs=() node_hub=() i k suffix
  for i in 0 1; do
    nodes+=("${hub_dirs[$i]}")
    names+=("${hub_names[$i]}")
    numbers+=("")
    orgnrs+=("${hub_orgnrs[$i]}")
    node_hub+=(-1)
  done
  for ((i = 0; i < n; i++)); do
    k=$((i % ${#muni_dirs[@]}))
    suffix=""
    if ((i >= ${#muni_dirs[@]})); then suffix=$((i / ${#muni_dirs[@]} + 1)); fi
    nodes+=("${muni_dirs[$k]}${suffix:+-$suffix}")
    names+=("${muni_names[$k]}${suffix:+ $suffix}")
    numbers+=("${muni_numbers[$k]}")
    orgnrs+=("")
    node_hub+=($((i % 2)))
  done

  # Create every node: key, config, database; profile published as seq 1.
  local ports=() keys=() port args
  for i in "${!nodes[@]}"; do
    take_port
    args=(--home "$dir/${nodes[$i]}" init --name "${names[$i]}" --listen "127.0.0.1:$port")
    [[ -n "${orgnrs[$i]}" ]] && args+=(--orgnr "${orgnrs[$i]}")
    [[ -n "${numbers[$i]}" ]] && args+=(--kommunenummer "${numbers[$i]}")
    "$bin" "${args[@]}" >/dev/null
    ports+=("$port")
    keys+=("$("$bin" --home "$dir/${nodes[$i]}" id)")
    printf '%s\t%s\t%s\n' "${nodes[$i]}" "$port" "${keys[$i]}" >>"$dir/nodes"
    say "$(printf '%-14s 127.0.0.1:%-5s %s  %s' "${nodes[$i]}" "$port" "${keys[$i]}" "${names[$i]}")"
  done

  # Wiring, before the nodes start: the hubs dial each other, each
  # municipality dials its hub; everyone trusts both hubs directly.
  local h home
  for i in "${!nodes[@]}"; do
    home=$dir/${nodes[$i]}
    if [[ ${node_hub[$i]} -lt 0 ]]; then
      h=$((1 - i))
    else
      h=${node_hub[$i]}
    fi
    "$bin" --home "$home" peer add "127.0.0.1:${ports[$h]}" "${keys[$h]}" >/dev/null
    for h in 0 1; do
      [[ $h -eq $i ]] && continue
      "$bin" --home "$home" trust add "${keys[$h]}" --name "${hub_names[$h]}" >/dev/null
    done
  done
  say "peers: the hubs dial each other; each municipality dials one hub; all trust both hubs"

  # Each hub vouches for the municipalities that dial it.
  for ((i = 2; i < ${#nodes[@]}; i++)); do
    h=${node_hub[$i]}
    "$bin" --home "$dir/${hub_dirs[$h]}" vouch "${keys[$i]}" \
      --name "${names[$i]}" --kommunenummer "${numbers[$i]}" >/dev/null
    say "${hub_dirs[$h]} vouches for ${nodes[$i]}"
  done

  # Start every node in the background.
  started=1
  for i in "${!nodes[@]}"; do
    nohup "$bin" --home "$dir/${nodes[$i]}" run >"$dir/${nodes[$i]}.log" 2>&1 &
    echo $! >"$dir/${nodes[$i]}.pid"
  done
  local deadline=$((SECONDS + 15)) node
  for node in "${nodes[@]}"; do
    while [[ ! -S "$dir/$node/admin.sock" ]] || ! grep -q 'listening on' "$dir/$node.log"; do
      if [[ -z "$(live_pid "$node")" ]]; then
        tail -n 20 "$dir/$node.log" >&2 || true
        fail "$node exited while starting; its log is $dir/$node.log"
      fi
      ((SECONDS < deadline)) || fail "$node did not start within 15 s; see $dir/$node.log"
      sleep 0.1
    done
  done
  say "started ${#nodes[@]} nodes; logs and pid files in $dir"

  # Publish the cases through the running nodes, round-robin over the
  # municipalities; then the updates, each by the node that owns that id.
  local t0 id owner
  t0=$(now_ms)
  declare -A owner_of=()
  for k in "${!case_files[@]}"; do
    f=${case_files[$k]}
    node=${nodes[$((2 + k % n))]}
    publish "$node" "$f"
    owner_of[$(case_id "$f")]=$node
    say "$node publishes $(basename "$f")"
  done
  for f in "${update_files[@]}"; do
    id=$(case_id "$f")
    owner=${owner_of[$id]:-}
    if [[ -z "$owner" ]]; then
      say "skipping $(basename "$f"): no node published case $id"
      continue
    fi
    publish "$owner" "$f"
    say "$owner publishes $(basename "$f") (a new version of $id)"
  done

  # Wait until every node holds every author's head and finds every case.
  local want_cases=${#owner_of[@]} missing
  deadline=$((SECONDS + timeout))
  while :; do
    missing=$(gaps "$want_cases" "${nodes[@]}")
    [[ -z "$missing" ]] && break
    if ((SECONDS >= deadline)); then
      printf 'testnet:   %s\n' "${missing//$'\n'/$'\n'testnet:   }" >&2
      fail "after $timeout s not every node holds every entry (gaps above); see the logs in $dir"
    fi
    sleep 0.2
  done
  if ((want_cases > 0)); then
    say "all ${#nodes[@]} nodes hold all ${#nodes[@]} logs and find all $want_cases cases ($(elapsed "$t0") after the first publish)"
  else
    say "all ${#nodes[@]} nodes hold all ${#nodes[@]} logs (no cases loaded)"
  fi

  cat <<EOF

Query any node while it runs (commands go through <home>/admin.sock):
  $bin --home $dir/${nodes[2]} search --sector emergency
  $bin --home $dir/${nodes[2]} status
  $bin --home $dir/${hub_dirs[0]} trust list
Node list:  $self status
Stop:       $self stop      (then 'clean' deletes $dir)
EOF
}

trap on_exit EXIT
case "${1:-}" in
  stop) cmd_stop ;;
  clean) cmd_clean ;;
  status) cmd_status ;;
  start) [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
  -h | --help) usage 0 ;;
  "") usage ;;
  *) [[ $# -eq 1 ]] || usage; cmd_start "$1" ;;
esac
