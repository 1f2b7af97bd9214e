#!/bin/sh
# e2e: the whole suite under supervisord (deploy/suite.sh) in a throwaway var
# dir on free ports, exercised by real clients (tests/e2e/test_*.py with
# Debian's /usr/bin/python3, grpcio and protobuf).
#   sh tests/e2e/run.sh build/asan [test names...]
# Besides the python tests it checks, after stopping the suite, that the daemon
# logs hold no sanitizer report, that no daemon exited unexpectedly and that
# each one exited cleanly on SIGTERM. Prints the daemons' logs on failure.
# Last line: `e2e: N passed, M failed`; exit 0 only when M = 0.
# E2E_KEEP=1 keeps the var dir; E2E_PORT_BASE forces the ports.
set -u

BUILD=${1:-build/release}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
PY=/usr/bin/python3
DAEMONS="inventoryd configd agentsd backupd checksd qanfwd hactl gateway"

VAR=$(mktemp -d "${TMPDIR:-/tmp}/pmm-e2e.XXXXXX")
chmod 755 "$VAR" # PostgreSQL runs as user postgres and must reach its data dir

pick_port_base() {
    "$PY" - <<'EOF'
import random, socket
# Below the kernel's ephemeral range: otherwise any client connection on the
# machine may take one of the ports between this check and the bind, and
# keep it for a minute in TIME_WAIT.
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
slots = max((low - 20000) // 40 - 1, 1)
for _ in range(200):
    base = 20000 + random.randrange(slots) * 40
    free = True
    for port in range(base + 1, base + 40):  # suite.sh's BASE+1..+8, tests' stand-ins from +9
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            free = False
        finally:
            s.close()
    if free:
        print(base)
        break
EOF
}

PORT_BASE=${E2E_PORT_BASE:-$(pick_port_base)}
[ -n "$PORT_BASE" ] || { echo "e2e: no free ports found"; echo "e2e: 0 passed, 1 failed"; exit 1; }

# The suite gets a private PostgreSQL and default credentials whatever the caller has set.
unset PMM_POSTGRES_DSN PMM_POSTGRES_ADDR PMM_POSTGRES_DBNAME PMM_POSTGRES_USERNAME \
      PMM_POSTGRES_DBPASSWORD PMM_POSTGRES_SSL_MODE PMM_PG_PORT
export PMM_VAR_DIR="$VAR" PMM_BIN_DIR="$BUILD/bin" PMM_PORT_BASE="$PORT_BASE"
export PMM_ADMIN_PASSWORD=admin PMM_INTERFACE_TO_BIND=127.0.0.1
# advisor checks run at once, not a minute after checksd starts
export PMM_ADVISORS_CHECKS_DISABLE_START_DELAY=true
export PMM_READY_TIMEOUT="${PMM_READY_TIMEOUT:-90}"
SUITE="sh $ROOT/deploy/suite.sh"

export E2E_REST="http://127.0.0.1:$((PORT_BASE + 2))"
export E2E_GRPC="127.0.0.1:$((PORT_BASE + 1))"
export E2E_DEBUG="http://127.0.0.1:$((PORT_BASE + 3))"
export E2E_PG_PORT=$((PORT_BASE + 4))
# The private PostgreSQL's password for role pmm-managed (suite.sh makes it):
# pmmctl in the tests finds it through PMM_POSTGRES_DBPASSWORD_FILE.
export E2E_PG_PASSWORD_FILE="$VAR/secrets/pmm-managed.dbpassword"
export PMM_POSTGRES_DBPASSWORD_FILE="$E2E_PG_PASSWORD_FILE"
export E2E_PG_SOCKDIR="$VAR/pg/run"
export E2E_VM="http://127.0.0.1:$((PORT_BASE + 5))/prometheus"
export E2E_VMALERT="http://127.0.0.1:$((PORT_BASE + 6))"
export E2E_NGINX_TLS="127.0.0.1:$((PORT_BASE + 7))"
export E2E_NGINX_HTTP="http://127.0.0.1:$((PORT_BASE + 8))"
export E2E_NGINX_CERT="$VAR/nginx/certificate.crt"
export E2E_CTL="$SUITE ctl"
# Percona's version service, as configd sees it: a port where only a test's
# own HTTP server ever listens (tests/e2e/test_server_updates.py), so that no
# update check leaves the machine; and the air-gapped file suite.sh names.
export E2E_VERSION_SERVICE_PORT=$((PORT_BASE + 9))
export PMM_DEV_PERCONA_PLATFORM_ADDRESS="http://127.0.0.1:$E2E_VERSION_SERVICE_PORT"
export E2E_UPDATE_FILE="$VAR/pmm-server-update-version.json"
# BASE+10 is the cloud stand-in's (tests/e2e/cloud_standin.py), started by the
# tests that need it; inventoryd sends its AWS and Azure calls there.
export E2E_CLOUD_PORT=$((PORT_BASE + 10))
# BASE+18 is the suite's own Alertmanager (deploy/suite.sh; configd renders it),
# BASE+19 the gateway's vmproxy (deploy/suite.sh).
export E2E_ALERTMANAGER="http://127.0.0.1:$((PORT_BASE + 18))"
# rules made by CreateRule are evaluated every 2 s, not every minute
export PMM_DEV_ALERT_RULES_INTERVAL=2s
export PMM_DEV_AWS_ENDPOINT="http://127.0.0.1:$E2E_CLOUD_PORT"
export PMM_DEV_AZURE_LOGIN_URL="http://127.0.0.1:$E2E_CLOUD_PORT/"
export PMM_DEV_AZURE_MANAGEMENT_URL="http://127.0.0.1:$E2E_CLOUD_PORT/"
# BASE+14 is the Grafana stand-in's (tests/e2e/grafana_standin.py), started by
# tests/e2e/test_grafana.py; the suite runs as next to a Grafana there, so
# while no stand-in listens, credentials inventoryd refuses stay refused.
export E2E_GRAFANA_PORT=$((PORT_BASE + 14))
export PMM_GRAFANA_ADDR="127.0.0.1:$E2E_GRAFANA_PORT"
# BASE+15..+17: a second gateway with short connection limits (grpc, rest,
# debug), started and stopped by tests/e2e/test_connection_limits.py.
export E2E_GATEWAY2_PORT=$((PORT_BASE + 15))
# DiscoverRDS without keys looks for the caller's AWS credentials: none here.
unset AWS_ACCESS_KEY_ID AWS_ACCESS_KEY AWS_SECRET_ACCESS_KEY AWS_SECRET_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE="$VAR/no-aws-credentials"
# BASE+11 is the S3 server's (s3rver from npm, installed by
# deploy/install-deps.sh), started here for the whole run with its own data
# dir: backup locations and the fake agents' artifacts live there. Its
# keys are s3rver's fixed S3RVER/S3RVER; bucket "pmm-backups" exists.
# BASE+12 is test_backups.py's own short-lived S3 server (a location that
# stops answering), BASE+13 test_dumps.py's OpenSSH server (SFTP uploads).
export E2E_S3_PORT=$((PORT_BASE + 11))
export E2E_S3_ENDPOINT="http://127.0.0.1:$E2E_S3_PORT"
export E2E_S3_BUCKET=pmm-backups
S3RVER=${PMM_S3RVER:-${PMM_S3RVER_PREFIX:-/usr/local/lib/pmm-core-s3rver}/node_modules/.bin/s3rver}
S3_PID=
# backupd gives up on a lost job and on S3 sooner than in production
# BASE+20 is this suite's raft port (deploy/suite.sh; hactl idles without
# PMM_HA_ENABLE); test_ha.py runs three more suites on bases of their own.
# BASE+21 is the qan-api2 stand-in's gRPC port (tests/e2e/qan_standin.py,
# started by test_qan.py; qanfwd forwards QAN data there), BASE+22 its JSON
# port (nginx's /v1/qan/).
export E2E_QAN_GRPC_PORT=$((PORT_BASE + 21)) E2E_QAN_JSON_PORT=$((PORT_BASE + 22))
export PMM_QAN_API_ADDR="127.0.0.1:$E2E_QAN_GRPC_PORT" PMM_QAN_API_JSON_ADDR="127.0.0.1:$E2E_QAN_JSON_PORT"
# qanfwd's spool small enough for a test to fill, memory large enough to
# take a test's burst of 300 batches while a call to the stopped stand-in
# waits, one agent batch per Collect request so that the tests can count
export PMM_QANFWD_FLAGS="--spool-max-files=200 --memory-batches-per-agent=1000 --send-timeout-ms=3000 --request-max-batches=1"
export PMM_BACKUPD_FLAGS="--job-lost-after=6 --s3-timeout=5"
export E2E_PYGEN="$BUILD/gen/py"
export E2E_COUNTS_FILE="$VAR/py-counts"
export E2E_EXPECTED_EXITS="$VAR/expected-exits"
export PYTHONDONTWRITEBYTECODE=1
# test_agent_memory bounds the daemons' RSS while agents flood them: ASan
# keeps up to 256 MiB of freed memory per process in quarantine by default,
# which would hide what they hold. 16 MiB still catches a use right after a
# free. (Later options win; no effect on a build without ASan.)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

on_exit() {
    $SUITE stop >/dev/null 2>&1
    [ -z "$S3_PID" ] || { kill "$S3_PID" 2>/dev/null; wait "$S3_PID" 2>/dev/null; }
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        echo "e2e: var dir kept: $VAR"
    else
        rm -rf "$VAR"
    fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
    for f in "$VAR"/log/supervisord.log "$VAR"/log/postgresql.log; do
        [ -f "$f" ] && { echo "----- $f (last 40 lines)"; tail -n 40 "$f"; }
    done
    for d in $DAEMONS; do
        f=$VAR/log/$d.log
        [ -f "$f" ] && { echo "----- $f (last 200 lines)"; tail -n 200 "$f"; }
    done
    echo "----- end of logs"
}

PASSED=0
FAILED=0
check() { # name, then a command that succeeds when the check passes
    name=$1
    shift
    if "$@"; then
        echo "check $name ... ok"
        PASSED=$((PASSED + 1))
    else
        echo "check $name ... FAIL"
        FAILED=$((FAILED + 1))
    fi
}

echo "e2e: var dir $VAR, ports $((PORT_BASE + 1))-$((PORT_BASE + 39)), binaries $PMM_BIN_DIR"
[ -d "$E2E_PYGEN/inventory" ] ||
    echo "e2e: warning: no generated python modules in $E2E_PYGEN (built by make)"
if [ -x "$S3RVER" ]; then
    mkdir -p "$VAR/s3"
    "$S3RVER" -d "$VAR/s3" -a 127.0.0.1 -p "$E2E_S3_PORT" -s --no-vhost-buckets \
        --configure-bucket "$E2E_S3_BUCKET" >"$VAR/s3rver.log" 2>&1 &
    S3_PID=$!
    export E2E_S3_PID=$S3_PID
else
    echo "e2e: warning: no s3rver at $S3RVER (deploy/install-deps.sh installs it): backup tests fail"
fi
if ! $SUITE start; then
    echo "e2e: the suite did not become ready"
    show_logs
    echo "e2e: 0 passed, 1 failed"
    exit 1
fi

(cd "$ROOT" && "$PY" "$ROOT/tests/e2e/runner.py" "$@")
if [ -f "$E2E_COUNTS_FILE" ]; then
    read -r p f _ <"$E2E_COUNTS_FILE"
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
else
    echo "e2e: the python runner crashed"
    FAILED=$((FAILED + 1))
fi

$SUITE stop

no_sanitizer_reports() {
    ! grep -l -E 'Sanitizer|runtime error: ' "$VAR"/log/*.log
}
no_unexpected_exits() {
    grep -E '(exited|stopped): .*not expected' "$VAR/log/supervisord.log" > "$VAR/unexpected" || true
    # A test that kills a daemon on purpose declares it ("<daemon> <SIGNAL>"
    # per kill in $E2E_EXPECTED_EXITS); each declaration excuses one line.
    if [ -f "$E2E_EXPECTED_EXITS" ]; then
        while read -r daemon sig; do
            awk -v pat="exited: $daemon (terminated by $sig; not expected)" \
                'done || index($0, pat) == 0 { print; next } { done = 1 }' \
                "$VAR/unexpected" > "$VAR/unexpected.tmp" && mv "$VAR/unexpected.tmp" "$VAR/unexpected"
        done < "$E2E_EXPECTED_EXITS"
    fi
    ! [ -s "$VAR/unexpected" ] || { cat "$VAR/unexpected"; false; }
}
clean_sigterm_exits() { # supervisord logs "stopped: X (exit status 0)" for a clean exit
    ! grep -E "stopped: ($(echo $DAEMONS | tr ' ' '|')) \((terminated by|exit status [1-9])" \
        "$VAR/log/supervisord.log"
}
check "daemon logs free of sanitizer reports" no_sanitizer_reports
check "no unexpected daemon exits" no_unexpected_exits
check "daemons exit 0 on SIGTERM" clean_sigterm_exits

[ "$FAILED" -eq 0 ] || show_logs
echo "e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
