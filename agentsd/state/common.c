/* common: what every exporter process shares upstream (agents.go,
 * log_level.go, models.Agent): delimiters, listen address, paths base,
 * log level, agent password and basic-auth web config, redaction words,
 * TLS text files, and assembling the AgentProcess message. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/v1/agents.pb-c.h"
#include "pbutil.h"
#include "agentsd/webcfg.h"

delims state_agent_delims(const state_src *s)
{
    const char *v[5] = {
        rec_s(s->service, "address", NULL),
        rec_s(s->agent, "username", NULL),
        rec_s(s->agent, "password", NULL),
        rec_s(s->agent, "exporter_options", "metrics_path"),
        NULL,
    };
    const char *type = rec_s(s->service, "service_type", NULL);
    if (strcmp(type, "mysql") == 0)
        v[4] = rec_s(s->agent, "mysql_options", "tls_key");
    else if (strcmp(type, "mongodb") == 0)
        v[4] = rec_s(s->agent, "mongo_options", "tls_certificate_key_file_password");
    else if (strcmp(type, "postgresql") == 0)
        v[4] = rec_s(s->agent, "postgresql_options", "ssl_key");
    return delims_pick(v, 5);
}

const char *state_listen_address(json_t *agent)
{
    if (rec_b(agent, "exporter_options", "expose_exporter"))
        return "0.0.0.0";
    if (rec_b(agent, "exporter_options", "push_metrics"))
        return "127.0.0.1";
    return "0.0.0.0";
}

char *state_paths_base(const agent_ver *v, delims d)
{
    char *s = NULL;
    if (agent_ver_less(v, "2.22.99"))
        return strdup("/usr/local/percona/pmm");
    return asprintf(&s, "%s .paths_base %s", d.l, d.r) < 0 ? NULL : s;
}

void state_with_log_level(strv *args, json_t *agent, const agent_ver *v, bool fatal_ok)
{
    const char *level = rec_s(agent, "log_level", NULL);
    if (!*level || agent_ver_less(v, "2.27.99"))
        return;
    /* Some exporters dropped --log.level=fatal; stored fatal means error. */
    if (!fatal_ok && strcmp(level, "fatal") == 0)
        level = "error";
    strv_addf(args, "--log.level=%s", level);
}

const char *state_agent_password(json_t *agent)
{
    const char *p = rec_s(agent, "agent_password", NULL);
    return *p ? p : rec_s(agent, "agent_id", NULL);
}

void state_redact_words(strv *words, json_t *agent)
{
    static const struct {
        const char *col, *key;
    } secrets[] = {
        { "password", NULL },
        { "agent_password", NULL },
        { "aws_options", "aws_secret_key" },
        { "azure_options", "client_secret" },
        { "mongo_options", "tls_certificate_key" },
        { "mongo_options", "tls_certificate_key_file_password" },
        { "mysql_options", "tls_key" },
        { "postgresql_options", "ssl_key" },
    };
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        const char *s = rec_s(agent, secrets[i].col, secrets[i].key);
        if (*s)
            strv_add(words, s);
    }
}

/* Placeholders of models.Agent.Files for MongoDB and PostgreSQL. */
#define CA_FILE "caFilePlaceholder"
#define CERT_FILE "certificateFilePlaceholder"
#define CERT_KEY_FILE "certificateKeyFilePlaceholder"

static void put_file(json_t *files, const char *name, const char *content)
{
    if (*content)
        json_object_set_new(files, name, json_string(content));
}

json_t *state_agent_files(json_t *agent)
{
    const char *type = rec_s(agent, "agent_type", NULL);
    json_t *files = json_object();
    if (!files)
        return NULL;
    if (strcmp(type, "mysqld_exporter") == 0 || strncmp(type, "qan-mysql-", 10) == 0) {
        put_file(files, "tlsCa", rec_s(agent, "mysql_options", "tls_ca"));
        put_file(files, "tlsCert", rec_s(agent, "mysql_options", "tls_cert"));
        put_file(files, "tlsKey", rec_s(agent, "mysql_options", "tls_key"));
    } else if (strcmp(type, "mongodb_exporter") == 0 || strncmp(type, "qan-mongodb-", 12) == 0) {
        put_file(files, CA_FILE, rec_s(agent, "mongo_options", "tls_ca"));
        put_file(files, CERT_KEY_FILE, rec_s(agent, "mongo_options", "tls_certificate_key"));
    } else if (strcmp(type, "postgres_exporter") == 0 || strncmp(type, "qan-postgresql-", 15) == 0) {
        put_file(files, CA_FILE, rec_s(agent, "postgresql_options", "ssl_ca"));
        put_file(files, CERT_FILE, rec_s(agent, "postgresql_options", "ssl_cert"));
        put_file(files, CERT_KEY_FILE, rec_s(agent, "postgresql_options", "ssl_key"));
    }
    return files;
}

/* ---- messages ------------------------------------------------------------------------ */

int state_map_put(ProtobufCMessage *m, const char *field, const char *key, const char *value)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return -1;
    ProtobufCMessage *e = pb_new(f->descriptor);
    if (!e || pb_set_str(e, "key", key) != 0 || pb_set_str(e, "value", value) != 0) {
        if (e)
            protobuf_c_message_free_unpacked(e, NULL);
        return -1;
    }
    return pb_append_msg(m, field, e) == 0 ? 0 : -1;
}

static int append_all(ProtobufCMessage *m, const char *field, const strv *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (pb_append_str(m, field, l->v[i]) != 0)
            return -1;
    return l && l->oom ? -1 : 0;
}

/* Adds files (sorted by name, so the request is the same every time). */
int state_put_files(ProtobufCMessage *m, const char *field, json_t *files)
{
    strv names = { 0 };
    const char *k;
    json_t *v;
    json_object_foreach(files, k, v) strv_add(&names, k);
    strv_sort(&names);
    int rc = names.oom ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        rc = state_map_put(m, field, names.v[i], json_string_value(json_object_get(files, names.v[i])));
    strv_free(&names);
    return rc;
}

Agent__V1__SetStateRequest__AgentProcess *state_process(int type, delims d, const strv *args, const strv *env,
                                                        json_t *files, const strv *redact)
{
    ProtobufCMessage *p = pb_new(&agent__v1__set_state_request__agent_process__descriptor);
    if (!p)
        return NULL;
    if (pb_set_i32(p, "type", type) != 0 || pb_set_str(p, "template_left_delim", d.l) != 0 ||
        pb_set_str(p, "template_right_delim", d.r) != 0 || append_all(p, "args", args) != 0 ||
        append_all(p, "env", env) != 0 || state_put_files(p, "text_files", files) != 0 ||
        append_all(p, "redact_words", redact) != 0) {
        protobuf_c_message_free_unpacked(p, NULL);
        return NULL;
    }
    return (Agent__V1__SetStateRequest__AgentProcess *)p;
}

/* ---- basic auth ------------------------------------------------------------------------- */

/* models.Agent.BuildWebConfigFile: bcrypt (cost 10, "$2a$") of the agent
 * password with a salt taken from the agent id, so the file is the same on
 * every build and pmm-agent does not restart the exporter for nothing. */
static char *web_config(json_t *agent)
{
    char *hash = webcfg_hash(rec_s(agent, "agent_id", NULL), state_agent_password(agent));
    char *out = NULL;
    if (hash && asprintf(&out, "basic_auth_users:\n    pmm: %s\n", hash) < 0)
        out = NULL;
    free(hash);
    return out;
}

int state_auth_params(Agent__V1__SetStateRequest__AgentProcess *p, json_t *agent, const agent_ver *v,
                      const char *min_auth, bool new_flag, rpc_status *st)
{
    ProtobufCMessage *m = &p->base;
    if (agent_ver_less(v, min_auth)) {
        char *env = NULL;
        int rc = asprintf(&env, "HTTP_AUTH=pmm:%s", state_agent_password(agent)) < 0 ? -1 : pb_append_str(m, "env", env);
        free(env);
        if (rc != 0)
            rpc_fail(st, RPC_INTERNAL, "out of memory");
        return rc == 0 ? 0 : -1;
    }
    char *wcf = web_config(agent);
    if (!wcf) {
        rpc_fail(st, RPC_INTERNAL, "Failed to hash password");
        return -1;
    }
    char *arg = NULL;
    int rc = state_map_put(m, "text_files", "webConfigPlaceholder", wcf);
    if (rc == 0 && asprintf(&arg, "%s=%s .TextFiles.webConfigPlaceholder %s", new_flag ? "--web.config.file" : "--web.config",
                            p->template_left_delim, p->template_right_delim) < 0)
        rc = -1;
    if (rc == 0)
        rc = pb_append_str(m, "args", arg);
    free(arg);
    free(wcf);
    if (rc != 0)
        rpc_fail(st, RPC_INTERNAL, "out of memory");
    return rc == 0 ? 0 : -1;
}
