#!/usr/bin/env bash
# Make the offline delivery bundle: the .deb and .rpm, a signed apt repository, createrepo
# metadata, a CycloneDX SBOM, the install steps, SHA256SUMS and its detached signature, all
# in OUT_DIR/yakuba-VERSION.tar. Two runs on one commit with one SOURCE_DATE_EPOCH give the
# same bytes (the signatures too: Ed25519 is deterministic and gpg's clock is fixed).
#
#   GNUPGHOME=... YAKUBA_SIGNING_KEY=FINGERPRINT packaging/bundle.sh OUT_DIR [REVISION]
#
# The release key never enters the repository: the release manager points GNUPGHOME at the
# offline keyring; tests make a throwaway key (packaging/test.sh). The key must be older than
# the commit, since signatures are dated with the commit's time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

out="${1:?usage: packaging/bundle.sh OUT_DIR [REVISION]}"
revision="${2:-1}"
key="${YAKUBA_SIGNING_KEY:?set YAKUBA_SIGNING_KEY to the release key fingerprint (and GNUPGHOME)}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
umask 022
ensure_packages apt-utils createrepo-c gnupg
ensure_packaging_tools

version="$(cargo_version)"
name="yakuba-$version"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
root="$out/$name"
rm -rf "$root" "$out/$name.tar"
mkdir -p "$root/debian" "$root/rpm" "$root/sbom" "$root/docs"

packaging/build.sh "$root/build" "$revision" >/dev/null
mv "$root"/build/*.deb "$root/debian/"
mv "$root"/build/*.rpm "$root/rpm/"
rmdir "$root/build"

# gpg signs as of the commit's time, so the signature bytes repeat.
faked_time="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%dT%H%M%S)"
sign() {
    gpg --batch --quiet --yes --faked-system-time "$faked_time!" --local-user "$key" \
        --digest-algo SHA512 "$@" 2>/dev/null
}
gpg --batch --export "$key" > "$root/yakuba-archive-keyring.gpg"

# apt: a flat repository (deb [signed-by=...] file:/path/debian ./).
(
    cd "$root/debian"
    apt-ftparchive packages . > Packages
    gzip -9n < Packages > Packages.gz
    apt-ftparchive \
        -o APT::FTPArchive::Release::Origin=Yakuba \
        -o APT::FTPArchive::Release::Label=Yakuba \
        -o APT::FTPArchive::Release::Suite=stable \
        -o APT::FTPArchive::Release::Codename=bookworm \
        -o APT::FTPArchive::Release::Architectures=amd64 \
        -o APT::FTPArchive::Release::Components=main \
        release . > "$root/Release.tmp"
    # Written beside, not into, the directory it describes: it would list itself.
    mv "$root/Release.tmp" Release
    # apt-ftparchive writes today's date; the commit's keeps the bundle reproducible.
    sed -i "s/^Date: .*/Date: $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")/" Release
    sign --clearsign -o InRelease Release
    sign --detach-sign --armor -o Release.gpg Release
)

# rpm: createrepo metadata, its timestamps the commit's.
touch -d "@$SOURCE_DATE_EPOCH" "$root"/rpm/*.rpm
createrepo_c --quiet --revision "$SOURCE_DATE_EPOCH" --set-timestamp-to-revision \
    --simple-md-filenames --no-database --general-compress-type=gz "$root/rpm" >/dev/null
sign --detach-sign --armor -o "$root/rpm/repodata/repomd.xml.asc" "$root/rpm/repodata/repomd.xml"

# SBOM of what the package holds (both binaries and their dependencies). cargo-cyclonedx
# writes beside every workspace member's manifest; ours is moved out of the tree and the
# others' removed at once.
for crate in gateway app; do
    cargo cyclonedx --manifest-path "$crate/Cargo.toml" --format json --spec-version 1.5 \
        --no-build-deps --override-filename "yakuba-sbom-$crate" -qq
    mv "$crate/yakuba-sbom-$crate.json" "$root/sbom/yakuba-$crate.cdx.json"
    rm -f ./*/"yakuba-sbom-$crate.json"
done
python3 packaging/sbom.py "$SOURCE_DATE_EPOCH" "$root/sbom/yakuba.cdx.json" \
    "$root/sbom/yakuba-gateway.cdx.json" "$root/sbom/yakuba-app.cdx.json"
rm "$root/sbom/yakuba-gateway.cdx.json" "$root/sbom/yakuba-app.cdx.json"

cp docs/install-en.md docs/install-ja.md "$root/docs/"

(
    cd "$root"
    find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.asc | LC_ALL=C sort | sed 's|^\./||' \
        | xargs sha256sum > SHA256SUMS
    sign --detach-sign --armor -o SHA256SUMS.asc SHA256SUMS
)

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --mode=go-w --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$out" -cf "$out/$name.tar" "$name"
echo "$out/$name.tar"
