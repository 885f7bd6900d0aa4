#!/usr/bin/env bash
# Regenerates the committed seed corpus in fuzz/corpus from scratch:
# fuzz_make_corpus writes the binary seeds, and the case JSON seeds are the
# sample cases of the shared data folder plus the repository's examples.
# Needs a fuzz build (deploy/fuzz.sh makes one in build-fuzz).
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-fuzz}
shared=${ALLMENNING_SHARED_DIR:-../shared}

rm -rf fuzz/corpus
"$build_dir/fuzz/fuzz_make_corpus" fuzz/corpus \
  deploy/examples/needs/*.json deploy/examples/experiences/*.json

mkdir -p fuzz/corpus/fuzz_case_json
for f in "$shared"/data/cases/*/*.json deploy/examples/*.json; do
  cp "$f" "fuzz/corpus/fuzz_case_json/$(basename "$f")"
done
mkdir -p fuzz/corpus/fuzz_ocds
cp tests/data/ocds-process/*.json fuzz/corpus/fuzz_ocds/
mkdir -p fuzz/corpus/fuzz_record_json
cp deploy/examples/needs/*.json deploy/examples/experiences/*.json fuzz/corpus/fuzz_record_json/
echo "make_corpus: $(find fuzz/corpus -type f | wc -l) seeds in fuzz/corpus"
