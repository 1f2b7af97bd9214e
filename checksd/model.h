/* model: advisors and checks as checksd holds them (advisors reference
 * §2-§3): what the file loader (files.c) makes and everything else reads.
 * Plain data, owned by a check_set; check_set_free releases all of it. */
#ifndef CHECKSD_MODEL_H
#define CHECKSD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* advisors.v1.AdvisorCheckFamily numbers. */
typedef enum { FAMILY_NONE = 0, FAMILY_MYSQL = 1, FAMILY_POSTGRESQL = 2, FAMILY_MONGODB = 3 } check_family;

/* advisors.v1.AdvisorCheckInterval numbers; a file's empty interval is
 * standard. */
typedef enum { INTERVAL_UNSPECIFIED = 0, INTERVAL_STANDARD = 1, INTERVAL_FREQUENT = 2, INTERVAL_RARE = 3 } check_interval;
#define N_INTERVALS 4

typedef enum {
    Q_MYSQL_SHOW,
    Q_MYSQL_SELECT,
    Q_POSTGRESQL_SHOW,
    Q_POSTGRESQL_SELECT,
    Q_MONGODB_GETPARAMETER,
    Q_MONGODB_BUILDINFO,
    Q_MONGODB_GETCMDLINEOPTS,
    Q_MONGODB_REPLSETGETSTATUS,
    Q_MONGODB_GETDIAGNOSTICDATA,
    Q_METRICS_INSTANT,
    Q_METRICS_RANGE,
    Q_CLICKHOUSE_SELECT,
    Q_NTYPES
} query_type;

typedef struct {
    query_type type;
    char *query;        /* "" when the type takes none */
    bool all_dbs;       /* POSTGRESQL_SELECT: every database */
    int64_t lookback_ns, range_ns, step_ns; /* METRICS_*: 0 when not given */
} check_query;

typedef struct {
    int version;          /* 1 or 2 */
    char *name, *summary, *description, *advisor, *script, *category;
    check_interval interval; /* as the file says (standard when empty) */
    check_family family;     /* v2: the file's; v1: from the query type */
    check_query *queries;
    size_t n_queries;
    char *path;           /* the file it came from */
    bool user;            /* from the user folder */
} check_def;

typedef struct {
    int version;
    char *name, *summary, *description, *category;
    char **tiers;
    size_t n_tiers;
    char *path;
    bool user;
} advisor_def;

/* What one load of the folders found: advisors by name, checks by name
 * (each linked to an advisor of the set). */
typedef struct {
    advisor_def *advisors;
    size_t n_advisors;
    check_def *checks;
    size_t n_checks;
} check_set;

void check_def_clear(check_def *c);
void advisor_def_clear(advisor_def *a);
void check_set_free(check_set *s);

/* Names of the enums as the files spell them ("MYSQL_SHOW", "standard",
 * "MYSQL"); NULL / -1 for unknown ones. */
const char *query_type_name(query_type t);
int query_type_parse(const char *s);
const char *interval_name(check_interval i); /* "standard", "frequent", "rare" */
int interval_parse(const char *s);           /* "" -> standard */
const char *family_name(check_family f);     /* "MYSQL", ... */
/* The service type a family checks ("mysql", "postgresql", "mongodb"). */
const char *family_service_type(check_family f);
/* Whether a query of type t runs on a pmm-agent (the SQL and MongoDB ones). */
bool query_type_on_agent(query_type t);

/* The check or advisor of that name in s, or NULL. */
const check_def *check_set_find(const check_set *s, const char *name);
const advisor_def *check_set_find_advisor(const check_set *s, const char *name);

#endif
