/* qan: the QAN built-in agents pmm-agent runs in process (upstream
 * mysql.go, mongodb.go, postgresql.go qan*AgentConfig): DSN, QAN options
 * and the TLS files with their delimiters. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agents.pb-c.h"
#include "pbutil.h"

/* The DSN each QAN agent type gets (dial timeouts as upstream). */
static char *qan_dsn(const state_src *s, int type, delims d)
{
    const char *db = rec_s(s->service, "database_name", NULL);
    bool sni = !agent_ver_less(s->ver, "2.41.0-0");
    switch (type) {
    case INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT:
    case INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT:
        return dsn_mysql(s, 1, "", true);
    case INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_PROFILER_AGENT:
    case INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_MONGOLOG_AGENT:
        return dsn_mongodb(s, 1, "", d);
    case INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATEMENTS_AGENT:
        return dsn_postgres(s, 5, db, sni, d);
    default: /* pg_stat_monitor */
        return dsn_postgres(s, 1, db, sni, d);
    }
}

int state_qan_agent(const state_src *s, int type, Agent__V1__SetStateRequest__BuiltinAgent **out, rpc_status *st)
{
    json_t *a = s->agent;
    delims d = state_agent_delims(s);
    bool mysql = type == INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_PERFSCHEMA_AGENT ||
                 type == INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT;
    /* pg_stat_statements has no query examples to disable. */
    bool examples = type != INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_POSTGRESQL_PGSTATEMENTS_AGENT;
    /* The MongoDB agents parse no comments. */
    bool comments = type != INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_PROFILER_AGENT &&
                    type != INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MONGODB_MONGOLOG_AGENT;

    char *dsn = qan_dsn(s, type, d);
    ProtobufCMessage *m = dsn ? pb_new(&agent__v1__set_state_request__builtin_agent__descriptor) : NULL;
    ProtobufCMessage *tf = m ? pb_new(&agent__v1__text_files__descriptor) : NULL;
    json_t *files = state_agent_files(a);
    int rc = tf && files ? 0 : -1;
    if (rc == 0)
        rc = pb_set_i32(m, "type", type) | pb_set_str(m, "dsn", dsn) |
             pb_set_i32(m, "max_query_length", (int32_t)rec_i(a, "qan_options", "max_query_length"));
    if (rc == 0 && examples)
        rc = pb_set_bool(m, "disable_query_examples", rec_b(a, "qan_options", "query_examples_disabled"));
    if (rc == 0 && comments)
        rc = pb_set_bool(m, "disable_comments_parsing", rec_b(a, "qan_options", "comments_parsing_disabled"));
    if (rc == 0 && type == INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_QAN_MYSQL_SLOWLOG_AGENT)
        rc = pb_set_i64(m, "max_query_log_size", rec_i(a, "qan_options", "max_query_log_size"));
    if (rc == 0 && mysql)
        rc = pb_set_bool(m, "tls_skip_verify", rec_b(a, "tls_skip_verify", NULL));
    if (rc == 0)
        rc = state_put_files(tf, "files", files) | pb_set_str(tf, "template_left_delim", d.l) |
             pb_set_str(tf, "template_right_delim", d.r);
    if (rc == 0) {
        rc = pb_set_msg(m, "text_files", tf);
        tf = NULL; /* taken, even on failure */
    }
    free(dsn);
    json_decref(files);
    if (tf)
        protobuf_c_message_free_unpacked(tf, NULL);
    if (rc != 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    }
    *out = (Agent__V1__SetStateRequest__BuiltinAgent *)m;
    return RPC_OK;
}
