/* log: logfmt lines on stderr with a level filter (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *prog_name = "pmm";
static volatile log_level min_level = LOG_INFO;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = { "trace", "debug", "info", "warn", "error", "fatal" };

void log_init(const char *program, log_level level)
{
    prog_name = program;
    min_level = level;
}

void log_set_level(log_level level) { min_level = level; }
log_level log_get_level(void) { return min_level; }

int log_level_parse(const char *name, log_level *out)
{
    if (!name)
        return -1;
    if (strcmp(name, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    for (int i = LOG_TRACE; i <= LOG_FATAL; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

/* Writes s as a logfmt quoted value: only " \ and control characters need care. */
static size_t quote_into(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    if (cap < 3)
        return 0;
    dst[n++] = '"';
    for (; *s && n + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c == '\n') {
            dst[n++] = '\\';
            dst[n++] = 'n';
        } else if (c < 0x20) {
            dst[n++] = ' ';
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n++] = '"';
    dst[n] = '\0';
    return n;
}

void log_vprintf(log_level level, const char *fmt, va_list ap)
{
    if (level < min_level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char quoted[4200];
    quote_into(quoted, sizeof quoted, msg);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    pthread_mutex_lock(&out_lock);
    fprintf(stderr, "ts=%s.%03ldZ level=%s prog=%s msg=%s\n", when, ts.tv_nsec / 1000000L,
            level_names[level], prog_name, quoted);
    fflush(stderr);
    pthread_mutex_unlock(&out_lock);
}

void log_printf(log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(LOG_FATAL, fmt, ap);
    va_end(ap);
    abort();
}
