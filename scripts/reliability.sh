#!/usr/bin/env bash
# The long reliability run (RELIABILITY.md): every fuzz target for
# CGISESS_FUZZ_SECONDS (default 600) each, then the hostile-input, security,
# concurrency and crash tests with CGISESS_HAMMER_SCALE (default 10) times the
# rounds and kills of CI, printing the figures each test reports.
#
#   CGISESS_HAMMER_SCALE=10 ./scripts/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-oracle.sh
export CGISESS_REQUIRE_ORACLE=1 CGISESS_REQUIRE_SERVICES=1
export CGISESS_HAMMER_SCALE="${CGISESS_HAMMER_SCALE:-10}"
./scripts/fuzz.sh "${CGISESS_FUZZ_SECONDS:-600}"
cargo test --release --all-features \
    --test hostile --test hostile_alloc --test security --test fuzz_regressions \
    --test concurrency_file --test crash -- --nocapture
cargo test --release --all-features --test drivers_sql concurrency -- --nocapture
