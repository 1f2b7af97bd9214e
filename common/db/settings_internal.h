/* settings_internal: helpers shared by settings.c and settings_change.c. */
#ifndef PMM_SETTINGS_INTERNAL_H
#define PMM_SETTINGS_INTERNAL_H

#include "db/settings.h"

/* upstream's fillDefaults; also makes every string non-NULL. -1 on ENOMEM. */
int settings_fill_defaults(settings *s);
/* Replaces *dst with a copy of s (NULL -> ""); -1 on ENOMEM. */
int settings_set_str(char **dst, const char *s);
/* dst = src without repeats, order kept (upstream's deduplicateStrings). */
int settings_strings_set_dedup(settings_strings *dst, const settings_strings *src);

#endif
