/* utf8: strict UTF-8 validation. */
#ifndef PMM_UTF8_H
#define PMM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid sequence starting at s (1-4), or 0 when invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
bool utf8_valid(const char *s, size_t n);

#endif
