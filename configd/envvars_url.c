/* envvars_url: a subset of Go's net/url.Parse (see envvars_url.h). */
#include "envvars_url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Go's getScheme: letters first, then letters, digits, + - .; a leading
 * digit or sign means no scheme; a leading ':' is an error. */
static int get_scheme(const char *s, size_t *len, char *err, size_t errlen)
{
    *len = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c))
            continue;
        if (isdigit(c) || c == '+' || c == '-' || c == '.') {
            if (i == 0)
                return 0;
            continue;
        }
        if (c == ':') {
            if (i == 0) {
                snprintf(err, errlen, "missing protocol scheme");
                return -1;
            }
            *len = i;
        }
        return 0;
    }
    return 0;
}

static int check_escapes(const char *s, char *err, size_t errlen)
{
    for (const char *p = s; *p; p++)
        if (*p == '%' && !(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]))) {
            snprintf(err, errlen, "invalid URL escape \"%.3s\"", p);
            return -1;
        }
    return 0;
}

/* The host part of an authority: IPv6 brackets closed, port all digits. */
static int check_host(const char *h, char *err, size_t errlen)
{
    const char *port = NULL;
    if (h[0] == '[') {
        const char *end = strchr(h, ']');
        if (!end) {
            snprintf(err, errlen, "missing ']' in host");
            return -1;
        }
        if (end[1] == ':')
            port = end + 1;
        else if (end[1]) {
            snprintf(err, errlen, "invalid port \"%s\" after host", end + 1);
            return -1;
        }
    } else {
        port = strrchr(h, ':');
    }
    for (const char *p = port ? port + 1 : ""; *p; p++)
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, errlen, "invalid port \"%s\" after host", port);
            return -1;
        }
    return 0;
}

static int parse_authority(const char *a, size_t n, envvars_url *out, char *err, size_t errlen)
{
    char auth[512];
    snprintf(auth, sizeof auth, "%.*s", (int)(n < sizeof auth - 1 ? n : sizeof auth - 1), a);
    char *at = strrchr(auth, '@');
    out->has_user = at != NULL;
    const char *host = at ? at + 1 : auth;
    if (check_host(host, err, errlen) != 0)
        return -1;
    snprintf(out->host, sizeof out->host, "%.*s", (int)sizeof out->host - 1, host);
    return 0;
}

int envvars_url_parse(const char *s, envvars_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "net/url: invalid control character in URL");
            return -1;
        }
    size_t slen;
    if (get_scheme(s, &slen, err, errlen) != 0 || check_escapes(s, err, errlen) != 0)
        return -1;
    const char *rest = s;
    if (slen) {
        snprintf(out->scheme, sizeof out->scheme, "%.*s", (int)(slen < sizeof out->scheme - 1 ? slen : 31), s);
        for (char *c = out->scheme; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        rest = s + slen + 1;
        if (*rest != '/') {
            out->opaque = *rest != '\0';
            return 0;
        }
    } else {
        /* A relative reference: its first segment may not hold a colon. */
        size_t seg = strcspn(rest, "/?#");
        if (memchr(rest, ':', seg)) {
            snprintf(err, errlen, "first path segment in URL cannot contain colon");
            return -1;
        }
    }
    if (strncmp(rest, "//", 2) != 0)
        return 0;
    const char *a = rest + 2;
    return parse_authority(a, strcspn(a, "/?#"), out, err, errlen);
}

void envvars_url_redact(const char *s, char *out, size_t outlen)
{
    const char *sep = strstr(s, "://");
    const char *a = sep ? sep + 3 : NULL;
    const char *end = a ? a + strcspn(a, "/?#") : NULL;
    const char *at = NULL;
    for (const char *p = a; p && p < end; p++)
        if (*p == '@')
            at = p;
    if (!at) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    snprintf(out, outlen, "%.*s<redacted>%s", (int)(a - s), s, at);
}
