#!/usr/bin/env bash
# The groupware benchmark (BENCHMARKS.md, "Groupware: schedule"): loads the city-sized data
# set (21,036 staff, ~1,200 departments, ~2 million events over three years) into SQLite and
# into a throwaway PostgreSQL on loopback, then reports server-time percentiles of the
# department week grid and the free-slot search.
#
#   bench/groupware.sh [--backends sqlite,postgres] [--samples 300] [--events-per-staff 96]
#                      [--dir DIR]   (SQLite file kept in DIR and reused on the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config postgresql
cargo build --release -p yakuba-app --example groupware_bench
exec "$CARGO_TARGET_DIR/release/examples/groupware_bench" "$@"
