#!/bin/sh
# bench/backup_schedules.sh BUILD: issue 12's scheduler benchmark. Starts the
# suite (release build) in a throwaway var dir, puts N nodes into the
# inventory, each with a pmm-agent, a MySQL service and its QAN agent (set-based
# SQL; a built-in agent, so no exporter's bcrypt web-config hash is made),
# one S3 location and N enabled scheduled backups (one per service) whose
# cron expression is due in the same minute, connects N pmm-agents with
# bench/fleet (one gRPC stream each through the gateway; they answer
# GetVersions and StartJob as pmm-agent does and report each job done at
# once), restarts backupd so that it loads the N tasks, and prints:
#   1. jobs started (StartJob received by the fleet) for the N tasks, and the
#      worst delay between the due time and a job's start (target: every job
#      within 2 s of its due time)
#   2. backupd's RSS after the runs
#   3. PostgreSQL connections backupd held at most while the tasks ran
#      (target: bounded, whatever the number of tasks: the runners share
#      --scheduler-connections)
#   4. the start delays' median, and the load average (2 cores shared)
# Environment: SCHED_TASKS (default 1000), SCHED_RUNNERS (backupd's
# --scheduler-runners, the runs in flight, default 32), SCHED_CONNECTIONS
# (backupd's --scheduler-connections, default 8), SCHED_AGENTSD_WORKERS
# (agentsd's --workers, default the suite's 2; agentsd answers GetVersions
# and StartJob from its stream loop, so they are not held by the agents'
# round trips), BENCH_KEEP=1 keeps the suite running.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${SCHED_TASKS:-1000}
RUNNERS=${SCHED_RUNNERS:-32}
CONNS=${SCHED_CONNECTIONS:-8}
case $N$RUNNERS$CONNS in '' | *[!0-9]*) echo "backup_schedules: SCHED_TASKS, SCHED_RUNNERS and SCHED_CONNECTIONS are numbers" >&2; exit 2 ;; esac
need=$((N + 200))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || { echo "backup_schedules: $N agents need $need open files" >&2; exit 1; }
fi

VAR=$(mktemp -d /tmp/pmm-bench-sched.XXXXXX)
chmod 755 "$VAR"
BASE=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 1270 * 10))
export PMM_VAR_DIR="$VAR" PMM_PORT_BASE="$BASE" PMM_BIN_DIR="$ROOT/$BUILD/bin" PMM_LOG_LEVEL=warn
export PMM_BACKUPD_FLAGS="--scheduler-runners=$RUNNERS --scheduler-connections=$CONNS"
[ -z "${SCHED_AGENTSD_WORKERS:-}" ] || export PMM_AGENTSD_FLAGS="--workers=$SCHED_AGENTSD_WORKERS"
PGPORT=$((BASE + 4))
SUITE="sh $ROOT/deploy/suite.sh"
FLEET_PID=
cleanup() {
    [ -z "$FLEET_PID" ] || { kill "$FLEET_PID" 2>/dev/null; wait "$FLEET_PID" 2>/dev/null; } || true
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "backup_schedules: suite kept running, var dir $VAR"
        return
    fi
    $SUITE stop >/dev/null 2>&1 || true
    rm -rf "$VAR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# the daemons' role asks for its password (deploy/suite.sh makes it, 0600)
psql_q() { PGPASSWORD=$(head -n 1 "$VAR/secrets/pmm-managed.dbpassword") psql -q -At -h 127.0.0.1 -p "$PGPORT" -U pmm-managed -d pmm-managed -v ON_ERROR_STOP=1 "$@"; }

$SUITE start >/dev/null
echo "suite: var dir $VAR, $N scheduled backups, $N agents, backupd $PMM_BACKUPD_FLAGS${PMM_AGENTSD_FLAGS:+, agentsd $PMM_AGENTSD_FLAGS}"

echo "== inventory: $N nodes with a pmm-agent, a MySQL service and its QAN agent; one location"
psql_q -v n="$N" <<'SQL'
BEGIN;
INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, address, created_at, updated_at)
SELECT 'sched-n-' || i, 'generic', 'sched-node-' || i, 'linux', '', '', '{}',
       '10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256, now(), now()
FROM generate_series(1, :n) i;
INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'sched-pa-' || i, 'pmm-agent', 'sched-n-' || i, '{}', now(), now(), false, '', false, false
FROM generate_series(1, :n) i;
INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster, replication_set, custom_labels,
                      created_at, updated_at, address, port, external_group, database_name)
SELECT 'sched-s-' || i, 'mysql', 'sched-mysql-' || i, 'sched-n-' || i, '', '', '', '{}', now(), now(), '127.0.0.1', 3306, '', ''
FROM generate_series(1, :n) i;
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, custom_labels, created_at, updated_at, disabled, status,
                    tls, tls_skip_verify, username, password)
SELECT 'sched-qan-' || i, 'qan-mysql-perfschema-agent', 'sched-pa-' || i, 'sched-s-' || i, '{}', now(), now(), false,
       'AGENT_STATUS_UNKNOWN', false, false, 'pmm', 'secret'
FROM generate_series(1, :n) i;
INSERT INTO backup_locations (id, name, description, type, s3_config, created_at, updated_at)
VALUES ('sched-loc', 'sched-loc', '', 's3', '{"endpoint": "http://127.0.0.1:9", "access_key": "k", "secret_key": "s",
        "bucket_name": "b", "bucket_region": "us-east-1"}', now(), now());
COMMIT;
ANALYZE nodes, agents, services;
SQL

echo "== $N pmm-agents connect"
OUT=$VAR/fleet.out
"$ROOT/$BUILD/bench/fleet" --target "127.0.0.1:$((BASE + 1))" --agents "$N" --id-prefix sched-pa- --user admin \
    --password admin >"$OUT" 2>"$VAR/fleet.err" &
FLEET_PID=$!
deadline=$(($(date +%s) + 180))
until grep -q 'event=synced mark=0 ' "$OUT"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "   the fleet did not connect: $(tail -n 1 "$OUT")"; exit 1; }
    kill -0 "$FLEET_PID" 2>/dev/null || { echo "   the load generator exited"; cat "$VAR/fleet.err"; exit 1; }
    sleep 0.5
done
echo "   $(grep -m1 'event=synced mark=0 ' "$OUT" | sed 's/^fleet: //')"

# the minute boundary at least 25 s from now (UTC): every task is due then
DUE=$(( ($(date +%s) + 25 + 59) / 60 * 60 ))
CRON="$(date -u -d "@$DUE" +%-M) $(date -u -d "@$DUE" +%-H) * * *"
echo "== $N scheduled backups due at $(date -u -d "@$DUE" +%H:%M:%S) UTC (cron \"$CRON\"); backupd restarts to load them"
psql_q -v n="$N" -v cron="$CRON" <<'SQL'
INSERT INTO scheduled_tasks (id, cron_expression, type, data, disabled, running, error, created_at, updated_at)
SELECT 'sched-t-' || i, :'cron', 'mysql_backup',
       jsonb_build_object('mysql_backup', jsonb_build_object('service_id', 'sched-s-' || i, 'cluster_name', '',
           'location_id', 'sched-loc', 'name', 'sched-' || i, 'description', '', 'retention', 0,
           'data_model', 'physical', 'mode', 'snapshot', 'retries', 0, 'retry_interval', 0, 'folder', 'f' || i)),
       false, false, '', now(), now()
FROM generate_series(1, :n) i;
SQL
$SUITE ctl restart backupd >/dev/null
# CPU seconds (user + system) of a process, and of every PostgreSQL process
TCK=$(getconf CLK_TCK)
cpu_of() { awk -v t="$TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_pg() { for p in $(ps -u "$(stat -c %U "$VAR/pg/data")" -o pid=); do cpu_of "$p"; echo; done | awk '{ s += $1 } END { printf "%.2f", s }'; }
cpu_all() {
    echo "$(cpu_of "$($SUITE ctl pid backupd)") $(cpu_of "$($SUITE ctl pid agentsd)") $(cpu_of "$($SUITE ctl pid gateway)") $(cpu_pg) $(cpu_of "$FLEET_PID")"
}
while [ "$(date +%s)" -lt $((DUE - 1)) ]; do sleep 0.2; done
CPU0=$(cpu_all)
# backupd's PostgreSQL connections, sampled until the runs are over
MAXCONN=0
while [ "$(date +%s)" -lt $((DUE + 30)) ]; do
    c=$(psql_q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'backupd'" 2>/dev/null || echo 0)
    [ "$c" -le "$MAXCONN" ] || MAXCONN=$c
    started=$(grep -c 'event=start_job' "$OUT" || true)
    [ "$started" -lt "$N" ] || [ "$(date +%s)" -lt $((DUE + 5)) ] || break
    sleep 0.2
done
CPU1=$(cpu_all)
pid=$($SUITE ctl pid backupd)
RSS=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo 0)

STARTED=$(grep -c 'event=start_job' "$OUT" || true)
DELAYS=$(grep 'event=start_job' "$OUT" | sed -n 's/.* t=\([0-9.]*\) .*/\1/p' | awk -v due="$DUE" '{ print $1 - due }' | sort -n)
WORST=$(echo "$DELAYS" | awk 'BEGIN { w = -1 } NF { w = $1 } END { printf "%.3f", w }')
EARLIEST=$(echo "$DELAYS" | awk 'NF { printf "%.3f", $1; exit }')
MEDIAN=$(echo "$DELAYS" | awk 'NF { d[++n] = $1 } END { if (n) printf "%.3f", d[int((n + 1) / 2)] }')
LOAD=$(cut -d' ' -f1 /proc/loadavg)
SUCCESS=$(psql_q -c "SELECT count(*) FROM artifacts WHERE status = 'success' AND schedule_id LIKE 'sched-t-%'")
ERRORS=$(psql_q -c "SELECT count(*) FROM scheduled_tasks WHERE error <> ''")
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v + 0 <= t + 0) ? "met" : "NOT met" }'; }

echo "== results"
echo "   jobs_started=$STARTED of $N (artifacts in success: $SUCCESS, runs with an error: $ERRORS)"
echo "   worst_start_delay_s=$WORST (target <= 2 s for every job: $( [ "$STARTED" -eq "$N" ] && verdict "$WORST" 2 || echo "NOT met, $((N - STARTED)) never started"))"
echo "   median_start_delay_s=$MEDIAN earliest_start_delay_s=$EARLIEST (none may start before its due time)"
echo "   backupd_rss_mib=$RSS"
LIMIT=$((2 + 1 + 1 + 1 + CONNS + 1 + 2))
echo "   backupd_pg_connections_max=$MAXCONN (bound: workers 2 + events 1 + watchdog 1 + scheduler 1 + runners' pool $CONNS + dumps 1 (+ reconnects) = $((LIMIT - 2)), whatever the tasks or runners; $(verdict "$MAXCONN" "$LIMIT"))"
echo "   load_average_1min=$LOAD (2 cores, shared)"
echo "$CPU0 $CPU1" | awk '{ printf "   cpu_seconds_during_the_runs backupd=%.1f agentsd=%.1f gateway=%.1f postgresql=%.1f fleet=%.1f (2 cores)\n", $6-$1, $7-$2, $8-$3, $9-$4, $10-$5 }'
echo "== summary"
echo "tasks=$N runners=$RUNNERS connections=$CONNS started=$STARTED worst_start_delay_s=$WORST median_start_delay_s=$MEDIAN backupd_rss_mib=$RSS backupd_pg_connections_max=$MAXCONN load=$LOAD"
