#!/usr/bin/env bash
# Run the full test suite: formatting, lints, unit tests, store tests on SQLite and on a
# throwaway PostgreSQL cluster, and end-to-end tests against real slapd, the real binaries
# and the sample legacy systems, Samba AD and a real OpenID provider; then the packages
# (packaging/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config libsystemd-dev curl slapd ldap-utils postgresql samba samba-ad-dc samba-ad-provision ldb-tools chromium fonts-ipafont-gothic
# The OpenID provider the OIDC tests run is a Node package.
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo build --workspace --bins --locked
cargo test --workspace --locked --no-fail-fast
# The packages: reproducible bundle, lintian and rpmlint, and install → start → log in →
# reload → watchdog → upgrade → purge in a Debian 12 container booted offline.
packaging/test.sh
