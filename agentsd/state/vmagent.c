/* vmagent: the vmagent process of a pmm-agent's SetState
 * (agent-protocol.md §12.9, upstream vmagent.go): its arguments, its
 * VMAGENT_* environment (defaults, each left out when pmm-managed's own
 * environment sets that variable, then every VMAGENT_* variable of that
 * environment) and the push-mode scrape YAML, asked of configd. */
#include <stdlib.h>
#include <string.h>

#include "agent/v1/agent.pb-c.h"
#include "bus/peers.h"
#include "internal/v1/scrape.pb-c.h"
#include "inventory/v1/agents.pb-c.h"
#include "log.h"
#include "internal.h"
#include "agentsd/vmagent.h"

extern char **environ;

#define ENV_PREFIX "VMAGENT_"
#define CONFIGD_TIMEOUT_MS 5000

/* The push-mode scrape YAML of pmm_agent_id from configd (malloc'd). */
static int fetch_yaml(const char *pmm_agent_id, char **yaml, rpc_status *st)
{
    *yaml = NULL;
    bus_client *c = bus_peers_get("configd");
    if (!c)
        return rpc_fail(st, RPC_UNAVAILABLE, "no bus client for configd");
    Internal__V1__AgentConfigRequest req = INTERNAL__V1__AGENT_CONFIG_REQUEST__INIT;
    req.pmm_agent_id = (char *)pmm_agent_id;
    size_t len = internal__v1__agent_config_request__get_packed_size(&req);
    uint8_t *body = malloc(len ? len : 1);
    if (!body)
        return rpc_fail(st, RPC_INTERNAL, "out of memory");
    internal__v1__agent_config_request__pack(&req, body);
    bus_request breq = { .method = "/internal.v1.ScrapeService/AgentConfig", .user = "", .role = "",
                         .body = body, .body_len = len };
    bus_reply rep;
    int code = bus_client_call(c, &breq, CONFIGD_TIMEOUT_MS, &rep);
    free(body);
    if (code != RPC_OK) {
        rpc_fail(st, code, "cannot get the scrape configuration of %s: %s", pmm_agent_id,
                 rep.message ? rep.message : "no answer");
        bus_reply_clear(&rep);
        return code;
    }
    Internal__V1__AgentConfigResponse *resp = internal__v1__agent_config_response__unpack(NULL, rep.body_len, rep.body);
    bus_reply_clear(&rep);
    if (!resp)
        return rpc_fail(st, RPC_INTERNAL, "configd: bad AgentConfig reply");
    *yaml = strdup(resp->yaml ? resp->yaml : "");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return *yaml ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "out of memory");
}

/* The VMAGENT_* variables of pmm-managed's own environment. */
static void injected_env(strv *out)
{
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0 && strchr(*e, '='))
            strv_add(out, *e);
}

static bool injected_has(const strv *inj, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < inj->n; i++)
        if (strncmp(inj->v[i], name, n) == 0 && inj->v[i][n] == '=')
            return true;
    return false;
}

static void add_default(strv *env, const strv *inj, const char *name, const char *value)
{
    if (!injected_has(inj, name))
        strv_addf(env, "%s=%s", name, value);
}

/* A bearer token, an OAuth2 client or half a basic-auth pair among the
 * injected variables takes the place of PMM's own credentials. */
static bool injected_auth(const strv *inj)
{
    static const char *const names[] = { "VMAGENT_remoteWrite_bearerToken", "VMAGENT_remoteWrite_bearerTokenFile",
                                         "VMAGENT_remoteWrite_oauth2_clientID",
                                         "VMAGENT_remoteWrite_basicAuth_username",
                                         "VMAGENT_remoteWrite_basicAuth_usernameFile",
                                         "VMAGENT_remoteWrite_basicAuth_password",
                                         "VMAGENT_remoteWrite_basicAuth_passwordFile", NULL };
    for (size_t i = 0; names[i]; i++)
        if (injected_has(inj, names[i]))
            return true;
    return false;
}

bool vmagent_vm_external(char *url, size_t urllen, char *user, size_t userlen, char *pass, size_t passlen)
{
    const char *v = getenv("PMM_VM_URL");
    *user = *pass = '\0';
    if (!v || !*v)
        return false;
    const char *hostp = strstr(v, "://");
    size_t scheme = hostp ? (size_t)(hostp + 3 - v) : 0;
    hostp = v + scheme;
    size_t auth_end = strcspn(hostp, "/?#");
    const char *at = memchr(hostp, '@', auth_end);
    const char *host = at ? at + 1 : hostp;
    if (strncmp(host, "127.0.0.1", 9) == 0 && strchr(":/", host[9]))
        return false;
    if (at) {
        size_t ui = (size_t)(at - hostp), colon = strcspn(hostp, ":");
        if (colon > ui)
            colon = ui;
        snprintf(user, userlen, "%.*s", (int)colon, hostp);
        if (colon < ui)
            snprintf(pass, passlen, "%.*s", (int)(ui - colon - 1), hostp + colon + 1);
    }
    size_t n = strlen(host);
    snprintf(url, urllen, "%.*s%s%s", (int)scheme, v, host, n && host[n - 1] == '/' ? "" : "/");
    return true;
}

int state_vmagent(const char *pmm_agent_id, Agent__V1__SetStateRequest__AgentProcess **out, rpc_status *st)
{
    *out = NULL;
    char *yaml = NULL;
    if (fetch_yaml(pmm_agent_id, &yaml, st) != RPC_OK)
        return st->code;
    const char *bind = getenv("PMM_INTERFACE_TO_BIND");
    const char *size = getenv("PMM_PROMSCRAPE_MAX_SCRAPE_SIZE");
    char url[2048], user[512], pass[512], write_url[2100];
    bool external = vmagent_vm_external(url, sizeof url, user, sizeof user, pass, sizeof pass);
    snprintf(write_url, sizeof write_url, "%sapi/v1/write", external ? url : "{{.server_url}}/victoriametrics/");

    strv args = { 0 }, env = { 0 }, inj = { 0 };
    strv_add(&args, "-envflag.enable=true");
    strv_add(&args, "-envflag.prefix=VMAGENT_");
    strv_add(&args, "-remoteWrite.tmpDataPath={{.tmp_dir}}/vmagent-temp-dir");
    strv_add(&args, "-promscrape.config={{.TextFiles.vmagentscrapecfg}}");
    strv_addf(&args, "-httpListenAddr=%s:{{.listen_port}}", bind && *bind ? bind : "127.0.0.1");
    strv_sort(&args);

    injected_env(&inj);
    add_default(&env, &inj, "VMAGENT_remoteWrite_url", write_url);
    add_default(&env, &inj, "VMAGENT_remoteWrite_tlsInsecureSkipVerify", "{{.server_insecure}}");
    add_default(&env, &inj, "VMAGENT_promscrape_maxScrapeSize", size && *size ? size : "64MiB");
    add_default(&env, &inj, "VMAGENT_remoteWrite_maxDiskUsagePerURL", "1073741824");
    add_default(&env, &inj, "VMAGENT_loggerLevel", "INFO");
    if (!injected_auth(&inj)) {
        if (!external) {
            add_default(&env, &inj, "VMAGENT_remoteWrite_basicAuth_username", "{{.server_username}}");
            add_default(&env, &inj, "VMAGENT_remoteWrite_basicAuth_password", "{{.server_password}}");
        } else if (*user) {
            add_default(&env, &inj, "VMAGENT_remoteWrite_basicAuth_username", user);
            if (*pass)
                add_default(&env, &inj, "VMAGENT_remoteWrite_basicAuth_password", pass);
        }
    }
    for (size_t i = 0; i < inj.n; i++)
        strv_add(&env, inj.v[i]);
    strv_sort(&env);

    json_t *files = json_pack("{s:s}", "vmagentscrapecfg", yaml);
    delims d = { "{{", "}}" };
    int rc = RPC_OK;
    if (!files || args.oom || env.oom || inj.oom ||
        !(*out = state_process(INVENTORY__V1__AGENT_TYPE__AGENT_TYPE_VM_AGENT, d, &args, &env, files, NULL)))
        rc = rpc_fail(st, RPC_INTERNAL, "out of memory");
    json_decref(files);
    strv_free(&args);
    strv_free(&env);
    strv_free(&inj);
    memset(pass, 0, sizeof pass);
    free(yaml);
    return rc;
}
