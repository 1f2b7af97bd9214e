/* exporters: the exporter processes pmm-agent runs (upstream
 * node.go, mysql.go, postgresql.go, mongodb.go, proxysql.go): flags in the
 * exact form and order, DSN environment, TLS text files, basic auth. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agents.pb-c.h"

static int oom(rpc_status *st)
{
    return rpc_fail(st, RPC_INTERNAL, "out of memory");
}

/* Sorts args, makes the process and adds basic auth per §12.3 when
 * min_auth is set. Frees the lists. */
static int finish(int type, delims d, strv *args, strv *env, json_t *files, strv *redact, json_t *agent,
                  const agent_ver *v, const char *min_auth, bool new_flag,
                  Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    strv_sort(args);
    Agent__V1__SetStateRequest__AgentProcess *p = NULL;
    int rc = RPC_OK;
    if (args->oom || (env && env->oom) || (redact && redact->oom) || !(p = state_process(type, d, args, env, files, redact)))
        rc = oom(st);
    else if (min_auth && state_auth_params(p, agent, v, min_auth, new_flag, st) != 0)
        rc = st->code;
    strv_free(args);
    if (env)
        strv_free(env);
    if (redact)
        strv_free(redact);
    if (rc != RPC_OK && p)
        protobuf_c_message_free_unpacked(&p->base, NULL);
    *out = rc == RPC_OK ? p : NULL;
    return rc;
}

/* "--web.listen-address=<addr>:<l> .listen_port <r>" (prefix "-" or "--"). */
static void listen_flag(strv *args, const char *dashes, const char *addr, delims d)
{
    strv_addf(args, "%sweb.listen-address=%s:%s .listen_port %s", dashes, addr, d.l, d.r);
}

static json_t *disabled_collectors(json_t *agent)
{
    json_t *v = json_object_get(json_object_get(agent, "exporter_options"), "disabled_collectors");
    return json_is_array(v) ? v : NULL;
}

/* ---- node_exporter ------------------------------------------------------------------ */

static const char *const node_collectors[] = {
    /* LR */
    "--collector.bonding", "--collector.entropy", "--collector.uname", "--collector.textfile.lr",
    /* MR */
    "--collector.textfile.mr", "--collector.hwmon",
    /* HR */
    "--collector.buddyinfo", "--collector.cpu", "--collector.diskstats", "--collector.filefd",
    "--collector.filesystem", "--collector.loadavg", "--collector.meminfo", "--collector.meminfo_numa",
    "--collector.netdev", "--collector.netstat", "--collector.processes", "--collector.stat", "--collector.time",
    "--collector.vmstat", "--collector.textfile.hr", "--collector.standard.go", "--collector.standard.process",
    /* disabled */
    "--no-collector.arp", "--no-collector.bcache", "--no-collector.conntrack", "--no-collector.drbd",
    "--no-collector.edac", "--no-collector.infiniband", "--no-collector.interrupts", "--no-collector.ipvs",
    "--no-collector.ksmd", "--no-collector.logind", "--no-collector.mdadm", "--no-collector.mountstats",
    "--no-collector.netclass", "--no-collector.nfs", "--no-collector.nfsd", "--no-collector.ntp",
    "--no-collector.qdisc", "--no-collector.runit", "--no-collector.sockstat", "--no-collector.supervisord",
    "--no-collector.systemd", "--no-collector.tcpstat", "--no-collector.timex", "--no-collector.wifi",
    "--no-collector.xfs", "--no-collector.zfs",
    "--collector.netstat.fields=^(.*_(InErrors|InErrs|InCsumErrors)"
    "|Tcp_(ActiveOpens|PassiveOpens|RetransSegs|CurrEstab|AttemptFails|OutSegs|InSegs|EstabResets|OutRsts|OutSegs)|Tcp_Rto(Algorithm|Min|Max)"
    "|Udp_(RcvbufErrors|SndbufErrors)|Udp(6?|Lite6?)_(InDatagrams|OutDatagrams|RcvbufErrors|SndbufErrors|NoPorts)"
    "|Icmp6?_(OutEchoReps|OutEchos|InEchos|InEchoReps|InAddrMaskReps|InAddrMasks|OutAddrMaskReps|OutAddrMasks|InTimestampReps|InTimestamps"
    "|OutTimestampReps|OutTimestamps|OutErrors|InDestUnreachs|OutDestUnreachs|InTimeExcds|InRedirects|OutRedirects|InMsgs|OutMsgs)"
    "|IcmpMsg_(InType3|OutType3)|Ip(6|Ext)_(InOctets|OutOctets)|Ip_Forwarding|TcpExt_(Listen.*|Syncookies.*|TCPTimeouts))$",
    "--collector.vmstat.fields=^(pg(steal_(kswapd|direct)|refill|alloc)_(movable|normal|dma3?2?)"
    "|nr_(dirty.*|slab.*|vmscan.*|isolated.*|free.*|shmem.*|i?n?active.*|anon_transparent_.*|writeback.*|unstable"
    "|unevictable|mlock|mapped|bounce|page_table_pages|kernel_stack)|drop_slab|slabs_scanned|pgd?e?activate"
    "|pgpg(in|out)|pswp(in|out)|pgm?a?j?fault)$",
    NULL,
};

int state_node_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    const char *metrics_path = rec_s(a, "exporter_options", "metrics_path");
    delims d = delims_pick(&metrics_path, 1);
    char *base = state_paths_base(s->ver, d);
    if (!base)
        return oom(st);
    strv args = { 0 };
    strv_addf(&args, "--collector.textfile.directory.lr=%s/collectors/textfile-collector/low-resolution", base);
    strv_addf(&args, "--collector.textfile.directory.mr=%s/collectors/textfile-collector/medium-resolution", base);
    strv_addf(&args, "--collector.textfile.directory.hr=%s/collectors/textfile-collector/high-resolution", base);
    free(base);
    strv_add(&args, "--web.disable-exporter-metrics"); /* part of the HR metrics */
    listen_flag(&args, "--", state_listen_address(a), d);
    /* Many collectors are Linux-only: macOS keeps the defaults. */
    if (strcmp(rec_s(s->node, "distro", NULL), "darwin") != 0)
        for (const char *const *c = node_collectors; *c; c++)
            strv_add(&args, *c);
    strv_filter_collectors(&args, "--collector.", disabled_collectors(a));
    if (*metrics_path)
        strv_addf(&args, "--web.telemetry-path=%s", metrics_path);
    state_with_log_level(&args, a, s->ver, false);
    return finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_NODE_EXPORTER, d, &args, NULL, NULL, NULL, a, s->ver,
                  "2.28.0-0", !agent_ver_less(s->ver, "3.0.0-0"), out, st);
}

/* ---- mysqld_exporter ---------------------------------------------------------------- */

static const char *const mysql_collectors[] = {
    /* LR */
    "--collect.binlog_size", "--collect.engine_tokudb_status", "--collect.global_variables", "--collect.heartbeat",
    "--collect.info_schema.clientstats", "--collect.info_schema.userstats", "--collect.perf_schema.eventsstatements",
    "--collect.custom_query.lr",
    /* MR */
    "--collect.engine_innodb_status", "--collect.info_schema.innodb_cmp", "--collect.info_schema.innodb_cmpmem",
    "--collect.info_schema.processlist", "--collect.info_schema.query_response_time",
    "--collect.perf_schema.eventswaits", "--collect.perf_schema.file_events", "--collect.slave_status",
    "--collect.custom_query.mr",
    /* HR */
    "--collect.global_status", "--collect.info_schema.innodb_metrics", "--collect.custom_query.hr",
    "--collect.standard.go", "--collect.standard.process",
    "--exporter.max-idle-conns=3", "--exporter.max-open-conns=3", "--exporter.conn-max-lifetime=55s",
    "--exporter.global-conn-pool",
    NULL,
};

/* Kept in step with the scrape configuration's tablestats group. */
static const char *const mysql_tablestats[] = {
    "--collect.info_schema.innodb_tablespaces", "--collect.auto_increment.columns", "--collect.info_schema.tables",
    "--collect.info_schema.tablestats", "--collect.perf_schema.indexiowaits", "--collect.perf_schema.tableiowaits",
    "--collect.perf_schema.file_instances", "--collect.perf_schema.tablelocks",
    NULL,
};

/* models.Agent.IsMySQLTablestatsGroupEnabled. */
static bool tablestats_enabled(json_t *a)
{
    long long limit = rec_i(a, "mysql_options", "table_count_tablestats_group_limit");
    if (limit == 0)
        return true;
    if (limit < 0)
        return false;
    if (!rec_has(a, "mysql_options", "table_count"))
        return true;
    return rec_i(a, "mysql_options", "table_count") <= limit;
}

int state_mysqld_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    delims d = state_agent_delims(s);
    char *base = state_paths_base(s->ver, d);
    if (!base)
        return oom(st);
    strv args = { 0 };
    for (const char *const *c = mysql_collectors; *c; c++)
        strv_add(&args, *c);
    strv_addf(&args, "--collect.custom_query.lr.directory=%s/collectors/custom-queries/mysql/low-resolution", base);
    strv_addf(&args, "--collect.custom_query.mr.directory=%s/collectors/custom-queries/mysql/medium-resolution", base);
    strv_addf(&args, "--collect.custom_query.hr.directory=%s/collectors/custom-queries/mysql/high-resolution", base);
    free(base);
    listen_flag(&args, "--", state_listen_address(a), d);
    if (!agent_ver_less(s->ver, "2.36.0-0"))
        strv_add(&args, "--collect.plugins");
    if (tablestats_enabled(a))
        for (const char *const *c = mysql_tablestats; *c; c++)
            strv_add(&args, *c);
    strv_filter_collectors(&args, "--collect.", disabled_collectors(a));
    const char *metrics_path = rec_s(a, "exporter_options", "metrics_path");
    if (*metrics_path)
        strv_addf(&args, "--web.telemetry-path=%s", metrics_path);
    json_t *files = state_agent_files(a);
    if (json_object_size(files)) {
        if (json_object_get(files, "tlsCa"))
            strv_addf(&args, "--mysql.ssl-ca-file=%s .TextFiles.tlsCa %s", d.l, d.r);
        if (json_object_get(files, "tlsCert"))
            strv_addf(&args, "--mysql.ssl-cert-file=%s .TextFiles.tlsCert %s", d.l, d.r);
        if (json_object_get(files, "tlsKey"))
            strv_addf(&args, "--mysql.ssl-key-file=%s .TextFiles.tlsKey %s", d.l, d.r);
        if (rec_b(a, "tls_skip_verify", NULL))
            strv_add(&args, "--mysql.ssl-skip-verify");
    }
    state_with_log_level(&args, a, s->ver, false);

    strv env = { 0 }, redact = { 0 };
    char *dsn = dsn_mysql(s, 1, "", false);
    if (dsn)
        strv_addf(&env, "DATA_SOURCE_NAME=%s", dsn);
    else
        env.oom = true;
    free(dsn);
    strv_addf(&env, "HTTP_AUTH=pmm:%s", state_agent_password(a));
    state_redact_words(&redact, a);
    int rc = finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MYSQLD_EXPORTER, d, &args, &env, files, &redact, a, s->ver,
                    NULL, false, out, st);
    json_decref(files);
    return rc;
}

/* ---- postgres_exporter ---------------------------------------------------------------- */

static const char *const pg_default_collectors[] = {
    "database", "database_wraparound", "extensions", "locks", "replication", "replication_slot",
    "stat_bgwriter", "stat_database", "stat_user_tables", "statio_user_tables", "wal", NULL,
};

/* Auto-discovery of databases: the limit unset or 0 means the server's
 * default of 50, negative means never. */
static bool pg_auto_discovery(json_t *a)
{
    if (!rec_has(a, "postgresql_options", "auto_discovery_limit"))
        return true;
    long long limit = rec_i(a, "postgresql_options", "auto_discovery_limit");
    long long count = rec_i(a, "postgresql_options", "database_count");
    if (limit == 0)
        return count <= 50;
    if (limit < 0)
        return false;
    return count <= limit;
}

int state_postgres_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    const char *database = rec_s(s->service, "database_name", NULL);
    if (!*database)
        return rpc_fail(st, RPC_INTERNAL, "database name not set");
    delims d = state_agent_delims(s);
    char *base = state_paths_base(s->ver, d);
    if (!base)
        return oom(st);
    strv args = { 0 };
    strv_add(&args, "--collect.custom_query.lr");
    strv_add(&args, "--collect.custom_query.mr");
    strv_add(&args, "--collect.custom_query.hr");
    strv_addf(&args, "--collect.custom_query.lr.directory=%s/collectors/custom-queries/postgresql/low-resolution", base);
    strv_addf(&args, "--collect.custom_query.mr.directory=%s/collectors/custom-queries/postgresql/medium-resolution", base);
    strv_addf(&args, "--collect.custom_query.hr.directory=%s/collectors/custom-queries/postgresql/high-resolution", base);
    free(base);
    listen_flag(&args, "--", state_listen_address(a), d);
    /* Agents before 2.16 have no auto-discovery. */
    if (!agent_ver_less(s->ver, "2.15.99") && pg_auto_discovery(a)) {
        strv_add(&args, "--auto-discover-databases");
        strv_add(&args, "--exclude-databases=template0,template1,cloudsqladmin,pmm-managed-dev,azure_maintenance,rdsadmin");
    }
    long long max_conns = rec_i(a, "postgresql_options", "max_exporter_connections");
    if (!agent_ver_less(s->ver, "2.41.2-0") && max_conns != 0)
        strv_addf(&args, "--max-connections=%lld", max_conns);
    const char *metrics_path = rec_s(a, "exporter_options", "metrics_path");
    if (*metrics_path)
        strv_addf(&args, "--web.telemetry-path=%s", metrics_path);
    strv_filter_collectors(&args, "--collect.", disabled_collectors(a));
    if (!agent_ver_less(s->ver, "2.41.0-0"))
        strv_disable_defaults(&args, "--no-collector.", pg_default_collectors, disabled_collectors(a));
    state_with_log_level(&args, a, s->ver, false);

    /* RDS and Azure need longer to answer. */
    int timeout = strcmp(rec_s(s->node, "node_type", NULL), "remote_rds") == 0 ||
                          *rec_s(a, "azure_options", "client_id") ? 5 : 1;
    strv env = { 0 }, redact = { 0 };
    char *dsn = dsn_postgres(s, timeout, database, !agent_ver_less(s->ver, "2.41.0-0"), d);
    if (dsn)
        strv_addf(&env, "DATA_SOURCE_NAME=%s", dsn);
    else
        env.oom = true;
    free(dsn);
    state_redact_words(&redact, a);
    json_t *files = state_agent_files(a);
    int rc = finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_POSTGRES_EXPORTER, d, &args, &env, files, &redact, a, s->ver,
                    "2.30.99", false, out, st);
    json_decref(files);
    return rc;
}

/* ---- mongodb_exporter ------------------------------------------------------------------ */

static void mongo_args(const state_src *s, delims d, strv *args)
{
    json_t *a = s->agent;
    const agent_ver *v = s->ver;
    const char *addr = state_listen_address(a);
    json_t *disabled = disabled_collectors(a);
    if (agent_ver_less(v, "2.9.99")) {
        strv_add(args, "--collect.collection");
        strv_add(args, "--collect.database");
        strv_add(args, "--collect.topmetrics");
        strv_add(args, "--no-collect.connpoolstats");
        strv_add(args, "--no-collect.indexusage");
        listen_flag(args, "--", addr, d);
        strv_filter_collectors(args, "--collect.", disabled);
        return;
    }
    strv_add(args, "--mongodb.global-conn-pool");
    strv_add(args, "--compatible-mode");
    listen_flag(args, "--", addr, d);
    if (agent_ver_less(v, "2.25.0-0"))
        return;
    strv_add(args, "--discovering-mode");
    bool all = rec_b(a, "mongo_options", "enable_all_collectors");
    static const char *const old_defaults[] = { "diagnosticdata", "replicasetstatus", NULL };
    static const char *const no_defaults[] = { NULL };
    const char *const *defaults = old_defaults;
    if (!agent_ver_less(v, "2.26.0-0")) {
        defaults = no_defaults;
        strv_add(args, "--collector.diagnosticdata");
        strv_add(args, "--collector.replicasetstatus");
        if (all) {
            strv_add(args, "--collector.collstats");
            strv_add(args, "--collector.dbstats");
            strv_add(args, "--collector.indexstats");
            strv_add(args, "--collector.topmetrics");
        }
    }
    if (!agent_ver_less(v, "2.41.1-0") && all)
        strv_add(args, "--collector.shards");
    if (!agent_ver_less(v, "2.42.0-0") && all)
        strv_add(args, "--collector.currentopmetrics");
    if (!agent_ver_less(v, "2.43.0-0")) {
        strv_add(args, "--collector.fcv");
        strv_add(args, "--collector.pbm");
    }
    strv_filter_collectors(args, "--collector.", disabled);
    strv_disable_defaults(args, "--no-collector.", defaults, disabled);

    json_t *colls = json_object_get(json_object_get(a, "mongo_options"), "stats_collections");
    if (json_array_size(colls)) {
        strv joined = { 0 };
        size_t i;
        json_t *c;
        json_array_foreach(colls, i, c) strv_add(&joined, json_string_value(c) ? json_string_value(c) : "");
        size_t len = 1;
        for (i = 0; i < joined.n; i++)
            len += strlen(joined.v[i]) + 1;
        char *list = calloc(1, len);
        for (i = 0; list && i < joined.n; i++) {
            if (i)
                strcat(list, ",");
            strcat(list, joined.v[i]);
        }
        if (list) {
            strv_addf(args, "--mongodb.collstats-colls=%s", list);
            if (!agent_ver_less(v, "2.26.0-0"))
                strv_addf(args, "--mongodb.indexstats-colls=%s", list);
        } else {
            args->oom = true;
        }
        free(list);
        strv_free(&joined);
    }
    long long limit = 200;
    if (rec_i(a, "mongo_options", "collections_limit") != -1)
        limit = rec_i(a, "mongo_options", "collections_limit");
    strv_addf(args, "--collector.collstats-limit=%lld", limit);
}

int state_mongodb_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    delims d = state_agent_delims(s);
    strv args = { 0 };
    mongo_args(s, d, &args);
    const char *metrics_path = rec_s(a, "exporter_options", "metrics_path");
    if (*metrics_path)
        strv_addf(&args, "--web.telemetry-path=%s", metrics_path);
    state_with_log_level(&args, a, s->ver, true);

    strv env = { 0 }, redact = { 0 };
    char *dsn = dsn_mongodb(s, 1, rec_s(a, "mongo_options", "authentication_database"), d);
    if (dsn)
        strv_addf(&env, "MONGODB_URI=%s", dsn);
    else
        env.oom = true;
    free(dsn);
    state_redact_words(&redact, a);
    json_t *files = state_agent_files(a);
    int rc = finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_MONGODB_EXPORTER, d, &args, &env, files, &redact, a, s->ver,
                    "2.28.0-0", false, out, st);
    json_decref(files);
    return rc;
}

/* ---- proxysql_exporter ------------------------------------------------------------------ */

int state_proxysql_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    json_t *a = s->agent;
    delims d = state_agent_delims(s);
    strv args = { 0 };
    strv_add(&args, "-collect.mysql_connection_list");
    strv_add(&args, "-collect.mysql_connection_pool");
    strv_add(&args, "-collect.mysql_status");
    strv_add(&args, "-collect.stats_memory_metrics");
    listen_flag(&args, "-", state_listen_address(a), d);
    if (!agent_ver_less(s->ver, "2.18.99"))
        strv_add(&args, "-collect.stats_command_counter");
    if (!agent_ver_less(s->ver, "2.20.99"))
        strv_add(&args, "-collect.runtime_mysql_servers");
    const char *metrics_path = rec_s(a, "exporter_options", "metrics_path");
    if (*metrics_path)
        strv_addf(&args, "-web.telemetry-path=%s", metrics_path);
    strv_filter_collectors(&args, "-collect.", disabled_collectors(a));
    state_with_log_level(&args, a, s->ver, true);

    strv env = { 0 }, redact = { 0 };
    char *dsn = dsn_mysql(s, 1, "", false);
    if (dsn)
        strv_addf(&env, "DATA_SOURCE_NAME=%s", dsn);
    else
        env.oom = true;
    free(dsn);
    strv_addf(&env, "HTTP_AUTH=pmm:%s", state_agent_password(a));
    state_redact_words(&redact, a);
    return finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_PROXYSQL_EXPORTER, d, &args, &env, NULL, &redact, a, s->ver,
                  NULL, false, out, st);
}

/* ---- valkey_exporter ------------------------------------------------------------------- */

/* Upstream's builder is still a placeholder (PMM-13837): only the log level. */
int state_valkey_exporter(const state_src *s, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    strv args = { 0 };
    state_with_log_level(&args, s->agent, s->ver, true);
    return finish(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VALKEY_EXPORTER, state_agent_delims(s), &args, NULL, NULL,
                  NULL, s->agent, s->ver, NULL, false, out, st);
}
