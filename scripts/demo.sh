#!/usr/bin/env bash
# Build and start the whole Yakuba appliance on embedded defaults: the gateway on
# https://localhost:8443 with a self-signed certificate, the app on SQLite with the demo city,
# and two sample legacy systems. Data lives in var/demo/; a second start reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config libsystemd-dev
cargo build --workspace --bins
exec "$CARGO_TARGET_DIR/debug/yakuba-demo"
