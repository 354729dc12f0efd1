#!/usr/bin/env bash
# The main job on the embedded default: Perl's default DSN (file driver, Data::Dumper,
# md5 ids) in ./sessions. Creates a session, changes it, shows it, lists the store,
# and deletes it with the cgisess tool. Needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bin cgisess
cgisess() { "${CARGO_TARGET_DIR:-target}/release/cgisess" -a Directory=./sessions "$@"; }
id=$(cgisess new --set user=alice --set-json 'cart=[1,2,{"sku":"x"}]' --expire +1h --expire-param cart=30m)
echo "created session $id in ./sessions"
cgisess set "$id" theme=dark
echo "--- as JSON:"
cgisess show "$id"
echo "--- as Perl's Data::Dumper stores it (./sessions/cgisess_$id):"
cgisess show "$id" --format dumper
echo "--- the store:"
cgisess list --json
cgisess delete "$id"
echo "deleted $id; sessions left: $(cgisess list | wc -l)"
