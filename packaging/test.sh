#!/usr/bin/env bash
# Packaging tests, run by scripts/test.sh (so by .ci/run):
#   1. the bundle twice from this commit (our crates compiled twice): byte-identical;
#   2. lintian and rpmlint without errors; the RPM's scriptlets and config flags (rpm -qp);
#   3. in a Debian 12 root from debootstrap (cached in ~/.cache/yakuba-nspawn): the maintainer
#      scripts without a running systemd, then booted with systemd-nspawn --private-network:
#      systemd-analyze verify and security, install from the signed apt repository, start,
#      log in through the gateway, metrics, backup and restore, graceful reload, watchdog
#      restarts of a frozen service, upgrade with edited configuration kept, purge.
# Pipelines end in `grep -c` (which reads everything), not `grep -q`: under pipefail, a
# writer cut off early by `grep -q` would fail the check.
# Nothing inside the container reaches a network; the host reaches only the Debian mirror
# (debootstrap, once) and crates.io (the packaging tools, once).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

started=$SECONDS
passed=0
check() {
    passed=$((passed + 1))
    echo "  ok: $*"
}
fail() {
    echo "FAIL: $*" >&2
    echo "packaging: $passed passed, 1 failed"
    exit 1
}
step() {
    echo "== $* ($((SECONDS - started)) s)"
}

ensure_packages lintian rpmlint rpm debootstrap systemd-container apt-utils createrepo-c gnupg \
    dpkg-dev

# The Debian 12 root, made once with debootstrap from this machine's configured mirror and
# kept in ~/.cache: later runs copy it.
debian_rootfs() {
    local cache="$HOME/.cache/yakuba-nspawn" name=bookworm-1 mirror
    if [ ! -d "$cache/$name" ]; then
        mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | grep -v security | head -n 1 || true)"
        [ -n "$mirror" ] || mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
        mirror="${mirror:-http://deb.debian.org/debian}"
        rm -rf "$cache/$name.tmp"
        mkdir -p "$cache"
        debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,ca-certificates,procps \
            bookworm "$cache/$name.tmp" "$mirror" >&2
        # The container is offline: no package sources but the bundle's.
        rm -f "$cache/$name.tmp/etc/apt/sources.list"
        echo yakuba-test > "$cache/$name.tmp/etc/hostname"
        mv "$cache/$name.tmp" "$cache/$name"
    fi
    echo "$cache/$name"
}

work="$(mktemp -d "$HOME/.cache/yakuba-packaging-test.XXXXXX")"
nspawn_pid=""
cleanup() {
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        kill "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$nspawn_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A throwaway signing key: it lives and dies in this test's directory.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
# Made as of a day before the commit: bundle.sh signs as of the commit's time.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
gpg --batch --quiet --passphrase '' \
    --faked-system-time "$(date -u -d "@$((SOURCE_DATE_EPOCH - 86400))" +%Y%m%dT%H%M%S)!" \
    --quick-gen-key "Yakuba test release <test@yakuba.invalid>" ed25519 sign never 2>/dev/null
export YAKUBA_SIGNING_KEY="$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')"

step "bundle, twice"
t0=$SECONDS
first="$(packaging/bundle.sh "$work/a" 1 | tail -n 1)"
echo "  first bundle (with the release build) in $((SECONDS - t0)) s"
# The second bundle compiles our crates again and links the binaries afresh (the
# dependencies' compiled libraries are reused: a cold rebuild costs CI another ten minutes).
cargo clean --release -p yakuba-gateway -p yakuba-app -p yakuba-sso 2>/dev/null
t0=$SECONDS
second="$(packaging/bundle.sh "$work/b" 1 | tail -n 1)"
echo "  second bundle (our crates compiled again) in $((SECONDS - t0)) s"
cmp "$first" "$second" || fail "two bundles of one commit differ"
check "two bundles of one commit, compiled twice, are byte-identical ($(sha256sum < "$first" | cut -c1-16)…)"
tar -C "$work" -xf "$first"
bundle="$work/yakuba-$(cargo_version)"
(cd "$bundle" && gpgv --keyring ./yakuba-archive-keyring.gpg SHA256SUMS.asc SHA256SUMS 2>/dev/null \
    && sha256sum --quiet -c SHA256SUMS) || fail "the bundle's signature or checksums do not verify"
check "SHA256SUMS verifies with its detached signature and the public key"
python3 -c "import json,sys; b=json.load(open(sys.argv[1])); assert b['bomFormat']=='CycloneDX' and len(b['components'])>100, len(b['components'])" \
    "$bundle/sbom/yakuba.cdx.json" || fail "the SBOM is not a CycloneDX document of the dependencies"
check "the CycloneDX SBOM lists $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['components']))" "$bundle/sbom/yakuba.cdx.json") components"
deb="$(ls "$bundle"/debian/*.deb)"
rpm="$(ls "$bundle"/rpm/*.rpm)"
packaging/build.sh "$work/v2" 2 >/dev/null
deb2="$(ls "$work"/v2/*.deb)"

step "lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" \
    || fail "lintian reports errors"
check "lintian: no errors ($(grep -c '^W:' "$work/lintian.txt" || true) warnings)"

step "rpmlint"
rpmlint -c packaging/rpmlint.toml "$rpm" | tee "$work/rpmlint.txt" || fail "rpmlint reports errors"
check "rpmlint: no errors"

step "rpm -qp"
rpm -qp --scripts "$rpm" > "$work/scripts.txt" 2>/dev/null
grep -q '^preinstall scriptlet' "$work/scripts.txt" && grep -q '/usr/lib/yakuba/setup' "$work/scripts.txt" \
    && grep -q 'try-restart' "$work/scripts.txt" || fail "the RPM's scriptlets are not ours: $(cat "$work/scripts.txt")"
check "rpm scriptlets: pre creates the user, post runs setup, postun restarts on upgrade"
flags="$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$rpm" 2>/dev/null)"
for file in /etc/yakuba/gateway.toml /etc/yakuba/app.toml; do
    echo "$flags" | grep -qx "$file cn -rw-r----- root:yakuba" \
        || fail "$file is not a noreplace config file 0640 root:yakuba: $(echo "$flags" | grep "$file")"
done
check "rpm config files: %config(noreplace), 0640 root:yakuba"

step "Debian 12 root"
rootfs="$(debian_rootfs)"
root="$work/root"
cp -a "$rootfs" "$root"
mkdir -p "$root/srv/yakuba"
cp -a "$bundle" "$root/srv/yakuba/"
cp "$deb2" "$root/srv/yakuba/"
in_chroot() {
    systemd-nspawn -q -D "$root" --private-network --register=no --keep-unit "$@"
}

step "maintainer scripts without a running systemd"
in_chroot sh -ec "dpkg -i /srv/yakuba/$(basename "$bundle")/debian/$(basename "$deb") >/dev/null
    test -f /etc/yakuba/secrets/session.secret
    test \"\$(stat -c '%a %U:%G' /etc/yakuba/gateway.toml)\" = '640 root:yakuba'
    test \"\$(stat -c '%a %U' /etc/yakuba/secrets/vault.key)\" = '600 root'
    test -L /etc/systemd/system/multi-user.target.wants/yakuba-gateway.service
    dpkg --purge yakuba >/dev/null
    test ! -e /etc/yakuba" || fail "install or purge in a root without systemd"
check "dpkg -i and dpkg --purge succeed where systemd does not run (secrets, modes, enablement)"

step "boot"
systemd-nspawn -q -b -D "$root" --private-network --register=no --keep-unit --console=passive \
    --machine=yakuba-test > "$work/console.log" 2>&1 &
nspawn_pid=$!
leader=""
for _ in $(seq 100); do
    leader="$(pgrep -P "$nspawn_pid" | head -n 1 || true)"
    [ -n "$leader" ] && break
    sleep 0.2
done
[ -n "$leader" ] || fail "the container did not start: $(cat "$work/console.log")"
inside() {
    nsenter -t "$leader" -a env LANG=C.UTF-8 "$@"
}
for _ in $(seq 150); do
    # systemd-nspawn's first child may be a short-lived helper: look for init again each time.
    leader="$(pgrep -P "$nspawn_pid" | head -n 1 || true)"
    [ -n "$leader" ] || { sleep 0.2; continue; }
    state="$(inside systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running | degraded) break ;; esac
    sleep 0.2
done
case "$state" in running | degraded) ;; *) fail "the container did not boot: '$state' $(tail -n 20 "$work/console.log")" ;; esac
check "Debian 12 booted under systemd-nspawn --private-network ($state)"

# Everything below runs inside, offline.
inside sh -ec '
    cp /srv/yakuba/yakuba-*/yakuba-archive-keyring.gpg /usr/share/keyrings/
    echo "deb [signed-by=/usr/share/keyrings/yakuba-archive-keyring.gpg] file:$(ls -d /srv/yakuba/yakuba-*)/debian ./" \
        > /etc/apt/sources.list.d/yakuba.list
    apt-get update -qq 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yakuba >/dev/null 2>&1
' > "$work/apt.txt" 2>&1 || fail "install from the signed apt repository: $(cat "$work/apt.txt")"
check "installed yakuba with apt from the bundle's signed repository, offline"

step "systemd-analyze"
inside systemd-analyze verify yakuba-gateway.service yakuba-app.service > "$work/verify.txt" 2>&1 \
    || fail "systemd-analyze verify: $(cat "$work/verify.txt")"
[ ! -s "$work/verify.txt" ] || fail "systemd-analyze verify says: $(cat "$work/verify.txt")"
check "systemd-analyze verify: no output"
for unit in yakuba-gateway yakuba-app; do
    exposure="$(inside systemd-analyze security "$unit.service" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')"
    [ -n "$exposure" ] || fail "no exposure level for $unit"
    awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "$unit exposure $exposure > 2.0"
    check "systemd-analyze security $unit: exposure $exposure (at most 2.0)"
done

step "configure and start"
# The edit the upgrade must keep: no directory, a local account (password yakuba-demo) that
# the demo city knows, and the demo city loaded into the empty database.
inside sh -ec '
    f=/etc/yakuba/gateway.toml
    awk "/^\[ldap\]/ {skip=1; next} /^\[/ && !/^\[ldap/ {skip=0} !skip" "$f" > "$f.new"
    cat >> "$f.new" <<EOF

# edited-by-test
[[local_accounts]]
user = "yamada"
password_hash = "\$argon2id\$v=19\$m=19456,t=2,p=1\$oBTtBZG17hlavGZLbR2Ing\$+Kos6rv+VKp5wrCaSH7+hs7lKdHFDG6jGPY/CZeN3P0"
name = "山田 太郎"
department = "総務課"
groups = ["staff"]
EOF
    cat "$f.new" > "$f" && rm "$f.new"
    sed -i "s/^seed_demo_if_empty = false/seed_demo_if_empty = true/" /etc/yakuba/app.toml
    systemctl start yakuba-app yakuba-gateway
' > "$work/start.txt" 2>&1 || fail "start: $(cat "$work/start.txt"; inside journalctl -u yakuba-app -u yakuba-gateway --no-pager | tail -n 40)"
for unit in yakuba-app yakuba-gateway; do
    [ "$(inside systemctl is-active "$unit")" = active ] \
        || fail "$unit is not active: $(inside journalctl -u "$unit" --no-pager | tail -n 30)"
done
check "both services started as Type=notify (systemd waited for READY=1)"
status="$(inside systemctl show -p StatusText --value yakuba-gateway)"
case "$status" in serving*) ;; *) fail "the gateway's STATUS is '$status'" ;; esac
check "the gateway reports its status to systemd: $status"

login() {
    inside sh -ec '
        jar=/root/cookies; rm -f $jar
        page=$(curl -sk -c $jar https://127.0.0.1/.yakuba/login)
        csrf=$(printf "%s" "$page" | sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p")
        curl -sk -b $jar -c $jar -o /dev/null -w "%{http_code}" \
            --data-urlencode user=yamada --data-urlencode password=yakuba-demo \
            --data-urlencode "csrf=$csrf" --data-urlencode return_to=/ \
            https://127.0.0.1/.yakuba/login
    '
}
portal() {
    inside sh -c 'curl -sk -b /root/cookies https://127.0.0.1/'
}
[ "$(login)" = 303 ] || fail "login through the gateway was refused"
portal | grep -c "山田" >/dev/null || fail "the portal through the gateway does not show the user: $(portal | head -c 400)"
check "logged in through the gateway as yamada; the app's portal shows 山田"

metrics="$(inside curl -s http://127.0.0.1:9464/metrics)"
echo "$metrics" | grep -c 'yakuba_gateway_logins_total{result="success"} 1' >/dev/null \
    || fail "gateway metrics: $metrics"
inside curl -s http://127.0.0.1:9465/metrics | grep -c '^yakuba_app_requests_total{class="2xx"} [1-9]' >/dev/null \
    || fail "app metrics"
check "Prometheus metrics on 127.0.0.1:9464 and :9465 count the login and the portal"
inside journalctl -u yakuba-gateway -o verbose --no-pager | grep -c 'SYSLOG_IDENTIFIER=yakuba-gateway' >/dev/null \
    || fail "the gateway does not log to the journal natively"
check "the gateway logs to the journal with its own fields"

inside sh -ec '
    test "$(stat -c "%a %U" /etc/yakuba/secrets/audit.key)" = "600 root"
    yakuba-gateway audit verify --config /etc/yakuba/gateway.toml
' > "$work/verify-audit.txt" 2>&1 || fail "audit verify: $(cat "$work/verify-audit.txt")"
grep -c " 0 problem(s)" "$work/verify-audit.txt" >/dev/null || fail "audit verify: $(cat "$work/verify-audit.txt")"
check "the gateway seals its audit log with a root-only key handed over by systemd; audit verify: 0 problems"

step "backup and restore"
inside sh -ec '
    yakuba-app backup --config /etc/yakuba/app.toml --to /var/lib/yakuba/backup/app.db
    yakuba-gateway backup --config /etc/yakuba/gateway.toml --to /var/lib/yakuba/backup/gateway.db
    systemctl stop yakuba-gateway yakuba-app
    rm /var/lib/yakuba/gateway/sessions.db* /var/lib/yakuba/app/app.db*
    yakuba-app restore --config /etc/yakuba/app.toml --from /var/lib/yakuba/backup/app.db
    yakuba-gateway restore --config /etc/yakuba/gateway.toml --from /var/lib/yakuba/backup/gateway.db
    for db in /var/lib/yakuba/app/app.db* /var/lib/yakuba/gateway/sessions.db*; do
        test "$(stat -c %U:%G "$db")" = yakuba:yakuba || { echo "$db is not owned by yakuba"; exit 1; }
    done
    systemctl start yakuba-app yakuba-gateway
' > "$work/backup.txt" 2>&1 || fail "backup or restore: $(cat "$work/backup.txt")"
portal | grep -c "山田" >/dev/null || fail "after restore the session is gone: $(portal | head -c 300)"
check "backups taken while running restore: the session and the app's data are back ($(grep -c . "$work/backup.txt") lines)"

step "reload"
old_pid="$(inside systemctl show -p MainPID --value yakuba-gateway)"
inside sh -c 'fails=0; for i in $(seq 200); do curl -skf -o /dev/null https://127.0.0.1/healthz || fails=$((fails+1)); done; echo $fails' > "$work/load.txt" &
load_pid=$!
sleep 0.5
inside systemctl reload yakuba-gateway || fail "systemctl reload yakuba-gateway: $(inside journalctl -u yakuba-gateway --no-pager | tail -n 20)"
wait "$load_pid"
sleep 2
new_pid="$(inside systemctl show -p MainPID --value yakuba-gateway)"
[ "$(inside systemctl is-active yakuba-gateway)" = active ] || fail "the gateway is not active after reload"
[ "$new_pid" != "$old_pid" ] && [ "$new_pid" != 0 ] || fail "MainPID did not move to the new gateway ($old_pid → $new_pid)"
[ "$(inside systemctl show -p NRestarts --value yakuba-gateway)" = 0 ] || fail "the reload restarted the gateway"
[ "$(cat "$work/load.txt")" = 0 ] || fail "$(cat "$work/load.txt") of 200 requests failed during the reload"
portal | grep -c "山田" >/dev/null || fail "the session does not survive the reload"
check "systemctl reload: new gateway $new_pid took over from $old_pid (MAINPID), 200 requests during it all answered"
inside systemctl reload yakuba-app || fail "systemctl reload yakuba-app"
check "systemctl reload yakuba-app re-reads the gateway's key"

step "watchdog"
# A short watchdog for the test only (a runtime drop-in, gone at the next boot).
inside sh -ec '
    for unit in yakuba-app yakuba-gateway; do
        mkdir -p /run/systemd/system/$unit.service.d
        printf "[Service]\nWatchdogSec=6s\nTimeoutAbortSec=3s\n" > /run/systemd/system/$unit.service.d/test-watchdog.conf
    done
    systemctl daemon-reload
    systemctl restart yakuba-app yakuba-gateway
'
for unit in yakuba-app yakuba-gateway; do
    frozen="$(inside systemctl show -p MainPID --value "$unit")"
    inside kill -STOP "$frozen"
    restarted=""
    for _ in $(seq 60); do
        now="$(inside systemctl show -p MainPID --value "$unit")"
        if [ "$now" != "$frozen" ] && [ "$now" != 0 ] && [ "$(inside systemctl is-active "$unit")" = active ]; then
            restarted=1
            break
        fi
        sleep 0.5
    done
    [ -n "$restarted" ] || fail "$unit, frozen, was not restarted by the watchdog"
    inside journalctl -u "$unit" --no-pager | grep -c "Watchdog timeout" >/dev/null || fail "$unit restarted, but not by the watchdog"
    check "$unit frozen (SIGSTOP): the watchdog killed it and systemd started it again"
done
inside sh -ec 'rm -r /run/systemd/system/yakuba-*.service.d; systemctl daemon-reload; systemctl restart yakuba-app yakuba-gateway'

step "upgrade"
before="$(inside systemctl show -p ExecMainStartTimestampMonotonic --value yakuba-app)"
inside sh -ec "DEBIAN_FRONTEND=noninteractive dpkg -i /srv/yakuba/$(basename "$deb2")" > "$work/upgrade.txt" 2>&1 \
    || fail "upgrade: $(cat "$work/upgrade.txt")"
[ "$(inside dpkg-query -W -f '${Version}' yakuba)" = "$(cargo_version)-2" ] || fail "the upgrade did not install -2"
inside grep -q edited-by-test /etc/yakuba/gateway.toml || fail "the upgrade lost the edited gateway.toml"
inside grep -q '^seed_demo_if_empty = true' /etc/yakuba/app.toml || fail "the upgrade lost the edited app.toml"
after="$(inside systemctl show -p ExecMainStartTimestampMonotonic --value yakuba-app)"
[ "$before" != "$after" ] || fail "the upgrade did not restart the app"
for unit in yakuba-app yakuba-gateway; do
    [ "$(inside systemctl is-active "$unit")" = active ] || fail "$unit is not active after the upgrade"
done
portal | grep -c "山田" >/dev/null || fail "after the upgrade the portal does not answer"
check "upgraded to $(cargo_version)-2: edited configuration kept, services restarted, session still valid"

step "purge"
inside sh -ec 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq yakuba >/dev/null 2>&1
    test ! -e /etc/yakuba
    test ! -e /var/lib/yakuba/gateway && test ! -e /var/lib/yakuba/app
    ls /var/log/yakuba/audit/gateway-*.jsonl* >/dev/null
    test -f /var/log/yakuba/gateway-audit.pub && test -f /var/log/yakuba/app-audit.pub
    test -f /var/lib/yakuba/backup/app.db
    test ! -e /usr/lib/systemd/system/yakuba-gateway.service
    ! pgrep -u yakuba >/dev/null' || fail "purge left or removed the wrong things"
check "purge removed configuration, secrets and databases, kept the audit log (with its public keys) and backups, stopped everything"

echo "packaging tests took $((SECONDS - started)) s"
echo "packaging: $passed passed, 0 failed"
