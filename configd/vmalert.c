/* vmalert: rules check, copy and reload (vmalert.h). */
#include "vmalert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "textfile.h"
#include "vm.h"


void vmalert_state_clear(vmalert_state *s)
{
    free(s->seen);
    memset(s, 0, sizeof *s);
}

/* vmalert's reason: the message of its "fatal" log line
 * ("<ts>\tfatal\t<caller>\t<message>"), else its last line. */
static void fatal_reason(const char *out, char *detail, size_t len)
{
    const char *line = out ? strstr(out, "\tfatal\t") : NULL;
    const char *msg = NULL;
    if (line) {
        const char *caller = strchr(line + 7, '\t');
        msg = caller ? caller + 1 : line + 7;
    } else if (out && *out) {
        size_t n = strlen(out);
        while (n > 0 && out[n - 1] == '\n')
            n--;
        msg = out;
        for (size_t i = n; i-- > 0;)
            if (out[i] == '\n') {
                msg = out + i + 1;
                break;
            }
    }
    snprintf(detail, len, "%.*s", msg ? (int)strcspn(msg, "\n") : 0, msg ? msg : "");
}

int vmalert_check_file(const vmalert_params *p, const char *path, char *detail, size_t detail_len, rpc_status *st)
{
    char rule[4200];
    snprintf(rule, sizeof rule, "-rule=%s", path);
    const char *argv[] = { p->binary, "-loggerLevel", "WARN", "-dryRun", rule, NULL };
    proc_result r;
    proc_run(argv, p->timeout_ms, 64 * 1024, &r);
    int code = RPC_OK;
    detail[0] = '\0';
    if (r.exit_code > 0) {
        fatal_reason(r.out, detail, detail_len);
        code = rpc_fail(st, RPC_INVALID_ARGUMENT, "Invalid alerting rules.");
    } else if (r.exit_code != 0 || r.timed_out) {
        snprintf(detail, detail_len, "%s", r.error);
        code = rpc_fail(st, RPC_INTERNAL, "alerting rule validation failed: %s", r.error);
    }
    proc_result_clear(&r);
    return code;
}

static int blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

/* detail names the check file: name the user's file instead. */
static void name_user_file(char *detail, size_t len, const char *tmp, const char *user)
{
    char out[1024];
    size_t o = 0, tl = strlen(tmp), ul = strlen(user);
    for (const char *p = detail; *p && o + 1 < sizeof out;) {
        if (strncmp(p, tmp, tl) == 0 && o + ul + 1 < sizeof out) {
            memcpy(out + o, user, ul);
            o += ul;
            p += tl;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(detail, len, "%s", out);
}

/* Checks content (as a file next to the applied one, which vmalert's
 * NAME.yml pattern does not match) and renames it into place. user names
 * the file the content came from in vmalert's reason (NULL: none). */
static int apply_content(const vmalert_params *p, const char *content, const char *applied, const char *user,
                         rpc_status *st)
{
    char tmp[4200], detail[1024];
    const char *base = strrchr(applied, '/');
    snprintf(tmp, sizeof tmp, "%s/.%s.check", p->rules_dir, base ? base + 1 : applied);
    if (textfile_write(tmp, content, st) != RPC_OK) {
        unlink(tmp);
        return -1;
    }
    if (vmalert_check_file(p, tmp, detail, sizeof detail, st) != RPC_OK) {
        unlink(tmp);
        if (user)
            name_user_file(detail, sizeof detail, tmp, user);
        log_error("vmalert rules %s not applied: %s %s", user ? user : applied, st->message, detail);
        if (st->code == RPC_INVALID_ARGUMENT)
            rpc_fail(st, RPC_INVALID_ARGUMENT, "Invalid alerting rules. %s", detail);
        return -1;
    }
    if (rename(tmp, applied) != 0) {
        rpc_fail(st, RPC_INTERNAL, "rename %s: %s", applied, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int vmalert_apply_file(const vmalert_params *p, const char *name, const char *content, rpc_status *st)
{
    char applied[4200];
    snprintf(applied, sizeof applied, "%s/%s.yml", p->rules_dir, name);
    if (!content || blank(content)) {
        if (unlink(applied) != 0 && errno != ENOENT)
            return rpc_fail(st, RPC_INTERNAL, "remove %s: %s", applied, strerror(errno));
        return RPC_OK;
    }
    return apply_content(p, content, applied, NULL, st) == 0 ? RPC_OK : st->code;
}

int vmalert_sync_rules(const vmalert_params *p, vmalert_state *state, rpc_status *st)
{
    int missing;
    char *content = textfile_read(p->user_rules, &missing, st);
    if (!content && !missing)
        return -1;
    if (state->checked && ((!content && !state->seen) || (content && state->seen && strcmp(content, state->seen) == 0))) {
        free(content);
        return 0; /* nothing new since the last sync */
    }
    char applied[4200];
    snprintf(applied, sizeof applied, "%s/%s", p->rules_dir, VMALERT_RULES_FILE);
    int amissing;
    char *current = textfile_read(applied, &amissing, st);
    int rc;
    if (!content || blank(content)) {
        rc = current ? (unlink(applied) == 0 ? 1 : -1) : 0;
        if (rc < 0)
            rpc_fail(st, RPC_INTERNAL, "remove %s: %s", applied, strerror(errno));
        else if (rc > 0)
            log_info("vmalert rules %s removed: the user's file is gone or empty", applied);
    } else if (current && strcmp(current, content) == 0) {
        rc = 0;
    } else {
        rc = apply_content(p, content, applied, p->user_rules, st) == 0 ? 1 : -1;
        if (rc > 0)
            log_info("vmalert rules %s applied", p->user_rules);
    }
    free(current);
    free(state->seen);
    state->seen = content;
    state->seen_valid = rc >= 0;
    state->checked = 1;
    return rc;
}

/* vmalert answers /-/reload and /health as VictoriaMetrics does: one HTTP
 * client (vm.c) for both. */
static vm_params http_params(const vmalert_params *p)
{
    vm_params v = { .url = p->url, .http_timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : 3000 };
    return v;
}

int vmalert_reload(const vmalert_params *p, rpc_status *st)
{
    vm_params v = http_params(p);
    return vm_reload(&v, st);
}

int vmalert_ready(const vmalert_params *p, rpc_status *st)
{
    vm_params v = http_params(p);
    return vm_ready(&v, st);
}
