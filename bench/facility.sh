#!/usr/bin/env bash
# The facility benchmark (BENCHMARKS.md, "Groupware: facility day grid"): loads the city-sized
# organisation and 2,000 facilities with bookings over three years into SQLite and into a
# throwaway PostgreSQL on loopback, then reports server-time percentiles of the day grid of a
# category of 100 facilities.
#
#   bench/facility.sh [--backends sqlite,postgres] [--samples 300] [--bookings-per-day 2]
#                     [--dir DIR]   (SQLite file kept in DIR and reused on the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config postgresql
cargo build --release -p yakuba-app --example facility_bench
exec "$CARGO_TARGET_DIR/release/examples/facility_bench" "$@"
