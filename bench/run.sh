#!/usr/bin/env bash
# Gateway vs nginx, measured in one run on loopback.
#
# Both proxies terminate TLS with the same certificate and forward to the same backend (an
# nginx that answers 200 from memory). The gateway checks a real session and signs identity
# for the upstream; nginx proxies plainly. Each proxy runs one worker; wrk uses one thread and
# a bounded duration. Prints requests/s and proxy CPU microseconds per request, and the ratios.
#
# Usage: bench/run.sh [duration_seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_packages build-essential cmake pkg-config nginx-light wrk curl

DURATION="${1:-10}"
CONNS="${2:-32}"
[ "$DURATION" -le 60 ] || { echo "duration is capped at 60 s" >&2; exit 1; }

cargo build --release -p yakuba-gateway --bins --example bare_proxy >/dev/null
GATEWAY="$CARGO_TARGET_DIR/release/yakuba-gateway"
BARE="$CARGO_TARGET_DIR/release/examples/bare_proxy"

WORK="$(mktemp -d /tmp/yakuba-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

BACKEND=19101; NGINX=19102; GW=19103; BAREPORT=19104
mkdir -p "$WORK/nginx-backend" "$WORK/nginx-proxy" "$WORK/gw"

cat > "$WORK/nginx-backend/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/nginx-backend/pid; error_log $WORK/nginx-backend/error.log;
events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:$BACKEND; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 "backend ok\n"; } } }
CONF
nginx -c "$WORK/nginx-backend/nginx.conf" -p "$WORK/nginx-backend" & PIDS+=($!)

# The gateway, with its self-signed certificate, which nginx then reuses.
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
RUST_LOG=warn "$GATEWAY" run --config "$WORK/gw/gateway.toml" 2>"$WORK/gw/stderr.log" & PIDS+=($!)
GW_PID=$!

for _ in $(seq 100); do [ -f "$WORK/gw/cert.pem" ] && curl -ksf -o /dev/null "https://localhost:$GW/healthz" && break; sleep 0.1; done

cat > "$WORK/nginx-proxy/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/nginx-proxy/pid; error_log $WORK/nginx-proxy/error.log;
events { worker_connections 1024; }
http { access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
  server { listen 127.0.0.1:$NGINX ssl;
    ssl_certificate $WORK/gw/cert.pem; ssl_certificate_key $WORK/gw/key.pem;
    keepalive_requests 1000000;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx -c "$WORK/nginx-proxy/nginx.conf" -p "$WORK/nginx-proxy" & PIDS+=($!)
"$BARE" "127.0.0.1:$BAREPORT" "$WORK/gw/cert.pem" "$WORK/gw/key.pem" "127.0.0.1:$BACKEND" 2>"$WORK/bare.log" & PIDS+=($!)
BARE_PID=$!
for _ in $(seq 50); do [ -s "$WORK/nginx-proxy/pid" ] && break; sleep 0.1; done
[ -s "$WORK/nginx-proxy/pid" ] || { echo "nginx did not start:" >&2; cat "$WORK/nginx-proxy/error.log" >&2; exit 1; }
sleep 0.5
NGINX_WORKER="$(pgrep -P "$(cat "$WORK/nginx-proxy/pid")")"

# Log in through the real form to get a session cookie.
JAR="$WORK/cookies"
PAGE="$(curl -ks -c "$JAR" "https://localhost:$GW/.yakuba/login")"
CSRF="$(printf '%s' "$PAGE" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
curl -ks -b "$JAR" -c "$JAR" -o /dev/null -d "user=bench&password=bench-pass&csrf=$CSRF" "https://localhost:$GW/.yakuba/login"
SESSION="$(awk '$6=="__Host-yakuba_session"{print $7}' "$JAR")"
[ -n "$SESSION" ] || { echo "login failed" >&2; exit 1; }
COOKIE="Cookie: __Host-yakuba_session=$SESSION"
[ "$(curl -ks -o /dev/null -w '%{http_code}' -H "$COOKIE" "https://localhost:$GW/")" = 200 ] || { echo "authenticated GET failed" >&2; exit 1; }

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
TICK="$(getconf CLK_TCK)"

measure() { # name pid url -> "rps cpu_us_per_req"
    local pid=$2 url=$3
    wrk -t1 -c"$CONNS" -d2s -H "$COOKIE" "$url" >/dev/null   # warm up
    local before after out reqs rps
    local tracer=
    if [ -n "${STRACE_OUT:-}" ]; then   # count system calls: STRACE_OUT=/tmp/s bench/run.sh
        strace -c -f -p "$pid" -o "$STRACE_OUT.$1" & tracer=$!
        sleep 0.5
    elif [ -n "${PERF_DATA:-}" ]; then   # profile each proxy: PERF_DATA=/tmp/p bench/run.sh
        perf record -q -e cpu-clock -F 2999 -g -p "$pid" -o "$PERF_DATA.$1" & tracer=$!
        sleep 0.5
    fi
    before="$(cpu_ticks "$pid")"
    out="$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "$COOKIE" "$url")"
    after="$(cpu_ticks "$pid")"
    if [ -n "$tracer" ]; then kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true; fi
    reqs="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
    rps="$(printf '%s\n' "$out" | awk '/Requests\/sec/{print $2}')"
    if printf '%s\n' "$out" | grep -q "Non-2xx"; then echo "$1: non-2xx responses" >&2; printf '%s\n' "$out" >&2; exit 1; fi
    awk -v r="$rps" -v t=$((after - before)) -v n="$reqs" -v hz="$TICK" 'BEGIN{printf "%s %.1f\n", r, t*1e6/hz/n}'
}


# Rounds alternate between the proxies so that drift on a shared machine hits all three;
# each figure reported is the median of its rounds.
ROUNDS="${ROUNDS:-3}"
: > "$WORK/results"
for round in $(seq "$ROUNDS"); do
    echo "nginx $(measure nginx "$NGINX_WORKER" "https://localhost:$NGINX/")" >> "$WORK/results"
    echo "bare $(measure bare "$BARE_PID" "https://localhost:$BAREPORT/")" >> "$WORK/results"
    echo "gateway $(measure gateway "$GW_PID" "https://localhost:$GW/")" >> "$WORK/results"
done
median() { # name column
    awk -v n="$1" -v c="$2" '$1==n{print $c}' "$WORK/results" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'
}
NG_RPS="$(median nginx 2)"; NG_CPU="$(median nginx 3)"
BARE_RPS="$(median bare 2)"; BARE_CPU="$(median bare 3)"
GW_RPS="$(median gateway 2)"; GW_CPU="$(median gateway 3)"
echo "rounds:"; cat "$WORK/results"

echo "duration=${DURATION}s x $ROUNDS rounds, connections=$CONNS, cores=$(nproc); medians:"
printf '%-28s %12s %14s\n' "proxy" "requests/s" "CPU us/req"
printf '%-28s %12s %14s\n' "nginx (plain proxy, TLS)" "$NG_RPS" "$NG_CPU"
printf '%-28s %12s %14s\n' "bare Pingora (TLS, no auth)" "$BARE_RPS" "$BARE_CPU"
printf '%-28s %12s %14s\n' "yakuba-gateway (auth, TLS)" "$GW_RPS" "$GW_CPU"
awk -v a="$GW_RPS" -v b="$NG_RPS" -v c="$GW_CPU" -v d="$NG_CPU" \
    'BEGIN{printf "throughput ratio gateway/nginx: %.2f\nCPU per request ratio gateway/nginx: %.2f\n", a/b, c/d}'
awk -v a="$GW_RPS" -v b="$BARE_RPS" -v c="$GW_CPU" -v d="$BARE_CPU" \
    'BEGIN{printf "throughput ratio gateway/bare Pingora: %.2f\nCPU per request ratio gateway/bare Pingora: %.2f\n", a/b, c/d}'
AUDIT_LINES="$(cat "$WORK"/gw/audit/gateway-*.jsonl | wc -l)"
echo "gateway audit records written: $AUDIT_LINES"
