#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds: every record Perl 4.48 wrote in
# compat-fixtures/ (each serializer's to its thaw target, all of them to `auto`)
# and the small hand-written inputs in fuzz/seeds/<target>/. The corpus itself is
# generated, never committed; the fuzzer adds what it finds to it.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # seed TARGET FILE...
    local target=$1
    shift
    mkdir -p "fuzz/corpus/$target"
    for file in "$@"; do
        [ -f "$file" ] && cp "$file" "fuzz/corpus/$target/$(basename "$(dirname "$file")")_$(basename "$file")"
    done
    return 0
}
for set in default default-cyclic storable freezethaw yaml json; do
    target=thaw_${set%-cyclic}
    seed "$target" compat-fixtures/file-$set/cgisess_*
    seed auto compat-fixtures/file-$set/cgisess_*
done
# Ruby's Marshal streams and session files (compat-fixtures/ruby/).
seed thaw_marshal compat-fixtures/ruby/marshal/*.bin
for file in compat-fixtures/ruby/filestore/* compat-fixtures/ruby/pstore/*; do
    [[ $file == *.json ]] || seed thaw_marshal "$file"
done
for dir in fuzz/seeds/*/; do
    seed "$(basename "$dir")" "$dir"*
done
# Committed crash inputs are seeds too: the fuzzer starts from the bugs it found.
for dir in fuzz/regressions/*/; do
    [ -d "$dir" ] && seed "$(basename "$dir")" "$dir"*
done
exit 0
