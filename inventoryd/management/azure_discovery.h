/* azure_discovery: the Azure calls of DiscoverAzureDatabase, as upstream
 * makes them with the Azure SDK for Go (azidentity's client secret
 * credential, armresourcegraph): an OAuth 2.0 client-credentials token from
 * Azure AD for Resource Manager, then one Resource Graph query for the
 * MySQL, MariaDB and PostgreSQL servers of a subscription, its answer
 * decoded as upstream's AzureDatabaseInstanceData (with Go's
 * encoding/json type errors). Failures carry the SDK's texts
 * (AuthenticationFailedError, azcore.ResponseError, net/http's). The
 * handlers are in azure.c. */
#ifndef INVENTORYD_AZURE_DISCOVERY_H
#define INVENTORYD_AZURE_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define AZURE_LOGIN_URL "https://login.microsoftonline.com/"
#define AZURE_MANAGEMENT_URL "https://management.azure.com/"
/* armresourcegraph's API version */
#define AZURE_RESOURCE_GRAPH_API "2021-03-01"

/* upstream's azureDatabaseResourceQuery */
extern const char azure_resource_query[];

/* azidentity's check of a tenant ID (letters, digits, '-', '.'). */
bool azure_tenant_valid(const char *tenant);
/* azidentity's text for one that fails it. */
extern const char azure_invalid_tenant[];

/* A token for Resource Manager (scope https://management.core.windows.net//.default,
 * as azcore's arm pipeline asks). 0 with *token malloc'd, or -1 with the
 * SDK's error text in err. login_url NULL or "": AZURE_LOGIN_URL. */
int azure_token(const char *login_url, const char *tenant, const char *client_id, const char *secret,
                long timeout_ms, char **token, char *err, size_t errlen);

/* The Resource Graph query for subscription; 0 with the answer's body
 * malloc'd in *body, or -1 with the SDK's error text. mgmt_url NULL or "":
 * AZURE_MANAGEMENT_URL. */
int azure_query(const char *mgmt_url, const char *token, const char *subscription, long timeout_ms, char **body,
                size_t *len, char *err, size_t errlen);

/* Appends one DiscoverAzureDatabaseInstance per row of a Resource Graph
 * answer to resp (DiscoverAzureDatabaseResponse). 0, or -1 with upstream's
 * error text (an answer that is not JSON, a row field of the wrong type). */
int azure_instances(const char *json, size_t len, ProtobufCMessage *resp, char *err, size_t errlen);

/* Go's json.Indent(dst, src, "", "  ") of src, malloc'd; NULL when src is
 * not JSON (the SDK then shows it verbatim) or on ENOMEM. */
char *azure_go_indent(const char *src, size_t len);

#endif
