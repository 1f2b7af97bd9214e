/* rds_discovery: the pieces of DiscoverRDS that talk to AWS, as
 * aws-sdk-go v1 does for upstream (managed/services/management/rds.go):
 * the regions of the configured partitions, the DescribeDBInstances query
 * request (POST form, SigV4 for "rds"), its XML answer read page by page,
 * and a failed call told as the SDK's awserr text. The handler is
 * rds_discover.c. */
#ifndef INVENTORYD_RDS_DISCOVERY_H
#define INVENTORYD_RDS_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/httpc.h"
#include "db/settings.h"

/* Upstream's awsDiscoverTimeout: all regions, all pages. */
#define RDS_DISCOVER_TIMEOUT_MS 7000
/* Pages read per region, and instances kept in all: bounds on what a
 * hostile or broken endpoint can make us hold. */
#define RDS_MAX_PAGES 100
#define RDS_MAX_INSTANCES 100000

typedef struct {
    char name[32];   /* "us-east-1" */
    char host[96];   /* "rds.us-east-1.amazonaws.com" */
} rds_region;

/* The RDS regions of the partitions (aws, aws-cn, aws-us-gov, aws-iso,
 * aws-iso-b; unknown ones add nothing), deduplicated and sorted as
 * upstream's listRegions. *out is malloc'd (NULL when none); returns the
 * count, or -1 on ENOMEM. */
int rds_regions(const settings_strings *partitions, rds_region **out);

/* The form body of DescribeDBInstances with upstream's engine filter,
 * keys sorted as the SDK encodes them; marker NULL or "" for the first
 * page. malloc'd, NULL on ENOMEM. */
char *rds_describe_form(const char *marker);

typedef struct {
    char *instance_id, *az, *node_model, *engine, *engine_version, *address;
    uint32_t port;
    bool has_endpoint; /* false while the instance is being created */
} rds_instance;

typedef struct {
    rds_instance *v;
    size_t n;
    char *marker; /* next page; NULL when this was the last */
} rds_page;

/* Reads one DescribeDBInstances answer. 0, or -1 with the cause in err
 * (malformed XML, a port that is not a number). */
int rds_page_parse(const char *xml, size_t len, rds_page *out, char *err, size_t errlen);
void rds_page_free(rds_page *p);

/* management.v1.DiscoverRDSEngine of an RDS engine name (upstream's
 * rdsEngines; others UNSPECIFIED). */
int rds_engine_enum(const char *engine);

/* How a finished DescribeDBInstances call failed, in aws-sdk-go v1's
 * words: returns false for a 2xx answer; else true with the awserr code
 * ("InvalidClientTokenId", "RequestError", "RequestCanceled" for the
 * deadline, "SerializationError", ...), its message, and the whole
 * Error() text ("Code: Message\n\tstatus code: 403, request id: ...").
 * A 2xx answer that does not parse is judged by the caller
 * (rds_serialization_text). */
bool rds_call_failed(const httpc_call *c, char *code, size_t code_len, char *message, size_t msg_len, char *text,
                     size_t text_len);

/* The SDK's text for a 2xx answer it could not decode. */
void rds_serialization_text(const httpc_call *c, const char *cause, char *text, size_t text_len);

#endif
