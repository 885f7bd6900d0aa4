#!/usr/bin/env bash
# A guided tour of Allmenning. First one throw-away node: Lom publishes the
# example cases, updates and retracts one, and Skjåk imports Lom's signed log.
# Then a federation on 127.0.0.1 (deploy/testnet.sh): a case published in Lom
# is found in Bergen through two county hubs, and Vågå joins once a hub
# vouches for it. Every command is printed before it runs; the first failure
# stops the demo with a non-zero exit status.
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}

bash deploy/setup.sh
bash deploy/build.sh

bin="$build_dir/cli/allmenning"
if [[ ! -x "$bin" ]]; then
  echo "demo: $bin was not built" >&2
  exit 1
fi

lom=$(mktemp -d)
skjak=$(mktemp -d)
net=$(mktemp -d)
vaga_pid=""
cleanup() {
  if [[ -n "$vaga_pid" ]] && kill -0 "$vaga_pid" 2>/dev/null; then
    kill -TERM "$vaga_pid"
    wait "$vaga_pid" || true
  fi
  if [[ -f "$net/testnet/nodes" ]]; then
    TESTNET_DIR=$net/testnet bash deploy/testnet.sh stop >/dev/null || true
  fi
  rm -rf "$lom" "$skjak" "$net"
}
trap cleanup EXIT

# Prints an explanatory line.
say() {
  printf '\n# %s\n' "$*"
}

# Prints "+ allmenning ARGS" with arguments quoted only where needed.
show() {
  local out="+ allmenning" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=" $arg"
    else
      out+=" \"$arg\""
    fi
  done
  printf '%s\n' "$out"
}

# Prints, then runs, an allmenning command.
run() {
  show "$@"
  "$bin" "$@"
}

# Reads the "id" field of a case file.
case_id() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["id"])' "$1"
}

examples=()
update=""
for f in deploy/examples/*.json; do
  case "$(basename "$f")" in
    update-*) update=$f ;;
    *) examples+=("$f") ;;
  esac
done
if [[ -z "$update" || ${#examples[@]} -eq 0 ]]; then
  echo "demo: deploy/examples has no cases or no update-*.json" >&2
  exit 1
fi
updated_id=$(case_id "$update")
shown_id=flomvarsling-sma-vassdrag
retracted_id=trafikktelling-kamera

say "Create a node for Lom kommune. It gets its own Ed25519 key; the public key is its author id."
run --home "$lom" init --name "Lom kommune" --kommunenummer 3434
show --home "$lom" id
author=$("$bin" --home "$lom" id | tr -d '[:space:]')
echo "$author"
if [[ ! "$author" =~ ^[0-9a-f]{64}$ ]]; then
  echo "demo: 'id' did not print a 64-character hex key" >&2
  exit 1
fi

say "Publish the example cases. Each one becomes a signed entry in Lom's log."
for f in "${examples[@]}"; do
  run --home "$lom" case put "$f"
done

say "Update a case: new status and one more sentence in the results. The old version stays in the history."
run --home "$lom" case put "$update"
run --home "$lom" case show "$updated_id" --history

say "Search with filters: by sector, by CPV prefix (72 = IT services) and by status."
run --home "$lom" search --sector emergency
run --home "$lom" search --cpv 72
run --home "$lom" search --status completed

say "Search in Norwegian: any inflection (tunnelen finds tunneler), and the last part of a compound (varsling finds flomvarsling and snøskredvarsling). Best match first, with the matching words in [ ]."
run --home "$lom" search tunnelen
run --home "$lom" search varsling --sector emergency

say "Show one case in full."
run --home "$lom" case show "$shown_id"

say "Export Lom's signed log as JSON lines."
echo "+ allmenning --home $lom export --format jsonl > $lom/export.jsonl"
"$bin" --home "$lom" export --format jsonl >"$lom/export.jsonl"
echo "$(wc -l <"$lom/export.jsonl") lines written"

say "A second node for Skjåk kommune trusts Lom's key and imports the export. Every signature, hash link and payload is checked on the way in, and the cases keep Lom as their author."
run --home "$skjak" init --name "Skjåk kommune" --kommunenummer 3433
run --home "$skjak" trust add "$author" --name "Lom kommune"
run --home "$skjak" import --format jsonl "$lom/export.jsonl"
run --home "$skjak" case show "$author/$shown_id"

say "Retract a case on Lom. It disappears from search."
run --home "$lom" search --sector transport
run --home "$lom" case retract "$retracted_id"
show --home "$lom" search --sector transport
after=$("$bin" --home "$lom" search --sector transport)
printf '%s\n' "$after"
if grep -q -- "$retracted_id" <<<"$after"; then
  echo "demo: $retracted_id is still found after retraction" >&2
  exit 1
fi

say "Re-check every signature, hash chain and checksum on both nodes."
run --home "$lom" verify
run --home "$skjak" verify

printf '\n# ---- Federation ----\n'

# The testnet loads every example except the two cases this part publishes.
mkdir "$net/cases"
for f in deploy/examples/*.json; do
  case "$(basename "$f")" in
    flomvarsling-drift-skjak-lom.json | flomvarsling-sma-vassdrag.json) ;;
    *) ln -s "$PWD/$f" "$net/cases/" ;;
  esac
done
t=$net/testnet

say "Start a federation on 127.0.0.1: the Innlandet and Vestland county hubs dial each other, Lom dials the Innlandet hub and Bergen the Vestland hub. Every node trusts both hubs; each hub vouches for the municipality that dials it."
echo "+ deploy/testnet.sh 2"
TESTNET_DIR=$t TESTNET_CASES=$net/cases ALLMENNING_BIN=$bin bash deploy/testnet.sh 2

lom_key=$("$bin" --home "$t/lom" id)
inn_key=$("$bin" --home "$t/innlandet-hub" id)
new_case=$(case_id deploy/examples/flomvarsling-drift-skjak-lom.json)

# Milliseconds since the epoch.
now_ms() {
  date +%s%3N
}

# Waits up to 30 s until HOME holds case REF; prints how long it took
# since T0 (milliseconds since the epoch), and SINCE says what happened then.
wait_for_case() {
  local home=$1 ref=$2 t0=$3 since=$4 i
  for ((i = 0; i < 600; i++)); do
    if "$bin" --home "$home" case show "$ref" >/dev/null 2>&1; then
      echo "found in $(basename "$home") $(($(now_ms) - t0)) ms after $since"
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $ref did not reach $(basename "$home") within 30 s" >&2
  exit 1
}

say "Lom publishes a new case. It travels Lom -> Innlandet hub -> Vestland hub -> Bergen."
t0=$(now_ms)
run --home "$t/lom" case put deploy/examples/flomvarsling-drift-skjak-lom.json
wait_for_case "$t/bergen" "$lom_key/$new_case" "$t0" "Lom published it"

say "In Bergen: search for cases bought by kommune 3434 (Lom), and show the one that arrived. Its signature and hash chain verify against Lom's key."
run --home "$t/bergen" search --kommune 3434
run --home "$t/bergen" search flomvarsling drift
run --home "$t/bergen" case show "$lom_key/$new_case"
vouchers=$("$bin" --home "$t/bergen" --json case show "$lom_key/$new_case" |
  python3 -c 'import json, sys; print(" ".join(v["key"] for v in json.load(sys.stdin)["vouchedBy"]))')
if [[ " $vouchers " != *" $inn_key "* ]]; then
  echo "demo: Bergen does not list the Innlandet hub as a voucher for Lom" >&2
  exit 1
fi

say "Bergen never trusted Lom itself: it accepts Lom because it trusts the Innlandet hub, which vouched for Lom."
run --home "$t/bergen" trust list

say "Vågå kommune joins. It creates a node, dials the Innlandet hub, trusts both hubs, starts, and publishes a case."
vaga=$net/vaga
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run --home "$vaga" init --name "Vågå kommune" --kommunenummer 3435 --listen "127.0.0.1:$port"
run --home "$vaga" peer add "$(sed -n 's/^innlandet-hub\t\([0-9]*\)\t.*/127.0.0.1:\1/p' "$t/nodes")" "$inn_key"
run --home "$vaga" trust add "$inn_key" --name "Innlandet fylkeskommune hub"
run --home "$vaga" trust add "$("$bin" --home "$t/vestland-hub" id)" --name "Vestland fylkeskommune hub"
echo "+ allmenning --home $vaga run 2>$vaga.log &"
"$bin" --home "$vaga" run 2>"$vaga.log" &
vaga_pid=$!
for ((i = 0; i < 100; i++)); do
  [[ -S "$vaga/admin.sock" ]] && break
  sleep 0.1
done
vaga_key=$("$bin" --home "$vaga" id)
vaga_case=$(case_id deploy/examples/flomvarsling-sma-vassdrag.json)
run --home "$vaga" case put deploy/examples/flomvarsling-sma-vassdrag.json
# Wait until Vågå is connected to its hub, then give the sync a second.
for ((i = 0; i < 100; i++)); do
  "$bin" --home "$vaga" peer list | grep -q "$inn_key.*connected" && break
  sleep 0.1
done
sleep 1

say "No hub has vouched for Vågå yet, so the hub does not store its entries and Bergen does not find its case."
run --home "$t/bergen" search --author "$vaga_key"
if "$bin" --home "$t/bergen" case show "$vaga_key/$vaga_case" >/dev/null 2>&1; then
  echo "demo: Bergen stored a case of Vågå before anyone vouched for Vågå" >&2
  exit 1
fi

say "The Innlandet hub's operator checks Vågå's key with Vågå and vouches for it. The vouch is a signed entry; the nodes that trust the hub now fetch Vågå's log."
t0=$(now_ms)
run --home "$t/innlandet-hub" vouch "$vaga_key" --name "Vågå kommune" --kommunenummer 3435
wait_for_case "$t/bergen" "$vaga_key/$vaga_case" "$t0" "the hub vouched"
run --home "$t/bergen" search --author "$vaga_key"

say "The Innlandet hub's view: its connections with bytes and lag, and every author it stores."
run --home "$t/innlandet-hub" status

say "Stop every node (SIGTERM). Bergen's copy of everyone's logs verifies offline."
echo "+ allmenning --home $vaga: SIGTERM"
kill -TERM "$vaga_pid"
wait "$vaga_pid" || true
vaga_pid=""
echo "+ deploy/testnet.sh stop"
TESTNET_DIR=$t bash deploy/testnet.sh stop
run --home "$t/bergen" verify

say "Demo finished; the temporary homes are removed."
