#!/usr/bin/env bash
# User-space instructions per proxied request, counted by valgrind's callgrind: nginx as a
# plain TLS reverse proxy, a bare Pingora proxy (gateway/examples/bare_proxy.rs) and the
# gateway with a session, identity and audit. Unlike requests/s and CPU time, instruction
# counts do not depend on what else the machine is doing, so they show where the cost lies
# even on a shared, noisy machine. Kernel work (TCP, syscalls) is not counted: it is much the
# same for all three.
#
# Each proxy runs alone under callgrind (every thread counted); wrk warms it up, the counters
# are zeroed, wrk runs again for a fixed time, and the counters are dumped. Instructions are
# divided by the requests wrk completed in that window.
#
# Usage: [KEEP_DUMPS=dir] bench/instructions.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config nginx-light wrk curl valgrind

DURATION="${1:-8}"
[ "$DURATION" -le 60 ] || { echo "duration is capped at 60 s" >&2; exit 1; }

cargo build --release -p yakuba-gateway --bins --example bare_proxy >/dev/null
GATEWAY="$CARGO_TARGET_DIR/release/yakuba-gateway"
BARE="$CARGO_TARGET_DIR/release/examples/bare_proxy"

WORK="$(mktemp -d /tmp/yakuba-instr.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

BACKEND=19111; NGINX=19112; GW=19113; BAREPORT=19114
mkdir -p "$WORK/backend" "$WORK/nginx" "$WORK/gw"

cat > "$WORK/backend/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/backend/pid; error_log $WORK/backend/error.log;
events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:$BACKEND; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 "backend ok\n"; } } }
CONF
nginx -c "$WORK/backend/nginx.conf" -p "$WORK/backend" & PIDS+=($!)

HASH="$(echo bench-pass | "$GATEWAY" hash-password)"
cat > "$WORK/gw/gateway.toml" <<CONF
[server]
https = "127.0.0.1:$GW"
data_dir = "$WORK/gw"
threads = 1
[tls]
cert = "cert.pem"
key = "key.pem"
self_signed_if_missing = true
hostnames = ["localhost"]
[[local_accounts]]
user = "bench"
password_hash = "$HASH"
name = "計測 太郎"
department = "情報化推進課"
[[routes]]
id = "portal"
name = "ポータル"
upstreams = ["127.0.0.1:$BACKEND"]
identity = "assertion"
audience = "yakuba-app"
CONF
"$GATEWAY" keygen --config "$WORK/gw/gateway.toml" >/dev/null

cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $WORK/nginx/pid; error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http { access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
  server { listen 127.0.0.1:$NGINX ssl;
    ssl_certificate $WORK/gw/cert.pem; ssl_certificate_key $WORK/gw/key.pem;
    keepalive_requests 1000000;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF

wait_https() { # url
    for _ in $(seq 300); do curl -ksf -o /dev/null "$1" && return 0; sleep 0.2; done
    echo "nothing answered at $1" >&2; exit 1
}

# count NAME URL HEADER COMMAND...: run COMMAND under callgrind and print instructions/request.
count() {
    local name=$1 url=$2 header=$3; shift 3
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.%p" --dump-instr=no \
        "$@" 2>"$WORK/$name.valgrind.log" &
    local pid=$!
    PIDS+=("$pid")
    wait_https "${url}healthz" 2>/dev/null || wait_https "$url"
    wrk -t1 -c8 -d3s -H "$header" "$url" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    local out requests
    out="$(wrk -t1 -c8 -d"${DURATION}s" -H "$header" "$url")"
    callgrind_control -d "$pid" >/dev/null 2>&1
    if printf '%s\n' "$out" | grep -q "Non-2xx"; then echo "$name: non-2xx responses" >&2; exit 1; fi
    requests="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
    # The dump is written after the command returns: wait for it before stopping the proxy.
    local dump="$WORK/$name.$pid.1" size=-1
    for _ in $(seq 100); do
        if [ -s "$dump" ] && [ "$(stat -c %s "$dump")" = "$size" ]; then break; fi
        [ -s "$dump" ] && size="$(stat -c %s "$dump")"
        sleep 0.2
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    # KEEP_DUMPS=dir keeps each dump for callgrind_annotate (where the instructions go).
    if [ -n "${KEEP_DUMPS:-}" ]; then mkdir -p "$KEEP_DUMPS"; cp "$dump" "$KEEP_DUMPS/$name.callgrind"; fi
    local total
    total="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')"
    awk -v n="$name" -v t="$total" -v r="$requests" \
        'BEGIN{printf "%-10s %9d requests %12d instructions/request\n", n, r, t/r}'
}

# The gateway: log in once for a session cookie (the gateway is not yet under callgrind).
RUST_LOG=warn "$GATEWAY" run --config "$WORK/gw/gateway.toml" 2>"$WORK/gw/plain.log" &
PLAIN=$!
wait_https "https://localhost:$GW/healthz"
JAR="$WORK/cookies"
PAGE="$(curl -ks -c "$JAR" "https://localhost:$GW/.yakuba/login")"
CSRF="$(printf '%s' "$PAGE" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
curl -ks -b "$JAR" -c "$JAR" -o /dev/null -d "user=bench&password=bench-pass&csrf=$CSRF" "https://localhost:$GW/.yakuba/login"
SESSION="$(awk '$6=="__Host-yakuba_session"{print $7}' "$JAR")"
[ -n "$SESSION" ] || { echo "login failed" >&2; exit 1; }
kill "$PLAIN"; wait "$PLAIN" 2>/dev/null || true
COOKIE="Cookie: __Host-yakuba_session=$SESSION"

{
    count nginx "https://localhost:$NGINX/" "$COOKIE" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
    count bare "https://localhost:$BAREPORT/" "$COOKIE" "$BARE" "127.0.0.1:$BAREPORT" "$WORK/gw/cert.pem" "$WORK/gw/key.pem" "127.0.0.1:$BACKEND"
    RUST_LOG=warn count gateway "https://localhost:$GW/" "$COOKIE" "$GATEWAY" run --config "$WORK/gw/gateway.toml"
} | tee "$WORK/results"
awk '{v[$1]=$4} END{printf "bare Pingora / nginx: %.2f\ngateway / nginx: %.2f\ngateway / bare Pingora: %.2f\n", v["bare"]/v["nginx"], v["gateway"]/v["nginx"], v["gateway"]/v["bare"]}' "$WORK/results"
