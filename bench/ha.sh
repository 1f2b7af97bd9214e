#!/bin/sh
# bench/ha.sh BUILD: issue 15's HA benchmark. Starts a throwaway PostgreSQL
# (tests/lib/pgtmp.sh) and three suites on it as one HA server (hactl,
# PMM_HA_*; release build), then measures:
#   1. HA_KILLS (20) leader kills: kill -9 of the leader's hactl
#      (supervisord restarts it), then the time until another node's
#      LeaderHealthCheck answers 200 (target: 5 s), and until the first
#      leader-only job after the kill: the first run of a backup schedule due
#      every second (its artifact row, made in the transaction that passes
#      the fence and claims the due time; target: 6 s)
#   2. cross-node propagation: HA_AGENTS (1,000) pmm-agents (bench/fleet),
#      half connected to node 2 and half to node 3; HA_CHANGES (10) settings
#      changes made through node 1; for each, the time until every agent got
#      a new SetState, and until half of each node's agents had (target: 1 s
#      for every agent)
# Prints median and worst of each, with its target and met / NOT met.
# Environment: HA_KILLS, HA_AGENTS, HA_CHANGES; BENCH_KEEP=1 keeps the suites.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILLS=${HA_KILLS:-20}
N=${HA_AGENTS:-1000}
CHANGES=${HA_CHANGES:-10}
case $KILLS$N$CHANGES in '' | *[!0-9]*) echo "ha: HA_KILLS, HA_AGENTS and HA_CHANGES are numbers" >&2; exit 2 ;; esac
HALF=$((N / 2))
need=$((N + 200))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || { echo "ha: $N agents need $need open files" >&2; exit 1; }
fi

TOP=$(mktemp -d /tmp/pmm-bench-ha.XXXXXX)
chmod 755 "$TOP"
BASE0=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 250 * 40))
SUITE="sh $ROOT/deploy/suite.sh"
FLEETS=
PG_DIR=

node_env() { # i: the environment of node i as assignments for env(1)
    i=$1
    peers=
    for j in 1 2 3; do
        [ "$j" = "$i" ] || peers="$peers${peers:+,}127.0.0.1:$((BASE0 + 40 * j + 20))"
    done
    echo "PMM_VAR_DIR=$TOP/n$i PMM_PORT_BASE=$((BASE0 + 40 * i)) PMM_BIN_DIR=$ROOT/$BUILD/bin PMM_LOG_LEVEL=warn" \
        "PMM_POSTGRES_ADDR=127.0.0.1:$PGTMP_PORT PMM_POSTGRES_DBPASSWORD_FILE=$PGTMP_PASSWORD_FILE" \
        "PMM_ADMIN_PASSWORD=admin PMM_INTERFACE_TO_BIND=127.0.0.1 PMM_ENCRYPTION_KEY_PATH=$TOP/pmm-encryption.key" \
        "PMM_HA_ENABLE=1 PMM_HA_NODE_ID=n$i PMM_HA_PEERS=$peers"
}
on_node() { i=$1; shift; env $(node_env "$i") "$@"; }

cleanup() {
    for p in $FLEETS; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "ha: suites kept running in $TOP"
        return
    fi
    for i in 1 2 3; do on_node "$i" sh "$ROOT/deploy/suite.sh" stop >/dev/null 2>&1 || true; done
    [ -z "$PG_DIR" ] || sh "$ROOT/tests/lib/pgtmp.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    rm -rf "$TOP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eval "$(sh "$ROOT/tests/lib/pgtmp.sh" start "$TOP/pg")"
PG_DIR=$PGTMP_DIR
psql_q() { PGPASSWORD=$(cat "$PGTMP_PASSWORD_FILE") psql -q -At -h 127.0.0.1 -p "$PGTMP_PORT" -U pmm-managed \
    -d pmm-managed -v ON_ERROR_STOP=1 "$@"; }
rest() { # node method path [body]
    curl -s -m 10 -u admin:admin -X "$2" ${4:+-H 'Content-Type: application/json' -d "$4"} \
        "http://127.0.0.1:$((BASE0 + 40 * $1 + 2))$3"
}
leader_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$((BASE0 + 40 * $1 + 2))/v1/server/leaderHealthCheck" || true; }
leader() { for i in 1 2 3; do [ "$(leader_code "$i")" = 200 ] && { echo "$i"; return 0; }; done; return 1; }
now() { date +%s.%N; }
# json_field: a JSON answer's string at a dotted path ("service.service_id"), "" if none
json_field() { /usr/bin/python3 -c 'import json, sys
try:
    v = json.load(sys.stdin)
    for k in sys.argv[1].split("."):
        v = v[k]
    print(v)
except Exception:
    pass' "$1"; }

for i in 1 2 3; do on_node "$i" sh "$ROOT/deploy/suite.sh" start >/dev/null & done
wait
echo "suites: 3 nodes in $TOP (ports from $((BASE0 + 41))), one PostgreSQL on $PGTMP_PORT"

echo "== inventory: $N pmm-agents on their nodes; a MySQL service with the first agent; a schedule due every second"
# pmm-agents ha-a-1..HALF (they connect to node 2) and ha-b-1..N-HALF (node 3)
psql_q -v half="$HALF" -v rest="$((N - HALF))" <<'SQL'
BEGIN;
INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, address, created_at, updated_at)
SELECT 'ha-n-' || s || i, 'generic', 'ha-node-' || s || i, 'linux', '', '', '{}', '10.9.' || (i / 256) % 256 || '.' || i % 256,
       now(), now()
FROM (SELECT 'a' s, generate_series(1, :half) i UNION ALL SELECT 'b', generate_series(1, :rest)) x;
INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'ha-' || s || '-' || i, 'pmm-agent', 'ha-n-' || s || i, '{}', now(), now(), false, '', false, false
FROM (SELECT 'a' s, generate_series(1, :half) i UNION ALL SELECT 'b', generate_series(1, :rest)) x;
COMMIT;
ANALYZE nodes, agents;
SQL
SVC=$(rest 1 POST /v1/management/services '{"mysql": {"node_id": "ha-n-a1", "pmm_agent_id": "ha-a-1",
  "service_name": "ha-bench-mysql", "address": "127.0.0.1", "port": 3306, "username": "pmm", "password": "x",
  "skip_connection_check": true}}' | json_field mysql.service.service_id)
LOC=$(rest 1 POST /v1/backups/locations '{"name": "ha-bench", "filesystem_config": {"path": "/tmp/pmm-bench-ha-backups"}}' |
    json_field location_id)
[ -n "$SVC" ] && [ -n "$LOC" ] || { echo "ha: cannot make the service or the location"; exit 1; }
TASK=$(rest 1 POST /v1/backups:schedule "{\"service_id\": \"$SVC\", \"location_id\": \"$LOC\",
  \"cron_expression\": \"@every 1s\", \"name\": \"ha-bench\", \"enabled\": true, \"mode\": \"BACKUP_MODE_SNAPSHOT\",
  \"data_model\": \"DATA_MODEL_PHYSICAL\"}" | json_field scheduled_backup_id)
[ -n "$TASK" ] || { echo "ha: cannot make the schedule"; exit 1; }

echo "== $N pmm-agents connect: $HALF to node 2, $((N - HALF)) to node 3"
start_fleet() { # node id-prefix count out
    "$ROOT/$BUILD/bench/fleet" --target "127.0.0.1:$((BASE0 + 40 * $1 + 1))" --agents "$3" --id-prefix "$2" \
        --user admin --password admin >"$4" 2>"$4.err" &
    FLEETS="$FLEETS $!"
}
start_fleet 2 ha-a- "$HALF" "$TOP/fleet2.out"
start_fleet 3 ha-b- "$((N - HALF))" "$TOP/fleet3.out"
wait_line() { # file pattern seconds
    deadline=$(($(date +%s) + $3))
    until grep -q "$2" "$1"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    grep -m1 "$2" "$1"
}
for f in fleet2 fleet3; do
    wait_line "$TOP/$f.out" 'event=synced mark=0 ' 300 >/dev/null || { echo "ha: $f did not connect"; exit 1; }
done
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- 1. leader kills ----------------------------------------------------------
echo "== 1. $KILLS leader kills (kill -9 of the leader's hactl)"
: >"$TOP/kills"
k=0
while [ "$k" -lt "$KILLS" ]; do
    k=$((k + 1))
    old=$(leader) || { sleep 1; old=$(leader) || { echo "   no leader before kill $k"; continue; }; }
    pid=$(on_node "$old" sh "$ROOT/deploy/suite.sh" ctl pid hactl)
    t0=$(now)
    kill -9 "$pid"
    elected=
    while [ -z "$elected" ]; do
        for i in 1 2 3; do
            [ "$i" != "$old" ] && [ "$(leader_code "$i")" = 200 ] && elected=$(now) && break
        done
        [ -n "$elected" ] || [ "$(echo "$(now) - $t0 > 30" | bc)" = 0 ] || { elected=none; break; }
    done
    # the first scheduled run made after the kill
    job=
    until [ -n "$job" ]; do
        job=$(psql_q -c "SELECT EXTRACT(EPOCH FROM min(created_at)) FROM artifacts WHERE schedule_id = '$TASK'
                         AND created_at > to_timestamp($t0) AT TIME ZONE 'UTC'")
        [ -n "$job" ] || { [ "$(echo "$(now) - $t0 > 30" | bc)" = 0 ] || { job=none; break; }; sleep 0.1; }
    done
    echo "$t0 $elected $job" | awk '{ printf "%.3f %.3f\n", ($2 == "none" ? 99 : $2 - $1), ($3 == "none" ? 99 : $3 - $1) }' \
        >>"$TOP/kills"
    sleep 2 # the old node's hactl is back (supervisord) before the next kill
done
stats() { # column file: "median worst"
    awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m, v[NR] }'
}
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 <= t + 0) ? "met" : "NOT met" }'; }
set -- $(stats 1 "$TOP/kills")
echo "   time to a new leader: median ${1}s, worst ${2}s (target: worst <= 5 s: $(verdict "$2" 5))"
set -- $(stats 2 "$TOP/kills")
echo "   time to the first leader-only job: median ${1}s, worst ${2}s (target: worst <= 6 s: $(verdict "$2" 6))"
RUNS=$(psql_q -c "SELECT count(*) || ' runs, ' || count(DISTINCT created_at) || ' distinct' FROM artifacts WHERE schedule_id = '$TASK'")
echo "   scheduled runs meanwhile: $RUNS"

# ---- 2. propagation -------------------------------------------------------------
echo "== 2. $CHANGES settings changes through node 1 reaching $N agents on nodes 2 and 3"
: >"$TOP/changes"
c=0
mark=0
while [ "$c" -lt "$CHANGES" ]; do
    c=$((c + 1))
    mark=$((mark + 1))
    for p in $FLEETS; do kill -USR1 "$p"; done
    for f in fleet2 fleet3; do wait_line "$TOP/$f.out" "^fleet: mark=$mark\$" 10 >/dev/null; done
    rest 1 PUT /v1/server/settings "{\"metrics_resolutions\": {\"mr\": \"$((10 + c % 2))s\"}}" >/dev/null
    worst=0 median=0
    for f in fleet2 fleet3; do
        if line=$(wait_line "$TOP/$f.out" "event=synced mark=$mark " 30); then
            worst=$(echo "$worst $(field "$line" seconds)" | awk '{ print ($2 > $1) ? $2 : $1 }')
            median=$(echo "$median $(field "$line" median)" | awk '{ print ($2 > $1) ? $2 : $1 }')
        else
            worst=99
        fi
    done
    echo "$median $worst" >>"$TOP/changes"
    sleep 1
done
set -- $(stats 1 "$TOP/changes")
echo "   median agent (the later of the two nodes' medians): median ${1}s over the changes, worst ${2}s"
set -- $(stats 2 "$TOP/changes")
echo "   every agent: median ${1}s, worst ${2}s (target: worst <= 1 s: $(verdict "$2" 1))"
