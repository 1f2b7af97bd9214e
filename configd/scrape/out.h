/* out: the text side of the scrape configuration: a growable
 * buffer, YAML scalars written the way gopkg.in/yaml.v3 (upstream's
 * marshaller) writes them, and yaml.v3's map key order, so that the file
 * reads exactly like pmm-managed's and any value (custom labels are user
 * input) is quoted safely. */
#ifndef CONFIGD_SCRAPE_OUT_H
#define CONFIGD_SCRAPE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;   /* an allocation failed: the content is incomplete */
} scrape_buf;

void sbuf_free(scrape_buf *b);
/* Room for more bytes (an estimate saves the copies of growing). */
void sbuf_reserve(scrape_buf *b, size_t more);
void sbuf_reset(scrape_buf *b);
void sbuf_add(scrape_buf *b, const char *s, size_t n);
void sbuf_puts(scrape_buf *b, const char *s);
void sbuf_printf(scrape_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_indent(scrape_buf *b, int n);
/* s as a YAML scalar: plain when yaml.v3 would write it plain, else
 * double-quoted with escapes. */
void sbuf_scalar(scrape_buf *b, const char *s);
/* "<indent>key: value\n" with value as a scalar. */
void sbuf_kv(scrape_buf *b, int indent, const char *key, const char *value);

/* yaml.v3's order of map keys (letters after other characters, digit runs
 * compared as numbers), as strcmp does. */
int scrape_key_cmp(const char *a, const char *b);

/* promconfig's Duration text ("5s", "4500ms", "1m"): ns truncated to ms,
 * in the largest unit that divides it. */
void scrape_duration(char *out, size_t outlen, int64_t ns);
/* Go's time.Duration String ("10s", "1m0s", "1.5s"). */
void scrape_go_duration(char *out, size_t outlen, int64_t ns);
/* upstream's scrapeTimeout: 1 s up to 2 s, else 0.9 x interval. */
int64_t scrape_timeout_ns(int64_t interval_ns);

#endif
