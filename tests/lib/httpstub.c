/* httpstub: a loopback HTTP/1.1 server on a thread (see httpstub.h). */
#include "httpstub.h"

#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#define MAX_HELD 64

struct httpstub {
    int fd, port;
    httpstub_fn fn;
    void *ud;
    pthread_t thread;
    pthread_mutex_t mu;
    int stop, count;
    int held[MAX_HELD];
    int n_held;
};

void httpstub_header(const httpstub_req *r, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    *out = '\0';
    for (const char *line = r->head; *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(line + len - v), v);
            return;
        }
        line += len + (end ? 2 : 0);
    }
}

/* Reads one request; 0 or -1. */
static int read_request(int c, httpstub_req *r)
{
    char buf[65536];
    size_t got = 0;
    char *end = NULL;
    while (!end && got < sizeof buf - 1) {
        ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return -1;
    *end = '\0';
    char *line_end = strstr(buf, "\r\n");
    if (line_end)
        *line_end = '\0';
    if (sscanf(buf, "%15s %4095s", r->method, r->target) != 2)
        return -1;
    snprintf(r->head, sizeof r->head, "%s\r\n", line_end ? line_end + 2 : "");
    char cl[32];
    httpstub_header(r, "Content-Length", cl, sizeof cl);
    size_t want = (size_t)strtoul(cl, NULL, 10), have = got - (size_t)(end + 4 - buf);
    if (want > (16u << 20))
        return -1;
    r->body = malloc(want + 1);
    if (!r->body)
        return -1;
    memcpy(r->body, end + 4, have < want ? have : want);
    while (have < want) {
        ssize_t n = read(c, r->body + have, want - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    r->body[want] = '\0';
    r->body_len = want;
    return 0;
}

static void write_all(int c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(c, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void serve(httpstub *s, int c)
{
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    httpstub_req r = { 0 };
    httpstub_answer a = { 0 };
    if (read_request(c, &r) == 0) {
        s->fn(s->ud, &r, &a);
        pthread_mutex_lock(&s->mu);
        s->count++;
        if (a.silent && s->n_held < MAX_HELD) {
            s->held[s->n_held++] = c;
            pthread_mutex_unlock(&s->mu);
            free(r.body);
            return;
        }
        pthread_mutex_unlock(&s->mu);
        size_t blen = a.body ? (a.body_len ? a.body_len : strlen(a.body)) : 0;
        char head[8192];
        int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                         a.status ? a.status : 200, a.reason ? a.reason : (a.status && a.status != 200 ? "Error" : "OK"),
                         blen, a.headers ? a.headers : "");
        write_all(c, head, (size_t)n);
        if (blen)
            write_all(c, a.body, blen);
    }
    free(r.body);
    close(c);
}

static void *loop(void *arg)
{
    httpstub *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            return NULL;
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c >= 0)
            serve(s, c);
    }
}

httpstub *httpstub_start(httpstub_fn fn, void *ud)
{
    httpstub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 64) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) != 0 || pthread_create(&s->thread, NULL, loop, s) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    return s;
}

int httpstub_port(const httpstub *s)
{
    return s->port;
}

int httpstub_count(httpstub *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void httpstub_stop(httpstub *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->n_held; i++)
        close(s->held[i]);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
