/* bus: endpoint names, the socket helpers every bus socket shares, and the
 * PUB/SUB event channel (two frames: topic, payload). */
#include "clock.h"
#include "bus/bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <msgpack.h>
#include <zmq.h>

#include "bus/sock.h"
#include "log.h"

void bus_endpoint(char *out, size_t outlen, const char *run_dir, const char *name)
{
    snprintf(out, outlen, "ipc://%s/%s.sock", run_dir, name);
}

void bus_pub_endpoint(char *out, size_t outlen, const char *run_dir, const char *name)
{
    snprintf(out, outlen, "ipc://%s/%s.pub", run_dir, name);
}

/* ---- socket helpers ------------------------------------------------------ */

int bus_sockopt(void *sock, int opt, int value)
{
    return zmq_setsockopt(sock, opt, &value, sizeof value);
}

static const char *ipc_path(const char *endpoint)
{
    return strncmp(endpoint, "ipc://", 6) == 0 ? endpoint + 6 : NULL;
}

/* True when something accepts connections on the unix socket at path. */
static int ipc_live(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return 0;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return live;
}

int bus_ipc_live(const char *endpoint)
{
    const char *path = ipc_path(endpoint);
    return path ? ipc_live(path) : -1;
}

int bus_bind(void *sock, const char *endpoint)
{
    const char *path = ipc_path(endpoint);
    if (path && ipc_live(path)) {
        log_error("bus: %s is already served by another process", endpoint);
        return -1;
    }
    if (path && unlink(path) != 0 && errno != ENOENT)
        log_warn("bus: cannot remove stale %s: %s", path, strerror(errno));
    if (zmq_bind(sock, endpoint) != 0) {
        log_error("bus: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

void bus_unbind_file(const char *endpoint)
{
    const char *path = ipc_path(endpoint);
    if (path && unlink(path) != 0 && errno != ENOENT)
        log_warn("bus: cannot remove %s: %s", path, strerror(errno));
}

void bus_close_frames(zmq_msg_t *frames, int count)
{
    for (int i = 0; i < count; i++)
        zmq_msg_close(&frames[i]);
}

int bus_recv_frames(void *sock, zmq_msg_t *frames, int max, int *count, int *total, int flags)
{
    *count = 0;
    *total = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        /* Later parts of a message are already here: only the first may wait. */
        if (zmq_msg_recv(&m, sock, *total == 0 ? flags : 0) < 0) {
            int err = zmq_errno();
            zmq_msg_close(&m);
            bus_close_frames(frames, *count);
            *count = 0;
            errno = err;
            return -1;
        }
        int more = zmq_msg_more(&m);
        (*total)++;
        if (*count < max)
            frames[(*count)++] = m;
        else
            zmq_msg_close(&m);
        if (!more)
            return 0;
    }
}

/* ---- events: publisher --------------------------------------------------- */

struct bus_pub {
    pthread_mutex_t mu; /* zmq sockets are not thread-safe */
    void *sock;
    char *endpoint;
};

bus_pub *bus_pub_new(void *zmq_ctx, const char *endpoint)
{
    bus_pub *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->endpoint = strdup(endpoint);
    p->sock = zmq_socket(zmq_ctx, ZMQ_PUB);
    if (!p->endpoint || !p->sock || bus_sockopt(p->sock, ZMQ_LINGER, 0) != 0 ||
        bus_bind(p->sock, endpoint) != 0) {
        if (p->sock)
            zmq_close(p->sock);
        p->sock = NULL;
        bus_pub_destroy(p);
        return NULL;
    }
    return p;
}

int bus_pub_send(bus_pub *p, const char *topic, const void *payload, size_t len)
{
    if (!p || !topic || (len && !payload))
        return -1;
    pthread_mutex_lock(&p->mu);
    /* PUB never blocks: a slow subscriber loses events beyond its HWM, which
     * is fine because events are hints and the database is the truth. */
    int rc = zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
             zmq_send(p->sock, payload, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int bus_pub_send_strings(bus_pub *p, const char *topic, size_t n, const char *const *keys,
                         const char *const *values)
{
    if (!p)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_str_with_body(&pk, keys[i], strlen(keys[i]));
        msgpack_pack_str_with_body(&pk, values[i], strlen(values[i]));
    }
    int rc = bus_pub_send(p, topic, sb.data, sb.size);
    if (rc != 0)
        log_warn("could not publish %s", topic);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

void bus_pub_destroy(bus_pub *p)
{
    if (!p)
        return;
    if (p->sock) {
        zmq_close(p->sock);
        bus_unbind_file(p->endpoint);
    }
    pthread_mutex_destroy(&p->mu);
    free(p->endpoint);
    free(p);
}

/* ---- events: subscriber -------------------------------------------------- */

struct bus_sub {
    void *sock;
};

bus_sub *bus_sub_new(void *zmq_ctx)
{
    bus_sub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sock = zmq_socket(zmq_ctx, ZMQ_SUB);
    if (!s->sock || bus_sockopt(s->sock, ZMQ_LINGER, 0) != 0) {
        bus_sub_destroy(s);
        return NULL;
    }
    return s;
}

int bus_sub_connect(bus_sub *s, const char *endpoint, const char *topic_prefix)
{
    const char *prefix = topic_prefix ? topic_prefix : "";
    if (!s || !endpoint)
        return -1;
    if (zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) != 0 ||
        zmq_connect(s->sock, endpoint) != 0) {
        log_error("bus: cannot subscribe to %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int take_event(zmq_msg_t *f, char **topic, uint8_t **payload, size_t *len)
{
    size_t tlen = zmq_msg_size(&f[0]), plen = zmq_msg_size(&f[1]);
    char *t = malloc(tlen + 1);
    uint8_t *b = malloc(plen ? plen : 1);
    if (!t || !b) {
        free(t);
        free(b);
        return -1;
    }
    memcpy(t, zmq_msg_data(&f[0]), tlen);
    t[tlen] = '\0';
    memcpy(b, zmq_msg_data(&f[1]), plen);
    *topic = t;
    *payload = b;
    *len = plen;
    return 1;
}

int bus_sub_recv(bus_sub *s, int timeout_ms, char **topic, uint8_t **payload, size_t *len)
{
    if (!s || !topic || !payload || !len)
        return -1;
    int64_t end = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t left = end - clock_mono_ms();
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, left > 0 ? (long)left : 0);
        if (n < 0 && zmq_errno() != EINTR)
            return -1;
        if (n > 0) {
            zmq_msg_t f[2];
            int count, total;
            if (bus_recv_frames(s->sock, f, 2, &count, &total, ZMQ_DONTWAIT) != 0)
                return -1;
            int rc = total == 2 ? take_event(f, topic, payload, len) : 0;
            bus_close_frames(f, count);
            if (rc != 0)
                return rc;
            /* not topic + payload: not one of ours, keep waiting */
        }
        if (left <= 0)
            return 0;
    }
}

void bus_sub_destroy(bus_sub *s)
{
    if (!s)
        return;
    if (s->sock)
        zmq_close(s->sock);
    free(s);
}
