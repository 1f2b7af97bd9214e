/* kinds: lookups in the constant tables that describe the node, service
 * and agent types (node_kinds, service_kinds, agent_kinds): the entry
 * whose string field (at offset off) equals name, or whose int field
 * equals value; NULL when none does, or name is NULL. A NULL string field
 * never matches. One loop for every "kind by ..." of the three models. */
#ifndef INVENTORYD_KINDS_H
#define INVENTORYD_KINDS_H

#include <stddef.h>
#include <string.h>

static inline const void *kinds_by_str(const void *table, int n, size_t size, size_t off, const char *name)
{
    for (int i = 0; name && i < n; i++) {
        const char *entry = (const char *)table + (size_t)i * size;
        const char *v = *(const char *const *)(entry + off);
        if (v && strcmp(v, name) == 0)
            return entry;
    }
    return NULL;
}

static inline const void *kinds_by_int(const void *table, int n, size_t size, size_t off, int value)
{
    for (int i = 0; i < n; i++) {
        const char *entry = (const char *)table + (size_t)i * size;
        if (*(const int *)(entry + off) == value)
            return entry;
    }
    return NULL;
}

#define KIND_BY_STR(table, count, field, name) \
    kinds_by_str((table), (count), sizeof *(table), offsetof(__typeof__(*(table)), field), (name))
#define KIND_BY_INT(table, count, field, value) \
    kinds_by_int((table), (count), sizeof *(table), offsetof(__typeof__(*(table)), field), (value))

#endif
