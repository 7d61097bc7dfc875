#!/usr/bin/env bash
# The 08:30 login storm against a real slapd: logins/s, login latency, and how much the
# storm slows staff who are already logged in (p99 during / p99 before). Release builds.
#
# Usage: bench/login-storm.sh [--users N] [--concurrency C] [--working W] [--max-minutes M]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config slapd ldap-utils
cargo build --release --locked -p yakuba-gateway -p yakuba-app -p yakuba-tests --bins >/dev/null
exec "$CARGO_TARGET_DIR/release/yakuba-login-storm" "$@"
