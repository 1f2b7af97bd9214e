/* service_dsn: a service's DSN and TLS files on a pmm-agent (see service_dsn.h). */
#include "service_dsn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/v1/agent.pb-c.h"
#include "db/agent_row.h"
#include "db/store/agents.h"
#include "db/store/services.h"
#include "pbutil.h"

/* One row of sql ($1 = id) as a record; NULL when none (st untouched) or
 * on error (st set). */
json_t *sdsn_find_service(db *d, const char *id, rpc_status *st)
{
    json_t *s = store_services_get(d, id, st);
    if (!s && st->code == RPC_OK) {
        char q[256];
        rpc_quote(q, sizeof q, id);
        rpc_fail(st, RPC_NOT_FOUND, "Service with ID %s not found.", q);
    }
    return s;
}

static agent_ver pmm_agent_version(db *d, const char *pmm_agent_id)
{
    agent_ver v = { 0 };
    rpc_status st = { 0 };
    json_t *a = store_agents_get(d, pmm_agent_id, &st);
    if (agent_ver_parse(agent_rec_str(a, "version"), &v) != 0)
        v = (agent_ver){ 0 }; /* unknown: the oldest rules */
    json_decref(a);
    return v;
}

/* ---- the service's DSN (models.FindDSNByServiceIDandPMMAgentID) --------------------- */

void sdsn_clear(sdsn_target *t)
{
    json_decref(t->service);
    json_decref(t->agent);
    json_decref(t->files);
    free(t->dsn);
    memset(t, 0, sizeof *t);
}

int sdsn_resolve(db *d, sdsn_target *t, const char *database, rpc_status *st)
{
    static const char *const mysql[] = { "qan-mysql-slowlog-agent", "qan-mysql-perfschema-agent", "mysqld_exporter", NULL };
    static const char *const pg[] = { "qan-postgresql-pgstatements-agent", "qan-postgresql-pgstatmonitor-agent",
                                      "postgres_exporter", NULL };
    static const char *const mongo[] = { "qan-mongodb-profiler-agent", "mongodb_exporter", NULL };
    const char *type = agent_rec_str(t->service, "service_type");
    const char *const *types = strcmp(type, "mysql") == 0        ? mysql
                               : strcmp(type, "postgresql") == 0 ? pg
                               : strcmp(type, "mongodb") == 0    ? mongo
                                                                 : NULL;
    if (!types)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't resolve dsn, as service is unsupported");
    const char *service_id = agent_rec_str(t->service, "service_id");
    for (; *types; types++) {
        json_t *rows = t->pmm_agent_id[0] ? store_agents_of_service(d, service_id, *types, t->pmm_agent_id, st)
                                          : json_array(); /* "" matches no pmm_agent_id here */
        if (!rows)
            return st->code;
        size_t n = json_array_size(rows);
        if (n > 1) {
            json_decref(rows);
            return rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't resolve dsn, as there should be only one agent");
        }
        if (n == 1) {
            t->agent = json_incref(json_array_get(rows, 0));
            json_decref(rows);
            break;
        }
        json_decref(rows);
    }
    if (!t->agent)
        return rpc_fail(st, RPC_FAILED_PRECONDITION, "Couldn't resolve dsn, as there should be one agent");
    t->ver = pmm_agent_version(d, t->pmm_agent_id);
    state_src src = { .agent = t->agent, .service = t->service, .ver = &t->ver };
    t->d = state_agent_delims(&src);
    const char *db_name = *database ? database : agent_rec_str(t->service, "database_name");
    t->dsn = dsn_agent(&src, 1, db_name, t->d);
    t->files = state_agent_files(t->agent);
    if (!t->dsn || !t->files)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    return RPC_OK;
}

/* TextFiles {files, delimiters}. */
ProtobufCMessage *sdsn_text_files(const sdsn_target *t)
{
    ProtobufCMessage *tf = pb_new(&agent__v1__text_files__descriptor);
    if (tf && (state_put_files(tf, "files", t->files) != 0 || pb_set_str(tf, "template_left_delim", t->d.l) != 0 ||
               pb_set_str(tf, "template_right_delim", t->d.r) != 0)) {
        protobuf_c_message_free_unpacked(tf, NULL);
        return NULL;
    }
    return tf;
}

int sdsn_for_service(db *d, const char *service_id, const char *pmm_agent_id, sdsn_target *t, rpc_status *st)
{
    memset(t, 0, sizeof *t);
    snprintf(t->pmm_agent_id, sizeof t->pmm_agent_id, "%s", pmm_agent_id);
    if (!(t->service = sdsn_find_service(d, service_id, st)))
        return st->code;
    return sdsn_resolve(d, t, "", st);
}
