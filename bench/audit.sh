#!/usr/bin/env bash
# The audit log's two figures (issue 5), measured on loopback.
#
#   bench/audit.sh throughput [seconds] [connections]
#       Gateway throughput with the per-request audit record on and off. Two gateways run side
#       by side, identical but for `[audit] record_requests`, in front of one nginx backend;
#       rounds alternate between them (ROUNDS, default 7) and the medians are reported with
#       every round, so the noise of a shared machine shows. Each gateway has one worker
#       thread; the audit writer is a thread of its own, and its CPU is counted.
#
#   bench/audit.sh search [records]
#       `yakuba-gateway audit search` over a city's month of records (default 10,000,000),
#       written by yakuba-audit-gen through the real writer (chained, sealed, indexed). Each
#       query runs once with its segment files dropped from the page cache (dd iflag=nocache),
#       then REPEAT more times (default 5); the median of those is the warm figure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust

MODE="${1:-throughput}"
WORK="$(mktemp -d /tmp/yakuba-audit-bench.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Build and copy the binaries this run uses. Other checkouts of the repository (worktrees)
# may share the cargo target directory and replace them with an older build at any time, so
# the copy is checked for the `audit` commands and built again if it lacks them.
binaries() { # packages... -> $WORK/bin
    mkdir -p "$WORK/bin"
    local try
    for try in 1 2 3; do
        cargo build --release "$@" --bins >/dev/null
        cp "$CARGO_TARGET_DIR/release/yakuba-gateway" "$WORK/bin/"
        [ -x "$CARGO_TARGET_DIR/release/yakuba-audit-gen" ] &&
            cp "$CARGO_TARGET_DIR/release/yakuba-audit-gen" "$WORK/bin/"
        "$WORK/bin/yakuba-gateway" audit --help >/dev/null 2>&1 && return 0
        echo "the gateway binary was replaced by another checkout's build; building again" >&2
        touch gateway/src/main.rs
    done
    echo "cannot get a gateway binary with the audit commands" >&2
    exit 1
}

throughput() {
    ensure_packages build-essential cmake pkg-config nginx-light wrk curl
    local duration="${1:-10}" conns="${2:-32}"
    [ "$duration" -le 60 ] || { echo "duration is capped at 60 s" >&2; exit 1; }
    binaries -p yakuba-gateway
    local gateway="$WORK/bin/yakuba-gateway"
    local backend=19301
    mkdir -p "$WORK/backend"
    cat > "$WORK/backend/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $WORK/backend/pid; error_log $WORK/backend/error.log;
events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:$backend; keepalive_requests 1000000;
    location / { default_type text/plain; return 200 "backend ok\n"; } } }
CONF
    nginx -c "$WORK/backend/nginx.conf" -p "$WORK/backend" & PIDS+=($!)
    local hash
    hash="$(echo bench-pass | "$gateway" hash-password)"
    declare -gA PORT PID COOKIE
    local name port=19302
    for name in on off; do
        mkdir -p "$WORK/$name"
        local record=true
        [ "$name" = off ] && record=false
        cat > "$WORK/$name/gateway.toml" <<CONF
[server]
https = "127.0.0.1:$port"
data_dir = "$WORK/$name"
threads = 1
[tls]
cert = "cert.pem"
key = "key.pem"
self_signed_if_missing = true
hostnames = ["localhost"]
[audit]
record_requests = $record
[[local_accounts]]
user = "bench"
password_hash = "$hash"
name = "計測 太郎"
department = "情報化推進課"
[[routes]]
id = "portal"
name = "ポータル"
upstreams = ["127.0.0.1:$backend"]
identity = "assertion"
audience = "yakuba-app"
CONF
        RUST_LOG=warn "$gateway" run --config "$WORK/$name/gateway.toml" 2>"$WORK/$name/stderr.log" &
        PIDS+=($!)
        PID[$name]=$!
        PORT[$name]=$port
        port=$((port + 1))
    done
    for name in on off; do
        for _ in $(seq 100); do
            curl -ksf -o /dev/null "https://localhost:${PORT[$name]}/healthz" && break
            sleep 0.1
        done
        local jar="$WORK/$name/cookies" page csrf session
        page="$(curl -ks -c "$jar" "https://localhost:${PORT[$name]}/.yakuba/login")"
        csrf="$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
        curl -ks -b "$jar" -c "$jar" -o /dev/null -d "user=bench&password=bench-pass&csrf=$csrf" \
            "https://localhost:${PORT[$name]}/.yakuba/login"
        session="$(awk '$6=="__Host-yakuba_session"{print $7}' "$jar")"
        [ -n "$session" ] || { echo "login to the $name gateway failed" >&2; exit 1; }
        COOKIE[$name]="Cookie: __Host-yakuba_session=$session"
    done

    local tick
    tick="$(getconf CLK_TCK)"
    measure() { # name -> "rps cpu_us_per_req"
        local name=$1 url="https://localhost:${PORT[$1]}/"
        wrk -t1 -c"$conns" -d2s -H "${COOKIE[$name]}" "$url" >/dev/null
        local before after out reqs rps
        before="$(awk '{print $14+$15}' "/proc/${PID[$name]}/stat")"
        out="$(wrk -t1 -c"$conns" -d"${duration}s" -H "${COOKIE[$name]}" "$url")"
        after="$(awk '{print $14+$15}' "/proc/${PID[$name]}/stat")"
        reqs="$(printf '%s\n' "$out" | awk '/requests in/{print $1}')"
        rps="$(printf '%s\n' "$out" | awk '/Requests\/sec/{print $2}')"
        if printf '%s\n' "$out" | grep -q "Non-2xx"; then echo "$name: non-2xx responses" >&2; exit 1; fi
        awk -v r="$rps" -v t=$((after - before)) -v n="$reqs" -v hz="$tick" \
            'BEGIN{printf "%s %.1f\n", r, t*1e6/hz/n}'
    }
    local rounds="${ROUNDS:-7}" round
    : > "$WORK/results"
    for round in $(seq "$rounds"); do
        # Alternate which goes first, so that a drift in machine load hits both alike.
        if [ $((round % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
        for name in $order; do
            echo "$round $name $(measure "$name")" >> "$WORK/results"
        done
    done
    median() { awk -v n="$1" -v c="$2" '$2==n{print $c}' "$WORK/results" | sort -g |
        awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
    echo "rounds (round, audit, requests/s, CPU us/request):"
    cat "$WORK/results"
    local on_rps off_rps on_cpu off_cpu
    on_rps="$(median on 3)"; off_rps="$(median off 3)"
    on_cpu="$(median on 4)"; off_cpu="$(median off 4)"
    echo "duration=${duration}s x $rounds rounds, connections=$conns, cores=$(nproc); medians:"
    printf '%-34s %12s %14s\n' "gateway" "requests/s" "CPU us/req"
    printf '%-34s %12s %14s\n' "audit record per request (on)" "$on_rps" "$on_cpu"
    printf '%-34s %12s %14s\n' "no per-request record (off)" "$off_rps" "$off_cpu"
    awk -v a="$on_rps" -v b="$off_rps" -v c="$on_cpu" -v d="$off_cpu" \
        'BEGIN{printf "throughput on/off: %.3f (%.1f%% lower)\nCPU per request on/off: %.3f\n", a/b, (1-a/b)*100, c/d}'
    # Paired ratios per round show the spread better than the medians alone.
    awk '{rps[$1" "$2]=$3} END{for (k in rps) {split(k, p, " "); if (p[2]=="on") printf "round %s on/off: %.3f\n", p[1], rps[k]/rps[p[1]" off"]}}' \
        "$WORK/results" | sort -k2 -n
    echo "audit records written by the 'on' gateway: $(cat "$WORK"/on/audit/gateway-*.jsonl | wc -l)"
}

search() {
    local records="${1:-10000000}" repeat="${REPEAT:-5}"
    binaries -p yakuba-gateway -p yakuba-tests
    local gateway="$WORK/bin/yakuba-gateway"
    local gen="$WORK/bin/yakuba-audit-gen"
    local dir="$WORK/audit"
    local t0=$SECONDS
    "$gen" --dir "$dir" --key "$WORK/audit.key" --records "$records"
    echo "generation took $((SECONDS - t0)) s"
    local seg_bytes idx_bytes
    seg_bytes="$(du -cb "$dir"/*.jsonl | tail -1 | cut -f1)"
    idx_bytes="$(du -cb "$dir"/*.idx | tail -1 | cut -f1)"
    awk -v n="$(ls "$dir"/*.jsonl | wc -l)" -v s="$seg_bytes" -v i="$idx_bytes" -v r="$records" \
        'BEGIN{printf "segments: %d, %.2f GB (%.0f bytes per record); index %.1f MB\n", n, s/1e9, s/r, i/1e6}'
    local t1=$SECONDS
    "$gateway" audit verify --dir "$dir" --public-key "$WORK/audit.pub" | tail -1
    echo "verify took $((SECONDS - t1)) s"
    run() { # label, args... -> one line: label, hits, cold s, warm median s
        local label=$1; shift
        local f
        for f in "$dir"/*; do dd if="$f" iflag=nocache count=0 status=none; done
        local cold hits warm=()
        cold="$("$gateway" audit search --dir "$dir" "$@" 2>&1 >/dev/null | tail -1)"
        hits="$(printf '%s' "$cold" | awk '{print $1}')"
        for _ in $(seq "$repeat"); do
            warm+=("$("$gateway" audit search --dir "$dir" "$@" 2>&1 >/dev/null | tail -1 |
                sed -n 's/.* in \([0-9.]*\) s.*/\1/p')")
        done
        local median
        median="$(printf '%s\n' "${warm[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')"
        printf '%-58s %8s %9s %9s   %s\n' "$label" "$hits" \
            "$(printf '%s' "$cold" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')" "$median" \
            "$(printf '%s' "$cold" | sed -n 's/.*(\(.*\))/\1/p')"
    }
    printf '%-58s %8s %9s %9s   %s\n' "query" "records" "cold s" "warm s" "work (cold run)"
    run "one user, all month" --user k01234 --limit 100000
    run "one user, one day (JST)" --user k01234 --from 2026-04-10 --to 2026-04-10 --limit 100000
    run "denied 403s on one route, one day" --route zaimu --decision deny --status 403 \
        --from 2026-04-10 --to 2026-04-10 --limit 100000
    run "everything in five minutes (09:00-09:05 JST)" --from 2026-04-10T09:00 \
        --to 2026-04-10T09:05 --limit 100000
    run "failed logins, one day" --action login --decision failure --from 2026-04-10 \
        --to 2026-04-10 --limit 100000
    run "a user who never appears" --user nobody --limit 100000
    run "5xx answers, first 1000" --status 5xx --limit 1000
}

case "$MODE" in
    throughput) shift || true; throughput "$@" ;;
    search) shift; search "$@" ;;
    *) echo "usage: bench/audit.sh throughput [seconds] [connections] | search [records]" >&2; exit 1 ;;
esac
