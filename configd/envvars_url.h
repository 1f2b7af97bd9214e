/* envvars_url: the part of Go's net/url.Parse the environment checks need
 * (PMM_VM_URL, VMAGENT_remoteWrite_url): scheme, opaque form, userinfo,
 * host and port, and Go's error texts for what it refuses. */
#ifndef CONFIGD_ENVVARS_URL_H
#define CONFIGD_ENVVARS_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char scheme[32];  /* lower-case, "" when none */
    bool opaque;      /* "scheme:rest" without "//" (or "/") after the colon */
    bool has_user;    /* userinfo@ in the authority */
    char host[256];   /* host[:port] without userinfo, "" when none */
} envvars_url;

/* 0, or -1 with Go's error text in err (without the "parse ..." prefix),
 * e.g. "missing protocol scheme", "first path segment in URL cannot contain colon". */
int envvars_url_parse(const char *s, envvars_url *out, char *err, size_t errlen);

/* s with the userinfo of a URL replaced by "<redacted>" (for logs). */
void envvars_url_redact(const char *s, char *out, size_t outlen);

#endif
