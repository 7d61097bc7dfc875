#!/usr/bin/env bash
# The staff search benchmark (BENCHMARKS.md, "Groupware: staff search"): loads the city-sized
# organisation (21,036 staff, ~1,200 departments) into SQLite and into a throwaway PostgreSQL on
# loopback, builds the search terms, then reports server-time percentiles of searches as people
# type them, alone and on the memo form.
#
#   bench/staff-search.sh [--backends sqlite,postgres] [--samples 300]
#                         [--dir DIR]   (SQLite file kept in DIR and reused on the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config postgresql
cargo build --release -p yakuba-app --example staff_search_bench
exec "$CARGO_TARGET_DIR/release/examples/staff_search_bench" "$@"
