/* enums: stored strings <-> backup.v1 enums (see enums.h). */
#include "enums.h"

#include <stdlib.h>
#include <string.h>

#include "backup/v1/artifacts.pb-c.h"
#include "backup/v1/common.pb-c.h"
#include "backup/v1/restores.pb-c.h"

typedef struct {
    const char *s;
    int v;
} pair;

static int lookup(const pair *p, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(p[i].s, s) == 0)
            return p[i].v;
    return 0;
}

static const char *rlookup(const pair *p, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].v == v)
            return p[i].s;
    return NULL;
}

static const pair models[] = { { "physical", BACKUP__V1__DATA_MODEL__DATA_MODEL_PHYSICAL },
                               { "logical", BACKUP__V1__DATA_MODEL__DATA_MODEL_LOGICAL } };
static const pair modes[] = { { "snapshot", BACKUP__V1__BACKUP_MODE__BACKUP_MODE_SNAPSHOT },
                              { "incremental", BACKUP__V1__BACKUP_MODE__BACKUP_MODE_INCREMENTAL },
                              { "pitr", BACKUP__V1__BACKUP_MODE__BACKUP_MODE_PITR } };
static const pair statuses[] = { { "pending", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_PENDING },
                                 { "in_progress", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_IN_PROGRESS },
                                 { "paused", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_PAUSED },
                                 { "success", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_SUCCESS },
                                 { "error", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_ERROR },
                                 { "deleting", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_DELETING },
                                 { "failed_to_delete", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_FAILED_TO_DELETE },
                                 { "cleanup_in_progress", BACKUP__V1__BACKUP_STATUS__BACKUP_STATUS_CLEANUP_IN_PROGRESS } };
static const pair rstatuses[] = { { "in_progress", BACKUP__V1__RESTORE_STATUS__RESTORE_STATUS_IN_PROGRESS },
                                  { "success", BACKUP__V1__RESTORE_STATUS__RESTORE_STATUS_SUCCESS },
                                  { "error", BACKUP__V1__RESTORE_STATUS__RESTORE_STATUS_ERROR } };
#define N(a) (sizeof a / sizeof *a)

int enum_data_model(const char *s) { return lookup(models, N(models), s); }
const char *str_data_model(int v) { return rlookup(models, N(models), v); }
int enum_backup_mode(const char *s) { return lookup(modes, N(modes), s); }
const char *str_backup_mode(int v) { return rlookup(modes, N(modes), v); }
int enum_backup_status(const char *s) { return lookup(statuses, N(statuses), s); }
int enum_restore_status(const char *s) { return lookup(rstatuses, N(rstatuses), s); }

Google__Protobuf__Timestamp *ts_from_ms(int64_t ms)
{
    if (!ms)
        return NULL;
    Google__Protobuf__Timestamp *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    google__protobuf__timestamp__init(t);
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

int64_t ts_to_ms(const Google__Protobuf__Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}
