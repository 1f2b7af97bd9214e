/* config: flags with PMM_* environment overrides and --help (see config.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_value(const cfg_option *o, const char *value, const char *origin)
{
    switch (o->type) {
    case CFG_STRING: {
        char **t = o->target;
        char *copy = strdup(value);
        if (!copy)
            return -1;
        free(*t);
        *t = copy;
        return 0;
    }
    case CFG_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < INT_MIN || v > INT_MAX) {
            fprintf(stderr, "invalid integer %s for %s\n", value, origin);
            return -1;
        }
        *(int *)o->target = (int)v;
        return 0;
    }
    case CFG_BOOL:
        if (cfg_parse_bool(value, (bool *)o->target) != 0) {
            fprintf(stderr, "invalid boolean %s for %s\n", value, origin);
            return -1;
        }
        return 0;
    }
    return -1;
}

static void print_help(const cfg_option *opts, const char *program, const char *summary)
{
    printf("Usage: %s [flags]\n\n%s\n\nFlags:\n", program, summary ? summary : "");
    printf("  %-28s %s\n", "--help", "show this help and exit");
    for (const cfg_option *o = opts; o->flag; o++) {
        char name[64];
        snprintf(name, sizeof name, "--%s%s", o->flag, o->type == CFG_BOOL ? "" : "=VALUE");
        printf("  %-28s %s", name, o->help ? o->help : "");
        if (o->def && *o->def)
            printf(" (default %s)", o->def);
        if (o->env)
            printf(" [%s]", o->env);
        printf("\n");
    }
}

static const cfg_option *find_flag(const cfg_option *opts, const char *name, size_t len)
{
    for (const cfg_option *o = opts; o->flag; o++)
        if (strlen(o->flag) == len && strncmp(o->flag, name, len) == 0)
            return o;
    return NULL;
}

int cfg_parse(const cfg_option *opts, int argc, char **argv, const char *program, const char *summary)
{
    for (const cfg_option *o = opts; o->flag; o++) {
        if (o->type == CFG_STRING)
            *(char **)o->target = NULL;
        if (set_value(o, o->def ? o->def : "", o->flag) != 0)
            return -1;
    }
    for (const cfg_option *o = opts; o->flag; o++) {
        const char *env = o->env ? getenv(o->env) : NULL;
        if (env && set_value(o, env, o->env) != 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(opts, program, summary);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "%s: unexpected argument %s (see --help)\n", program, a);
            return -1;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cfg_option *o = find_flag(opts, name, len);
        if (!o) {
            fprintf(stderr, "%s: unknown flag %s (see --help)\n", program, a);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (o->type == CFG_BOOL) {
                value = "true";
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                fprintf(stderr, "%s: flag --%s needs a value\n", program, o->flag);
                return -1;
            }
        }
        if (set_value(o, value, a) != 0)
            return -1;
    }
    return 0;
}

void cfg_free(const cfg_option *opts)
{
    for (const cfg_option *o = opts; o->flag; o++) {
        if (o->type == CFG_STRING) {
            free(*(char **)o->target);
            *(char **)o->target = NULL;
        }
    }
}
