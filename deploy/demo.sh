#!/usr/bin/env bash
# A guided tour of Allmenning on two throw-away nodes: Lom publishes the
# example cases, updates and retracts one, and Skjåk imports Lom's signed log.
# Every command is printed before it runs; the first failure stops the demo.
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
trap 'rm -rf "$lom" "$skjak"' EXIT

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

say "Show one case in full."
run --home "$lom" case show "$shown_id"

say "Export Lom's signed log as JSON lines."
echo "+ allmenning --home $lom export --format jsonl > $lom/export.jsonl"
"$bin" --home "$lom" export --format jsonl >"$lom/export.jsonl"
echo "$(wc -l <"$lom/export.jsonl") lines written"

say "A second node for Skjåk kommune imports the export. Every signature, hash link and payload is checked on the way in, and the cases keep Lom as their author."
run --home "$skjak" init --name "Skjåk kommune" --kommunenummer 3433
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

say "Demo finished; the temporary homes are removed."
