#!/bin/sh
# bench/inventory_lists.sh BUILD: the inventory-size benchmark of issue 4.
# Starts the suite (release build) in a throwaway var dir, fills it with
# 2,000 nodes, 6,000 services and 20,000 agents (set-based SQL, the shapes
# inventoryd itself writes), then times, over sequential requests with the
# full JSON body:
#   GET /v1/inventory/agents      (what `pmm-admin list` does, unfiltered)
#   GET /v1/management/services
# and prints median and p99 (target: each under 150 ms; after one warm-up
# request per inventoryd worker, timed and shown) and the RSS of inventoryd
# and gateway. BENCH_REQUESTS (default 40) requests per URL.
# The machine is often shared, so it also prints the CPU time each
# request cost inventoryd, the gateway and PostgreSQL (this suite's
# backends): a figure that other load does not inflate much.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_REQUESTS:-40}

VAR=$(mktemp -d /tmp/pmm-bench-inv.XXXXXX)
chmod 755 "$VAR"
# ports below the ephemeral range (32768), where no client connection takes them
BASE=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 1270 * 10))
export PMM_VAR_DIR="$VAR" PMM_PORT_BASE="$BASE" PMM_BIN_DIR="$ROOT/$BUILD/bin" PMM_LOG_LEVEL=warn
REST=http://127.0.0.1:$((BASE + 2))
PGPORT=$((BASE + 4))
cleanup() {
    sh "$ROOT/deploy/suite.sh" stop >/dev/null 2>&1 || true
    rm -rf "$VAR"
}
[ -n "${BENCH_KEEP:-}" ] || trap cleanup EXIT INT TERM
sh "$ROOT/deploy/suite.sh" start >/dev/null
echo "suite: var dir $VAR, REST $REST"

echo "== filling: 2,000 nodes, 6,000 services, 20,000 agents"
PGPASSWORD=$(head -n 1 "$VAR/secrets/pmm-managed.dbpassword") psql -q -h 127.0.0.1 -p "$PGPORT" -U pmm-managed -d pmm-managed -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, address, created_at, updated_at)
SELECT 'n-' || i, 'generic', 'bench-node-' || i, 'linux', '', '', '{"rack":"r' || (i % 40) || '"}',
       '10.1.' || (i / 250) || '.' || (i % 250), now(), now()
FROM generate_series(1, 2000) i;
-- one pmm-agent and one node_exporter per node: 4,000 agents
INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'pa-' || i, 'pmm-agent', 'n-' || i, '{}', now(), now(), false, '', false, false FROM generate_series(1, 2000) i;
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'ne-' || i, 'node_exporter', 'pa-' || i, 'n-' || i, '{}', now(), now(), false, 'AGENT_STATUS_RUNNING', false, false FROM generate_series(1, 2000) i;
-- three services per node: 6,000
INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, replication_set, custom_labels,
                      created_at, updated_at, address, port, external_group, database_name)
SELECT 's-' || t.kind || '-' || i, t.kind, 'bench-' || t.kind || '-' || i, 'n-' || i, 'prod', 'c' || (i % 50), '', '{}',
       now(), now(), '10.1.' || (i / 250) || '.' || (i % 250), t.port, '', CASE WHEN t.kind = 'postgresql' THEN 'postgres' ELSE '' END
FROM generate_series(1, 2000) i,
     (VALUES ('mysql', 3306), ('postgresql', 5432), ('mongodb', 27017)) AS t(kind, port);
-- an exporter per service: 6,000; a QAN agent per service: 6,000; 4,000 more (slowlog): 20,000 in all
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, updated_at, disabled, status,
                    tls, tls_skip_verify, username)
SELECT 'ex-' || t.kind || '-' || i, t.exporter, 'pa-' || i, 's-' || t.kind || '-' || i, '{}', now(), now(), false,
       'AGENT_STATUS_RUNNING', false, false, 'pmm'
FROM generate_series(1, 2000) i,
     (VALUES ('mysql', 'mysqld_exporter'), ('postgresql', 'postgres_exporter'), ('mongodb', 'mongodb_exporter')) AS t(kind, exporter);
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, updated_at, disabled, status,
                    tls, tls_skip_verify, username)
SELECT 'qa-' || t.kind || '-' || i, t.qan, 'pa-' || i, 's-' || t.kind || '-' || i, '{}', now(), now(), false,
       'AGENT_STATUS_RUNNING', false, false, 'pmm'
FROM generate_series(1, 2000) i,
     (VALUES ('mysql', 'qan-mysql-perfschema-agent'), ('postgresql', 'qan-postgresql-pgstatements-agent'),
             ('mongodb', 'qan-mongodb-profiler-agent')) AS t(kind, qan);
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, updated_at, disabled, status,
                    tls, tls_skip_verify, username)
SELECT 'qs-' || i, 'qan-mysql-slowlog-agent', 'pa-' || i, 's-mysql-' || i, '{}', now(), now(), false,
       'AGENT_STATUS_RUNNING', false, false, 'pmm'
FROM generate_series(1, 2000) i;
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, updated_at, disabled, status,
                    tls, tls_skip_verify, username)
SELECT 'ep-' || i, 'postgres_exporter', 'pa-' || i, 's-postgresql-' || i, '{}', now(), now(), false,
       'AGENT_STATUS_RUNNING', false, false, 'pmm'
FROM generate_series(1, 2000) i;
COMMIT;
ANALYZE nodes, services, agents;
SQL
# As in production, credentials are stored encrypted: inventoryd seals the
# plain ones at start.
sh "$ROOT/deploy/suite.sh" ctl restart inventoryd >/dev/null
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' -u admin:admin "$REST/v1/inventory/agents?agent_type=AGENT_TYPE_PMM_AGENT")" = 200 ] || [ $i -ge 120 ]; do
    sleep 1
    i=$((i + 1))
done
PGPASSWORD=$(head -n 1 "$VAR/secrets/pmm-managed.dbpassword") psql -At -h 127.0.0.1 -p "$PGPORT" -U pmm-managed -d pmm-managed \
    -c "SELECT (SELECT count(*) FROM nodes) || ' nodes, ' || (SELECT count(*) FROM services) || ' services, ' || (SELECT count(*) FROM agents) || ' agents (' || (SELECT count(*) FROM agents WHERE username LIKE 'enc:%') || ' with sealed credentials)'"

# CPU seconds (user + system) used so far by the given pids, in clock ticks.
cpu_ticks() {
    for p in "$@"; do cat /proc/"$p"/stat 2>/dev/null; done |
        awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }'
}
pg_backends() {
    pgrep -P "$(head -1 "$VAR/pg/data/postmaster.pid")" -f 'postgres: pmm-managed' | tr '\n' ' '
}

measure() {
    url=$1
    code=$(curl -s -o "$VAR/body" -w '%{http_code}' -u admin:admin "$REST$url")
    size=$(wc -c < "$VAR/body")
    echo "== GET $url: HTTP $code, $size bytes of JSON, $N requests"
    if [ "$code" != 200 ]; then
        echo "not measured: the endpoint answered HTTP $code (target NOT met)"
        return 0
    fi
    # Steady state: the first request each inventoryd worker serves after
    # a start faults its memory in; those are timed and shown, not counted.
    cold=$(for w in 1 2 3 4; do curl -s -o /dev/null -w '%{time_total} ' -u admin:admin "$REST$url"; done)
    echo "warm-up (one request per worker), seconds: $cold"
    inv=$(sh "$ROOT/deploy/suite.sh" ctl pid inventoryd)
    gw=$(sh "$ROOT/deploy/suite.sh" ctl pid gateway)
    pg=$(pg_backends)
    inv0=$(cpu_ticks $inv) gw0=$(cpu_ticks $gw) pg0=$(cpu_ticks $pg)
    i=0
    : > "$VAR/times"
    while [ $i -lt "$N" ]; do
        curl -s -o /dev/null -w '%{time_total}\n' -u admin:admin "$REST$url" >> "$VAR/times"
        i=$((i + 1))
    done
    awk -v t="$(getconf CLK_TCK)" -v n="$N" -v i="$(($(cpu_ticks $inv) - inv0))" -v g="$(($(cpu_ticks $gw) - gw0))" \
        -v p="$(($(cpu_ticks $pg) - pg0))" \
        'BEGIN { printf "cpu_ms_per_request: inventoryd=%.0f gateway=%.0f postgres=%.0f\n", i*1000/t/n, g*1000/t/n, p*1000/t/n }'
    /usr/bin/python3 - "$VAR/times" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]) if x.strip())
med = t[len(t) // 2]
p99 = t[min(len(t) - 1, int(len(t) * 0.99))]
print(f"median_ms={med:.1f} p99_ms={p99:.1f} (target < 150 ms): {'met' if p99 < 150 else 'NOT met'}")
PY
}
measure /v1/inventory/agents
measure /v1/management/services

for p in inventoryd gateway; do
    pid=$(sh "$ROOT/deploy/suite.sh" ctl pid "$p")
    echo "$p rss_kib=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)"
done
