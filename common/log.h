/* log: logfmt lines on stderr, one per event, with a level filter.
 * ts=2026-01-02T03:04:05.678Z level=info prog=gateway msg="listening" */
#ifndef PMM_LOG_H
#define PMM_LOG_H

#include <stdarg.h>

typedef enum {
    LOG_TRACE = 0,
    LOG_DEBUG,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR,
    LOG_FATAL
} log_level;

void log_init(const char *program, log_level level);
void log_set_level(log_level level);
log_level log_get_level(void);
/* Parses trace|debug|info|warn|warning|error|fatal. Returns 0 or -1. */
int log_level_parse(const char *name, log_level *out);

/* The formatted text becomes the quoted msg= value. Thread-safe. */
void log_printf(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(log_level level, const char *fmt, va_list ap);

#define log_trace(...) log_printf(LOG_TRACE, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)

/* An impossible state: logs it at level fatal and aborts, so that the
 * process stops loudly (supervisord restarts it, a core shows where)
 * instead of going on with state it cannot trust. Never for bad input
 * from outside the process: that gets an error. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
