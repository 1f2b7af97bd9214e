/* Unit tests of inventoryd's cloud discovery clients (rds_discovery.c,
 * azure_discovery.c) without PostgreSQL: regions of the AWS partitions,
 * the DescribeDBInstances form, its XML answers (pages, instances being
 * created, malformed and hostile bodies), aws-sdk-go v1's texts for each
 * way a call fails (AWS errors, bodies that are not XML, refused
 * connections, the deadline), the Azure token and Resource Graph calls
 * against loopback listeners with the Azure SDK for Go's error texts, and
 * Resource Graph rows read as upstream's struct would (Go's type errors). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "http/aws.h"
#include "inventoryd/management/azure_discovery.h"
#include "inventoryd/management/rds_discovery.h"
#include "management/v1/azure.pb-c.h"
#include "management/v1/rds.pb-c.h"
#include "pbutil.h"
#include "tests/lib/checkrun.h"
#include "tests/lib/httpstub.h"
#include "tests/lib/vmtest.h"

/* ---- AWS ------------------------------------------------------------------- */

START_TEST(regions_of_partitions)
{
    char *a[] = { "aws" }, *b[] = { "aws-cn", "aws-us-gov", "aws", "aws-cn", "nope" }, *none[] = { "nope" };
    settings_strings p = { 1, a };
    rds_region *r = NULL;
    int n = rds_regions(&p, &r);
    ck_assert_int_eq(n, 29);
    ck_assert_str_eq(r[0].name, "af-south-1");
    ck_assert_str_eq(r[n - 1].name, "us-west-2");
    for (int i = 1; i < n; i++)
        ck_assert_int_lt(strcmp(r[i - 1].name, r[i].name), 0);
    ck_assert_str_eq(r[n - 1].host, "rds.us-west-2.amazonaws.com");
    free(r);
    p = (settings_strings){ 5, b };
    n = rds_regions(&p, &r);
    ck_assert_int_eq(n, 33);
    bool cn = false;
    for (int i = 0; i < n; i++)
        if (strcmp(r[i].name, "cn-north-1") == 0)
            cn = strcmp(r[i].host, "rds.cn-north-1.amazonaws.com.cn") == 0;
    ck_assert(cn);
    free(r);
    p = (settings_strings){ 1, none };
    ck_assert_int_eq(rds_regions(&p, &r), 0);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(describe_form)
{
    char *f = rds_describe_form(NULL);
    ck_assert_str_eq(f, "Action=DescribeDBInstances&Filters.Filter.1.Name=engine"
                        "&Filters.Filter.1.Values.Value.1=aurora-mysql&Filters.Filter.1.Values.Value.2=mariadb"
                        "&Filters.Filter.1.Values.Value.3=mysql&Filters.Filter.1.Values.Value.4=aurora-postgresql"
                        "&Filters.Filter.1.Values.Value.5=postgres&Version=2014-10-31");
    free(f);
    f = rds_describe_form("db-2&x=1");
    ck_assert_ptr_nonnull(strstr(f, "&Filters.Filter.1.Values.Value.5=postgres&Marker=db-2%26x%3D1&Version=2014-10-31"));
    free(f);
    ck_assert_int_eq(rds_engine_enum("aurora-mysql"), MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_MYSQL);
    ck_assert_int_eq(rds_engine_enum("mariadb"), MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_MYSQL);
    ck_assert_int_eq(rds_engine_enum("postgres"), MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_POSTGRESQL);
    ck_assert_int_eq(rds_engine_enum("oracle-ee"), MANAGEMENT__V1__DISCOVER_RDSENGINE__DISCOVER_RDS_ENGINE_UNSPECIFIED);
    ck_assert_int_eq(rds_engine_enum(NULL), 0);
}
END_TEST

static const char page_xml[] =
    "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
    "  <DescribeDBInstancesResult>\n"
    "    <DBInstances>\n"
    "      <DBInstance>\n"
    "        <DBInstanceIdentifier>mysql-1</DBInstanceIdentifier>\n"
    "        <DBInstanceClass>db.t3.micro</DBInstanceClass>\n"
    "        <Engine>mysql</Engine>\n"
    "        <EngineVersion>8.0.35</EngineVersion>\n"
    "        <AvailabilityZone>us-east-1a</AvailabilityZone>\n"
    "        <DBSubnetGroup><Subnets><Subnet><SubnetAvailabilityZone><Name>us-east-1f</Name></SubnetAvailabilityZone>"
    "</Subnet></Subnets></DBSubnetGroup>\n"
    "        <Endpoint>\n          <Address>mysql-1.abc.us-east-1.rds.amazonaws.com</Address>\n"
    "          <Port> 3306 </Port>\n          <HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId>\n        </Endpoint>\n"
    "        <ListenerEndpoint><Address>wrong</Address><Port>1</Port></ListenerEndpoint>\n"
    "      </DBInstance>\n"
    "      <DBInstance>\n"
    "        <DBInstanceIdentifier>pg-creating</DBInstanceIdentifier>\n"
    "        <Engine>postgres</Engine>\n"
    "        <DBInstanceStatus>creating</DBInstanceStatus>\n"
    "      </DBInstance>\n"
    "    </DBInstances>\n"
    "    <Marker>next&amp;page</Marker>\n"
    "  </DescribeDBInstancesResult>\n"
    "  <ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata>\n"
    "</DescribeDBInstancesResponse>\n";

START_TEST(page_answers)
{
    rds_page p;
    char err[512];
    ck_assert_msg(rds_page_parse(page_xml, strlen(page_xml), &p, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(p.n, 2);
    ck_assert_str_eq(p.v[0].instance_id, "mysql-1");
    ck_assert_str_eq(p.v[0].node_model, "db.t3.micro");
    ck_assert_str_eq(p.v[0].engine, "mysql");
    ck_assert_str_eq(p.v[0].engine_version, "8.0.35");
    ck_assert_str_eq(p.v[0].az, "us-east-1a");
    ck_assert_str_eq(p.v[0].address, "mysql-1.abc.us-east-1.rds.amazonaws.com");
    ck_assert_uint_eq(p.v[0].port, 3306);
    ck_assert(p.v[0].has_endpoint);
    ck_assert(!p.v[1].has_endpoint);
    ck_assert_ptr_null(p.v[1].address);
    ck_assert_str_eq(p.marker, "next&page");
    rds_page_free(&p);

    const char *last = "<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances/><Marker></Marker>"
                       "</DescribeDBInstancesResult></DescribeDBInstancesResponse>";
    ck_assert_int_eq(rds_page_parse(last, strlen(last), &p, err, sizeof err), 0);
    ck_assert_uint_eq(p.n, 0);
    ck_assert_ptr_null(p.marker);
    rds_page_free(&p);
}
END_TEST

static void page_fails(const char *xml, const char *why)
{
    rds_page p;
    char err[512] = "";
    ck_assert_int_eq(rds_page_parse(xml, strlen(xml), &p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, why), "%s", err);
    ck_assert_uint_eq(p.n, 0);
    ck_assert_ptr_null(p.v);
}

START_TEST(page_hostile)
{
    page_fails("", "EOF");
    page_fails("{\"json\": true}", "XML syntax error on line 1");
    page_fails("<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>"
               "<Endpoint><Port>33o6</Port></Endpoint></DBInstance></DBInstances></DescribeDBInstancesResult>"
               "</DescribeDBInstancesResponse>",
               "strconv.ParseInt: parsing \"33o6\": invalid syntax");
    page_fails("<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>"
               "<Endpoint><Port>99999999999999999999</Port></Endpoint></DBInstance></DBInstances>"
               "</DescribeDBInstancesResult></DescribeDBInstancesResponse>",
               "value out of range");
    page_fails("<!DOCTYPE x [<!ENTITY e \"e\">]><DescribeDBInstancesResponse/>", "DOCTYPE not allowed");
    page_fails("<DescribeDBInstancesResponse><DescribeDBInstancesResult>", "XML syntax error");
    /* a truncated answer: the instances read so far are not kept */
    char trunc[2048];
    snprintf(trunc, sizeof trunc, "%.*s", 600, page_xml);
    page_fails(trunc, "XML syntax error");
}
END_TEST

/* A loopback AWS: the answer is chosen by the request's path. */
static void aws_answer(void *ud, const httpstub_req *r, httpstub_answer *a)
{
    (void)ud;
    if (strcmp(r->target, "/bad-key") == 0) {
        a->status = 403, a->reason = "Forbidden";
        a->headers = "X-Amzn-Requestid: header-rid\r\n";
        a->body = "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type>"
                  "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
                  "invalid.</Message></Error><RequestId>body-rid</RequestId></ErrorResponse>";
    } else if (strcmp(r->target, "/bad-secret") == 0) {
        a->status = 403, a->reason = "Forbidden";
        a->headers = "X-Amzn-Requestid: header-rid\r\n";
        a->body = "<ErrorResponse><Error><Code> SignatureDoesNotMatch </Code><Message>The request signature we "
                  "calculated does not match.</Message></Error></ErrorResponse>";
    } else if (strcmp(r->target, "/html") == 0) {
        a->status = 502, a->reason = "Bad Gateway";
        a->body = "<html><body>proxy error</body>";
    } else if (strcmp(r->target, "/empty") == 0) {
        a->status = 403, a->reason = "Forbidden";
    } else if (strcmp(r->target, "/silent") == 0) {
        a->silent = true;
    } else {
        a->body = page_xml;
    }
}

static httpc_call *run_post(httpstub *s, const char *path, long timeout_ms)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", httpstub_port(s), path);
    httpc_request req = { .method = "POST", .url = url, .body = "Action=DescribeDBInstances", .body_len = 26,
                          .timeout_ms = timeout_ms };
    httpc_call *c = httpc_call_new(&req);
    httpc_call_run(c);
    return c;
}

static void expect_failure(httpc_call *c, const char *code, const char *message, const char *text)
{
    char gc[128], gm[2048], gt[8192];
    ck_assert(rds_call_failed(c, gc, sizeof gc, gm, sizeof gm, gt, sizeof gt));
    ck_assert_str_eq(gc, code);
    ck_assert_str_eq(gm, message);
    ck_assert_str_eq(gt, text);
    httpc_call_free(c);
}

START_TEST(aws_failures)
{
    httpstub *s = httpstub_start(aws_answer, NULL);
    char gc[128], gm[2048], gt[8192], want[512];
    httpc_call *ok = run_post(s, "/", 5000);
    ck_assert(!rds_call_failed(ok, gc, sizeof gc, gm, sizeof gm, gt, sizeof gt));
    httpc_call_free(ok);

    expect_failure(run_post(s, "/bad-key", 5000), "InvalidClientTokenId",
                   "The security token included in the request is invalid.",
                   "InvalidClientTokenId: The security token included in the request is invalid.\n"
                   "\tstatus code: 403, request id: body-rid");
    expect_failure(run_post(s, "/bad-secret", 5000), "SignatureDoesNotMatch",
                   "The request signature we calculated does not match.",
                   "SignatureDoesNotMatch: The request signature we calculated does not match.\n"
                   "\tstatus code: 403, request id: header-rid");
    expect_failure(run_post(s, "/html", 5000), "SerializationError", "failed to unmarshal error message",
                   "SerializationError: failed to unmarshal error message\n\tstatus code: 502, request id: \n"
                   "caused by: XML syntax error on line 1: no element found");
    expect_failure(run_post(s, "/empty", 5000), "", "", ": \n\tstatus code: 403, request id: ");
    expect_failure(run_post(s, "/silent", 300), "RequestCanceled", "request context canceled",
                   "RequestCanceled: request context canceled\ncaused by: context deadline exceeded");
    httpstub_stop(s);

    int port = vmtest_free_port();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    httpc_call *c = httpc_call_new(&(httpc_request){ .method = "POST", .url = url, .timeout_ms = 5000 });
    httpc_call_run(c);
    snprintf(want, sizeof want,
             "RequestError: send request failed\ncaused by: Post \"%s\": dial tcp 127.0.0.1:%d: connect: connection refused",
             url, port);
    expect_failure(c, "RequestError", "send request failed", want);

    /* a 200 that is not the answer */
    s = httpstub_start(aws_answer, NULL);
    c = run_post(s, "/", 5000);
    rds_serialization_text(c, "XML syntax error on line 1: syntax error", gt, sizeof gt);
    ck_assert_str_eq(gt, "SerializationError: failed decoding Query response\n\tstatus code: 200, request id: \n"
                         "caused by: XML syntax error on line 1: syntax error");
    httpc_call_free(c);
    httpstub_stop(s);
}
END_TEST

/* ---- Azure ----------------------------------------------------------------- */

static char last_form[4096], last_auth[4096], last_body[8192];

static void azure_answer(void *ud, const httpstub_req *r, httpstub_answer *a)
{
    (void)ud;
    if (strstr(r->target, "/oauth2/v2.0/token")) {
        snprintf(last_form, sizeof last_form, "%s", r->body);
        if (strstr(r->target, "/good-tenant/")) {
            a->body = "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"tok-123\"}";
        } else if (strstr(r->target, "/empty-tenant/")) {
            a->body = "{\"token_type\":\"Bearer\"}";
        } else {
            a->status = 401, a->reason = "Unauthorized";
            a->body = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret "
                      "provided.\",\"error_codes\":[7000215],\"empty\":{},\"list\":[]}";
        }
        return;
    }
    httpstub_header(r, "Authorization", last_auth, sizeof last_auth);
    snprintf(last_body, sizeof last_body, "%s", r->body);
    if (strstr(r->target, "/forbidden/")) {
        a->status = 403, a->reason = "Forbidden";
        a->headers = "x-ms-error-code: AuthorizationFailed\r\n";
        a->body = "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no access\"}}\n";
    } else if (strstr(r->target, "/bad/")) {
        a->status = 400, a->reason = "Bad Request";
        a->body = "{\"error\":{\"code\":\"BadRequest\",\"details\":[{\"code\":\"NoValidSubscriptionsInQueryRequest\"}]}}";
    } else if (strstr(r->target, "/xml/")) {
        a->status = 500, a->reason = "Internal Server Error";
        a->body = "<Error><m:Code> Oops </m:Code></Error>";
    } else if (strstr(r->target, "/nobody/")) {
        a->status = 503, a->reason = "Service Unavailable";
    } else {
        a->body = "{\"totalRecords\":1,\"count\":1,\"data\":[{\"id\":\"/subscriptions/s/x\",\"name\":\"db\"}]}";
    }
}

START_TEST(azure_token_and_query)
{
    httpstub *s = httpstub_start(azure_answer, NULL);
    char base[128], err[8192], want[4096];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", httpstub_port(s));
    char *token = NULL;
    ck_assert_msg(azure_token(base, "good-tenant", "client id", "s&cret", 5000, &token, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(token, "tok-123");
    ck_assert_str_eq(last_form, "client_id=client%20id&client_secret=s%26cret&grant_type=client_credentials"
                                "&scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default");
    free(token);

    ck_assert_int_eq(azure_token(base, "other-tenant", "id", "bad", 5000, &token, err, sizeof err), -1);
    ck_assert_ptr_null(token);
    snprintf(want, sizeof want,
             "ClientSecretCredential authentication failed. \n"
             "POST http://127.0.0.1:%d/other-tenant/oauth2/v2.0/token\n"
             "--------------------------------------------------------------------------------\n"
             "RESPONSE 401: 401 Unauthorized\n"
             "--------------------------------------------------------------------------------\n"
             "{\n  \"error\": \"invalid_client\",\n  \"error_description\": \"AADSTS7000215: Invalid client secret "
             "provided.\",\n  \"error_codes\": [\n    7000215\n  ],\n  \"empty\": {},\n  \"list\": []\n}\n"
             "--------------------------------------------------------------------------------\n"
             "To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#client-secret",
             httpstub_port(s));
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(azure_token(base, "empty-tenant", "id", "s", 5000, &token, err, sizeof err), -1);
    ck_assert_str_eq(err, "ClientSecretCredential: the token endpoint's answer carries no access_token");

    char *body = NULL;
    size_t len = 0;
    ck_assert_msg(azure_query(base, "tok-123", "sub-1", 5000, &body, &len, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(last_auth, "Bearer tok-123");
    ck_assert_ptr_nonnull(strstr(last_body, "\"subscriptions\":[\"sub-1\"]"));
    ck_assert_ptr_nonnull(strstr(last_body, "\"resultFormat\":\"objectArray\""));
    ck_assert_ptr_nonnull(strstr(last_body, "Microsoft.DBforPostgreSQL/flexibleServers"));
    ck_assert_uint_eq(len, strlen(body));
    free(body);

    char sub[160];
    snprintf(sub, sizeof sub, "%s/forbidden/", base);
    ck_assert_int_eq(azure_query(sub, "t", "s", 5000, &body, &len, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "POST http://127.0.0.1:%d/forbidden/providers/Microsoft.ResourceGraph/resources\n"
             "--------------------------------------------------------------------------------\n"
             "RESPONSE 403: 403 Forbidden\nERROR CODE: AuthorizationFailed\n"
             "--------------------------------------------------------------------------------\n"
             "{\n  \"error\": {\n    \"code\": \"AuthorizationFailed\",\n    \"message\": \"no access\"\n  }\n}\n\n"
             "--------------------------------------------------------------------------------\n",
             httpstub_port(s));
    ck_assert_str_eq(err, want);
    snprintf(sub, sizeof sub, "%s/bad", base);
    ck_assert_int_eq(azure_query(sub, "t", "s", 5000, &body, &len, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "RESPONSE 400: 400 Bad Request\nERROR CODE: BadRequest\n"), "%s", err);
    snprintf(sub, sizeof sub, "%s/xml", base);
    ck_assert_int_eq(azure_query(sub, "t", "s", 5000, &body, &len, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "ERROR CODE: Oops\n") && strstr(err, "\n<Error><m:Code> Oops </m:Code></Error>\n"), "%s", err);
    snprintf(sub, sizeof sub, "%s/nobody", base);
    ck_assert_int_eq(azure_query(sub, "t", "s", 5000, &body, &len, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "ERROR CODE UNAVAILABLE\n---") && strstr(err, "\nResponse contained no body\n---"), "%s", err);
    httpstub_stop(s);

    int port = vmtest_free_port();
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", port);
    ck_assert_int_eq(azure_token(base, "t", "id", "s", 5000, &token, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "ClientSecretCredential: Post \"%st/oauth2/v2.0/token\": dial tcp 127.0.0.1:%d: connect: connection refused",
             base, port);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(azure_query(base, "t", "s", 5000, &body, &len, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "Post \"%sproviders/Microsoft.ResourceGraph/resources?api-version=2021-03-01\": dial tcp 127.0.0.1:%d: "
             "connect: connection refused",
             base, port);
    ck_assert_str_eq(err, want);

    ck_assert(azure_tenant_valid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
    ck_assert(azure_tenant_valid("contoso.onmicrosoft.com"));
    ck_assert(!azure_tenant_valid("a/b"));
    ck_assert(!azure_tenant_valid("x?y=1"));
    ck_assert(!azure_tenant_valid(""));
}
END_TEST

static ProtobufCMessage *instances_ok(const char *json)
{
    ProtobufCMessage *resp = pb_new(&management__v1__discover_azure_database_response__descriptor);
    char err[1024];
    ck_assert_msg(azure_instances(json, strlen(json), resp, err, sizeof err) == 0, "%s", err);
    return resp;
}

START_TEST(azure_rows)
{
    ProtobufCMessage *m = instances_ok(
        "{\"totalRecords\":4,\"count\":4,\"resultTruncated\":\"false\",\"data\":["
        "{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforMySQL/servers/my1\",\"name\":\"my1\","
        "\"type\":\"microsoft.dbformysql/servers\",\"location\":\"eastus\",\"resourceGroup\":\"rg\",\"zones\":\"1\","
        "\"tags\":{\"environment\":\"prod\",\"team\":null},\"sku\":{\"name\":\"GP_Gen5_2\",\"tier\":\"GeneralPurpose\"},"
        "\"properties\":{\"administratorLogin\":\"admin\",\"fullyQualifiedDomainName\":\"my1.mysql.database.azure.com\","
        "\"storageProfile\":{\"storageMB\":5120}}},"
        "{\"id\":\"pg\",\"name\":\"pg1\",\"type\":\"microsoft.dbforpostgresql/flexibleservers\",\"tags\":null,"
        "\"properties\":{\"administratorLogin\":42},\"sku\":null,\"zones\":null},"
        "{\"ID\":\"maria\",\"Name\":\"m1\",\"type\":\"microsoft.dbformariadb/servers\"},"
        "{\"id\":\"other\",\"type\":\"Microsoft.DBforMySQL/servers\"},"
        "null]}");
    const Management__V1__DiscoverAzureDatabaseResponse *r = (const Management__V1__DiscoverAzureDatabaseResponse *)m;
    ck_assert_uint_eq(r->n_azure_database_instance, 5);
    Management__V1__DiscoverAzureDatabaseInstance *a = r->azure_database_instance[0];
    ck_assert_str_eq(a->instance_id, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforMySQL/servers/my1");
    ck_assert_str_eq(a->region, "eastus");
    ck_assert_str_eq(a->service_name, "my1");
    ck_assert_str_eq(a->username, "admin@my1");
    ck_assert_str_eq(a->address, "my1.mysql.database.azure.com");
    ck_assert_str_eq(a->azure_resource_group, "rg");
    ck_assert_str_eq(a->environment, "prod");
    ck_assert_str_eq(a->az, "1");
    ck_assert_str_eq(a->node_model, "GP_Gen5_2");
    ck_assert_int_eq(a->type, MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_MYSQL);
    a = r->azure_database_instance[1];
    ck_assert_int_eq(a->type, MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL);
    ck_assert_str_eq(a->username, ""); /* not a string: upstream leaves it */
    ck_assert_str_eq(a->az, "");
    a = r->azure_database_instance[2];
    ck_assert_str_eq(a->instance_id, "maria"); /* encoding/json matches keys case-insensitively */
    ck_assert_int_eq(a->type, MANAGEMENT__V1__DISCOVER_AZURE_DATABASE_TYPE__DISCOVER_AZURE_DATABASE_TYPE_MYSQL);
    /* upstream compares the lower-case type Resource Graph returns */
    ck_assert_int_eq(r->azure_database_instance[3]->type, 0);
    ck_assert_str_eq(r->azure_database_instance[4]->instance_id, "");
    protobuf_c_message_free_unpacked(m, NULL);

    m = instances_ok("{\"count\":0}");
    ck_assert_uint_eq(((Management__V1__DiscoverAzureDatabaseResponse *)m)->n_azure_database_instance, 0);
    protobuf_c_message_free_unpacked(m, NULL);
}
END_TEST

static void rows_fail(const char *json, const char *want)
{
    ProtobufCMessage *resp = pb_new(&management__v1__discover_azure_database_response__descriptor);
    char err[1024] = "";
    ck_assert_int_eq(azure_instances(json, strlen(json), resp, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    protobuf_c_message_free_unpacked(resp, NULL);
}

START_TEST(azure_rows_hostile)
{
    rows_fail("{\"data\":{}}",
              "json: cannot unmarshal object into Go struct field .data of type []management.AzureDatabaseInstanceData");
    rows_fail("{\"data\":[\"x\"]}",
              "json: cannot unmarshal string into Go struct field .data of type management.AzureDatabaseInstanceData");
    rows_fail("{\"data\":[{\"zones\":[\"1\",\"2\"]}]}",
              "json: cannot unmarshal array into Go struct field AzureDatabaseInstanceData.data.zones of type string");
    rows_fail("{\"data\":[{\"name\":7}]}",
              "json: cannot unmarshal number into Go struct field AzureDatabaseInstanceData.data.name of type string");
    rows_fail("{\"data\":[{\"tags\":{\"environment\":true}}]}",
              "json: cannot unmarshal bool into Go struct field AzureDatabaseInstanceData.data.tags of type string");
    rows_fail("{\"data\":[{\"properties\":[1]}]}",
              "json: cannot unmarshal array into Go struct field AzureDatabaseInstanceData.data.properties of type "
              "map[string]interface {}");
    rows_fail("{\"data\":[{\"sku\":\"x\"}]}",
              "json: cannot unmarshal string into Go struct field AzureDatabaseInstanceData.data.sku of type "
              "map[string]interface {}");
    ProtobufCMessage *resp = pb_new(&management__v1__discover_azure_database_response__descriptor);
    char err[1024];
    ck_assert_int_eq(azure_instances("<html>", 6, resp, err, sizeof err), -1);
    ck_assert_msg(strncmp(err, "unmarshalling type *armresourcegraph.QueryResponse: ", 52) == 0, "%s", err);
    ck_assert_int_eq(azure_instances("", 0, resp, err, sizeof err), -1);
    ck_assert_int_eq(azure_instances("{\"data\":[{\"id\":\"a\"}", 19, resp, err, sizeof err), -1);
    protobuf_c_message_free_unpacked(resp, NULL);
}
END_TEST

static void indent(const char *in, const char *want)
{
    char *got = azure_go_indent(in, strlen(in));
    if (!want) {
        ck_assert_ptr_null(got);
        return;
    }
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(go_indent)
{
    indent("{\"a\":1,\"b\":[1,2],\"c\":{},\"d\":[ ]}", "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {},\n  \"d\": []\n}");
    indent("  {\"s\":\"x, y: {z}\\\"\"}\n", "{\n  \"s\": \"x, y: {z}\\\"\"\n}\n");
    indent("\"just a string\"", "\"just a string\"");
    indent("[1.50e3, true, null]", "[\n  1.50e3,\n  true,\n  null\n]");
    indent("not json", NULL);
    indent("{\"a\":", NULL);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("cloud_discovery");
    TCase *tc = tcase_create("cloud_discovery");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, regions_of_partitions);
    tcase_add_test(tc, describe_form);
    tcase_add_test(tc, page_answers);
    tcase_add_test(tc, page_hostile);
    tcase_add_test(tc, aws_failures);
    tcase_add_test(tc, azure_token_and_query);
    tcase_add_test(tc, azure_rows);
    tcase_add_test(tc, azure_rows_hostile);
    tcase_add_test(tc, go_indent);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    curl_global_cleanup();
    return rc;
}
