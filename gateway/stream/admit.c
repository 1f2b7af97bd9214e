/* admit: connect metadata, credentials and the admission threads (see
 * admit.h). */
#include "admit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/support/alloc.h>

#include "clock.h"
#include "gateway/auth.h"
#include "gateway/stream/call.h"
#include "gateway/stream/table.h"
#include "log.h"
#include "rpc.h"

#define ADMIT_THREADS 2
#define MD_MAX 4096

static struct {
    pthread_cond_t cv; /* with the table lock */
    astream *head, *tail;
    int stop;
    pthread_t threads[ADMIT_THREADS];
    int n;
} A = { .cv = PTHREAD_COND_INITIALIZER };

static int is_loopback_peer(const char *peer)
{
    return peer && (strncmp(peer, "ipv4:127.", 9) == 0 || strncmp(peer, "ipv6:[::1]:", 11) == 0 ||
                    strncmp(peer, "ipv6:%5B::1%5D:", 15) == 0);
}

/* Go's strconv.ParseUint(s, 10, 16) error text, "" when s parses. */
static void parse_port_error(const char *s, char *err, size_t errlen)
{
    err[0] = '\0';
    char q[MD_MAX * 4 + 8];
    rpc_quote(q, sizeof q, s);
    if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s)) {
        snprintf(err, errlen, "strconv.ParseUint: parsing %s: invalid syntax", q);
        return;
    }
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > 65535) {
            snprintf(err, errlen, "strconv.ParseUint: parsing %s: value out of range", q);
            return;
        }
    }
}

/* Credentials as for any gRPC call; the pmm-agent inside the server (id
 * pmm-server, from loopback) needs none, as upstream's auth server says. */
static int check(const astream *s, rpc_status *st)
{
    int local = s->loopback && s->agent_id && strcmp(s->agent_id, "pmm-server") == 0 &&
                strcmp(s->method, "/agent.v1.AgentService/Connect") == 0;
    int code = RPC_OK;
    if (!local) {
        if (s->bad_authorization) {
            code = rpc_fail(st, RPC_UNAUTHENTICATED, "Unauthorized");
        } else {
            auth_identity id;
            memset(&id, 0, sizeof id);
            code = auth_check(s->authorization, s->method, &id, st);
        }
    }
    char err[MD_MAX * 4 + 128];
    if (code == RPC_OK && s->metrics_port) {
        parse_port_error(s->metrics_port, err, sizeof err);
        if (err[0])
            code = rpc_fail(st, RPC_DATA_LOSS, "ReceiveAgentConnectMetadata: pmm-agent-metrics-port: %s", err);
    }
    return code;
}

static void admit(astream *s)
{
    rpc_status st;
    memset(&st, 0, sizeof st);
    int code = check(s, &st); /* without the lock: it may wait for inventoryd */
    table_lock();
    if (code != RPC_OK) {
        st.message[sizeof st.message - 1] = '\0';
        call_end(s, code, st.message, 0);
    } else if (s->state == ST_ADMIT && !s->gone) {
        s->state = ST_OPENING;
        s->told_agentsd = 1;
        s->open_sent_ms = clock_mono_ms();
        call_tell_open(s, 0);
    }
    call_unref(s); /* the queue's */
    table_unlock();
}

static void *admit_main(void *arg)
{
    (void)arg;
    for (;;) {
        table_lock();
        while (!A.head && !A.stop)
            table_wait(&A.cv);
        astream *s = A.head;
        if (s) {
            A.head = s->qnext;
            if (!A.head)
                A.tail = NULL;
        }
        table_unlock();
        if (!s)
            return NULL;
        admit(s);
    }
}

int admit_start(void)
{
    for (int i = 0; i < ADMIT_THREADS; i++) {
        if (pthread_create(&A.threads[i], NULL, admit_main, NULL) != 0)
            return -1;
        A.n++;
    }
    return 0;
}

void admit_stop(void)
{
    table_lock();
    A.stop = 1;
    pthread_cond_broadcast(&A.cv);
    table_unlock();
    for (int i = 0; i < A.n; i++)
        pthread_join(A.threads[i], NULL);
    A.n = 0;
}

/* ---- the connect metadata ---------------------------------------------------- */

/* A value as a C string; NULL when too long or it holds a NUL. */
static char *slice_str(grpc_slice v, size_t max)
{
    size_t len = GRPC_SLICE_LENGTH(v);
    if (len > max || memchr(GRPC_SLICE_START_PTR(v), 0, len))
        return NULL;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, GRPC_SLICE_START_PTR(v), len);
        out[len] = '\0';
    }
    return out;
}

/* grpc-go's md.Get(key) when it has exactly one value, as upstream's
 * getValue; NULL otherwise. */
static char *md_value(const grpc_metadata_array *md, const char *key, int *bad)
{
    char *out = NULL;
    int count = 0;
    for (size_t i = 0; i < md->count; i++) {
        if (grpc_slice_str_cmp(md->metadata[i].key, key) != 0)
            continue;
        count++;
        free(out);
        out = slice_str(md->metadata[i].value, MD_MAX);
        if (!out)
            *bad = 1;
    }
    if (count != 1) {
        free(out);
        return NULL;
    }
    return out;
}

static void read_metadata(astream *s, const grpc_metadata_array *md, int *bad)
{
    /* the first authorization value counts, as for unary calls */
    for (size_t i = 0; i < md->count; i++)
        if (grpc_slice_str_cmp(md->metadata[i].key, "authorization") == 0) {
            s->authorization = slice_str(md->metadata[i].value, 8192);
            s->bad_authorization = s->authorization == NULL;
            break;
        }
    char *id = md_value(md, "pmm-agent-id", bad);
    /* v2 ids carried a /agent_id/ prefix */
    if (id && strncmp(id, "/agent_id/", 10) == 0)
        memmove(id, id + 10, strlen(id + 10) + 1);
    s->agent_id = id ? id : strdup("");
    char *ver = md_value(md, "pmm-agent-version", bad);
    s->version = ver ? ver : strdup("");
    s->metrics_port = md_value(md, "pmm-agent-metrics-port", bad);
    if (s->metrics_port && s->metrics_port[0] == '\0') {
        free(s->metrics_port);
        s->metrics_port = NULL;
    }
}

void admit_accept(grpc_call *call, const grpc_metadata_array *md, const char *method, void (*done)(void *),
                  void *done_arg)
{
    astream *s = calloc(1, sizeof *s);
    if (!s) {
        grpc_call_cancel_with_status(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory", NULL);
        grpc_call_unref(call);
        done(done_arg);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &s->started);
    s->call = call;
    s->done = done;
    s->done_arg = done_arg;
    s->method = strdup(method);
    int bad = 0;
    read_metadata(s, md, &bad);
    char *peer = grpc_call_get_peer(call);
    s->loopback = is_loopback_peer(peer);
    gpr_free(peer);

    table_lock();
    s->state = ST_ADMIT;
    s->refs = 1; /* the admission queue's */
    table_add(s);
    call_start(s);
    if (!s->method || !s->agent_id || !s->version || bad) {
        call_end(s, RPC_DATA_LOSS, "ReceiveAgentConnectMetadata: failed to get metadata", 0);
        call_unref(s);
    } else {
        s->qnext = NULL;
        if (A.tail)
            A.tail->qnext = s;
        else
            A.head = s;
        A.tail = s;
        pthread_cond_signal(&A.cv);
    }
    table_unlock();
}
