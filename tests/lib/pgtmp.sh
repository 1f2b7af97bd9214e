#!/bin/sh
# pgtmp: a throwaway PostgreSQL 15 cluster for tests.
#
#   eval "$(sh tests/lib/pgtmp.sh start [DIR])"   # DIR default: mktemp -d /tmp/pgtmp.XXXXXX
#   ... PGTMP_PORT, PGTMP_SOCKDIR, PGTMP_PID, PGTMP_DIR, PGTMP_PASSWORD_FILE are now set ...
#   sh tests/lib/pgtmp.sh stop "$PGTMP_DIR"
#
# The cluster listens on 127.0.0.1:<free port> and on a unix socket in DIR,
# both with scram-sha-256 passwords; only the cluster's OS owner reaches
# the superuser postgres (peer, through the socket; DIR and the socket are
# 0700), which has no password. Role pmm-managed (LOGIN CREATEDB, not a
# superuser) owns database pmm-managed; its password is random, in the
# 0600 file PGTMP_PASSWORD_FILE. stdout carries only the shell
# assignments; progress and errors go to stderr, server logs to
# DIR/postgres.log.
#
# initdb and postgres refuse to run as root, so as root every server
# command runs as user postgres, which must be able to reach DIR: use a
# directory under /tmp (not /root/...).
set -eu

PGBIN=${PGTMP_PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=${PGTMP_OS_USER:-postgres}

die() { echo "pgtmp: $*" >&2; exit 1; }

# Runs a command as the cluster's owner (postgres when we are root), from
# a directory it can enter: runuser keeps root's cwd, often /root.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u "$PGUSER_OS" -- "$@")
    else
        (cd / && "$@")
    fi
}

start() {
    dir=${1:-}
    if [ -z "$dir" ]; then
        dir=$(mktemp -d /tmp/pgtmp.XXXXXX)
    else
        mkdir -p "$dir"
    fi
    dir=$(cd "$dir" && pwd)
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    [ -x "$PGBIN/initdb" ] || die "no $PGBIN/initdb (install postgresql-15)"
    # A marker so that stop only ever deletes a directory we made.
    : > "$dir/.pgtmp"
    if [ "$(id -u)" = 0 ]; then
        id "$PGUSER_OS" >/dev/null 2>&1 || die "no user $PGUSER_OS"
        chown "$PGUSER_OS": "$dir"
        chmod 700 "$dir"
        as_owner test -w "$dir" ||
            die "user $PGUSER_OS cannot reach $dir (a parent is not traversable); use a directory under /tmp"
    fi

    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # The superuser only for the cluster's OS owner, through the socket;
    # everyone else (any role, socket or TCP) needs a password.
    if [ "$(id -u)" = 0 ]; then owner=$PGUSER_OS; else owner=$(id -un); fi
    printf '%s\n' "local all postgres peer map=owner" "local all all scram-sha-256" \
        "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" >"$dir/data/pg_hba.conf"
    printf 'owner %s postgres\n' "$owner" >"$dir/data/pg_ident.conf"
    [ "$(id -u)" != 0 ] || chown "$PGUSER_OS": "$dir/data/pg_hba.conf" "$dir/data/pg_ident.conf"

    # Test speed over durability; only 127.0.0.1 and the socket in DIR.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF

    # Try ports from a random base until the postmaster can bind one.
    base=${PGTMP_PORT_BASE:-$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 20000 ))}
    port=
    i=0
    while [ $i -lt 30 ]; do
        try=$((base + i))
        if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $try" \
               -w -t 60 start >/dev/null 2>&1; then
            port=$try
            break
        fi
        # A failed start leaves its reason in the log; a port clash is the
        # usual one and worth another try, anything else is fatal.
        grep -q "could not bind\|could not create any TCP/IP sockets\|Address already in use" \
            "$dir/postgres.log" 2>/dev/null || { cat "$dir/postgres.log" >&2 2>/dev/null || true; die "postgres did not start"; }
        : > "$dir/postgres.log"
        i=$((i + 1))
    done
    [ -n "$port" ] || die "no free port found from $base"

    n=0
    until as_owner "$PGBIN/pg_isready" -q -h "$dir" -p "$port" -U postgres -d postgres; do
        n=$((n + 1))
        [ $n -lt 100 ] || die "postgres on port $port never became ready"
        sleep 0.1
    done

    # The password goes through a pipe (printf is a builtin: not in ps) and
    # never into the server log, even if the statement fails.
    pwfile=$dir/pmm-managed.password
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$pwfile" && echo >>"$pwfile")
    pw=$(head -n 1 "$pwfile")
    printf '%s\n' "SET log_min_error_statement = panic;" \
        "CREATE ROLE \"pmm-managed\" LOGIN CREATEDB PASSWORD '$pw';" \
        "CREATE DATABASE \"pmm-managed\" OWNER \"pmm-managed\";" |
        as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >&2 ||
        die "cannot create role and database"
    pw=

    pid=$(head -n 1 "$dir/data/postmaster.pid")
    echo "PGTMP_DIR=$dir"
    echo "PGTMP_PORT=$port"
    echo "PGTMP_SOCKDIR=$dir"
    echo "PGTMP_PID=$pid"
    echo "PGTMP_PASSWORD_FILE=$pwfile"
}

stop() {
    dir=${1:-}
    [ -n "$dir" ] || die "usage: pgtmp.sh stop DIR"
    [ -d "$dir" ] || return 0
    [ -f "$dir/.pgtmp" ] || die "$dir was not made by pgtmp.sh; not touching it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        pid=$(head -n 1 "$dir/data/postmaster.pid")
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
        # pg_ctl may fail (data dir half gone); fall back to the pid itself.
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            n=0
            while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: pgtmp.sh start [DIR] | stop DIR" >&2; exit 2 ;;
esac
