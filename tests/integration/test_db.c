/* test_db: common/db against a real PostgreSQL (PMM_TEST_PG_*): connecting,
 * migrations (fresh, repeated, concurrent, failing), readiness, SQLSTATE
 * mapping, transactions, and surviving a killed or unreachable server. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "db/db.h"
#include "log.h"
#include "tests/lib/pgtest.h"
#include "tests/lib/checkrun.h"

/* ---- helpers ---------------------------------------------------------- */

static db *open_base(db_params *p)
{
    ck_assert_msg(pgtest_params(p) == 0, "PMM_TEST_PG_* must point at a PostgreSQL (tests/lib/pgtmp.sh)");
    db *d = db_new(p);
    ck_assert_ptr_nonnull(d);
    return d;
}

static db *open_fresh(const char *name, db_params *p)
{
    ck_assert_msg(pgtest_fresh_db(name, p) == 0, "cannot create database %s", name);
    db *d = db_new(p);
    ck_assert_ptr_nonnull(d);
    return d;
}

/* Runs sql; returns the rpc code (0 on success), message into msg. */
static int run(db *d, const char *sql, int n, const char *const *params, char *msg, size_t msglen)
{
    rpc_status st = {0};
    PGresult *r = db_exec(d, &st, sql, n, params);
    if (msg)
        snprintf(msg, msglen, "%s", r ? "" : st.message);
    if (!r)
        return st.code;
    PQclear(r);
    return 0;
}

static void must(db *d, const char *sql)
{
    char msg[RPC_MESSAGE_MAX];
    int code = run(d, sql, 0, NULL, msg, sizeof msg);
    ck_assert_msg(code == 0, "%s: code %d: %s", sql, code, msg);
}

/* First column of the first row, strdup'd ("" for none); asserts success. */
static char *scalar(db *d, const char *sql, int n, const char *const *params)
{
    rpc_status st = {0};
    PGresult *r = db_exec(d, &st, sql, n, params);
    ck_assert_msg(r != NULL, "%s: %s", sql, st.message);
    char *v = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

static void assert_scalar(db *d, const char *sql, const char *want)
{
    char *got = scalar(d, sql, 0, NULL);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", sql, got, want);
    free(got);
}

static int count_migrations(db *d)
{
    char *v = scalar(d, "SELECT count(*) FROM schema_migrations", 0, NULL);
    int n = atoi(v);
    free(v);
    return n;
}

static int insert_node(db *d, const char *id, const char *name, char *msg, size_t msglen)
{
    const char *p[] = { id, name };
    return run(d,
               "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address,"
               " created_at, updated_at) VALUES ($1, 'generic', $2, '', '', '', '10.0.0.1',"
               " now(), now())",
               2, p, msg, msglen);
}

/* A 127.0.0.1 port nobody listens on (just released by us). */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ends d's server session from another connection and waits until it is gone. */
static void kill_backend(db *d, db *killer)
{
    PGconn *c = db_conn(d);
    ck_assert_ptr_nonnull(c);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", PQbackendPID(c));
    const char *p[] = { pid };
    char *ok = scalar(killer, "SELECT pg_terminate_backend($1::int, 5000)", 1, p);
    ck_assert_str_eq(ok, "t");
    free(ok);
}

/* ---- connecting ------------------------------------------------------- */

START_TEST(test_connect)
{
    db_params p;
    db *d = open_base(&p);
    ck_assert_ptr_nonnull(db_conn(d));
    assert_scalar(d, "SELECT 40 + 2", "42");
    /* the program name identifies us in pg_stat_activity */
    assert_scalar(d, "SELECT current_setting('application_name')", "test_db");
    assert_scalar(d, "SELECT current_setting('TimeZone')", "UTC");
    /* parameters travel as text and are never spliced into SQL */
    const char *evil[] = { "x'); DROP TABLE nobody; --" };
    char *echo = scalar(d, "SELECT $1::text", 1, evil);
    ck_assert_str_eq(echo, evil[0]);
    free(echo);
    db_destroy(d);

    /* a new application_name applies to the next connection */
    d = db_new(&p);
    db_set_application_name(d, "inventoryd");
    assert_scalar(d, "SELECT current_setting('application_name')", "inventoryd");
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_connect_dsn)
{
    db_params p;
    ck_assert_int_eq(pgtest_params(&p), 0);
    char host[256];
    snprintf(host, sizeof host, "%s", p.addr);
    char *colon = strrchr(host, ':');
    ck_assert_ptr_nonnull(colon);
    *colon = '\0';
    char dsn[1024];
    snprintf(dsn, sizeof dsn, "host=%s port=%s dbname='%s' user='%s' password='%s' sslmode=disable",
             host, colon + 1, p.dbname, p.user, p.password);
    /* the other fields are wrong on purpose: the DSN wins */
    db_params q = { .addr = "127.0.0.1:1", .dbname = "nope", .user = "nope", .dsn = dsn };
    db *d = db_new(&q);
    ck_assert_ptr_nonnull(d);
    assert_scalar(d, "SELECT current_user", p.user);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_connect_unix_socket)
{
    const char *sockdir = getenv("PMM_TEST_PG_SOCKDIR");
    if (!sockdir || !*sockdir) {
        fprintf(stderr, "test_connect_unix_socket: PMM_TEST_PG_SOCKDIR unset, TCP only\n");
        return;
    }
    db_params p;
    ck_assert_int_eq(pgtest_params(&p), 0);
    char addr[512];
    snprintf(addr, sizeof addr, "%s:%s", sockdir, strrchr(p.addr, ':') + 1);
    db_params q = p;
    q.addr = addr;
    db *d = db_new(&q);
    assert_scalar(d, "SELECT coalesce(inet_server_addr()::text, 'unix')", "unix");
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_unreachable)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", closed_port());
    db_params p = { .addr = addr, .dbname = "pmm-managed", .user = "pmm-managed", .password = "x" };
    db *d = db_new(&p);
    double t0 = now_s();
    ck_assert_ptr_null(db_conn(d));
    rpc_status st = {0};
    ck_assert_ptr_null(db_exec(d, &st, "SELECT 1", 0, NULL));
    ck_assert_int_eq(st.code, RPC_UNAVAILABLE);
    char reason[256];
    ck_assert_int_eq(db_ready(d, reason, sizeof reason), -1);
    ck_assert_msg(reason[0] != '\0', "db_ready gives a reason");
    ck_assert_int_eq(db_migrate(d), -1);
    ck_assert_int_eq(db_begin(d, &st), RPC_UNAVAILABLE);
    ck_assert_msg(now_s() - t0 < 3.0, "a refused connection fails fast (%.1fs)", now_s() - t0);
    db_destroy(d);
}
END_TEST

/* Captures what log.c writes to stderr while f runs. */
static char *capture_stderr(void (*f)(void *), void *arg)
{
    char path[] = "/tmp/test_db_log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int saved = dup(2);
    dup2(fd, 2);
    f(arg);
    dup2(saved, 2);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)len + 1);
    ck_assert_int_eq(pread(fd, buf, (size_t)len, 0), len);
    close(fd);
    unlink(path);
    return buf;
}

static void connect_once(void *arg) { ck_assert_ptr_null(db_conn(arg)); }

START_TEST(test_password_never_logged)
{
    db_params base;
    ck_assert_int_eq(pgtest_params(&base), 0);
    /* wrong password against the real server: authentication fails */
    db_params p = base;
    p.password = "Sekret-Pw-4711";
    db *d = db_new(&p);
    char *log = capture_stderr(connect_once, d);
    ck_assert_msg(strstr(log, "cannot connect to PostgreSQL") != NULL, "failure logged: %s", log);
    ck_assert_msg(strstr(log, "user=pmm-managed") != NULL || strstr(log, "user=") != NULL, "%s", log);
    ck_assert_msg(strstr(log, "Sekret-Pw-4711") == NULL, "password leaked: %s", log);
    rpc_status st = {0};
    usleep(600 * 1000); /* past the retry pause */
    ck_assert_ptr_null(db_exec(d, &st, "SELECT 1", 0, NULL));
    ck_assert_int_eq(st.code, RPC_UNAVAILABLE);
    free(log);
    db_destroy(d);

    /* a DSN that does not parse is not echoed either */
    db_params q = { .dsn = "postgres://u:Sekret%ZZPw@127.0.0.1:1/db" };
    d = db_new(&q);
    log = capture_stderr(connect_once, d);
    ck_assert_msg(strstr(log, "Sekret") == NULL, "password leaked: %s", log);
    ck_assert_msg(strstr(log, "cannot be parsed") != NULL, "%s", log);
    free(log);
    db_destroy(d);
    pgtest_params_clear(&base);
}
END_TEST

/* ---- migrations ------------------------------------------------------- */

START_TEST(test_migrate_fresh)
{
    db_params p;
    db *d = open_fresh("test_db_migrate", &p);
    char reason[256];
    ck_assert_int_eq(db_ready(d, reason, sizeof reason), 0);
    ck_assert_msg(strstr(reason, "schema version 0") != NULL, "reason: %s", reason);

    ck_assert_int_eq(db_migrate(d), 0);
    ck_assert_int_gt(db_migrations_count, 0);
    ck_assert_int_eq(count_migrations(d), db_migrations_count);
    for (int i = 0; i < db_migrations_count; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", db_migrations[i].version);
        const char *pv[] = { v };
        char *n = scalar(d, "SELECT count(*) FROM schema_migrations WHERE id = $1::int", 1, pv);
        ck_assert_msg(strcmp(n, "1") == 0, "version %s recorded once", v);
        free(n);
    }
    char latest[16];
    snprintf(latest, sizeof latest, "%d", db_latest_migration());
    assert_scalar(d, "SELECT max(id) FROM schema_migrations", latest);
    ck_assert_int_eq(db_ready(d, reason, sizeof reason), 1);

    /* the schema as the daemons expect it */
    const char *tables[] = { "nodes", "services", "agents", "action_results", "settings", "user_flags",
                             "roles", "user_roles", "users", "service_tokens" };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const char *pt[] = { tables[i] };
        char *ok = scalar(d, "SELECT to_regclass($1) IS NOT NULL", 1, pt);
        ck_assert_msg(strcmp(ok, "t") == 0, "table %s exists", tables[i]);
        free(ok);
    }
    assert_scalar(d, "SELECT count(*) FROM settings", "1");
    assert_scalar(d, "SELECT (settings->'default_role_id')::int = (SELECT id FROM roles WHERE title = 'Full access')"
                     " FROM settings", "t");
    assert_scalar(d, "SELECT filter || '|' || description FROM roles", "|");
    assert_scalar(d, "SELECT count(*) FROM nodes", "0"); /* fixtures are inventoryd's job */

    /* again: nothing to do, nothing changes */
    ck_assert_int_eq(db_migrate(d), 0);
    ck_assert_int_eq(count_migrations(d), db_migrations_count);
    assert_scalar(d, "SELECT count(*) FROM roles", "1");
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

struct racer {
    const db_params *p;
    pthread_barrier_t *go;
    int rc;
};

static void *race_migrate(void *arg)
{
    struct racer *r = arg;
    db *d = db_new(r->p);
    db_conn(d); /* connect first so that both reach the lock together */
    pthread_barrier_wait(r->go);
    r->rc = db_migrate(d);
    db_destroy(d);
    return NULL;
}

START_TEST(test_migrate_concurrent)
{
    db_params p;
    db *d = open_fresh("test_db_concurrent", &p);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 3);
    struct racer r[3] = { { &p, &go, -2 }, { &p, &go, -2 }, { &p, &go, -2 } };
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_migrate, &r[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(r[i].rc == 0, "migrator %d failed", i);
    ck_assert_int_eq(count_migrations(d), db_migrations_count);
    assert_scalar(d, "SELECT count(*) FROM roles", "1");
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

static bool table_exists(db *d, const char *name)
{
    const char *p[] = { name };
    char *v = scalar(d, "SELECT to_regclass($1) IS NOT NULL", 1, p);
    bool yes = strcmp(v, "t") == 0;
    free(v);
    return yes;
}

START_TEST(test_migrate_failure_rolls_back)
{
    db_params p;
    db *d = open_fresh("test_db_broken", &p);
    const db_migration broken[] = {
        { 1, "0001_a", "CREATE TABLE t1 (a INTEGER);\nCREATE TABLE t2 (b INTEGER);\n" },
        { 2, "0002_b", "CREATE TABLE t3 (c INTEGER)" },
        { 3, "0003_bad", "INSERT INTO t1 VALUES (1);\nSELECT * FROM no_such_table;\n" },
    };
    ck_assert_int_eq(db_migrate_with(d, broken, 3), -1);
    ck_assert(!table_exists(d, "t1"));
    ck_assert(!table_exists(d, "t3"));
    ck_assert(!table_exists(d, "schema_migrations"));

    /* the good prefix applies; the bad step later leaves it untouched */
    ck_assert_int_eq(db_migrate_with(d, broken, 2), 0);
    ck_assert_int_eq(db_migrate_with(d, broken, 3), -1);
    assert_scalar(d, "SELECT max(id) FROM schema_migrations", "2");
    assert_scalar(d, "SELECT count(*) FROM t1", "0");

    /* the connection is still good for the next caller */
    assert_scalar(d, "SELECT 1", "1");

    /* a comments-only step is an empty migration: recorded, no error */
    const db_migration with_empty[] = {
        broken[0], broken[1], { 3, "0003_empty", "-- nothing yet\n" },
    };
    ck_assert_int_eq(db_migrate_with(d, with_empty, 3), 0);
    assert_scalar(d, "SELECT max(id) FROM schema_migrations", "3");

    /* a migration set out of order is refused before touching anything */
    const db_migration unordered[] = { { 5, "0005_x", "CREATE TABLE t5 (a INTEGER)" },
                                       { 4, "0004_y", "CREATE TABLE t4 (a INTEGER)" } };
    ck_assert_int_eq(db_migrate_with(d, unordered, 2), -1);
    ck_assert(!table_exists(d, "t5"));
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

/* ---- errors and transactions --------------------------------------------- */

START_TEST(test_error_mapping)
{
    db_params p;
    db *d = open_fresh("test_db_errors", &p);
    ck_assert_int_eq(db_migrate(d), 0);
    char msg[RPC_MESSAGE_MAX];

    ck_assert_int_eq(insert_node(d, "n1", "node-one", msg, sizeof msg), 0);
    ck_assert_int_eq(insert_node(d, "n2", "node-one", msg, sizeof msg), RPC_ALREADY_EXISTS);
    ck_assert_msg(strstr(msg, "nodes_node_name_key") != NULL, "message names the constraint: %s", msg);
    ck_assert_int_eq(insert_node(d, "n1", "node-two", msg, sizeof msg), RPC_ALREADY_EXISTS);
    ck_assert_int_eq(insert_node(d, "n3", "", msg, sizeof msg), RPC_INVALID_ARGUMENT);

    const char *svc[] = { "s1", "no-such-node" };
    ck_assert_int_eq(run(d,
                         "INSERT INTO services (service_id, service_type, service_name, node_id, environment,"
                         " cluster, replication_set, external_group, created_at, updated_at)"
                         " VALUES ($1, 'mysql', 'mysql-1', $2, '', '', '', '', now(), now())",
                         2, svc, msg, sizeof msg),
                     RPC_FAILED_PRECONDITION);
    ck_assert_msg(strstr(msg, "services_node_id_fkey") != NULL, "%s", msg);

    /* an exporter that is neither running on a node nor under a pmm-agent */
    ck_assert_int_eq(run(d,
                         "INSERT INTO agents (agent_id, agent_type, node_id, created_at, updated_at, disabled,"
                         " status, tls, tls_skip_verify) VALUES ('a1', 'node_exporter', 'n1', now(), now(),"
                         " false, 'AGENT_STATUS_UNKNOWN', false, false)",
                         0, NULL, msg, sizeof msg),
                     RPC_INVALID_ARGUMENT);
    ck_assert_msg(strstr(msg, "runs_on_node_id_xor_pmm_agent_id") != NULL, "%s", msg);
    /* a pmm-agent on a node is fine, and its option columns start as {} */
    must(d, "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, created_at, updated_at, disabled,"
            " status, tls, tls_skip_verify) VALUES ('a2', 'pmm-agent', 'n1', now(), now(), false,"
            " 'AGENT_STATUS_UNKNOWN', false, false)");
    assert_scalar(d, "SELECT exporter_options::text || qan_options::text || rta_options::text"
                     " FROM agents WHERE agent_id = 'a2'", "{}{}{}");
    must(d, "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, created_at, updated_at,"
            " disabled, status, tls, tls_skip_verify) VALUES ('a3', 'node_exporter', 'a2', 'n1', now(),"
            " now(), false, 'AGENT_STATUS_UNKNOWN', false, false)");
    ck_assert_int_eq(run(d,
                         "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, created_at,"
                         " updated_at, disabled, status, tls, tls_skip_verify) VALUES ('a4',"
                         " 'node_exporter', 'ghost', 'n1', now(), now(), false, 'AGENT_STATUS_UNKNOWN',"
                         " false, false)",
                         0, NULL, msg, sizeof msg),
                     RPC_FAILED_PRECONDITION);
    ck_assert_msg(strstr(msg, "agents_pmm_agent_id_fkey") != NULL, "%s", msg);

    const char *bad_int[] = { "abc" };
    ck_assert_int_eq(run(d, "SELECT $1::int", 1, bad_int, msg, sizeof msg), RPC_INVALID_ARGUMENT);
    ck_assert_int_eq(run(d, "INSERT INTO users (login, password_hash, role, created_at, updated_at)"
                            " VALUES ('bob', 'h', 'root', now(), now())", 0, NULL, msg, sizeof msg),
                     RPC_INVALID_ARGUMENT);
    ck_assert_int_eq(run(d, "INSERT INTO users (login, password_hash, role, created_at, updated_at)"
                            " VALUES (NULL, 'h', 'admin', now(), now())", 0, NULL, msg, sizeof msg),
                     RPC_INVALID_ARGUMENT);
    ck_assert_int_eq(run(d, "SELEKT 1", 0, NULL, msg, sizeof msg), RPC_INTERNAL);
    ck_assert_int_eq(run(d, "SELECT * FROM no_such_table", 0, NULL, msg, sizeof msg), RPC_INTERNAL);
    /* after all these errors the connection still works */
    assert_scalar(d, "SELECT count(*) FROM nodes", "1");
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_transactions)
{
    db_params p;
    db *d = open_fresh("test_db_tx", &p);
    ck_assert_int_eq(db_migrate(d), 0);
    rpc_status st = {0};
    char msg[RPC_MESSAGE_MAX];

    ck_assert_int_eq(db_begin(d, &st), 0);
    ck_assert_int_eq(db_begin(d, &st), RPC_INTERNAL); /* no nesting */
    ck_assert_int_eq(insert_node(d, "n1", "rolled-back", msg, sizeof msg), 0);
    db_rollback(d);
    assert_scalar(d, "SELECT count(*) FROM nodes", "0");

    ck_assert_int_eq(db_begin(d, &st), 0);
    ck_assert_int_eq(insert_node(d, "n1", "kept", msg, sizeof msg), 0);
    ck_assert_int_eq(db_commit(d, &st), 0);
    assert_scalar(d, "SELECT node_name FROM nodes", "kept");

    /* an error inside a transaction makes COMMIT a rollback */
    ck_assert_int_eq(db_begin(d, &st), 0);
    ck_assert_int_eq(insert_node(d, "n2", "lost", msg, sizeof msg), 0);
    ck_assert_int_eq(insert_node(d, "n3", "kept", msg, sizeof msg), RPC_ALREADY_EXISTS);
    ck_assert_int_eq(db_commit(d, &st), RPC_ABORTED);
    assert_scalar(d, "SELECT count(*) FROM nodes", "1");
    ck_assert_int_eq(db_commit(d, &st), RPC_INTERNAL); /* nothing open any more */
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

/* ---- a server that goes away ------------------------------------------- */

START_TEST(test_reconnect_after_kill)
{
    db_params p;
    db *d = open_base(&p);
    db *killer = db_new(&p);
    assert_scalar(d, "SELECT 1", "1");
    int pid_before = PQbackendPID(db_conn(d));
    kill_backend(d, killer);

    rpc_status st = {0};
    PGresult *r = db_exec(d, &st, "SELECT 1", 0, NULL);
    ck_assert_ptr_null(r);
    ck_assert_msg(st.code == RPC_UNAVAILABLE, "code %d: %s", st.code, st.message);
    /* the very next call reconnects */
    assert_scalar(d, "SELECT 2", "2");
    ck_assert_int_ne(PQbackendPID(db_conn(d)), pid_before);
    db_destroy(killer);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

START_TEST(test_kill_inside_transaction)
{
    db_params p;
    db *d = open_fresh("test_db_killtx", &p);
    ck_assert_int_eq(db_migrate(d), 0);
    db *killer = db_new(&p);
    rpc_status st = {0};
    char msg[RPC_MESSAGE_MAX];

    ck_assert_int_eq(db_begin(d, &st), 0);
    ck_assert_int_eq(insert_node(d, "n1", "half-done", msg, sizeof msg), 0);
    kill_backend(d, killer);
    ck_assert_int_eq(insert_node(d, "n2", "after-kill", msg, sizeof msg), RPC_UNAVAILABLE);
    /* the rest of the transaction must not run in autocommit on a new connection */
    ck_assert_int_eq(insert_node(d, "n3", "after-kill-2", msg, sizeof msg), RPC_UNAVAILABLE);
    ck_assert_int_eq(db_commit(d, &st), RPC_UNAVAILABLE);
    /* the transaction is over; the db works again */
    assert_scalar(d, "SELECT count(*) FROM nodes", "0");

    ck_assert_int_eq(db_begin(d, &st), 0);
    kill_backend(d, killer);
    ck_assert_int_eq(insert_node(d, "n4", "x", msg, sizeof msg), RPC_UNAVAILABLE);
    db_rollback(d);
    ck_assert_int_eq(insert_node(d, "n4", "after-rollback", msg, sizeof msg), 0);
    assert_scalar(d, "SELECT node_name FROM nodes", "after-rollback");
    db_destroy(killer);
    db_destroy(d);
    pgtest_params_clear(&p);
}
END_TEST

static Suite *db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("postgres");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_connect);
    tcase_add_test(tc, test_connect_dsn);
    tcase_add_test(tc, test_connect_unix_socket);
    tcase_add_test(tc, test_unreachable);
    tcase_add_test(tc, test_password_never_logged);
    tcase_add_test(tc, test_migrate_fresh);
    tcase_add_test(tc, test_migrate_concurrent);
    tcase_add_test(tc, test_migrate_failure_rolls_back);
    tcase_add_test(tc, test_error_mapping);
    tcase_add_test(tc, test_transactions);
    tcase_add_test(tc, test_reconnect_after_kill);
    tcase_add_test(tc, test_kill_inside_transaction);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    log_init("test_db", LOG_WARN);
    return check_run(db_suite());
}
