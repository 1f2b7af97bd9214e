/* cron: standard 5-field cron expressions (minute hour day-of-month month
 * day-of-week) in UTC, as robfig/cron v3's ParseStandard reads them for
 * upstream's scheduler: "*", "?", lists "a,b", ranges "a-b", steps "/n"
 * (also "a/n" = a to the field's maximum), month and weekday names
 * (jan..dec, sun..sat, any case), the descriptors @yearly @annually
 * @monthly @weekly @daily @midnight @hourly and "@every <duration>", with
 * robfig's error texts. Day-of-month and day-of-week combine as robfig
 * does: either one restricted -> a day matching either. No C library for
 * this is packaged in Debian, hence this file. */
#ifndef BACKUPD_CRON_H
#define BACKUPD_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t minute, hour, dom, month, dow; /* bit i set: value i allowed; bit 63: the field was * or ? */
    int64_t every_s;                          /* @every: the period in seconds (0 otherwise) */
} cron_expr;

/* 0, or -1 with robfig's message in err ("expected exactly 5 fields,
 * found 3: [0 1 1]", "end of range (60) above maximum (59): 60", ...). */
int cron_parse(const char *spec, cron_expr *out, char *err, size_t errlen);

/* The first time strictly after t (Unix seconds, UTC) that matches, or 0
 * when none within five years (e.g. "0 0 30 2 *"), as robfig's Next. */
int64_t cron_next(const cron_expr *e, int64_t t);

#endif
