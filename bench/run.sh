#!/bin/sh
# bench/run.sh BUILD: the GetNode benchmark of the foundation issue. Starts
# the suite (release build) in a throwaway var dir, then measures on this
# machine, one after the other:
#   1. REST  GET /v1/inventory/nodes/{id} through the gateway (wrk, 32 connections, 10 s)
#   2. gRPC  inventory.v1.NodesService/GetNode through the gateway (bench/grpc_load, 32 in flight, 10 s)
#   3. the raw PostgreSQL floor: the same one-row select with pgbench (32 clients, 10 s),
#      in pgbench -S's own query mode (simple protocol) and, stricter, prepared
# and prints the figures and the REST/PostgreSQL ratios (target: >= 40% of the
# pgbench -S-style floor). Everything talks to PostgreSQL over TCP 127.0.0.1.
# Environment: BENCH_SECONDS (10), BENCH_CONNECTIONS (32).
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-32}

VAR=$(mktemp -d /tmp/pmm-bench.XXXXXX)
chmod 755 "$VAR"
BASE=$((21000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
export PMM_VAR_DIR="$VAR" PMM_PORT_BASE="$BASE" PMM_BIN_DIR="$ROOT/$BUILD/bin" PMM_LOG_LEVEL=warn
REST=http://127.0.0.1:$((BASE + 2))
GRPC=127.0.0.1:$((BASE + 1))
PGPORT=$((BASE + 4))

cleanup() {
    sh "$ROOT/deploy/suite.sh" stop >/dev/null 2>&1 || true
    rm -rf "$VAR"
}
trap cleanup EXIT INT TERM

sh "$ROOT/deploy/suite.sh" start >/dev/null
AUTH="Authorization: Basic $(printf admin:admin | base64)"
ID=$(curl -sf -H "$AUTH" -H 'Content-Type: application/json' -X POST "$REST/v1/inventory/nodes" \
        -d '{"generic": {"node_name": "bench-node", "address": "10.0.0.1", "custom_labels": {"rack": "r1"}}}' |
     /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["generic"]["node_id"])')
curl -sf -H "$AUTH" "$REST/v1/inventory/nodes/$ID" >/dev/null

echo "== REST GET /v1/inventory/nodes/{id}: wrk -c$CONNS -t2 -d${SECS}s"
WRK_OUT=$(wrk -c "$CONNS" -t 2 -d "${SECS}s" --latency -H "$AUTH" "$REST/v1/inventory/nodes/$ID")
echo "$WRK_OUT" | grep -E 'Requests/sec|99%|50%|Non-2xx|Socket errors' || true
REST_RPS=$(echo "$WRK_OUT" | awk '/Requests\/sec/ {print $2}')

echo "== gRPC inventory.v1.NodesService/GetNode: $CONNS in flight, ${SECS}s"
# GetNodeRequest{node_id = 1}: tag 0x0a, length 36 (0x24), the id.
BODY_HEX=0a24$(printf %s "$ID" | od -An -tx1 | tr -d ' \n')
GRPC_OUT=$("$ROOT/$BUILD/bench/grpc_load" --target "$GRPC" --method /inventory.v1.NodesService/GetNode \
           --body-hex "$BODY_HEX" --user admin --password admin --concurrency "$CONNS" --duration "$SECS")
echo "$GRPC_OUT"
GRPC_RPS=$(echo "$GRPC_OUT" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')

printf 'SELECT node_id, node_type, node_name, address, machine_id, distro, node_model, region, az, custom_labels, container_id, container_name, instance_id FROM nodes WHERE node_id = %s;\n' "'$ID'" > "$VAR/select.sql"
chmod 644 "$VAR/select.sql"
pg_floor() {
    echo "== PostgreSQL floor: pgbench -c$CONNS -j2 -T$SECS -M $1, one-row select of the node" >&2
    out=$(PGPASSWORD=$(head -n 1 "$VAR/secrets/pmm-managed.dbpassword") /usr/lib/postgresql/15/bin/pgbench -h 127.0.0.1 -p "$PGPORT" -U pmm-managed \
          -n -c "$CONNS" -j 2 -T "$SECS" -M "$1" -f "$VAR/select.sql" pmm-managed 2>&1)
    echo "$out" | grep -E 'tps|latency average' >&2 || echo "$out" >&2
    echo "$out" | awk '/^tps/ {print $3; exit}'
}
PG_SIMPLE=$(pg_floor simple)
PG_PREPARED=$(pg_floor prepared)

echo "== summary"
/usr/bin/python3 - "$REST_RPS" "$GRPC_RPS" "$PG_SIMPLE" "$PG_PREPARED" <<'PY'
import sys
rest, grpc, simple, prepared = (float(x or 0) for x in sys.argv[1:5])
print(f"rest_rps={rest:.0f} grpc_rps={grpc:.0f} pgbench_simple_tps={simple:.0f} pgbench_prepared_tps={prepared:.0f}")
if simple:
    r = rest / simple * 100
    print(f"rest/pgbench-S-style(simple)={r:.1f}% (target >= 40%): {'met' if r >= 40 else 'NOT met'}")
if prepared:
    print(f"rest/pgbench-prepared={rest / prepared * 100:.1f}% (stricter floor, for reference)")
PY
