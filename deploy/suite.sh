#!/bin/sh
# suite: run the whole PMM core (private PostgreSQL + daemons) under supervisord.
# One script for `make run` and for the e2e tests.
#
#   suite.sh init        create the var dir; first time: a private PostgreSQL cluster
#   suite.sh render      write $PMM_VAR_DIR/supervisord.conf
#   suite.sh start       init + render + supervisord in the background, wait for readyz
#   suite.sh foreground  init + render + supervisord -n (Ctrl-C stops everything)
#   suite.sh stop        shut supervisord and its programs down, wait until gone
#   suite.sh ctl ARGS    supervisorctl against this suite (status, restart inventoryd, ...)
#   suite.sh pmmctl ARGS pmmctl against this suite's PostgreSQL (user add alice --role=admin,
#                        user unlock admin, token create ci --role=admin, ...)
#   suite.sh hactl status [--json]  this node's HA member: role, term, leader, members
#
# Environment:
#   PMM_VAR_DIR      state, logs, sockets (default ./var)
#   PMM_BIN_DIR      where gateway, inventoryd, configd are (default build/release/bin)
#   PMM_PORT_BASE    when set: gRPC/REST/debug/PostgreSQL on BASE+1/+2/+3/+4,
#                    VictoriaMetrics/vmalert on BASE+5/+6, nginx TLS/plain on
#                    BASE+7/+8, Alertmanager on BASE+18, the vmproxy on +19,
#                    raft on +20 (tests/e2e/run.sh lists the stand-ins'); otherwise 7771/7772/7773, PostgreSQL 5433 (not
#                    5432, where Debian's own cluster may already listen),
#                    9090/8880, nginx 8443/8080 (deploy/nginx.sh), Alertmanager 9093
#   PMM_VM_BIN       VictoriaMetrics binary (default Debian's /usr/bin/victoria-metrics)
#   PMM_PG_PORT      overrides the private PostgreSQL port
#   PMM_POSTGRES_DSN / PMM_POSTGRES_ADDR
#                    when either is set, no private cluster is created or run; the
#                    daemons inherit these (and PMM_POSTGRES_*) from this environment.
#                    The private cluster asks every local connection for a password
#                    (scram-sha-256), except its OS owner's peer login as superuser
#                    postgres through the socket (directory and socket 0700); the
#                    daemons' role pmm-managed is no superuser and its password is
#                    random, in the 0600 file $PMM_VAR_DIR/secrets/pmm-managed.dbpassword
#   PMM_READY_TIMEOUT seconds `start` waits for /v1/server/readyz (default 60)
#   PMM_PG_MAX_CONNECTIONS the private PostgreSQL's max_connections (default 300)
#   PMM_NGINX_BIN    the TLS front's nginx (default /usr/sbin/nginx)
#   PMM_GRAFANA_ADDR host:port of a Grafana (default: none): the gateway and
#                    inventoryd get it as --grafana-addr (Grafana-backed logins,
#                    annotations, the pmm-agents' service accounts)
#   PMM_BACKUPD_FLAGS extra flags of backupd (e.g. --job-lost-after=5)
#   PMM_AGENTSD_FLAGS extra flags of agentsd (e.g. --workers=8)
#   PMM_HA_ENABLE, PMM_HA_NODE_ID, PMM_HA_PEERS, PMM_HA_ADVERTISE_ADDRESS (or their
#                    PMM_TEST_HA_* names) pass through to hactl and the daemons (README: HA);
#   PMM_HA_RAFT_PORT raft's TCP port (default 9760; BASE+20 with PMM_PORT_BASE)
#   PMM_INTERFACE_TO_BIND, PMM_LOG_LEVEL, PMM_ADMIN_PASSWORD pass through to the daemons.
set -eu

PROGRAM=$(basename "$0")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PMM_PG_BIN:-/usr/lib/postgresql/15/bin}
BIND=${PMM_INTERFACE_TO_BIND:-127.0.0.1}
READY_TIMEOUT=${PMM_READY_TIMEOUT:-60}
# One suite holds about 50 connections (workers, listeners, backupd's
# scheduler pool); several suites sharing this cluster as one HA server, or
# tests doing so, need more than PostgreSQL's default 100.
PG_MAX_CONNECTIONS=${PMM_PG_MAX_CONNECTIONS:-300}
DAEMONS="inventoryd configd agentsd backupd checksd qanfwd hactl gateway"

die() { echo "$PROGRAM: $*" >&2; exit 1; }
say() { echo "$PROGRAM: $*"; }

# ---- settings ---------------------------------------------------------------

if [ -n "${PMM_PORT_BASE:-}" ]; then
    case $PMM_PORT_BASE in *[!0-9]*) die "PMM_PORT_BASE must be a number" ;; esac
    GRPC_PORT=$((PMM_PORT_BASE + 1))
    REST_PORT=$((PMM_PORT_BASE + 2))
    DEBUG_PORT=$((PMM_PORT_BASE + 3))
    PG_PORT=${PMM_PG_PORT:-$((PMM_PORT_BASE + 4))}
    VM_PORT=$((PMM_PORT_BASE + 5))
    VMALERT_PORT=$((PMM_PORT_BASE + 6))
    # the gateway's vmproxy and Alertmanager (127.0.0.1 only), clear of the
    # tests' stand-ins (tests/e2e/run.sh lists every slot)
    VMPROXY_PORT=$((PMM_PORT_BASE + 19))
    ALERTMANAGER_PORT=$((PMM_PORT_BASE + 18))
    RAFT_PORT=${PMM_HA_RAFT_PORT:-${PMM_TEST_HA_RAFT_PORT:-$((PMM_PORT_BASE + 20))}}
else
    GRPC_PORT=7771
    REST_PORT=7772
    DEBUG_PORT=7773
    PG_PORT=${PMM_PG_PORT:-5433}
    VM_PORT=9090
    VMALERT_PORT=8880
    VMPROXY_PORT=8430
    ALERTMANAGER_PORT=9093
    RAFT_PORT=${PMM_HA_RAFT_PORT:-${PMM_TEST_HA_RAFT_PORT:-9760}}
fi
VM_BIN=${PMM_VM_BIN:-/usr/bin/victoria-metrics}
. "$ROOT/deploy/nginx.sh"

# An external PostgreSQL is chosen by the caller's environment, before we touch it.
if [ -n "${PMM_POSTGRES_DSN:-}" ] || [ -n "${PMM_POSTGRES_ADDR:-}" ]; then
    PRIVATE_PG=0
else
    PRIVATE_PG=1
fi

# Relative paths are taken from the caller's working directory.
abspath() {
    case $1 in
        /*) echo "$1" ;;
        *) echo "$(pwd)/$1" ;;
    esac
}

VAR=$(abspath "${PMM_VAR_DIR:-./var}")
BIN=$(abspath "${PMM_BIN_DIR:-$ROOT/build/release/bin}")
CONF=$VAR/supervisord.conf
PIDFILE=$VAR/run/supervisord.pid
SOCK=$VAR/run/supervisor.sock
PGDATA=$VAR/pg/data
PGRUN=$VAR/pg/run
PWFILE=$VAR/secrets/pmm-managed.dbpassword

if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
else
    PG_OS_USER=$(id -un)
fi

# Runs a PostgreSQL tool as the cluster owner (initdb/postgres refuse root).
pg_run() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# ---- init -------------------------------------------------------------------

init_dirs() {
    mkdir -p "$VAR" "$VAR/run" "$VAR/log" "$VAR/supervisord.d" "$VAR/prometheus/rules" "$VAR/vmalert/rules" \
        "$VAR/advisors" "$VAR/checks" "$VAR/alerting/templates" "$VAR/alertmanager/data"
    VAR=$(cd "$VAR" && pwd -P)
    CONF=$VAR/supervisord.conf
    PIDFILE=$VAR/run/supervisord.pid
    SOCK=$VAR/run/supervisor.sock
    PGDATA=$VAR/pg/data
    PGRUN=$VAR/pg/run
    PWFILE=$VAR/secrets/pmm-managed.dbpassword
}

init_private_pg() {
    [ -x "$PGBIN/initdb" ] || die "no $PGBIN/initdb: install postgresql-15 (deploy/install-deps.sh)"
    mkdir -p "$PGDATA" "$PGRUN"
    if [ "$(id -u)" -eq 0 ]; then
        chmod o+x "$VAR"
        chown postgres:postgres "$VAR/pg" "$PGDATA" "$PGRUN"
        runuser -u postgres -- test -w "$PGDATA" ||
            die "user postgres cannot reach $PGDATA: every parent of $VAR must be traversable (chmod o+x)"
    fi
    chmod 700 "$PGDATA" "$PGRUN"

    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "creating a private PostgreSQL cluster in $PGDATA"
        pg_run "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C \
            --auth-local=peer --auth-host=scram-sha-256 >"$VAR/log/initdb.log" 2>&1 ||
            { cat "$VAR/log/initdb.log" >&2; die "initdb failed"; }
    fi
    write_pg_hba
    if [ ! -f "$VAR/pg/.bootstrapped" ] || [ ! -s "$PWFILE" ]; then
        bootstrap_pg
    fi
}

# Who may connect, rewritten at every init so that a cluster made by an
# older suite.sh (initdb's "local all all trust") is hardened too: the
# superuser only for the cluster's OS owner through the socket (peer);
# every other role, through the socket or TCP, with its password.
write_pg_hba() {
    printf '%s\n' "# Written by deploy/suite.sh at every start; edits are overwritten." \
        "local all postgres peer map=owner" "local all all scram-sha-256" \
        "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" >"$PGDATA/pg_hba.conf"
    printf 'owner %s postgres\n' "$PG_OS_USER" >"$PGDATA/pg_ident.conf"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$PGDATA/pg_hba.conf" "$PGDATA/pg_ident.conf"
    fi
    chmod 600 "$PGDATA/pg_hba.conf" "$PGDATA/pg_ident.conf"
}

# The daemons' password: random, made once, only in a 0600 file of the
# user running the suite (never in a command line, config or log).
make_password() {
    mkdir -p "$VAR/secrets"
    chmod 700 "$VAR/secrets"
    [ -s "$PWFILE" ] && return 0
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$PWFILE.tmp" && echo >>"$PWFILE.tmp") ||
        die "cannot write $PWFILE"
    mv "$PWFILE.tmp" "$PWFILE"
}

# Creates role and database pmm-managed (or gives an existing role the
# password of $PWFILE and takes any superuser right away), starting the
# cluster temporarily (unix socket only, so it cannot clash with anything
# on TCP).
bootstrap_pg() {
    make_password
    started=0
    if ! pg_run "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        pg_run "$PGBIN/pg_ctl" -D "$PGDATA" -l "$VAR/pg/bootstrap.log" -w -t 60 \
            -o "-k $PGRUN -h '' -p $PG_PORT -c unix_socket_permissions=0700" start >/dev/null ||
            { cat "$VAR/pg/bootstrap.log" >&2; die "temporary PostgreSQL start failed"; }
        started=1
    fi
    rc=0
    # The password goes through a pipe (printf is a builtin, so not in ps)
    # and never into the server's log, even if a statement fails.
    pw=$(head -n 1 "$PWFILE")
    printf '%s\n' "SET log_min_error_statement = panic;" \
        "SELECT 'CREATE ROLE \"pmm-managed\" LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pmm-managed') \\gexec" \
        "ALTER ROLE \"pmm-managed\" LOGIN NOSUPERUSER PASSWORD '$pw';" \
        "SELECT 'CREATE DATABASE \"pmm-managed\" OWNER \"pmm-managed\"' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'pmm-managed') \\gexec" |
        pg_run "$PGBIN/psql" -X -h "$PGRUN" -p "$PG_PORT" -U postgres -d postgres \
            -v ON_ERROR_STOP=1 -qAt >/dev/null || rc=$?
    pw=
    if [ "$started" -eq 1 ]; then
        pg_run "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || rc=1
    fi
    [ "$rc" -eq 0 ] || die "creating role/database pmm-managed failed"
    touch "$VAR/pg/.bootstrapped"
    say "PostgreSQL role and database pmm-managed ready (password in $PWFILE)"
}

# VictoriaMetrics' data, the scrape file configd writes (VictoriaMetrics
# needs one to start: an empty list until configd's first write) and the
# directory of the user's base configuration. VictoriaMetrics' and vmalert's
# programs are configd's: it renders them into supervisord.d/ at start.
init_vm() {
    mkdir -p "$VAR/victoriametrics/data" "$VAR/prometheus"
    [ -f "$VAR/victoriametrics/promscrape.yml" ] || printf 'scrape_configs: []\n' >"$VAR/victoriametrics/promscrape.yml"
}

cmd_init() {
    init_dirs
    init_vm
    if [ "$PRIVATE_PG" -eq 1 ]; then
        init_private_pg
    fi
    nginx_init
}

# ---- render -----------------------------------------------------------------

# supervisord expands %(...)s in its config: a literal % must be doubled.
conf_escape() { printf '%s' "$1" | sed 's/%/%%/g'; }

render_program() {
    name=$1 priority=$2
    shift 2
    cat <<EOF

[program:$name]
command=$(conf_escape "$BIN/$name") $(conf_escape "$*")
directory=$(conf_escape "$VAR")
priority=$priority
autostart=true
autorestart=true
startsecs=1
startretries=1000
stopsignal=TERM
stopwaitsecs=10
stdout_logfile=$(conf_escape "$VAR/log/$name.log")
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
redirect_stderr=true
environment=$(conf_escape "$PROGRAM_ENV")
EOF
}

render_conf() {
    v=$(conf_escape "$VAR")
    SUPERVISORD_USER=
    # as root, saying so keeps supervisord from logging a CRIT line at every start
    [ "$(id -u)" -ne 0 ] || SUPERVISORD_USER="user=root"
    # The daemons inherit the rest of supervisord's environment (PMM_LOG_LEVEL,
    # PMM_ADMIN_PASSWORD, an external PMM_POSTGRES_*), so no secret lands in this file.
    PROGRAM_ENV="PMM_RUN_DIR=\"$VAR/run\",PMM_INTERFACE_TO_BIND=\"$BIND\""
    if [ "$PRIVATE_PG" -eq 1 ]; then
        PROGRAM_ENV="$PROGRAM_ENV,PMM_POSTGRES_ADDR=\"127.0.0.1:$PG_PORT\",PMM_POSTGRES_DBPASSWORD_FILE=\"$PWFILE\""
    fi
    cat <<EOF
; Generated by deploy/suite.sh render; edits are overwritten.
[unix_http_server]
file=$v/run/supervisor.sock
chmod=0700

[supervisord]
logfile=$v/log/supervisord.log
logfile_maxbytes=50MB
logfile_backups=3
pidfile=$v/run/supervisord.pid
childlogdir=$v/log
directory=$v
identifier=pmm-core
$SUPERVISORD_USER

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$v/run/supervisor.sock

; program files configd renders at run time (VictoriaMetrics, vmalert)
[include]
files=$v/supervisord.d/*.ini
EOF
    if [ "$PRIVATE_PG" -eq 1 ]; then
        cat <<EOF

[program:postgresql]
command=$(conf_escape "$PGBIN/postgres") -D $(conf_escape "$PGDATA") -k $(conf_escape "$PGRUN") -h 127.0.0.1 -p $PG_PORT -c unix_socket_permissions=0700 -c max_connections=$PG_MAX_CONNECTIONS
user=$PG_OS_USER
directory=$(conf_escape "$VAR/pg")
priority=1
autostart=true
autorestart=true
startsecs=2
stopsignal=INT
stopwaitsecs=30
stdout_logfile=$v/log/postgresql.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
redirect_stderr=true
EOF
    fi
    GRAFANA_FLAG=${PMM_GRAFANA_ADDR:+--grafana-addr=$PMM_GRAFANA_ADDR}
    render_program inventoryd 10 --workers=4 --victoriametrics-url="http://127.0.0.1:$VM_PORT/prometheus/" $GRAFANA_FLAG
    render_program configd 20 --workers=2 --log-dir="$VAR/log" --supervisord-config="$CONF" \
        --supervisord-config-dir="$VAR/supervisord.d" --vmalert-user-rules="$VAR/prometheus/rules/pmm.rules.yml" \
        --vmalert-rules-dir="$VAR/vmalert/rules" --victoriametrics-url="http://127.0.0.1:$VM_PORT/prometheus/" \
        --victoriametrics-vmalert-url="http://127.0.0.1:$VMALERT_PORT/" \
        --victoriametrics-config="$VAR/victoriametrics/promscrape.yml" \
        --victoriametrics-data-dir="$VAR/victoriametrics/data" \
        --victoriametrics-base-config="$VAR/prometheus/prometheus.base.yml" --victoriametrics-binary="$VM_BIN" \
        --debug-addr="127.0.0.1:$DEBUG_PORT" --update-version-file="$VAR/pmm-server-update-version.json" \
        --alertmanager-url="http://127.0.0.1:$ALERTMANAGER_PORT/" --alertmanager-config="$VAR/alertmanager/alertmanager.yml" \
        --alertmanager-base-config="$VAR/alertmanager/alertmanager.base.yml" --alertmanager-data-dir="$VAR/alertmanager/data"
    # QueryActions (advisor checks) holds a worker while the agent runs the queries
    render_program agentsd 25 --workers=4 ${PMM_AGENTSD_FLAGS:-}
    # PMM_BACKUPD_FLAGS: extra flags (the e2e tests shorten its timeouts)
    render_program backupd 27 --workers=2 --var-dir="$VAR" \
        --victoriametrics-url="http://127.0.0.1:$VM_PORT/prometheus/" ${PMM_BACKUPD_FLAGS:-}
    # advisors and alerting: the shipped files from the tree, the user's under var/
    render_program checksd 28 --workers=2 --advisors-dir="$ROOT/checksd/data/advisors" \
        --checks-dir="$ROOT/checksd/data/checks" --user-advisors-dir="$VAR/advisors" \
        --user-checks-dir="$VAR/checks" --alerting-templates-dir="$ROOT/checksd/data/alerting-templates" \
        --user-templates-dir="$VAR/alerting/templates" --victoriametrics-url="http://127.0.0.1:$VM_PORT/prometheus/" \
        --alertmanager-url="http://127.0.0.1:$ALERTMANAGER_PORT/"
    # PMM_QAN_API_ADDR: qan-api2's gRPC API (the e2e tests' stand-in);
    # PMM_QANFWD_FLAGS: extra flags (the e2e tests bound the spool)
    render_program qanfwd 26 --var-dir="$VAR" --qan-api-addr="${PMM_QAN_API_ADDR:-127.0.0.1:9911}" ${PMM_QANFWD_FLAGS:-}
    # HA: idle unless PMM_HA_ENABLE; raft storage under $VAR/ha/<node id>
    render_program hactl 28 --var-dir="$VAR" --ha-raft-port="$RAFT_PORT"
    # the gateway relays to exactly the daemons supervisord runs here
    render_program gateway 30 --interface-to-bind="$BIND" --grpc-port="$GRPC_PORT" \
        --http-port="$REST_PORT" --debug-port="$DEBUG_PORT" --vmproxy-port="$VMPROXY_PORT" \
        --vmproxy-target="http://127.0.0.1:$VM_PORT" $GRAFANA_FLAG --daemons="$(echo $DAEMONS | tr ' ' '\n' | grep -vx gateway | paste -sd, -)"
    nginx_program
}

cmd_render() {
    init_dirs
    nginx_render
    render_conf >"$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
}

# ---- start / stop -----------------------------------------------------------

supervisord_pid() {
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

check_binaries() {
    for d in $DAEMONS; do
        [ -x "$BIN/$d" ] || die "no $BIN/$d: build first (make), or set PMM_BIN_DIR"
    done
}

print_endpoints() {
    echo "PMM core suite (var dir $VAR)"
    echo "  gRPC        $BIND:$GRPC_PORT"
    echo "  REST        http://$BIND:$REST_PORT  (curl -u admin:admin http://$BIND:$REST_PORT/v1/server/version)"
    echo "  debug       http://$BIND:$DEBUG_PORT/debug/metrics  /debug/vars"
    echo "  VictoriaMetrics http://127.0.0.1:$VM_PORT/prometheus  (scrape file $VAR/victoriametrics/promscrape.yml,"
    echo "              base configuration $VAR/prometheus/prometheus.base.yml)"
    nginx_endpoints
    if [ "$PRIVATE_PG" -eq 1 ]; then
        echo "  PostgreSQL  127.0.0.1:$PG_PORT (private cluster in $PGDATA; port $PG_PORT so that"
        echo "              a Debian cluster on 5432 does not clash) socket dir $PGRUN"
    else
        echo "  PostgreSQL  external: ${PMM_POSTGRES_DSN:+DSN from PMM_POSTGRES_DSN}${PMM_POSTGRES_DSN:-${PMM_POSTGRES_ADDR}}"
    fi
    echo "  logs        $VAR/log/*.log"
    echo "  control     PMM_VAR_DIR=$VAR sh $ROOT/deploy/suite.sh ctl status | restart inventoryd | ..."
}

http_status() {
    curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

# What start and foreground both do before supervisord runs.
prepare() {
    if pid=$(supervisord_pid); then
        die "already running (supervisord pid $pid); use: $PROGRAM stop"
    fi
    cmd_init
    cmd_render
    check_binaries
    rm -f "$SOCK"
}

cmd_start() {
    prepare
    supervisord -c "$CONF" || die "supervisord did not start (see $VAR/log/supervisord.log)"
    url="http://127.0.0.1:$REST_PORT/v1/server/readyz"
    [ "$BIND" = 127.0.0.1 ] || [ "$BIND" = 0.0.0.0 ] || url="http://$BIND:$REST_PORT/v1/server/readyz"
    deadline=$(($(date +%s) + READY_TIMEOUT))
    while [ "$(http_status "$url")" != 200 ]; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "$PROGRAM: not ready after ${READY_TIMEOUT}s ($url); still running, stop with: $PROGRAM stop" >&2
            supervisorctl -c "$CONF" status >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    # readyz can answer while supervisord still counts startsecs: wait for RUNNING too
    until supervisorctl -c "$CONF" status >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "$PROGRAM: not every program is RUNNING after ${READY_TIMEOUT}s" >&2
            supervisorctl -c "$CONF" status >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    print_endpoints
}

cmd_foreground() {
    prepare
    print_endpoints
    echo "Ctrl-C stops everything."
    exec supervisord -n -c "$CONF"
}

cmd_stop() {
    [ -d "$VAR" ] || { say "nothing to stop ($VAR does not exist)"; return 0; }
    VAR=$(cd "$VAR" && pwd -P)
    CONF=$VAR/supervisord.conf
    PIDFILE=$VAR/run/supervisord.pid
    if ! pid=$(supervisord_pid); then
        say "not running"
        return 0
    fi
    # shutdown stops every program in reverse priority order, then supervisord exits.
    supervisorctl -c "$CONF" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -eq 600 ]; then # 60 s: more than every stopwaitsecs together
            echo "$PROGRAM: supervisord $pid still alive after 60s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        [ "$i" -lt 650 ] || die "supervisord $pid will not go away"
        sleep 0.1
    done
    say "stopped"
}

cmd_ctl() {
    [ -f "$VAR/supervisord.conf" ] || die "no $VAR/supervisord.conf: start the suite first"
    exec supervisorctl -c "$VAR/supervisord.conf" "$@"
}

# pmmctl with the suite's database settings (the private cluster's address
# and password file, or the caller's PMM_POSTGRES_*).
cmd_pmmctl() {
    [ -x "$BIN/pmmctl" ] || die "no $BIN/pmmctl: build first (make), or set PMM_BIN_DIR"
    if [ "$PRIVATE_PG" -eq 1 ]; then
        [ -s "$PWFILE" ] || die "no $PWFILE: start the suite first"
        PMM_POSTGRES_ADDR=127.0.0.1:$PG_PORT PMM_POSTGRES_DBPASSWORD_FILE=$PWFILE exec "$BIN/pmmctl" "$@"
    fi
    exec "$BIN/pmmctl" "$@"
}

cmd_hactl() {
    [ -x "$BIN/hactl" ] || die "no $BIN/hactl: build first (make), or set PMM_BIN_DIR"
    PMM_RUN_DIR=$VAR/run exec "$BIN/hactl" "$@"
}

usage() {
    sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
cmd=$1
shift
case $cmd in
    init) cmd_init ;;
    render) cmd_render; say "wrote $CONF" ;;
    start) cmd_start ;;
    foreground) cmd_foreground ;;
    stop) cmd_stop ;;
    ctl) cmd_ctl "$@" ;;
    pmmctl) cmd_pmmctl "$@" ;;
    hactl) cmd_hactl "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
