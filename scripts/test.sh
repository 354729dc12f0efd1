#!/usr/bin/env bash
# The test command: installs the Perl oracle if it is missing, then checks
# formatting and lints, and runs every test (unit, integration, live Perl, doc).
# Then each fuzz target runs briefly (scripts/fuzz.sh; CGISESS_FUZZ_SECONDS per
# target, default 10; 0 skips it).
# Set CGISESS_REQUIRE_ORACLE=1 / CGISESS_REQUIRE_SERVICES=1 to make a missing
# Perl or server fail the tests instead of skipping them (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-oracle.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The core (file and memory stores) builds without any store's client library.
cargo check --workspace --no-default-features --lib --bins --quiet
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --quiet
cargo test --workspace --all-features
fuzz_seconds=${CGISESS_FUZZ_SECONDS:-10}
if [ "$fuzz_seconds" != 0 ]; then
    ./scripts/fuzz.sh "$fuzz_seconds"
fi
