/* duration: the duration texts check and template files carry: Go's
 * time.ParseDuration ("1h30m", "1.5s", "300ms") and Prometheus'
 * model.ParseDuration units ("1d", "2w", "1y"), into nanoseconds. */
#ifndef CHECKSD_DURATION_H
#define CHECKSD_DURATION_H

#include <stdint.h>

/* 0 with *ns, or -1 when s is not a duration (or overflows). */
int duration_parse(const char *s, int64_t *ns);

#endif
