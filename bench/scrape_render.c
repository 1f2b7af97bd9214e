/* bench/scrape_render: the VictoriaMetrics scrape configuration for a
 * large fleet (default 10,000 nodes, each with a pmm-agent, a node_exporter
 * and a MySQL service with its mysqld_exporter: 30,000 agents, 60,000 jobs)
 * in a PostgreSQL given by PMM_POSTGRES_* (bench/scrape.sh makes a
 * throwaway one). Prints, in milliseconds:
 *   read      the agents' query (scrape_load_agents, all rows)
 *   render    the whole file from those rows (scrape_render), median of 5
 *   full      configd's full update: read, render, VictoriaMetrics' dry run
 *             of the whole file, write (scrape_state_full, no reload)
 *   change    one agent changed: inventory.changed published on the bus ->
 *             the new file renamed into place, through configd's own update
 *             thread (scrape_loop), median and worst of 20
 * Targets: full render (read + render) < 500 ms, change < 50 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <msgpack.h>
#include <zmq.h>

#include "bus/bus.h"
#include "config.h"
#include "configd/scrape/scrape.h"
#include "configd/scrape/load.h"
#include "configd/scrape/loop.h"
#include "configd/scrape/state.h"
#include "configd/vm.h"
#include "db/db.h"
#include "log.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this thread: on a shared machine wall time also counts the
 * time other processes held the CPU. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dbl_cmp);
    return v[n / 2];
}

static int exec_sql(db *d, const char *sql)
{
    rpc_status st;
    PGresult *r = db_exec_script(d, &st, sql);
    if (!r) {
        fprintf(stderr, "scrape_render: %s\n", st.message);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* Ids are UUIDs made from md5, as long as real ones. */
static int make_fleet(db *d, int nodes)
{
    char sql[8192];
    snprintf(sql, sizeof sql,
             "TRUNCATE agents, services, nodes CASCADE;"
             "INSERT INTO nodes (node_id, node_type, node_name, distro, node_model, az, address, custom_labels,"
             " created_at, updated_at)"
             " SELECT md5('n' || i)::uuid::text, 'generic', 'bench-node-' || i, 'linux', '', 'az-' || (i %% 3),"
             " '10.' || (i / 65536) || '.' || (i / 256 %% 256) || '.' || (i %% 256), '{\"rack\": \"r' || (i %% 40) || '\"}',"
             " now(), now() FROM generate_series(1, %d) i;"
             "INSERT INTO agents (agent_id, agent_type, runs_on_node_id, disabled, status, version, tls, tls_skip_verify,"
             " created_at, updated_at)"
             " SELECT md5('p' || i)::uuid::text, 'pmm-agent', md5('n' || i)::uuid::text, false, 'AGENT_STATUS_CONNECTED',"
             " '3.0.0', false, false, now(), now() FROM generate_series(1, %d) i;"
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, node_id, disabled, status, listen_port, tls,"
             " tls_skip_verify, created_at, updated_at)"
             " SELECT md5('e' || i)::uuid::text, 'node_exporter', md5('p' || i)::uuid::text, md5('n' || i)::uuid::text,"
             " false, 'AGENT_STATUS_RUNNING', 42000, false, false, now(), now() FROM generate_series(1, %d) i;"
             "INSERT INTO services (service_id, service_type, service_name, node_id, environment, cluster,"
             " replication_set, external_group, address, port, custom_labels, created_at, updated_at)"
             " SELECT md5('s' || i)::uuid::text, 'mysql', 'mysql-' || i, md5('n' || i)::uuid::text, 'prod',"
             " 'cluster-' || (i %% 100), '', '', '127.0.0.1', 3306, '{\"team\": \"db\"}', now(), now()"
             " FROM generate_series(1, %d) i;"
             "INSERT INTO agents (agent_id, agent_type, pmm_agent_id, service_id, disabled, status, listen_port, tls,"
             " tls_skip_verify, created_at, updated_at)"
             " SELECT md5('m' || i)::uuid::text, 'mysqld_exporter', md5('p' || i)::uuid::text,"
             " md5('s' || i)::uuid::text, false, 'AGENT_STATUS_RUNNING', 42001, false, false, now(), now()"
             " FROM generate_series(1, %d) i;"
             "ANALYZE agents; ANALYZE nodes; ANALYZE services;",
             nodes, nodes, nodes, nodes, nodes);
    return exec_sql(d, sql);
}

static void publish_agent(bus_pub *pub, const char *id)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "kind", 4);
    msgpack_pack_str_with_body(&pk, "agent", 5);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, "change", 6);
    msgpack_pack_str_with_body(&pk, "ids", 3);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_str_with_body(&pk, id, strlen(id));
    bus_pub_send(pub, "inventory.changed", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static ino_t inode_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_ino : 0;
}

/* Waits until path is replaced (a new inode); ms waited or -1. */
static double wait_replaced(const char *path, ino_t old, double start, double limit_ms)
{
    for (;;) {
        ino_t now = inode_of(path);
        if (now && now != old)
            return now_ms() - start;
        if (now_ms() - start > limit_ms)
            return -1;
        usleep(200);
    }
}

int main(int argc, char **argv)
{
    db_params p = { 0 };
    int nodes, changes;
    bool render_only;
    char *vm_bin = NULL, *level = NULL;
    const cfg_option opts[] = {
        { "nodes", NULL, CFG_INT, "10000", "nodes (each: pmm-agent, node_exporter, mysqld_exporter)", &nodes },
        { "changes", NULL, CFG_INT, "20", "single-agent changes measured", &changes },
        { "render-only", NULL, CFG_BOOL, "false", "only read and render (for profiling)", &render_only },
        { "victoriametrics-binary", NULL, CFG_STRING, "/usr/bin/victoria-metrics", "dry-run binary", &vm_bin },
        { "log-level", "PMM_LOG_LEVEL", CFG_STRING, "warn", "log level", &level },
        DB_CFG_OPTIONS(&p),
        { NULL },
    };
    if (cfg_parse(opts, argc, argv, "scrape_render", "scrape configuration benchmark") != 0)
        return 2;
    log_level lvl = LOG_WARN;
    log_level_parse(level, &lvl);
    log_init("scrape_render", lvl);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (changes < 1 || changes > 1000)
        changes = 20;

    db *d = db_new(&p);
    if (!d || db_migrate(d) != 0 || make_fleet(d, nodes) != 0)
        return 1;

    /* read + render */
    rpc_status st;
    double t_read[5], t_render[5], c_render[5];
    size_t bytes = 0;
    for (int i = 0; i < 5; i++) {
        double t0 = now_ms();
        scrape_rows rows;
        if (scrape_load_agents(d, NULL, 0, &rows, &st) != RPC_OK) {
            fprintf(stderr, "scrape_render: %s\n", st.message);
            return 1;
        }
        double t1 = now_ms(), c1 = cpu_ms();
        scrape_input in = { .res = { 5000000000LL, 10000000000LL, 60000000000LL },
                            .vm_url = "http://127.0.0.1:9090/prometheus/", .vmalert_url = "http://127.0.0.1:8880/",
                            .managed_target = "127.0.0.1:7773", .agents = rows.agents, .n_agents = rows.n };
        scrape_buf out = { 0 };
        char err[256];
        if (scrape_render(&in, &out, err, sizeof err) != 0) {
            fprintf(stderr, "scrape_render: %s\n", err);
            return 1;
        }
        t_read[i] = t1 - t0;
        t_render[i] = now_ms() - t1;
        c_render[i] = cpu_ms() - c1;
        bytes = out.len;
        sbuf_free(&out);
        scrape_rows_free(&rows);
    }
    double read_ms = median(t_read, 5), render_ms = median(t_render, 5), render_cpu_ms = median(c_render, 5);
    if (render_only) {
        printf("scrape_render: read_ms=%.1f render_ms=%.1f render_cpu_ms=%.1f bytes=%zu\n", read_ms, render_ms,
               render_cpu_ms, bytes);
        return 0;
    }

    char dir[] = "/tmp/pmm-scrape-bench.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char file[256], run_dir[256];
    snprintf(file, sizeof file, "%s/promscrape.yml", dir);
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    mkdir(run_dir, 0700);
    scrape_state_config sc = { .vm = { .binary = vm_bin, .config_path = file, .url = NULL,
                                       .check_timeout_ms = 300000, .http_timeout_ms = 10000 },
                               .base_path = "", .vmalert_url = "http://127.0.0.1:8880/",
                               .managed_target = "127.0.0.1:7773" };

    /* configd's full update, with the dry run of the whole file */
    scrape_state *s = scrape_state_new(&sc);
    double t0 = now_ms();
    int rc = scrape_state_full(s, d, &st);
    double full_ms = now_ms() - t0;
    if (rc != RPC_OK) {
        fprintf(stderr, "scrape_render: full update: %s\n", st.message);
        return 1;
    }
    scrape_state_destroy(s);

    /* one agent changed, through the update thread */
    void *zctx = zmq_ctx_new();
    char ep[512];
    bus_pub_endpoint(ep, sizeof ep, run_dir, "inventoryd");
    bus_pub *pub = bus_pub_new(zctx, ep);
    scrape_loop_config lc = { .zmq_ctx = zctx, .run_dir = run_dir, .db = &p, .scrape = sc };
    ino_t before = inode_of(file);
    scrape_loop *loop = pub ? scrape_loop_start(&lc) : NULL;
    if (!loop || wait_replaced(file, before, now_ms(), 600000) < 0) {
        fprintf(stderr, "scrape_render: the update thread wrote no file\n");
        return 1;
    }
    usleep(300000); /* the subscription is connected */
    double *t_change = calloc((size_t)changes, sizeof *t_change);
    double worst = 0;
    for (int i = 0; i < changes; i++) {
        char sql[512], id[64];
        snprintf(sql, sizeof sql,
                 "UPDATE agents SET custom_labels = '{\"changed\": \"%d\"}' WHERE agent_id = md5('m' || %d)::uuid::text",
                 i, 1 + i * 97 % nodes);
        if (exec_sql(d, sql) != 0)
            return 1;
        snprintf(sql, sizeof sql, "SELECT md5('m' || %d)::uuid::text", 1 + i * 97 % nodes);
        PGresult *r = db_exec_script(d, &st, sql);
        snprintf(id, sizeof id, "%s", r ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        ino_t old = inode_of(file);
        double start = now_ms();
        publish_agent(pub, id);
        t_change[i] = wait_replaced(file, old, start, 60000);
        if (t_change[i] < 0) {
            fprintf(stderr, "scrape_render: change %d not written within 60 s\n", i);
            return 1;
        }
        if (t_change[i] > worst)
            worst = t_change[i];
        usleep(50000);
    }
    double change_ms = median(t_change, changes);
    scrape_loop_stop(loop);
    bus_pub_destroy(pub);
    zmq_ctx_term(zctx);

    printf("scrape_render: nodes=%d agents=%d jobs=%d file_bytes=%zu\n", nodes, nodes * 3, nodes * 6, bytes);
    printf("scrape_render: read_ms=%.1f render_ms=%.1f (cpu %.1f) full_render_ms=%.1f (target < 500: %s)\n",
           read_ms, render_ms, render_cpu_ms, read_ms + render_ms, read_ms + render_ms < 500 ? "met" : "NOT met");
    printf("scrape_render: full_update_with_dry_run_ms=%.1f\n", full_ms);
    printf("scrape_render: change_hint_to_file_ms median=%.1f worst=%.1f of %d (target < 50: %s)\n", change_ms,
           worst, changes, change_ms < 50 ? "met" : "NOT met");

    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "scrape_render: cannot remove %s\n", dir);
    free(t_change);
    db_destroy(d);
    cfg_free(opts);
    return 0;
}
