#!/bin/sh
# bench/fleet.sh BUILD: the pmm-agent fleet benchmark of issue 5. Starts the
# suite (release build) in a throwaway var dir, puts N nodes, each with a
# pmm-agent and a node_exporter in push mode (pmm-admin config's default;
# each pmm-agent gets its vmagent row at first connect, as upstream's),
# into the inventory (set-based SQL, the
# shapes inventoryd writes), connects N agents with bench/fleet (one gRPC
# stream and connection each, answering as pmm-agent does) and prints:
#   1. seconds until every agent is connected and has received its SetState
#      the first time ever: each exporter's web-config bcrypt hash (cost 10,
#      tens of ms of CPU) is made then, once per agent and password
#   2. the same for the established fleet: the fleet stops, agentsd
#      restarts (its hashes come from PostgreSQL), a new fleet connects,
#      as after a PMM Server restart or upgrade
#   3. RSS of gateway and agentsd with the fleet connected
#   4. seconds until every agent has a new SetState after one ChangeSettings
#      (metrics resolutions) over REST
#   5. seconds until the whole fleet is back, with state, after
#      `supervisorctl restart gateway`
#   6. seconds until every agent has had its state again after
#      `supervisorctl restart agentsd`, and the streams lost meanwhile
# Targets (for 10,000 agents on 2 cores): 2 under 30 s, 3 under 1 GiB
# together, 6 under 10 s with no stream lost.
# Environment: FLEET_AGENTS (default 2000; the targets are for 10000),
# FLEET_VIA=nginx to connect through the TLS front instead of the gateway's
# gRPC port, FLEET_TIMEOUT seconds per phase (default 180), BENCH_KEEP=1
# keeps the suite running and its var dir.
set -eu
BUILD=${1:-build/release}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${FLEET_AGENTS:-2000}
VIA=${FLEET_VIA:-gateway}
TIMEOUT=${FLEET_TIMEOUT:-180}
case $N in '' | *[!0-9]*) echo "fleet: FLEET_AGENTS must be a number" >&2; exit 2 ;; esac
case $VIA in gateway | nginx) ;; *) echo "fleet: FLEET_VIA is gateway or nginx" >&2; exit 2 ;; esac

# A stream is a connection on each side (two through nginx).
need=$((N + 200))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || {
        echo "fleet: $N agents need $need open files; ulimit -n is $(ulimit -n) (hard $(ulimit -Hn))" >&2
        exit 1
    }
fi

VAR=$(mktemp -d /tmp/pmm-bench-fleet.XXXXXX)
chmod 755 "$VAR"
# ports below the ephemeral range (32768), where no client connection takes them
BASE=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 1270 * 10))
export PMM_VAR_DIR="$VAR" PMM_PORT_BASE="$BASE" PMM_BIN_DIR="$ROOT/$BUILD/bin" PMM_LOG_LEVEL=warn
REST=http://127.0.0.1:$((BASE + 2))
PGPORT=$((BASE + 4))
SUITE="sh $ROOT/deploy/suite.sh"
FLEET_PID=
cleanup() {
    [ -z "$FLEET_PID" ] || { kill "$FLEET_PID" 2>/dev/null; wait "$FLEET_PID" 2>/dev/null; } || true
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "fleet: suite kept running, var dir $VAR (stop: PMM_VAR_DIR=$VAR $SUITE stop)"
        return
    fi
    $SUITE stop >/dev/null 2>&1 || true
    rm -rf "$VAR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

$SUITE start >/dev/null
echo "suite: var dir $VAR, REST $REST, $N agents via $VIA"

echo "== inventory: $N nodes, each with a pmm-agent and a node_exporter"
PGPASSWORD=$(head -n 1 "$VAR/secrets/pmm-managed.dbpassword") psql -q -h 127.0.0.1 -p "$PGPORT" -U pmm-managed -d pmm-managed -v ON_ERROR_STOP=1 \
    -v n="$N" <<'SQL'
BEGIN;
INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, custom_labels, address, created_at, updated_at)
SELECT 'fleet-n-' || i, 'generic', 'fleet-node-' || i, 'linux', '', '', '{}',
       '10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256, now(), now()
FROM generate_series(1, :n) i;
INSERT INTO agents (agent_id, agent_type, runs_on_node_id, custom_labels, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'fleet-pa-' || i, 'pmm-agent', 'fleet-n-' || i, '{}', now(), now(), false, '', false, false
FROM generate_series(1, :n) i;
INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, custom_labels, exporter_options, created_at, updated_at, disabled, status, tls, tls_skip_verify)
SELECT 'fleet-ne-' || i, 'node_exporter', 'fleet-pa-' || i, 'fleet-n-' || i, '{}', '{"push_metrics": true}', now(), now(), false,
       'AGENT_STATUS_UNKNOWN', false, false
FROM generate_series(1, :n) i;
COMMIT;
ANALYZE nodes, agents;
SQL

if [ "$VIA" = nginx ]; then
    set -- --target "127.0.0.1:$((BASE + 7))" --tls-ca "$VAR/nginx/certificate.crt"
else
    set -- --target "127.0.0.1:$((BASE + 1))"
fi
TARGET_ARGS="$*"
# Starts a fleet process; its output goes to $OUT (fleet.RUN.out).
start_fleet() {
    OUT=$VAR/fleet.$1.out
    # shellcheck disable=SC2086
    "$ROOT/$BUILD/bench/fleet" $TARGET_ARGS --agents "$N" --id-prefix fleet-pa- --user admin --password admin \
        >"$OUT" 2>>"$VAR/fleet.err" &
    FLEET_PID=$!
    MARKS=0
}
stop_fleet() {
    kill "$FLEET_PID" 2>/dev/null || true
    wait "$FLEET_PID" 2>/dev/null || true
    FLEET_PID=
}
start_fleet 1

# Waits for a line of the fleet's output matching the regex; prints it.
wait_line() {
    deadline=$(($(date +%s) + $2))
    until line=$(grep -E -m1 "$1" "$OUT"); do
        if ! kill -0 "$FLEET_PID" 2>/dev/null; then
            echo "fleet: the load generator exited" >&2
            cat "$VAR/fleet.err" >&2
            return 1
        fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
    echo "$line"
}

field() { echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }

last_stats() { grep 'fleet: t=' "$OUT" | tail -n 1 | sed 's/^fleet: //'; }

# Runs one phase: a new mark, the action, then the time until every agent
# got a SetState since the mark. Sets SECONDS_TAKEN and LOST ("" if not reached).
phase() {
    MARKS=$((MARKS + 1))
    SECONDS_TAKEN= LOST=
    kill -USR1 "$FLEET_PID" 2>/dev/null || true
    wait_line "^fleet: mark=$MARKS\$" 10 >/dev/null || { echo "   the load generator took no mark $MARKS"; return 0; }
    "$@" || true
    if line=$(wait_line "event=synced mark=$MARKS " "$TIMEOUT"); then
        SECONDS_TAKEN=$(field "$line" seconds)
        LOST=$(field "$line" disconnects)
    else
        echo "   not reached within ${TIMEOUT}s: $(last_stats)"
    fi
}

rss_mib() { # 0 when the program is not running
    pid=$($SUITE ctl pid "$1" 2>/dev/null) || pid=0
    awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo 0
}

verdict() { # value target: "met" when value < target; the targets are for 10,000 agents
    if [ "$N" -lt 10000 ]; then
        echo "not judged below 10,000 agents"
        return
    fi
    awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v + 0 < t + 0) ? "met" : "NOT met" }'
}

# The time until mark 0's synced line of the running fleet; sets CONNECT_S
# and ALL_CONNECTED_S ("" if not reached).
connect_phase() {
    CONNECT_S= ALL_CONNECTED_S=
    if line=$(wait_line "event=synced mark=0 " "$TIMEOUT"); then
        CONNECT_S=$(field "$line" seconds)
        ALL_CONNECTED_S=$(field "$(grep -m1 'event=all_connected mark=0 ' "$OUT")" seconds)
        echo "   all connected after ${ALL_CONNECTED_S}s, all with state after ${CONNECT_S}s$1"
    else
        echo "   not reached within ${TIMEOUT}s: $(last_stats)"
    fi
}

echo "== 1. first connection ever: all $N agents connected and with state (each web-config hash made now)"
connect_phase ""
FIRST_S=$CONNECT_S

echo "== 2. the established fleet after a server restart: fleet stopped, agentsd restarted, fleet connects"
stop_fleet
$SUITE ctl restart agentsd >/dev/null || echo "   supervisorctl restart agentsd failed"
start_fleet 2
connect_phase ""
[ -z "$CONNECT_S" ] || echo "   connect_with_state_seconds=$CONNECT_S (target < 30 s at 10,000: $(verdict "$CONNECT_S" 30))"
echo "== 3. memory with the fleet connected"
GW=$(rss_mib gateway)
AD=$(rss_mib agentsd)
echo "   gateway_rss_mib=$GW agentsd_rss_mib=$AD together=$((GW + AD)) MiB (target < 1024 MiB at 10,000: $(verdict $((GW + AD)) 1024))"
[ "$VIA" != nginx ] || echo "   nginx_rss_mib=$(ps -o rss= --ppid "$($SUITE ctl pid nginx)" | awk '{ s += $1 } END { printf "%.0f", s / 1024 }') (workers)"

echo "== 4. ChangeSettings (metrics resolutions): every agent gets a new SetState"
change_settings() {
    code=$(curl -s -m 60 -o "$VAR/settings.out" -w '%{http_code}' -u admin:admin -X PUT "$REST/v1/server/settings" \
        -H 'Content-Type: application/json' -d '{"metrics_resolutions": {"hr": "7s", "mr": "13s", "lr": "67s"}}') || true
    [ "$code" = 200 ] || echo "   ChangeSettings answered HTTP $code: $(head -c 300 "$VAR/settings.out")"
}
phase change_settings
[ -z "$SECONDS_TAKEN" ] || echo "   settings_setstate_seconds=$SECONDS_TAKEN disconnects=$LOST"

echo "== 5. supervisorctl restart gateway: the fleet reconnects and gets its state"
restart() { $SUITE ctl restart "$1" >/dev/null || echo "   supervisorctl restart $1 failed"; }
phase restart gateway
if [ -n "$SECONDS_TAKEN" ]; then
    back=$(field "$(grep -m1 "event=all_connected mark=$MARKS " "$OUT")" seconds)
    echo "   gateway_restart_reconnect_seconds=${back:-?} with_state_seconds=$SECONDS_TAKEN (streams lost: $LOST)"
fi

echo "== 6. supervisorctl restart agentsd: state again, no stream lost"
phase restart agentsd
if [ -n "$SECONDS_TAKEN" ]; then
    echo "   agentsd_restart_resync_seconds=$SECONDS_TAKEN disconnects=$LOST (target < 10 s and 0 at 10,000: $(verdict "$SECONDS_TAKEN" 10); streams lost: $([ "$LOST" = 0 ] && echo "none, met" || echo "$LOST, NOT met"))"
fi

echo "== summary"
echo "agents=$N via=$VIA first_connect_s=${FIRST_S:-none} connect_with_state_s=${CONNECT_S:-none} gateway_rss_mib=$GW agentsd_rss_mib=$AD $(last_stats)"
stop_fleet
grep 'fleet: done' "$OUT" || true
if [ -s "$VAR/fleet.err" ]; then
    echo "load generator messages (first 5):"
    head -n 5 "$VAR/fleet.err"
fi
