/* db: one self-healing libpq connection, statements with SQLSTATE -> gRPC
 * code mapping, and transactions (db.h). Migrations live in migrate.c. */
#include "db/db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A dead server must not hold a request longer than this (seconds). */
#define CONNECT_TIMEOUT "5"
/* After a failed attempt, calls fail fast for this long instead of each
 * waiting for its own connect timeout. */
#define RETRY_AFTER_S 0.5
/* While PostgreSQL stays down, say so at most this often. */
#define LOG_EVERY_S 30.0

/* Distinct statements a connection keeps prepared; more run unprepared. */
#define MAX_PREPARED 96

struct db {
    db_params p;        /* our copies */
    char *host, *port;  /* split from p.addr; port may be NULL (libpq default) */
    char *app_name;
    char pw[1024];      /* the password in use (p.password or the file's) */
    PGconn *conn;
    bool in_tx;         /* between db_begin and db_commit / db_rollback */
    bool tx_broken;     /* the connection died inside that transaction */
    int failures;       /* consecutive failed connection attempts */
    double last_failure;
    double next_log;
    /* Statements prepared on this connection, by their text: PostgreSQL
     * then parses and plans each of them once, not on every call. */
    struct {
        char *sql;
        char name[16];
        int nparams;
    } prepared[MAX_PREPARED];
    int n_prepared;
};

static void drop_conn(db *d);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool empty(const char *s) { return !s || !*s; }

static int dup_field(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* "host:port", "[v6]:port", "host", "/socket/dir" or "/socket/dir:port". */
static int split_addr(db *d, const char *addr)
{
    if (empty(addr))
        addr = "127.0.0.1:5432";
    char *copy = strdup(addr);
    if (!copy)
        return -1;
    char *host = copy, *port = NULL;
    if (copy[0] == '[') {
        char *end = strchr(copy, ']');
        if (end) {
            *end = '\0';
            host = copy + 1;
            if (end[1] == ':' && all_digits(end + 2))
                port = end + 2;
        }
    } else {
        char *colon = strrchr(copy, ':');
        /* a bare IPv6 address has several colons and no port */
        bool one_colon = colon && (copy[0] == '/' || strchr(copy, ':') == colon);
        if (one_colon && all_digits(colon + 1)) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    d->host = strdup(host);
    d->port = port ? strdup(port) : NULL;
    free(copy);
    return (d->host && (d->port || !port)) ? 0 : -1;
}

void db_params_clear(db_params *p)
{
    if (!p)
        return;
    free(p->addr);
    free(p->dbname);
    free(p->user);
    if (p->password)
        explicit_bzero(p->password, strlen(p->password));
    free(p->password);
    free(p->password_file);
    free(p->sslmode);
    free(p->sslrootcert);
    free(p->sslcert);
    free(p->sslkey);
    free(p->dsn);
    memset(p, 0, sizeof *p);
}

int db_params_password(const db_params *p, char *out, size_t outlen)
{
    out[0] = '\0';
    if (empty(p->password_file)) {
        snprintf(out, outlen, "%s", p->password ? p->password : "");
        return 0;
    }
    FILE *f = fopen(p->password_file, "re");
    if (!f)
        return -1;
    errno = 0;
    bool got = fgets(out, (int)outlen, f) != NULL;
    int err = errno;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!got || !*out) {
        errno = got ? 0 : err;
        return -1;
    }
    return 0;
}

db *db_new(const db_params *p)
{
    db *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    db_params empty_params = {0};
    if (!p)
        p = &empty_params;
    int err = dup_field(&d->p.addr, p->addr) | dup_field(&d->p.dbname, p->dbname) |
              dup_field(&d->p.user, p->user) | dup_field(&d->p.password, p->password) |
              dup_field(&d->p.password_file, p->password_file) |
              dup_field(&d->p.sslmode, p->sslmode) | dup_field(&d->p.sslrootcert, p->sslrootcert) |
              dup_field(&d->p.sslcert, p->sslcert) | dup_field(&d->p.sslkey, p->sslkey) |
              dup_field(&d->p.dsn, p->dsn) | split_addr(d, p->addr) |
              dup_field(&d->app_name, program_invocation_short_name);
    if (err) {
        db_destroy(d);
        return NULL;
    }
    return d;
}

void db_destroy(db *d)
{
    if (!d)
        return;
    drop_conn(d);
    db_params_clear(&d->p);
    explicit_bzero(d->pw, sizeof d->pw);
    free(d->host);
    free(d->port);
    free(d->app_name);
    free(d);
}

void db_set_application_name(db *d, const char *name)
{
    char *copy = name ? strdup(name) : NULL;
    if (name && !copy)
        return; /* keep the old name rather than none */
    free(d->app_name);
    d->app_name = copy;
}

/* libpq texts end with a newline and may span lines; logs want one line.
 * The password never belongs in a log, even if libpq echoes a DSN token. */
static void one_line(char *out, size_t len, const char *msg, const char *password)
{
    snprintf(out, len, "%s", msg ? msg : "");
    for (char *s = out; *s; s++)
        if (*s == '\n' || *s == '\t' || *s == '\r')
            *s = ' ';
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
    if (!empty(password)) {
        size_t plen = strlen(password);
        for (char *hit = out; (hit = strstr(hit, password)) != NULL; hit += plen)
            memset(hit, '*', plen);
    }
}

/* The password a DSN carries, for redaction; NULL when none. */
static char *dsn_password(const char *dsn)
{
    PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
    char *pw = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && !empty(o->val))
            pw = strdup(o->val);
    PQconninfoFree(opts);
    return pw;
}

static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    one_line(line, sizeof line, message, NULL);
    log_debug("postgres: %s", line);
}

static PGconn *connect_now(db *d)
{
    const char *kw[16], *val[16];
    int n = 0;
#define ADD(k, v) do { kw[n] = (k); val[n] = (v); n++; } while (0)
    ADD("connect_timeout", CONNECT_TIMEOUT);
    if (!empty(d->app_name))
        ADD("application_name", d->app_name);
    if (!empty(d->p.dsn)) {
        /* expanded last, so whatever the DSN says wins */
        ADD("dbname", d->p.dsn);
    } else {
        const char *mode = empty(d->p.sslmode) ? "disable" : d->p.sslmode;
        ADD("host", d->host);
        if (d->port)
            ADD("port", d->port);
        ADD("dbname", empty(d->p.dbname) ? "postgres" : d->p.dbname);
        if (!empty(d->p.user))
            ADD("user", d->p.user);
        if (!empty(d->pw))
            ADD("password", d->pw);
        ADD("sslmode", mode);
        if (strcmp(mode, "disable") != 0) {
            if (!empty(d->p.sslrootcert))
                ADD("sslrootcert", d->p.sslrootcert);
            if (!empty(d->p.sslcert))
                ADD("sslcert", d->p.sslcert);
            if (!empty(d->p.sslkey))
                ADD("sslkey", d->p.sslkey);
        }
    }
    kw[n] = NULL;
    val[n] = NULL;
#undef ADD
    return PQconnectdbParams(kw, val, !empty(d->p.dsn));
}

/* Where we tried to connect, for logs: never the password. */
static void describe(char *out, size_t len, db *d, PGconn *c)
{
    if (!c && !empty(d->p.dsn)) {
        snprintf(out, len, "(from the configured DSN)");
        return;
    }
    const char *host = c ? PQhost(c) : NULL, *port = c ? PQport(c) : NULL;
    const char *dbn = c ? PQdb(c) : NULL, *user = c ? PQuser(c) : NULL;
    snprintf(out, len, "host=%s port=%s db=%s user=%s",
             empty(host) ? d->host : host, empty(port) ? (d->port ? d->port : "5432") : port,
             empty(dbn) ? "?" : dbn, empty(user) ? "?" : user);
}

static void note_failure(db *d, PGconn *c, const char *why)
{
    double now = now_s();
    d->failures++;
    d->last_failure = now;
    if (d->failures > 1 && now < d->next_log)
        return;
    d->next_log = now + LOG_EVERY_S;
    char where[512];
    describe(where, sizeof where, d, c);
    if (d->failures == 1)
        log_warn("cannot connect to PostgreSQL %s: %s", where, why);
    else
        log_warn("still cannot connect to PostgreSQL %s (%d attempts): %s", where, d->failures, why);
}

static void note_success(db *d, PGconn *c)
{
    char where[512];
    describe(where, sizeof where, d, c);
    if (d->failures > 0)
        log_info("connected to PostgreSQL %s after %d failed attempts", where, d->failures);
    else
        log_debug("connected to PostgreSQL %s", where);
    d->failures = 0;
}

/* Forgets a dead connection; a transaction on it is gone with it. */
static void forget_prepared(db *d)
{
    for (int i = 0; i < d->n_prepared; i++)
        free(d->prepared[i].sql);
    d->n_prepared = 0;
}

static void drop_conn(db *d)
{
    if (!d->conn)
        return;
    PQfinish(d->conn);
    d->conn = NULL;
    forget_prepared(d);
    if (d->in_tx)
        d->tx_broken = true;
}

PGconn *db_conn(db *d)
{
    if (!d)
        return NULL;
    if (d->conn && PQstatus(d->conn) == CONNECTION_OK)
        return d->conn;
    drop_conn(d);
    if (d->failures > 0 && now_s() - d->last_failure < RETRY_AFTER_S)
        return NULL;

    if (db_params_password(&d->p, d->pw, sizeof d->pw) != 0) {
        char why[600];
        snprintf(why, sizeof why, "cannot read the password file %s: %s", d->p.password_file,
                 errno ? strerror(errno) : "it is empty");
        note_failure(d, NULL, why);
        return NULL;
    }
    char *dsn_pw = NULL;
    if (!empty(d->p.dsn)) {
        /* A DSN that does not parse would be echoed in libpq's message. */
        char *perr = NULL;
        PQconninfoOption *parsed = PQconninfoParse(d->p.dsn, &perr);
        bool ok = parsed != NULL;
        PQconninfoFree(parsed);
        PQfreemem(perr);
        if (!ok) {
            note_failure(d, NULL, "the PostgreSQL DSN cannot be parsed");
            return NULL;
        }
        dsn_pw = dsn_password(d->p.dsn);
    }
    PGconn *c = connect_now(d);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char why[1024];
        one_line(why, sizeof why, c ? PQerrorMessage(c) : "out of memory",
                 dsn_pw ? dsn_pw : d->pw);
        note_failure(d, c, why);
        if (c)
            PQfinish(c);
        free(dsn_pw);
        return NULL;
    }
    free(dsn_pw);
    PQsetNoticeProcessor(c, notice_to_log, NULL);
    /* TIMESTAMP columns hold UTC, so NOW() must mean UTC too. A SET rather
     * than the "options" startup parameter, which poolers may refuse. */
    PGresult *tz = PQexec(c, "SET TimeZone = 'UTC'");
    if (PQresultStatus(tz) != PGRES_COMMAND_OK)
        log_warn("cannot set the session time zone to UTC: %s", PQresultErrorMessage(tz));
    PQclear(tz);
    note_success(d, c);
    d->conn = c;
    return c;
}

static int code_for_sqlstate(const char *state)
{
    if (!state || strlen(state) != 5)
        return RPC_INTERNAL;
    if (strcmp(state, "23505") == 0)
        return RPC_ALREADY_EXISTS;
    if (strcmp(state, "23503") == 0)
        return RPC_FAILED_PRECONDITION;
    if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 || strncmp(state, "22", 2) == 0)
        return RPC_INVALID_ARGUMENT;
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
        strcmp(state, "57P03") == 0 || strcmp(state, "53300") == 0)
        return RPC_UNAVAILABLE;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return RPC_ABORTED;
    return RPC_INTERNAL;
}

/* Passes a good result through; otherwise fills st, clears r, returns NULL. */
static PGresult *check_result(db *d, PGconn *c, PGresult *r, rpc_status *st, const char *sql,
                              bool empty_ok)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || (empty_ok && s == PGRES_EMPTY_QUERY))
        return r;

    /* copies: both die with PQclear(r) */
    const char *field = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    char sqlstate[8];
    snprintf(sqlstate, sizeof sqlstate, "%s", field ? field : "");
    const char *state = field ? sqlstate : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[RPC_MESSAGE_MAX];
    one_line(msg, sizeof msg, primary ? primary : PQerrorMessage(c), d->pw);
    bool lost = PQstatus(c) != CONNECTION_OK;
    int code = lost ? RPC_UNAVAILABLE : code_for_sqlstate(state);
    if (s == PGRES_EMPTY_QUERY) {
        snprintf(msg, sizeof msg, "empty query");
    } else if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH) {
        /* we never speak COPY; a connection stuck in it is useless */
        snprintf(msg, sizeof msg, "COPY is not supported here");
        lost = true;
    }
    PQclear(r);
    if (lost) {
        char where[512];
        describe(where, sizeof where, d, c);
        log_warn("lost the PostgreSQL connection %s: %s", where, msg);
        drop_conn(d);
    } else if (code == RPC_INTERNAL) {
        log_error("statement failed: SQLSTATE %s: %s; statement: %.300s", state ? state : "none", msg, sql);
    } else {
        log_debug("statement failed: SQLSTATE %s: %s", state ? state : "none", msg);
    }
    rpc_fail(st, code, "%s", msg);
    return NULL;
}

/* The connection a statement may run on, or NULL with st filled. */
static PGconn *usable_conn(db *d, rpc_status *st)
{
    PGconn *c = db_conn(d);
    if (d->tx_broken) {
        rpc_fail(st, RPC_UNAVAILABLE, "the PostgreSQL connection was lost inside a transaction");
        return NULL;
    }
    if (!c)
        rpc_fail(st, RPC_UNAVAILABLE, "PostgreSQL is unavailable");
    return c;
}

/* The name sql is prepared under on c, preparing it on first use; NULL
 * to run it unprepared (cache full, or PREPARE refused, e.g. inside a
 * failed transaction, where the statement then reports the real error). */
static const char *prepared_name(db *d, PGconn *c, const char *sql, int nparams)
{
    for (int i = 0; i < d->n_prepared; i++)
        if (d->prepared[i].nparams == nparams && strcmp(d->prepared[i].sql, sql) == 0)
            return d->prepared[i].name;
    if (d->n_prepared == MAX_PREPARED)
        return NULL;
    int i = d->n_prepared;
    snprintf(d->prepared[i].name, sizeof d->prepared[i].name, "pmm_s%d", i);
    PGresult *r = PQprepare(c, d->prepared[i].name, sql, nparams, NULL);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok || !(d->prepared[i].sql = strdup(sql)))
        return NULL;
    d->prepared[i].nparams = nparams;
    d->n_prepared++;
    return d->prepared[i].name;
}

PGresult *db_exec(db *d, rpc_status *st, const char *sql, int nparams, const char *const *params)
{
    rpc_status scratch;
    if (!st)
        st = &scratch;
    if (!d || !sql || nparams < 0 || (nparams > 0 && !params)) {
        rpc_fail(st, RPC_INTERNAL, "db_exec: bad arguments");
        return NULL;
    }
    PGconn *c = usable_conn(d, st);
    if (!c)
        return NULL;
    const char *name = prepared_name(d, c, sql, nparams);
    PGresult *r = name ? PQexecPrepared(c, name, nparams, params, NULL, NULL, 0)
                       : PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    return check_result(d, c, r, st, sql, false);
}

PGresult *db_exec_script(db *d, rpc_status *st, const char *sql)
{
    rpc_status scratch;
    if (!st)
        st = &scratch;
    if (!d || !sql) {
        rpc_fail(st, RPC_INTERNAL, "db_exec_script: bad arguments");
        return NULL;
    }
    PGconn *c = usable_conn(d, st);
    if (!c)
        return NULL;
    /* a script of comments only is an empty migration, not an error */
    return check_result(d, c, PQexec(c, sql), st, sql, true);
}

static int begin_with(db *d, rpc_status *st, const char *sql)
{
    rpc_status scratch;
    if (!st)
        st = &scratch;
    if (!d)
        return rpc_fail(st, RPC_INTERNAL, "db_begin: no database");
    if (d->in_tx)
        return rpc_fail(st, RPC_INTERNAL, "a transaction is already open");
    PGresult *r = db_exec(d, st, sql, 0, NULL);
    if (!r)
        return st->code;
    PQclear(r);
    d->in_tx = true;
    d->tx_broken = false;
    return RPC_OK;
}

int db_begin(db *d, rpc_status *st)
{
    return begin_with(d, st, "BEGIN");
}

int db_begin_snapshot(db *d, rpc_status *st)
{
    return begin_with(d, st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

int db_commit(db *d, rpc_status *st)
{
    rpc_status scratch;
    if (!st)
        st = &scratch;
    if (!d)
        return rpc_fail(st, RPC_INTERNAL, "db_commit: no database");
    if (!d->in_tx)
        return rpc_fail(st, RPC_INTERNAL, "no transaction to commit");
    PGresult *r = db_exec(d, st, "COMMIT", 0, NULL);
    d->in_tx = false;
    d->tx_broken = false;
    if (!r)
        return st->code;
    /* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK. */
    bool rolled_back = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
    PQclear(r);
    if (rolled_back)
        return rpc_fail(st, RPC_ABORTED, "the transaction was rolled back after an earlier error");
    return RPC_OK;
}

void db_rollback(db *d)
{
    if (!d)
        return;
    d->in_tx = false;
    d->tx_broken = false;
    /* a lost connection took its transaction with it */
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK ||
        PQtransactionStatus(d->conn) == PQTRANS_IDLE)
        return;
    PGresult *r = PQexec(d->conn, "ROLLBACK");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        char msg[512];
        one_line(msg, sizeof msg, PQerrorMessage(d->conn), d->pw);
        log_warn("ROLLBACK failed, dropping the connection: %s", msg);
        PQclear(r);
        drop_conn(d);
        return;
    }
    PQclear(r);
}
