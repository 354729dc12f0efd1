#!/usr/bin/env bash
# Fuzzes every parser (fuzz/, issue 7) with cargo-fuzz and libFuzzer, one target
# after the other, and writes how many inputs each ran to target/fuzz-summary.txt.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 600 (a long run); CI runs a few seconds of each
# through scripts/test.sh. TARGETs default to all of them (`cargo fuzz list`).
# A target that crashes, hangs (10 s on one input), runs out of memory (2 GB) or
# breaks a property leaves its input in fuzz/artifacts/<target>/; the script goes
# on with the others and fails at the end. Copy such an input to
# fuzz/regressions/<target>/ and `cargo test --test fuzz_regressions` replays it.
#
# The targets build on the stable toolchain: `--sanitizer none` needs no `-Z`
# flag (AddressSanitizer would need nightly, and finds nothing more here: the
# fuzzed crates forbid unsafe code). `-a` keeps debug assertions and overflow
# checks on, as in `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
./scripts/fuzz-seed.sh
flags=(--sanitizer none --release --debug-assertions)
(cd fuzz && cargo fuzz build "${flags[@]}")
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
mkdir -p "$target_dir/fuzz-logs"
summary=$target_dir/fuzz-summary.txt
printf '%-16s %8s %14s %8s  %s\n' target seconds executions corpus result >"$summary"
failed=()
for target in "${targets[@]}"; do
    log=$target_dir/fuzz-logs/$target.log
    echo "fuzz: $target for ${seconds}s (log: $log)"
    result=ok
    (cd fuzz && cargo fuzz run "${flags[@]}" "$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1) >"$log" 2>&1 || result=FAILED
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    units=$(stat number_of_executed_units)
    corpus=$(ls "fuzz/corpus/$target" | wc -l)
    printf '%-16s %8s %14s %8s  %s\n' "$target" "$seconds" "${units:-?}" "$corpus" "$result" >>"$summary"
    if [ "$result" != ok ]; then
        failed+=("$target")
        grep -E '^(thread .* panicked|==[0-9]+== ERROR|SUMMARY|Test unit written)' "$log" | head -5 || true
    fi
done
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (inputs in fuzz/artifacts/, logs in $target_dir/fuzz-logs/)" >&2
    exit 1
fi
