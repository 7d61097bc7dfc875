#!/bin/sh
# Installed as /usr/lib/yakuba/setup and run by the .deb's postinst and the .rpm's %post:
# the system user, directories, permissions and per-install secrets. Safe to run again; it
# never replaces a secret, a certificate or an edited file, and needs no running systemd
# (chroots and image builds).
set -e

root="${DPKG_ROOT:-}"

# The user, from the sysusers.d file; useradd where systemd-sysusers is missing.
if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers ${root:+--root="$root"} yakuba.conf
elif ! getent passwd yakuba >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/yakuba --no-create-home \
        --shell /usr/sbin/nologin --comment "Yakuba appliance" yakuba
fi

if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles ${root:+--root="$root"} --create yakuba.conf
else
    for dir in /var/lib/yakuba /var/lib/yakuba/gateway /var/lib/yakuba/app \
        /var/lib/yakuba/backup /var/log/yakuba; do
        install -d -m 0750 -o yakuba -g yakuba "$root$dir"
    done
fi

# Configuration: readable by the services' group, writable by root only.
install -d -m 0750 -o root -g yakuba "$root/etc/yakuba" "$root/etc/yakuba/secrets" "$root/etc/yakuba/tls"
for file in gateway.toml app.toml; do
    if [ -f "$root/etc/yakuba/$file" ]; then
        chown root:yakuba "$root/etc/yakuba/$file"
        chmod 0640 "$root/etc/yakuba/$file"
    fi
done

# Per-install secrets and a self-signed certificate, only where missing. The private secrets
# stay root-only: systemd hands them to the gateway (LoadCredential=).
if [ -z "$root" ]; then
    umask 077
    /usr/bin/yakuba-gateway keygen --config /etc/yakuba/gateway.toml >/dev/null
    umask 022
fi
for secret in session.secret assertion.key vault.key audit.key; do
    if [ -f "$root/etc/yakuba/secrets/$secret" ]; then
        chown root:root "$root/etc/yakuba/secrets/$secret"
        chmod 0600 "$root/etc/yakuba/secrets/$secret"
    fi
done
# The app verifies assertions with the public half; `audit verify` checks seals with the
# audit key's.
for public in assertion.pub audit.pub; do
    if [ -f "$root/etc/yakuba/secrets/$public" ]; then
        chown root:yakuba "$root/etc/yakuba/secrets/$public"
        chmod 0640 "$root/etc/yakuba/secrets/$public"
    fi
done
# The certificate is read again on every graceful upgrade (a renewed one takes effect by
# `systemctl reload`), so it is a plain file the service's group may read.
for file in cert.pem key.pem; do
    if [ -f "$root/etc/yakuba/tls/$file" ]; then
        chown root:yakuba "$root/etc/yakuba/tls/$file"
        chmod 0640 "$root/etc/yakuba/tls/$file"
    fi
done
