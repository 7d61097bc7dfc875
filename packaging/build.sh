#!/usr/bin/env bash
# Build the yakuba .deb and .rpm from this checkout (release, --locked) into OUT_DIR.
#
#   packaging/build.sh OUT_DIR [REVISION]
#
# REVISION (default 1) is the package revision: 0.1.0-REVISION. SOURCE_DATE_EPOCH (default:
# the last commit's time) fixes every timestamp, so two builds of one commit are identical.
# cargo-deb and cargo-generate-rpm come from crates.io, pinned, cached in ~/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

out="${1:?usage: packaging/build.sh OUT_DIR [REVISION]}"
revision="${2:-1}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
# Files the package tools copy keep their own modes; the umask must not leak into them.
umask 022

ensure_packaging_tools

# Without SOURCE_DATE_EPOCH: the C parts' build scripts (cc) rebuild whenever it changes, and
# with them everything above; nothing in the binaries depends on the date.
env -u SOURCE_DATE_EPOCH cargo build --release --locked -p yakuba-gateway -p yakuba-app

cargo deb -p yakuba-gateway --no-build --locked --deb-revision "$revision" \
    --output "$out/yakuba_$(cargo_version)-${revision}_amd64.deb" >/dev/null

# cargo-generate-rpm packs binaries as they are: give it stripped copies, laid out as the
# target/release/ its asset paths name.
stage="$CARGO_TARGET_DIR/yakuba-rpm-stage"
rm -rf "$stage"
mkdir -p "$stage/release"
for bin in yakuba-gateway yakuba-app; do
    strip --strip-all -o "$stage/release/$bin" "$CARGO_TARGET_DIR/release/$bin"
    touch -d "@$SOURCE_DATE_EPOCH" "$stage/release/$bin"
done
rpm_meta="$(mktemp)"
trap 'rm -f "$rpm_meta"' EXIT
sed "s/^release = .*/release = \"$revision\"/" packaging/rpm.toml > "$rpm_meta"
cargo generate-rpm -p gateway --target-dir "$stage" --metadata-overwrite "$rpm_meta" \
    --payload-compress zstd -o "$out/yakuba-$(cargo_version)-${revision}.x86_64.rpm"
ls -l "$out"
