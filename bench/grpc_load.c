/* grpc_load: a unary gRPC load generator (grpc core client API). Keeps
 * --concurrency calls of one method in flight for --duration seconds over
 * a few connections, with Basic auth, and prints one summary line:
 *   grpc: requests=N errors=E rps=R p50_ms=.. p99_ms=..
 * Latency percentiles are over successful calls. Every call has its own
 * deadline, so a down or stuck server gives errors, never a hang.
 * Exit status: 0 when at least one call succeeded, 1 when none did,
 * 2 on bad arguments. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "db/credentials.h"
#include "hex.h"

typedef struct {
    const char *target;
    const char *method;
    const char *body_hex;
    const char *user;
    const char *password;
    int concurrency;
    int channels;
    double duration;
    int timeout_ms;
} options;

/* One in-flight call and everything its batch writes into. */
typedef struct {
    int index;
    grpc_call *call;
    grpc_byte_buffer *send;
    grpc_byte_buffer *recv;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    double started;
} slot;

typedef struct {
    options opt;
    grpc_channel **channels;
    grpc_completion_queue *cq;
    grpc_slice method;
    grpc_slice body;
    grpc_metadata auth_md;
    int has_auth;
    slot *slots;
    uint32_t *lat_us;            /* successful latencies, microseconds */
    size_t lat_n, lat_cap;
    uint64_t requests, errors;
    uint64_t in_window;          /* calls that completed before the end time */
    int first_error_shown;
} bench;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: grpc_load --target HOST:PORT --method /pkg.Service/Method [options]\n"
            "  --body-hex HEX       protobuf request bytes in hex (default empty)\n"
            "  --user U --password P  Basic auth (omit for none)\n"
            "  --concurrency N      calls in flight (default 32)\n"
            "  --channels N         connections (default min(4, concurrency))\n"
            "  --duration S         seconds to run (default 10)\n"
            "  --timeout-ms MS      per-call deadline (default 10000)\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'},   {"method", required_argument, NULL, 'm'},
        {"body-hex", required_argument, NULL, 'b'}, {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'}, {"concurrency", required_argument, NULL, 'c'},
        {"channels", required_argument, NULL, 'C'}, {"duration", required_argument, NULL, 'd'},
        {"timeout-ms", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    o->body_hex = "";
    o->concurrency = 32;
    o->duration = 10;
    o->timeout_ms = 10000;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 't': o->target = optarg; break;
        case 'm': o->method = optarg; break;
        case 'b': o->body_hex = optarg; break;
        case 'u': o->user = optarg; break;
        case 'p': o->password = optarg; break;
        case 'c':
            if (parse_int(optarg, 1, 100000, &o->concurrency) != 0)
                return -1;
            break;
        case 'C':
            if (parse_int(optarg, 1, 1000, &o->channels) != 0)
                return -1;
            break;
        case 'd':
            o->duration = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(o->duration > 0 && o->duration <= 86400))
                return -1;
            break;
        case 'T':
            if (parse_int(optarg, 1, 3600 * 1000, &o->timeout_ms) != 0)
                return -1;
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (optind != argc || o->target == NULL || o->method == NULL || o->method[0] != '/')
        return -1;
    if ((o->user == NULL) != (o->password == NULL))
        return -1;
    if (strlen(o->body_hex) % 2 != 0 || strspn(o->body_hex, "0123456789abcdefABCDEF") != strlen(o->body_hex)) {
        fprintf(stderr, "grpc_load: --body-hex is not valid hex\n");
        return -1;
    }
    if (o->channels == 0)
        o->channels = o->concurrency < 4 ? o->concurrency : 4;
    return 0;
}

/* Decodes hex into a slice; -1 on odd length or a non-hex character. */
static int hex_to_slice(const char *hex, grpc_slice *out)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return -1;
    if (n == 0) {
        *out = grpc_empty_slice();
        return 0;
    }
    grpc_slice s = grpc_slice_malloc(n / 2);
    uint8_t *p = GRPC_SLICE_START_PTR(s);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            grpc_slice_unref(s);
            return -1;
        }
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = s;
    return 0;
}

static void record_latency(bench *b, double seconds)
{
    if (b->lat_n == b->lat_cap) {
        size_t cap = b->lat_cap ? b->lat_cap * 2 : 65536;
        uint32_t *p = realloc(b->lat_us, cap * sizeof(*p));
        if (p == NULL)
            return;   /* keep counting; percentiles use what fits */
        b->lat_us = p;
        b->lat_cap = cap;
    }
    double us = seconds * 1e6;
    b->lat_us[b->lat_n++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static int start_call(bench *b, slot *s)
{
    grpc_channel *ch = b->channels[s->index % b->opt.channels];
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(b->opt.timeout_ms, GPR_TIMESPAN));
    s->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, b->cq, b->method, NULL,
                                       deadline, NULL);
    if (s->call == NULL)
        return -1;
    grpc_slice body = grpc_slice_ref(b->body);
    s->send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);
    s->recv = NULL;
    grpc_metadata_array_init(&s->initial_md);
    grpc_metadata_array_init(&s->trailing_md);
    s->details = grpc_empty_slice();
    s->started = now_s();

    grpc_op ops[6];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = b->has_auth ? 1 : 0;
    ops[0].data.send_initial_metadata.metadata = b->has_auth ? &b->auth_md : NULL;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = s->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &s->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    ops[5].data.recv_status_on_client.status = &s->status;
    ops[5].data.recv_status_on_client.status_details = &s->details;
    if (grpc_call_start_batch(s->call, ops, 6, s, NULL) != GRPC_CALL_OK) {
        grpc_byte_buffer_destroy(s->send);
        grpc_metadata_array_destroy(&s->initial_md);
        grpc_metadata_array_destroy(&s->trailing_md);
        grpc_call_unref(s->call);
        s->call = NULL;
        return -1;
    }
    return 0;
}

/* Counts a finished call and releases what its batch produced. */
static void finish_call(bench *b, slot *s, int success)
{
    double latency = now_s() - s->started;
    b->requests++;
    if (success && s->status == GRPC_STATUS_OK) {
        record_latency(b, latency);
    } else {
        b->errors++;
        if (!b->first_error_shown) {
            b->first_error_shown = 1;
            fprintf(stderr, "grpc_load: first error: code=%d message=%.*s\n", (int)s->status,
                    (int)GRPC_SLICE_LENGTH(s->details), (const char *)GRPC_SLICE_START_PTR(s->details));
        }
    }
    grpc_byte_buffer_destroy(s->send);
    if (s->recv != NULL)
        grpc_byte_buffer_destroy(s->recv);
    grpc_slice_unref(s->details);
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    grpc_call_unref(s->call);
    s->call = NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(bench *b, double q)
{
    if (b->lat_n == 0)
        return 0;
    size_t i = (size_t)(q * (double)(b->lat_n - 1) + 0.5);
    return b->lat_us[i] / 1000.0;
}

static grpc_channel *channel_new(const char *target)
{
    grpc_arg args[2];
    memset(args, 0, sizeof(args));
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = 100 * 1024 * 1024;
    /* without it grpc shares one subchannel (one TCP connection) between
     * channels with equal arguments */
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    args[1].value.integer = 1;
    grpc_channel_args ca = {.num_args = 2, .args = args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(target, creds, &ca);
    grpc_channel_credentials_release(creds);
    return ch;
}

/* Keeps every slot busy until the end time, then lets in-flight calls
 * finish (each has its own deadline) and counts them too. Returns the
 * seconds the window lasted: the rate is over the window only, so a slow
 * straggler at the end does not dilute it. */
static double run(bench *b)
{
    int inflight = 0;
    double t0 = now_s(), end = t0 + b->opt.duration, last = t0;
    for (int i = 0; i < b->opt.concurrency; i++)
        if (start_call(b, &b->slots[i]) == 0)
            inflight++;
    while (inflight > 0) {
        gpr_timespec wait = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(100, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(b->cq, wait, NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        slot *s = ev.tag;
        finish_call(b, s, ev.success);
        inflight--;
        last = now_s();
        if (last < end) {
            b->in_window++;
            if (start_call(b, s) == 0)
                inflight++;
        }
    }
    last = last < end ? last : end;
    return last > t0 ? last - t0 : 0;
}

static int bench_init(bench *b)
{
    char *auth = NULL;
    if (hex_to_slice(b->opt.body_hex, &b->body) != 0) {
        fprintf(stderr, "grpc_load: --body-hex is not valid hex\n");
        return -1;
    }
    if (b->opt.user != NULL) {
        auth = cred_basic_auth(b->opt.user, b->opt.password);
        if (auth == NULL)
            return -1;
        b->auth_md.key = grpc_slice_from_static_string("authorization");
        b->auth_md.value = grpc_slice_from_copied_string(auth);
        b->has_auth = 1;
        free(auth);
    }
    b->method = grpc_slice_from_copied_string(b->opt.method);
    b->cq = grpc_completion_queue_create_for_next(NULL);
    b->channels = calloc((size_t)b->opt.channels, sizeof(*b->channels));
    b->slots = calloc((size_t)b->opt.concurrency, sizeof(*b->slots));
    if (b->channels == NULL || b->slots == NULL)
        return -1;
    for (int i = 0; i < b->opt.channels; i++)
        if ((b->channels[i] = channel_new(b->opt.target)) == NULL)
            return -1;
    for (int i = 0; i < b->opt.concurrency; i++)
        b->slots[i].index = i;
    return 0;
}

static void bench_free(bench *b)
{
    if (b->channels != NULL)
        for (int i = 0; i < b->opt.channels; i++)
            if (b->channels[i] != NULL)
                grpc_channel_destroy(b->channels[i]);
    if (b->cq != NULL) {
        grpc_completion_queue_shutdown(b->cq);
        while (grpc_completion_queue_next(b->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(b->cq);
    }
    if (b->has_auth)
        grpc_slice_unref(b->auth_md.value);
    grpc_slice_unref(b->method);
    grpc_slice_unref(b->body);
    free(b->channels);
    free(b->slots);
    free(b->lat_us);
}

int main(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof(b));
    b.method = grpc_empty_slice();
    b.body = grpc_empty_slice();
    if (parse_args(argc, argv, &b.opt) != 0) {
        usage(stderr);
        return 2;
    }
    grpc_init();
    int rc = 1;
    if (bench_init(&b) == 0) {
        double elapsed = run(&b);
        if (b.lat_n > 0)
            qsort(b.lat_us, b.lat_n, sizeof(*b.lat_us), cmp_u32);
        printf("grpc: requests=%llu errors=%llu rps=%.0f p50_ms=%.3f p99_ms=%.3f\n",
               (unsigned long long)b.requests, (unsigned long long)b.errors,
               elapsed > 0 ? (double)b.in_window / elapsed : 0.0, percentile_ms(&b, 0.50),
               percentile_ms(&b, 0.99));
        fflush(stdout);
        rc = b.requests > b.errors ? 0 : 1;
    } else {
        fprintf(stderr, "grpc_load: setup failed\n");
    }
    bench_free(&b);
    grpc_shutdown();
    return rc;
}
