/* model: see model.h. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static const char *const query_names[Q_NTYPES] = {
    [Q_MYSQL_SHOW] = "MYSQL_SHOW",
    [Q_MYSQL_SELECT] = "MYSQL_SELECT",
    [Q_POSTGRESQL_SHOW] = "POSTGRESQL_SHOW",
    [Q_POSTGRESQL_SELECT] = "POSTGRESQL_SELECT",
    [Q_MONGODB_GETPARAMETER] = "MONGODB_GETPARAMETER",
    [Q_MONGODB_BUILDINFO] = "MONGODB_BUILDINFO",
    [Q_MONGODB_GETCMDLINEOPTS] = "MONGODB_GETCMDLINEOPTS",
    [Q_MONGODB_REPLSETGETSTATUS] = "MONGODB_REPLSETGETSTATUS",
    [Q_MONGODB_GETDIAGNOSTICDATA] = "MONGODB_GETDIAGNOSTICDATA",
    [Q_METRICS_INSTANT] = "METRICS_INSTANT",
    [Q_METRICS_RANGE] = "METRICS_RANGE",
    [Q_CLICKHOUSE_SELECT] = "CLICKHOUSE_SELECT",
};

const char *query_type_name(query_type t)
{
    return (unsigned)t < Q_NTYPES ? query_names[t] : NULL;
}

int query_type_parse(const char *s)
{
    for (int i = 0; i < Q_NTYPES; i++)
        if (strcmp(s, query_names[i]) == 0)
            return i;
    return -1;
}

const char *interval_name(check_interval i)
{
    switch (i) {
    case INTERVAL_STANDARD: return "standard";
    case INTERVAL_FREQUENT: return "frequent";
    case INTERVAL_RARE: return "rare";
    default: return "";
    }
}

int interval_parse(const char *s)
{
    if (!*s || strcmp(s, "standard") == 0)
        return INTERVAL_STANDARD;
    if (strcmp(s, "frequent") == 0)
        return INTERVAL_FREQUENT;
    if (strcmp(s, "rare") == 0)
        return INTERVAL_RARE;
    return -1;
}

const char *family_name(check_family f)
{
    switch (f) {
    case FAMILY_MYSQL: return "MYSQL";
    case FAMILY_POSTGRESQL: return "POSTGRESQL";
    case FAMILY_MONGODB: return "MONGODB";
    default: return "";
    }
}

const char *family_service_type(check_family f)
{
    switch (f) {
    case FAMILY_MYSQL: return "mysql";
    case FAMILY_POSTGRESQL: return "postgresql";
    case FAMILY_MONGODB: return "mongodb";
    default: return "";
    }
}

bool query_type_on_agent(query_type t)
{
    return t <= Q_MONGODB_GETDIAGNOSTICDATA;
}

void check_def_clear(check_def *c)
{
    free(c->name);
    free(c->summary);
    free(c->description);
    free(c->advisor);
    free(c->script);
    free(c->category);
    free(c->path);
    for (size_t i = 0; i < c->n_queries; i++)
        free(c->queries[i].query);
    free(c->queries);
    memset(c, 0, sizeof *c);
}

void advisor_def_clear(advisor_def *a)
{
    free(a->name);
    free(a->summary);
    free(a->description);
    free(a->category);
    free(a->path);
    for (size_t i = 0; i < a->n_tiers; i++)
        free(a->tiers[i]);
    free(a->tiers);
    memset(a, 0, sizeof *a);
}

void check_set_free(check_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_advisors; i++)
        advisor_def_clear(&s->advisors[i]);
    for (size_t i = 0; i < s->n_checks; i++)
        check_def_clear(&s->checks[i]);
    free(s->advisors);
    free(s->checks);
    free(s);
}

const check_def *check_set_find(const check_set *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_checks; i++)
        if (strcmp(s->checks[i].name, name) == 0)
            return &s->checks[i];
    return NULL;
}

const advisor_def *check_set_find_advisor(const check_set *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_advisors; i++)
        if (strcmp(s->advisors[i].name, name) == 0)
            return &s->advisors[i];
    return NULL;
}
