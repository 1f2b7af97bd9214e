/* fleet: a pmm-agent fleet for benchmarks. One process, one thread, one
 * completion queue: --agents N streams to /agent.v1.AgentService/Connect,
 * each on a connection of its own as N pmm-agents would have, speaking
 * the protocol as pmm-agent does (agent-protocol.md §1-§10):
 *   - metadata pmm-agent-id (PREFIX1..PREFIXN), pmm-agent-version and
 *     Basic authorization; plain gRPC or TLS (--tls-ca, the server name
 *     overridden as pmm-agent's --server-insecure-tls would not check it);
 *   - a dial as pmm-agent's (agent/client/client.go dial): the stream waits
 *     for the connection, a Ping goes at once, and the dial succeeds when
 *     its Pong (after the server's headers) comes within 5 s, otherwise the
 *     stream is cancelled; then StateChanged RUNNING for each process it
 *     already runs (SendActualStatuses);
 *   - server Ping -> Pong{now}; SetState -> SetStateResponse, then
 *     StateChanged RUNNING for each new agent_process/builtin_agent key and
 *     DONE for each removed one (--no-state-changed turns these off); any
 *     backup jobs (bench/backup_schedules.sh): GetVersions -> versions of
 *     mysqld, xtrabackup and xbcloud 8.0.33 (mongod 6.0.5, pbm 2.1.0),
 *     StartJob -> accepted, a `fleet: event=start_job t=<unix seconds>`
 *     line, then the job's JobResult at once; JobStatus -> not alive;
 *     StopJob -> done; any
 *     other server request -> status UNIMPLEMENTED (§2: unknown to us);
 *   - after a stream that was up ends, it dials again at once; after a
 *     failed dial it waits pmm-agent's backoff (agent/utils/backoff: 1 s,
 *     growing by half up to 15 s, +-50% jitter, never reset, as upstream's
 *     client keeps one for its life); at most --max-connecting dials are in
 *     progress at once (a fleet's dials are spread over time; this one
 *     process would otherwise start them all in the same instant).
 * Marks: SIGUSR1 starts a new mark (printed as `fleet: mark=M`); for each
 * mark (mark 0 = start) it prints once
 *   fleet: event=all_connected mark=M seconds=S   (every agent has headers;
 *          after mark 0 only once the count fell below N and came back)
 *   fleet: event=synced mark=M seconds=S median=H disconnects=D   (every
 *          agent got a SetState since the mark, half of them after H s;
 *          D = streams lost since the mark)
 * and every --stats-interval seconds a `fleet: t=...` counters line.
 * SIGINT/SIGTERM (or --duration) end it: streams cancelled, a summary line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "agent/v1/agent.pb-c.h"
#include "db/credentials.h"

#define OP_START 0u  /* send initial metadata + receive the server's headers */
#define OP_RECV 1u   /* one ServerMessage */
#define OP_SEND 2u   /* one AgentMessage */
#define OP_STATUS 3u /* the end of the stream */
#define OP_MASK 3u

#define BACKOFF_MIN 1.0  /* pmm-agent's backoffMinDelay */
#define BACKOFF_MAX 15.0 /* pmm-agent's backoffMaxDelay */
#define DIAL_TIMEOUT 5.0 /* pmm-agent's dialTimeout: connection, stream and first Pong */
#define DIAL_PING_ID 1u  /* the id of the Ping sent with the dial */
#define CODES 17         /* gRPC status codes 0..16 */

typedef struct {
    const char *target;
    int agents;
    const char *id_prefix;
    const char *user, *password;
    const char *version;
    const char *tls_ca;
    const char *tls_name;
    int max_connecting;
    bool state_changed;
    double stats_interval;
    double duration;
} options;

typedef struct outmsg {
    struct outmsg *next;
    grpc_byte_buffer *bb;
} outmsg;

typedef enum { A_WAITING, A_DIALLING, A_CONNECTED, A_ENDING } agent_phase;

typedef struct agent {
    int index;
    agent_phase phase;
    grpc_slice id;               /* for the metadata and the log */
    grpc_channel *ch;
    grpc_call *call;
    int pending;                 /* batches started and not completed */
    bool ended;                  /* the status batch completed */
    bool cancelled;              /* the dial timed out and was cancelled */
    double dial_t;
    grpc_metadata md[3];
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    grpc_byte_buffer *recv;
    grpc_byte_buffer *sending;
    outmsg *q_head, *q_tail;
    uint32_t next_request_id;
    double retry_at;
    double backoff_next;         /* pmm-agent's delayBaseNext */
    unsigned synced_mark;        /* the mark of its last SetState, +1 (0 = none) */
    char **procs;                /* agent ids it runs (its last SetState) */
    size_t n_procs;
} agent;

typedef struct {
    options opt;
    agent *agents;
    grpc_completion_queue *cq;
    grpc_channel_credentials *creds;
    grpc_channel_args args;
    grpc_arg arg_storage[4];
    grpc_slice method, auth, version;
    double t0, mark_t;
    unsigned mark;
    int connected, dialling, synced;
    bool dropped_since_mark, all_connected_told, synced_told, half_told;
    double half_s;               /* seconds from the mark to half the fleet synced (the median) */
    unsigned long long disconnects, disconnects_at_mark;
    unsigned long long setstates, server_pings, pongs, state_changes, unknown_requests, stream_ends, jobs;
    unsigned long long ends_by_code[CODES];
    int errors_shown;
} fleet;

static void on_connected(fleet *f, agent *a);

static volatile sig_atomic_t marks_requested;
static volatile sig_atomic_t stop_requested;

static void on_usr1(int sig)
{
    (void)sig;
    marks_requested++;
}

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* pmm-agent's Backoff.Delay(): the current base with +-50% jitter; the
 * base grows by half, up to the maximum. */
static double backoff_delay(agent *a)
{
    double d = a->backoff_next;
    a->backoff_next *= 1.5;
    if (a->backoff_next > BACKOFF_MAX)
        a->backoff_next = BACKOFF_MAX;
    double f = 2.0 * rand() / RAND_MAX - 1.0;
    d += d * f * 0.5;
    return d < 0 ? 0 : d;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fleet --target HOST:PORT --agents N [options]\n"
            "  --id-prefix P        pmm-agent ids P1..PN (default fleet-pa-)\n"
            "  --user U --password P  Basic auth (omit for none)\n"
            "  --agent-version V    pmm-agent-version metadata (default 3.0.0)\n"
            "  --tls-ca FILE        TLS, trusting FILE (PEM); default plain gRPC\n"
            "  --tls-name NAME      server name to check with TLS (default pmm-server)\n"
            "  --max-connecting K   dials in progress at once (default 1000)\n"
            "  --no-state-changed   send no StateChanged requests\n"
            "  --stats-interval S   seconds between counter lines (default 1)\n"
            "  --duration S         stop after S seconds (default: at SIGINT/SIGTERM)\n"
            "SIGUSR1 starts a new mark.\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_seconds(const char *s, double lo, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= 7 * 86400.0))
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'},         {"agents", required_argument, NULL, 'n'},
        {"id-prefix", required_argument, NULL, 'i'},      {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},       {"agent-version", required_argument, NULL, 'v'},
        {"tls-ca", required_argument, NULL, 'c'},         {"tls-name", required_argument, NULL, 'N'},
        {"max-connecting", required_argument, NULL, 'm'}, {"no-state-changed", no_argument, NULL, 'S'},
        {"stats-interval", required_argument, NULL, 's'}, {"duration", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},                 {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    o->id_prefix = "fleet-pa-";
    o->version = "3.0.0";
    o->tls_name = "pmm-server";
    o->max_connecting = 1000;
    o->state_changed = true;
    o->stats_interval = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 't': o->target = optarg; break;
        case 'n':
            if (parse_int(optarg, 1, 1000000, &o->agents) != 0)
                return -1;
            break;
        case 'i': o->id_prefix = optarg; break;
        case 'u': o->user = optarg; break;
        case 'p': o->password = optarg; break;
        case 'v': o->version = optarg; break;
        case 'c': o->tls_ca = optarg; break;
        case 'N': o->tls_name = optarg; break;
        case 'm':
            if (parse_int(optarg, 1, 1000000, &o->max_connecting) != 0)
                return -1;
            break;
        case 'S': o->state_changed = false; break;
        case 's':
            if (parse_seconds(optarg, 0.05, &o->stats_interval) != 0)
                return -1;
            break;
        case 'd':
            if (parse_seconds(optarg, 0, &o->duration) != 0)
                return -1;
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (optind != argc || o->target == NULL || o->agents == 0 || o->version[0] == '\0')
        return -1;
    if ((o->user == NULL) != (o->password == NULL))
        return -1;
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *p = realloc(buf, cap * 2);
        if (p == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (buf == NULL || err) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- counters and marks ---------------------------------------------------- */

static void tell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tell(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fleet: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static void check_milestones(fleet *f, double now)
{
    int n = f->opt.agents;
    if (!f->all_connected_told && f->connected == n && (f->mark == 0 || f->dropped_since_mark)) {
        f->all_connected_told = true;
        tell("event=all_connected mark=%u seconds=%.3f", f->mark, now - f->mark_t);
    }
    if (!f->half_told && f->synced >= (n + 1) / 2) {
        f->half_told = true;
        f->half_s = now - f->mark_t;
    }
    if (!f->synced_told && f->synced == n) {
        f->synced_told = true;
        tell("event=synced mark=%u seconds=%.3f median=%.3f disconnects=%llu", f->mark, now - f->mark_t,
             f->half_s, f->disconnects - f->disconnects_at_mark);
    }
}

static void new_mark(fleet *f, double now)
{
    f->mark++;
    f->mark_t = now;
    f->synced = 0;
    f->dropped_since_mark = false;
    f->all_connected_told = false;
    f->synced_told = false;
    f->half_told = false;
    f->disconnects_at_mark = f->disconnects;
    tell("mark=%u", f->mark);
}

static void stats_line(fleet *f, double now)
{
    tell("t=%.1f mark=%u connected=%d dialling=%d synced=%d/%d disconnects=%llu setstates=%llu "
            "server_pings=%llu state_changes=%llu stream_ends=%llu jobs=%llu",
         now - f->t0, f->mark, f->connected, f->dialling, f->synced, f->opt.agents, f->disconnects,
         f->setstates, f->server_pings, f->state_changes, f->stream_ends, f->jobs);
}

/* ---- sending --------------------------------------------------------------- */

static void start_send(fleet *f, agent *a)
{
    outmsg *m = a->q_head;
    a->q_head = m->next;
    if (a->q_head == NULL)
        a->q_tail = NULL;
    a->sending = m->bb;
    free(m);
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = a->sending;
    if (grpc_call_start_batch(a->call, &op, 1, (void *)((uintptr_t)a | OP_SEND), NULL) == GRPC_CALL_OK) {
        a->pending++;
    } else {
        grpc_byte_buffer_destroy(a->sending);
        a->sending = NULL;
    }
    (void)f;
}

/* Queues one message; grpc allows one send in flight per call. */
static void send_msg(fleet *f, agent *a, const Agent__V1__AgentMessage *msg)
{
    if (a->call == NULL || a->ended)
        return;
    size_t len = agent__v1__agent_message__get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(len);
    agent__v1__agent_message__pack(msg, GRPC_SLICE_START_PTR(s));
    outmsg *m = malloc(sizeof(*m));
    if (m == NULL) {
        grpc_slice_unref(s);
        return;
    }
    m->bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    m->next = NULL;
    if (a->q_tail != NULL)
        a->q_tail->next = m;
    else
        a->q_head = m;
    a->q_tail = m;
    if (a->sending == NULL)
        start_send(f, a);
}

static void send_state_changed(fleet *f, agent *a, const char *agent_id, Inventory__V1__AgentStatus status,
                               uint32_t port)
{
    Agent__V1__StateChangedRequest sc = AGENT__V1__STATE_CHANGED_REQUEST__INIT;
    sc.agent_id = (char *)agent_id;
    sc.status = status;
    sc.listen_port = port;
    Agent__V1__AgentMessage msg = AGENT__V1__AGENT_MESSAGE__INIT;
    msg.id = a->next_request_id++;
    msg.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_STATE_CHANGED;
    msg.state_changed = &sc;
    send_msg(f, a, &msg);
    f->state_changes++;
}

static uint32_t port_of(const agent *a, size_t i)
{
    return 42000u + (uint32_t)((a->index * 7 + (int)i) % 10000);
}

/* ---- server messages --------------------------------------------------------- */

static bool proc_in(char **list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], id) == 0)
            return true;
    return false;
}

static void free_procs(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* Runs what SetState asks: the new process list replaces the old one,
 * and pmm-agent reports what started and what stopped. */
static void apply_set_state(fleet *f, agent *a, const Agent__V1__SetStateRequest *s)
{
    size_t n = s->n_agent_processes + s->n_builtin_agents, k = 0;
    char **procs = n ? calloc(n, sizeof(*procs)) : NULL;
    if (n && procs == NULL)
        return;
    for (size_t i = 0; i < s->n_agent_processes; i++)
        if ((procs[k] = strdup(s->agent_processes[i]->key)) != NULL)
            k++;
    for (size_t i = 0; i < s->n_builtin_agents; i++)
        if ((procs[k] = strdup(s->builtin_agents[i]->key)) != NULL)
            k++;
    if (f->opt.state_changed) {
        for (size_t i = 0; i < k; i++)
            if (!proc_in(a->procs, a->n_procs, procs[i]))
                send_state_changed(f, a, procs[i], INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING,
                                   i < s->n_agent_processes ? port_of(a, i) : 0);
        for (size_t i = 0; i < a->n_procs; i++)
            if (!proc_in(procs, k, a->procs[i]))
                send_state_changed(f, a, a->procs[i], INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_DONE, 0);
    }
    free_procs(a->procs, a->n_procs);
    a->procs = procs;
    a->n_procs = k;
}

/* GetVersions: what a host with MySQL 8.0.33 and its xtrabackup, or MongoDB with pbm, answers. */
static void answer_versions(fleet *f, agent *a, const Agent__V1__ServerMessage *m, Agent__V1__AgentMessage *reply)
{
    size_t n = m->get_versions ? m->get_versions->n_softwares : 0;
    Agent__V1__GetVersionsResponse__Version v[8], *vp[8];
    Agent__V1__GetVersionsResponse resp = AGENT__V1__GET_VERSIONS_RESPONSE__INIT;
    for (size_t i = 0; i < n && i < 8; i++) {
        agent__v1__get_versions_response__version__init(&v[i]);
        int sw = m->get_versions->softwares[i]->software_case;
        v[i].version = sw == AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_MONGOD ? "6.0.5"
                       : sw == AGENT__V1__GET_VERSIONS_REQUEST__SOFTWARE__SOFTWARE_PBM  ? "2.1.0"
                                                                                         : "8.0.33";
        vp[i] = &v[i];
    }
    resp.n_versions = n < 8 ? n : 8;
    resp.versions = vp;
    reply->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_GET_VERSIONS;
    reply->get_versions = &resp;
    send_msg(f, a, reply);
}

/* StartJob: accepted and reported done at once, its arrival time printed. */
static void answer_job(fleet *f, agent *a, const Agent__V1__ServerMessage *m, Agent__V1__AgentMessage *reply)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tell("event=start_job t=%.3f job=%s", ts.tv_sec + ts.tv_nsec / 1e9, m->start_job->job_id);
    f->jobs++;
    Agent__V1__StartJobResponse sj = AGENT__V1__START_JOB_RESPONSE__INIT;
    reply->payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_START_JOB;
    reply->start_job = &sj;
    send_msg(f, a, reply);
    Agent__V1__JobResult jr = AGENT__V1__JOB_RESULT__INIT;
    Agent__V1__JobResult__MySQLBackup mb = AGENT__V1__JOB_RESULT__MY_SQLBACKUP__INIT;
    Agent__V1__JobResult__MongoDBBackup gb = AGENT__V1__JOB_RESULT__MONGO_DBBACKUP__INIT;
    jr.job_id = m->start_job->job_id;
    if (m->start_job->job_case == AGENT__V1__START_JOB_REQUEST__JOB_MONGODB_BACKUP)
        jr.result_case = AGENT__V1__JOB_RESULT__RESULT_MONGODB_BACKUP, jr.mongodb_backup = &gb;
    else
        jr.result_case = AGENT__V1__JOB_RESULT__RESULT_MYSQL_BACKUP, jr.mysql_backup = &mb;
    Agent__V1__AgentMessage res = AGENT__V1__AGENT_MESSAGE__INIT;
    res.id = a->next_request_id++;
    res.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_RESULT;
    res.job_result = &jr;
    send_msg(f, a, &res);
}

static void handle_server_message(fleet *f, agent *a, const Agent__V1__ServerMessage *m)
{
    Agent__V1__AgentMessage reply = AGENT__V1__AGENT_MESSAGE__INIT;
    reply.id = m->id;
    switch (m->payload_case) {
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_PING: {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        Google__Protobuf__Timestamp now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        now.seconds = ts.tv_sec;
        now.nanos = (int32_t)ts.tv_nsec;
        Agent__V1__Pong pong = AGENT__V1__PONG__INIT;
        pong.current_time = &now;
        reply.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PONG;
        reply.pong = &pong;
        send_msg(f, a, &reply);
        f->server_pings++;
        return;
    }
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_SET_STATE: {
        Agent__V1__SetStateResponse resp = AGENT__V1__SET_STATE_RESPONSE__INIT;
        reply.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_SET_STATE;
        reply.set_state = &resp;
        send_msg(f, a, &reply);
        apply_set_state(f, a, m->set_state);
        f->setstates++;
        if (a->synced_mark != f->mark + 1) {
            a->synced_mark = f->mark + 1;
            f->synced++;
        }
        return;
    }
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_GET_VERSIONS:
        answer_versions(f, a, m, &reply);
        return;
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_START_JOB:
        answer_job(f, a, m, &reply);
        return;
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_JOB_STATUS: {
        Agent__V1__JobStatusResponse js = AGENT__V1__JOB_STATUS_RESPONSE__INIT;
        reply.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_JOB_STATUS;
        reply.job_status = &js;
        send_msg(f, a, &reply);
        return;
    }
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_STOP_JOB: {
        Agent__V1__StopJobResponse sj = AGENT__V1__STOP_JOB_RESPONSE__INIT;
        reply.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_STOP_JOB;
        reply.stop_job = &sj;
        send_msg(f, a, &reply);
        return;
    }
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_PONG:
        f->pongs++;
        if (m->id == DIAL_PING_ID && a->phase == A_DIALLING)
            on_connected(f, a);
        return;
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_STATE_CHANGED:
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_QAN_COLLECT:
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD_ACTION_RESULT:
        return; /* answers to our requests */
    case AGENT__V1__SERVER_MESSAGE__PAYLOAD__NOT_SET:
        return; /* an answer with a status only */
    default: {
        Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
        st.code = GRPC_STATUS_UNIMPLEMENTED;
        st.message = "fleet: request not implemented by the load generator";
        reply.status = &st;
        send_msg(f, a, &reply);
        f->unknown_requests++;
        return;
    }
    }
}

/* ---- stream life --------------------------------------------------------------- */

static void start_recv(agent *a)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &a->recv;
    a->recv = NULL;
    if (grpc_call_start_batch(a->call, &op, 1, (void *)((uintptr_t)a | OP_RECV), NULL) == GRPC_CALL_OK)
        a->pending++;
}

static grpc_channel *channel_new(fleet *f)
{
    grpc_channel_credentials *creds = f->creds ? f->creds : grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(f->opt.target, creds, &f->args);
    if (f->creds == NULL)
        grpc_channel_credentials_release(creds);
    return ch;
}

static void dial(fleet *f, agent *a, double now)
{
    a->dial_t = now;
    a->cancelled = false;
    a->ch = channel_new(f);
    a->call = grpc_channel_create_call(a->ch, NULL, GRPC_PROPAGATE_DEFAULTS, f->cq, f->method, NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    a->phase = A_DIALLING;
    f->dialling++;
    a->ended = false;
    a->next_request_id = DIAL_PING_ID;
    grpc_metadata_array_init(&a->initial_md);
    grpc_metadata_array_init(&a->trailing_md);
    a->details = grpc_empty_slice();

    grpc_op ops[2];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    /* grpc.WithBlock: the stream waits for the connection (bounded by the dial timeout) */
    ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY | GRPC_INITIAL_METADATA_WAIT_FOR_READY_EXPLICITLY_SET;
    ops[0].data.send_initial_metadata.count = f->opt.user ? 3 : 2;
    ops[0].data.send_initial_metadata.metadata = a->md;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &a->initial_md;
    if (grpc_call_start_batch(a->call, ops, 2, (void *)((uintptr_t)a | OP_START), NULL) == GRPC_CALL_OK)
        a->pending++;
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[0].data.recv_status_on_client.trailing_metadata = &a->trailing_md;
    ops[0].data.recv_status_on_client.status = &a->status;
    ops[0].data.recv_status_on_client.status_details = &a->details;
    if (grpc_call_start_batch(a->call, ops, 1, (void *)((uintptr_t)a | OP_STATUS), NULL) == GRPC_CALL_OK)
        a->pending++;
    else
        grpc_call_cancel(a->call, NULL);
    start_recv(a);
    /* the Ping that measures the clock drift; its Pong completes the dial */
    Agent__V1__Ping ping = AGENT__V1__PING__INIT;
    Agent__V1__AgentMessage msg = AGENT__V1__AGENT_MESSAGE__INIT;
    msg.id = a->next_request_id++;
    msg.payload_case = AGENT__V1__AGENT_MESSAGE__PAYLOAD_PING;
    msg.ping = &ping;
    send_msg(f, a, &msg);
}

static void leave_dialling(fleet *f, agent *a)
{
    if (a->phase == A_DIALLING)
        f->dialling--;
}

/* The server's headers: pmm-agent reads them after the Pong (an empty set
 * ends the dial, as the stream's status will tell). */
static void on_headers(fleet *f, agent *a, bool success)
{
    (void)f;
    if ((!success || a->initial_md.count == 0) && a->call != NULL && !a->ended)
        grpc_call_cancel(a->call, NULL);
}

static void on_connected(fleet *f, agent *a)
{
    leave_dialling(f, a);
    a->phase = A_CONNECTED;
    f->connected++;
    if (f->opt.state_changed)
        for (size_t i = 0; i < a->n_procs; i++)
            send_state_changed(f, a, a->procs[i], INVENTORY__V1__AGENT_STATUS__AGENT_STATUS_RUNNING,
                               port_of(a, i));
}

static void on_message(fleet *f, agent *a, bool success)
{
    grpc_byte_buffer *bb = a->recv;
    a->recv = NULL;
    if (!success || bb == NULL)
        return; /* the stream is ending; the status batch tells how */
    grpc_byte_buffer_reader reader;
    if (grpc_byte_buffer_reader_init(&reader, bb)) {
        grpc_slice s = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        Agent__V1__ServerMessage *m =
            agent__v1__server_message__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
        grpc_slice_unref(s);
        if (m != NULL) {
            handle_server_message(f, a, m);
            agent__v1__server_message__free_unpacked(m, NULL);
        } else {
            fprintf(stderr, "fleet: %.*s: undecodable ServerMessage\n", (int)GRPC_SLICE_LENGTH(a->id),
                    (const char *)GRPC_SLICE_START_PTR(a->id));
        }
    }
    grpc_byte_buffer_destroy(bb);
    if (!a->ended)
        start_recv(a);
}

static void on_sent(fleet *f, agent *a)
{
    grpc_byte_buffer_destroy(a->sending);
    a->sending = NULL;
    if (a->q_head != NULL && !a->ended)
        start_send(f, a);
}

static void on_status(fleet *f, agent *a)
{
    a->ended = true;
    f->stream_ends++;
    int code = (int)a->status;
    f->ends_by_code[code >= 0 && code < CODES ? code : GRPC_STATUS_UNKNOWN]++;
    if (a->phase == A_CONNECTED) {
        f->connected--;
        f->disconnects++;
        f->dropped_since_mark = true;
        a->retry_at = 0; /* Connect() starts dialling again at once */
    } else {
        a->retry_at = -1; /* a failed dial: backoff, set when the stream is released */
    }
    leave_dialling(f, a);
    a->phase = A_ENDING;
    if (code != GRPC_STATUS_OK && f->errors_shown < 5 && !stop_requested) {
        f->errors_shown++;
        fprintf(stderr, "fleet: %.*s: stream ended: code=%d %.*s\n", (int)GRPC_SLICE_LENGTH(a->id),
                (const char *)GRPC_SLICE_START_PTR(a->id), code, (int)GRPC_SLICE_LENGTH(a->details),
                (const char *)GRPC_SLICE_START_PTR(a->details));
    }
}

/* Everything of the finished stream goes; the agent dials again later. */
static void release_stream(fleet *f, agent *a, double now)
{
    while (a->q_head != NULL) {
        outmsg *m = a->q_head;
        a->q_head = m->next;
        grpc_byte_buffer_destroy(m->bb);
        free(m);
    }
    a->q_tail = NULL;
    grpc_metadata_array_destroy(&a->initial_md);
    grpc_metadata_array_destroy(&a->trailing_md);
    grpc_slice_unref(a->details);
    grpc_call_unref(a->call);
    a->call = NULL;
    grpc_channel_destroy(a->ch);
    a->ch = NULL;
    a->retry_at = a->retry_at < 0 ? now + backoff_delay(a) : now;
    a->phase = A_WAITING;
    (void)f;
}

static void on_event(fleet *f, grpc_event ev, double now)
{
    agent *a = (agent *)((uintptr_t)ev.tag & ~(uintptr_t)OP_MASK);
    switch ((uintptr_t)ev.tag & OP_MASK) {
    case OP_START: on_headers(f, a, ev.success); break;
    case OP_RECV: on_message(f, a, ev.success); break;
    case OP_SEND: on_sent(f, a); break;
    case OP_STATUS: on_status(f, a); break;
    }
    a->pending--;
    if (a->ended && a->pending == 0)
        release_stream(f, a, now);
}

/* ---- the loop ------------------------------------------------------------------- */

/* Starts the dials that are due, cancels those past the dial timeout. */
static void dial_due(fleet *f, double now)
{
    for (int i = 0; i < f->opt.agents; i++) {
        agent *a = &f->agents[i];
        if (a->phase == A_WAITING && a->retry_at <= now && !stop_requested &&
            f->dialling < f->opt.max_connecting)
            dial(f, a, now);
        else if (a->phase == A_DIALLING && !a->cancelled && now - a->dial_t > DIAL_TIMEOUT) {
            a->cancelled = true;
            grpc_call_cancel(a->call, NULL);
        }
    }
}

static void run(fleet *f)
{
    double now = now_s(), next_stats = now + f->opt.stats_interval, next_scan = now;
    double end = f->opt.duration > 0 ? now + f->opt.duration : 0;
    unsigned marks_done = 0;
    while (!stop_requested && (end == 0 || now < end)) {
        if ((unsigned)marks_requested != marks_done) {
            marks_done = (unsigned)marks_requested;
            new_mark(f, now);
        }
        if (now >= next_scan) {
            dial_due(f, now);
            next_scan = now + 0.01;
        }
        gpr_timespec wait = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(10, GPR_TIMESPAN));
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(f->cq, wait, NULL);
            if (ev.type != GRPC_OP_COMPLETE)
                break;
            now = now_s();
            on_event(f, ev, now);
            wait = gpr_time_0(GPR_CLOCK_MONOTONIC); /* drain what is ready, then look around */
        }
        now = now_s();
        check_milestones(f, now);
        if (now >= next_stats) {
            stats_line(f, now);
            next_stats = now + f->opt.stats_interval;
        }
    }
}

/* Cancels every stream and waits (bounded) for their batches. */
static void shutdown_fleet(fleet *f)
{
    stop_requested = 1;
    for (int i = 0; i < f->opt.agents; i++)
        if (f->agents[i].call != NULL)
            grpc_call_cancel(f->agents[i].call, NULL);
    double deadline = now_s() + 10;
    int live = 1;
    while (live && now_s() < deadline) {
        grpc_event ev = grpc_completion_queue_next(
            f->cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(50, GPR_TIMESPAN)), NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            on_event(f, ev, now_s());
        live = 0;
        for (int i = 0; i < f->opt.agents && !live; i++)
            live = f->agents[i].call != NULL;
    }
}

static int fleet_init(fleet *f)
{
    const options *o = &f->opt;
    f->method = grpc_slice_from_static_string("/agent.v1.AgentService/Connect");
    f->version = grpc_slice_from_copied_string(o->version);
    f->auth = grpc_empty_slice();
    if (o->user != NULL) {
        char *auth = cred_basic_auth(o->user, o->password);
        if (auth == NULL)
            return -1;
        grpc_slice_unref(f->auth);
        f->auth = grpc_slice_from_copied_string(auth);
        free(auth);
    }
    int na = 0;
    /* one connection per channel, as each pmm-agent has its own */
    f->arg_storage[na].type = GRPC_ARG_INTEGER;
    f->arg_storage[na].key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    f->arg_storage[na++].value.integer = 1;
    /* a stream is never retried by grpc: the agent dials again itself */
    f->arg_storage[na].type = GRPC_ARG_INTEGER;
    f->arg_storage[na].key = GRPC_ARG_ENABLE_RETRIES;
    f->arg_storage[na++].value.integer = 0;
    f->arg_storage[na].type = GRPC_ARG_INTEGER;
    f->arg_storage[na].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    f->arg_storage[na++].value.integer = 100 * 1024 * 1024;
    if (o->tls_ca != NULL) {
        char *pem = read_file(o->tls_ca);
        if (pem == NULL) {
            fprintf(stderr, "fleet: cannot read %s: %s\n", o->tls_ca, strerror(errno));
            return -1;
        }
        f->creds = grpc_ssl_credentials_create(pem, NULL, NULL, NULL);
        free(pem);
        f->arg_storage[na].type = GRPC_ARG_STRING;
        f->arg_storage[na].key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        f->arg_storage[na++].value.string = (char *)o->tls_name;
    }
    f->args.num_args = (size_t)na;
    f->args.args = f->arg_storage;
    f->cq = grpc_completion_queue_create_for_next(NULL);
    f->agents = calloc((size_t)o->agents, sizeof(*f->agents));
    if (f->agents == NULL)
        return -1;
    for (int i = 0; i < o->agents; i++) {
        agent *a = &f->agents[i];
        char id[256];
        snprintf(id, sizeof(id), "%s%d", o->id_prefix, i + 1);
        a->index = i;
        a->id = grpc_slice_from_copied_string(id);
        a->backoff_next = BACKOFF_MIN;
        a->phase = A_WAITING;
        a->md[0].key = grpc_slice_from_static_string("pmm-agent-id");
        a->md[0].value = a->id;
        a->md[1].key = grpc_slice_from_static_string("pmm-agent-version");
        a->md[1].value = f->version;
        a->md[2].key = grpc_slice_from_static_string("authorization");
        a->md[2].value = f->auth;
    }
    f->t0 = f->mark_t = now_s();
    return 0;
}

static void fleet_free(fleet *f)
{
    if (f->agents != NULL) {
        for (int i = 0; i < f->opt.agents; i++) {
            grpc_slice_unref(f->agents[i].id);
            free_procs(f->agents[i].procs, f->agents[i].n_procs);
        }
        free(f->agents);
    }
    if (f->cq != NULL) {
        grpc_completion_queue_shutdown(f->cq);
        while (grpc_completion_queue_next(f->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(f->cq);
    }
    if (f->creds != NULL)
        grpc_channel_credentials_release(f->creds);
    grpc_slice_unref(f->auth);
    grpc_slice_unref(f->version);
}

int main(int argc, char **argv)
{
    fleet f;
    memset(&f, 0, sizeof(f));
    if (parse_args(argc, argv, &f.opt) != 0) {
        usage(stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    srand((unsigned)getpid());
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    grpc_init();
    int rc = 1;
    if (fleet_init(&f) == 0) {
        run(&f);
        double now = now_s();
        stats_line(&f, now);
        tell("done seconds=%.1f disconnects=%llu setstates=%llu ends_ok=%llu ends_unavailable=%llu "
                 "ends_other=%llu",
             now - f.t0, f.disconnects, f.setstates, f.ends_by_code[GRPC_STATUS_OK],
             f.ends_by_code[GRPC_STATUS_UNAVAILABLE],
             f.stream_ends - f.ends_by_code[GRPC_STATUS_OK] - f.ends_by_code[GRPC_STATUS_UNAVAILABLE]);
        shutdown_fleet(&f);
        rc = 0;
    } else {
        fprintf(stderr, "fleet: setup failed\n");
    }
    fleet_free(&f);
    grpc_shutdown();
    return rc;
}
