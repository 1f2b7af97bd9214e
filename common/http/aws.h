/* aws: what a client of any AWS API needs on top of httpc (RDS discovery
 * in inventoryd today, S3 for backups later): credentials, given or found
 * the way aws-sdk-go v1's default chain finds them (environment, then the
 * shared credentials file); Signature Version 4, computed by libcurl
 * (CURLOPT_AWS_SIGV4) so the secret never leaves libcurl; a canonical
 * query string, because libcurl 7.88 signs a URL's query as it is given
 * while AWS sorts it; and the error an AWS XML answer carries (the query
 * protocol's ErrorResponse, EC2's Response/Errors, S3's Error). */
#ifndef PMM_AWS_H
#define PMM_AWS_H

#include <stddef.h>

#include "http/httpc.h"

typedef struct {
    char *key_id, *secret, *session_token; /* session_token may be NULL */
} aws_credentials;

void aws_credentials_clear(aws_credentials *c);

/* Static keys, as aws-sdk-go's StaticProvider: both must be set, else -1
 * with err "EmptyStaticCreds: static credentials are empty". */
int aws_credentials_static(aws_credentials *c, const char *key_id, const char *secret, char *err, size_t errlen);

/* aws-sdk-go v1's default chain without the EC2/ECS metadata providers:
 * AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY) with AWS_SECRET_ACCESS_KEY (or
 * AWS_SECRET_KEY) and AWS_SESSION_TOKEN; else the profile AWS_PROFILE
 * (default "default") of AWS_SHARED_CREDENTIALS_FILE (default
 * $HOME/.aws/credentials). -1 with the SDK's chain error in err
 * ("NoCredentialProviders: no valid providers in chain\ncaused by: ..."). */
int aws_credentials_default(aws_credentials *c, char *err, size_t errlen);

/* Has libcurl sign call c with SigV4 for region and service. amz_date
 * ("20150830T123600Z") pins the signing time, for tests; NULL signs with
 * the current time. A call with a body should carry its Content-Type
 * header, so that it is signed too. 0, or -1 on ENOMEM. */
int aws_sign(httpc_call *c, const aws_credentials *cr, const char *region, const char *service,
             const char *amz_date);

/* s with every byte but A-Z a-z 0-9 - . _ ~ percent-encoded (upper-case
 * hex), as SigV4 encodes; malloc'd, NULL on ENOMEM. */
char *aws_uri_encode(const char *s);

/* The query string in SigV4's canonical form: each name and value decoded
 * and encoded again by aws_uri_encode, sorted by name then value ("b=2&a"
 * -> "a=&b=2"). Put it in the URL so that what libcurl signs is what AWS
 * computes. malloc'd, NULL on ENOMEM. */
char *aws_canonical_query(const char *query);

typedef struct {
    char code[256], message[2048], request_id[256];
} aws_error;

/* Reads an AWS error document into *out (fields absent stay ""). Returns
 * 0, or -1 with err for a document that is not well-formed XML. */
int aws_error_parse(const char *body, size_t len, aws_error *out, char *err, size_t errlen);

#endif
