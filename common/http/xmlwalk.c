/* xmlwalk: a path-tracking walk over an XML document with expat (see
 * xmlwalk.h). */
#include "http/xmlwalk.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "http/bytebuf.h"

/* expat joins a namespace URI and a local name with this byte. */
#define NS_SEP '\x01'

typedef struct {
    XML_Parser p;
    xmlwalk_fn fn;
    void *ud;
    char *names[XMLWALK_MAX_DEPTH];
    size_t text_at[XMLWALK_MAX_DEPTH]; /* where each open element's text starts */
    int depth;
    bytebuf text;
    int stopped;                       /* the callback's value */
    const char *refused;               /* our own reason to stop */
} walk;

static void stop(walk *w, const char *why)
{
    if (!w->refused && !w->stopped)
        w->refused = why;
    XML_StopParser(w->p, XML_FALSE);
}

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, NS_SEP);
    return sep ? sep + 1 : name;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    walk *w = ud;
    if (w->depth >= XMLWALK_MAX_DEPTH) {
        stop(w, "nesting too deep");
        return;
    }
    char *n = strdup(local_name(name));
    if (!n) {
        stop(w, "out of memory");
        return;
    }
    w->names[w->depth] = n;
    w->text_at[w->depth] = w->text.len;
    w->depth++;
    int rc = w->fn(w->ud, (const char *const *)w->names, w->depth, NULL);
    if (rc) {
        w->stopped = rc;
        XML_StopParser(w->p, XML_FALSE);
    }
}

static void on_end(void *ud, const XML_Char *name)
{
    (void)name;
    walk *w = ud;
    if (w->depth == 0)
        return;
    size_t at = w->text_at[w->depth - 1];
    int rc = w->fn(w->ud, (const char *const *)w->names, w->depth, w->text.data ? w->text.data + at : "");
    /* the parent's text does not include the children's */
    w->text.len = at;
    if (w->text.data)
        w->text.data[at] = '\0';
    free(w->names[--w->depth]);
    w->names[w->depth] = NULL;
    if (rc) {
        w->stopped = rc;
        XML_StopParser(w->p, XML_FALSE);
    }
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    walk *w = ud;
    if (w->depth > 0 && bytebuf_append(&w->text, s, (size_t)len, XMLWALK_MAX_TEXT) != 0)
        stop(w, "text too long");
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid, int internal)
{
    (void)name, (void)sysid, (void)pubid, (void)internal;
    stop(ud, "DOCTYPE not allowed");
}

int xmlwalk(const char *doc, size_t len, xmlwalk_fn fn, void *ud, char *err, size_t errlen)
{
    walk w = { .fn = fn, .ud = ud };
    w.p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!w.p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    XML_SetUserData(w.p, &w);
    XML_SetElementHandler(w.p, on_start, on_end);
    XML_SetCharacterDataHandler(w.p, on_text);
    XML_SetStartDoctypeDeclHandler(w.p, on_doctype);
    int rc = 0;
    enum XML_Status s = len > (size_t)INT32_MAX ? XML_STATUS_ERROR : XML_Parse(w.p, doc ? doc : "", (int)len, XML_TRUE);
    if (w.stopped) {
        rc = w.stopped;
    } else if (w.refused) {
        snprintf(err, errlen, "XML refused on line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(w.p), w.refused);
        rc = -1;
    } else if (s != XML_STATUS_OK) {
        enum XML_Error e = XML_GetErrorCode(w.p);
        if (e == XML_ERROR_NO_ELEMENTS && len == 0)
            snprintf(err, errlen, "EOF");
        else
            snprintf(err, errlen, "XML syntax error on line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(w.p),
                     XML_ErrorString(e));
        rc = -1;
    }
    for (int i = 0; i < w.depth; i++)
        free(w.names[i]);
    bytebuf_free(&w.text);
    XML_ParserFree(w.p);
    return rc;
}

bool xmlwalk_path_is(const char *const *path, int depth, const char *want)
{
    int i = 0;
    const char *p = want;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (i >= depth || strlen(path[i]) != n || strncmp(path[i], p, n) != 0)
            return false;
        i++;
        p += n + (slash ? 1 : 0);
    }
    return i == depth;
}
