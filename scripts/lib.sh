# Shared by scripts/demo.sh and scripts/test.sh: make sure Debian packages are present.

# ensure_packages PKG...: install the missing ones with apt-get (as root or via sudo), or
# say exactly what is missing and stop.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            echo "Missing Debian packages: ${missing[*]}" >&2
            echo "Install them with: sudo apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
    echo "Installing Debian packages: ${missing[*]}"
    # Keep package scripts from starting system-wide slapd/PostgreSQL services: the tests
    # start their own on loopback.
    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
        created_policy=1
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    [ -n "$created_policy" ] && $sudo rm -f "$policy"
    return 0
}

ensure_rust() {
    if ! command -v cargo >/dev/null; then
        echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
        exit 1
    fi
}

# Build output lives outside the checkout so repeated runs (and CI) are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yakuba-target}"

# Packaging tools from crates.io, pinned so that builds are reproducible, installed once into
# ~/.cache/yakuba-tools (not into the repository).
YAKUBA_TOOLS="$HOME/.cache/yakuba-tools"
ensure_packaging_tools() {
    ensure_packages build-essential cmake pkg-config libsystemd-dev dpkg-dev
    local tool version
    for tool in cargo-deb@3.8.0 cargo-generate-rpm@0.21.1 cargo-cyclonedx@0.5.9; do
        version="${tool#*@}"
        if ! cargo install --list --root "$YAKUBA_TOOLS" 2>/dev/null | grep -q "^${tool%@*} v$version:"; then
            # Its own build directory: the tools are not part of the workspace.
            env -u CARGO_TARGET_DIR cargo install --locked --quiet --root "$YAKUBA_TOOLS" "$tool"
        fi
    done
    export PATH="$YAKUBA_TOOLS/bin:$PATH"
}

# The workspace version (from the gateway's manifest).
cargo_version() {
    sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1
}
