#!/bin/sh
# Writes tests/data/format-1-home: a node home made by a build whose storage
# format is 1 (commit ff8f5b3, the last before migrations), and beside it
# format-1-home.jsonl, that build's export of it. tests/storage/
# migration_test.cpp opens a copy of the home with the current build and
# checks that it reads every entry and case the old build wrote.
#
# Run once, from the repository root, with a binary built from ff8f5b3:
#   tests/data/make-format-1-home.sh /path/to/old/allmenning
# The home and its key are test data only; the key signs nothing real.
set -eu
bin=$1
out=tests/data/format-1-home
other=$(mktemp -d)
trap 'rm -rf "$other"' EXIT
[ ! -e "$out" ] || { echo "$out exists; remove it first" >&2; exit 2; }
ex=deploy/examples
a() { "$bin" --home "$out" "$@"; }

a init --name "Lom kommune" --kommunenummer 3434 --listen 127.0.0.1:7400
for f in flomvarsling-sma-vassdrag flomvarsling-drift-skjak-lom ombruk-byggematerialer-markedsplass \
  snoskredvarsling-fiberkabel tunnel-evakuering-lyd update-ombruk-byggematerialer-markedsplass; do
  a case put "$ex/$f.json"
done
a case retract tunnel-evakuering-lyd
a need put "$ex/needs/varsel-flom-sma-elver.json"
a experience put "$ex/experiences/erfaring-flomvarsling-vaga.json"

# A second body, whose log this node holds because it trusts it.
"$bin" --home "$other/b" init --name "Skjåk kommune" --kommunenummer 3433 --listen 127.0.0.1:7401
"$bin" --home "$other/b" case put "$ex/trafikktelling-kamera.json"
"$bin" --home "$other/b" export --format jsonl -o "$other/b.jsonl"
a trust add "$("$bin" --home "$other/b" id)" --name "Skjåk kommune"
a import --format jsonl "$other/b.jsonl"
a peer add 127.0.0.1:7401 "$("$bin" --home "$other/b" id)"

a export --format jsonl -o "$PWD/$out.jsonl"
a verify
# The search index is derived and rebuilt at open; the lock file is RocksDB's.
rm -rf "$out/search" "$out/db/LOCK"
