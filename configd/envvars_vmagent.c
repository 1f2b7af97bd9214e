/* envvars_vmagent: the VMAGENT_* remote-write override check of the
 * newer upstream parser (see envvars.h, envvars_check_vmagent). */
#include "envvars.h"

#include <stdio.h>
#include <string.h>

#include "envvars_url.h"

static const char *const username_envs[] = { "VMAGENT_remoteWrite_basicAuth_username",
                                             "VMAGENT_remoteWrite_basicAuth_usernameFile", NULL };
static const char *const password_envs[] = { "VMAGENT_remoteWrite_basicAuth_password",
                                             "VMAGENT_remoteWrite_basicAuth_passwordFile", NULL };
/* Methods that take the place of a basic-auth pair. */
static const char *const exclusive_envs[] = { "VMAGENT_remoteWrite_bearerToken", "VMAGENT_remoteWrite_bearerTokenFile",
                                              "VMAGENT_remoteWrite_oauth2_clientID", NULL };
/* Methods that compose with a pair (tenant header, client certificate). */
static const char *const additive_envs[] = { "VMAGENT_remoteWrite_headers", "VMAGENT_remoteWrite_tlsCertFile", NULL };

enum { AUTH_NONE, AUTH_PARTIAL, AUTH_COMPLETE };

static bool name_in(const char *name, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], name, n) == 0)
            return true;
    return false;
}

typedef struct {
    bool user, pass, exclusive, additive;
    const char *url; /* the non-empty remote-write URL, or NULL */
} seen;

/* The order matters (upstream VMAgentRemoteWriteAuthFromEnv): an exclusive
 * method completes the auth, an additive one does not complete half a pair. */
static int classify(const seen *s)
{
    if ((s->user && s->pass) || s->exclusive)
        return AUTH_COMPLETE;
    if (s->user || s->pass)
        return AUTH_PARTIAL;
    return s->additive ? AUTH_COMPLETE : AUTH_NONE;
}

static int collect(const char *const *env, seen *s, settings_strings *warnings)
{
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq || strncmp(env[i], "VMAGENT_", 8) != 0)
            continue;
        size_t n = (size_t)(eq - env[i]);
        if (!eq[1]) {
            char w[1024];
            snprintf(w, sizeof w,
                     "%.*s is set but empty and is ignored: vmagent cannot use an empty value; unset it or give it "
                     "a value",
                     (int)(n < 512 ? n : 512), env[i]);
            if (settings_strings_push(warnings, w) != 0)
                return -1;
            continue;
        }
        s->user = s->user || name_in(env[i], n, username_envs);
        s->pass = s->pass || name_in(env[i], n, password_envs);
        s->exclusive = s->exclusive || name_in(env[i], n, exclusive_envs);
        s->additive = s->additive || name_in(env[i], n, additive_envs);
        if (n == strlen("VMAGENT_remoteWrite_url") && memcmp(env[i], "VMAGENT_remoteWrite_url", n) == 0)
            s->url = eq + 1;
    }
    return 0;
}

int envvars_check_vmagent(const char *const *env, settings_strings *errors, settings_strings *warnings)
{
    seen s = { 0 };
    if (collect(env, &s, warnings) != 0)
        return -1;
    int auth = classify(&s);
    if (auth == AUTH_PARTIAL &&
        settings_strings_push(warnings, "only one half of the VMAGENT_remoteWrite_basicAuth_* pair is set (a username "
                                        "or usernameFile without a password or passwordFile, or the reverse); set "
                                        "both: PMM does not complete the pair with its own default credential, so "
                                        "the lone half is sent alone and fails authentication") != 0)
        return -1;
    if (!s.url)
        return 0;
    envvars_url u;
    char err[256], msg[512];
    /* The URL may carry a password: the error names only the reason. */
    if (envvars_url_parse(s.url, &u, err, sizeof err) != 0) {
        snprintf(msg, sizeof msg,
                 "VMAGENT_remoteWrite_url is not a valid URL, and every vmagent PMM Server manages would refuse to "
                 "start: %s",
                 err);
        return settings_strings_push(errors, msg);
    }
    if (auth != AUTH_NONE || u.has_user)
        return 0;
    return settings_strings_push(
        warnings, "VMAGENT_remoteWrite_url redirects the metric writes of every vmagent PMM Server manages to a "
                  "custom endpoint, and PMM's own remote-write credentials are not sent there. Set "
                  "VMAGENT_remoteWrite_basicAuth_username and VMAGENT_remoteWrite_basicAuth_password if that "
                  "endpoint requires authentication; if the endpoint is a PMM Server, the {{.server_username}} and "
                  "{{.server_password}} placeholders keep each client's own PMM Server credentials");
}
