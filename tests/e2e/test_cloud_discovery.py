"""management.v1 DiscoverRDS, DiscoverAzureDatabase, AddAzureDatabase and
AddAnnotation over REST and gRPC, as the UI and pmm-admin call them. The
suite's inventoryd sends its AWS and Azure calls to BASE+10 (tests/e2e/run.sh),
where these tests run tests/e2e/cloud_standin.py, a stand-in for the RDS,
Azure AD and Resource Graph APIs that checks signatures and tokens; with
nothing there, the endpoints are unreachable. Errors carry upstream's
texts: AWS's and the SDKs' messages as upstream passes them on."""

import json
import os
import subprocess
import sys
import unittest
import urllib.request

import grpc

from e2elib import ApiTestCase, channel, quote, rest, stop_process, unary, unique
from management.v1 import annotation_pb2, azure_pb2, rds_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloud_standin as standin  # noqa: E402  (its keys and fixed error bodies)

M = "/management.v1.ManagementService/"
PORT = int(os.environ.get("E2E_CLOUD_PORT", "0"))
BASE = "http://127.0.0.1:%d" % PORT
SEP = "-" * 80

RDS_EXPECTED = [
    {"region": "ap-southeast-2", "az": "ap-southeast-2a", "instance_id": "maria-ap", "node_model": "db.t3.small",
     "address": "maria-ap.c9.ap-southeast-2.rds.amazonaws.com", "port": 3306,
     "engine": "DISCOVER_RDS_ENGINE_MYSQL", "engine_version": "10.11.6"},
    {"region": "eu-west-1", "az": "eu-west-1c", "instance_id": "aurora-eu", "node_model": "db.r6g.large",
     "address": "aurora-eu.cluster-x.eu-west-1.rds.amazonaws.com", "port": 5432,
     "engine": "DISCOVER_RDS_ENGINE_POSTGRESQL", "engine_version": "15.3"},
    {"region": "us-east-1", "az": "us-east-1a", "instance_id": "billing-pg", "node_model": "db.m5.large",
     "address": "billing-pg.c1a2b3.us-east-1.rds.amazonaws.com", "port": 5432,
     "engine": "DISCOVER_RDS_ENGINE_POSTGRESQL", "engine_version": "15.4"},
    {"region": "us-east-1", "az": "us-east-1b", "instance_id": "orders-mysql", "node_model": "db.t3.medium",
     "address": "orders-mysql.c1a2b3.us-east-1.rds.amazonaws.com", "port": 3306,
     "engine": "DISCOVER_RDS_ENGINE_MYSQL", "engine_version": "8.0.35"},
]

AZURE_EXPECTED = [
    {"instance_id": "/subscriptions/sub-standin/resourceGroups/rg-db/providers/Microsoft.DBforMariaDB/servers/"
                    "maria-standin",
     "region": "eastus", "service_name": "maria-standin", "username": "",
     "address": "maria-standin.mariadb.database.azure.com", "azure_resource_group": "rg-db", "environment": "",
     "type": "DISCOVER_AZURE_DATABASE_TYPE_MYSQL", "az": "", "node_model": "B_Gen5_1"},
    {"instance_id": "/subscriptions/sub-standin/resourceGroups/rg-db/providers/Microsoft.DBforMySQL/servers/"
                    "mysql-standin",
     "region": "eastus", "service_name": "mysql-standin", "username": "dbadmin@mysql-standin",
     "address": "mysql-standin.mysql.database.azure.com", "azure_resource_group": "rg-db", "environment": "prod",
     "type": "DISCOVER_AZURE_DATABASE_TYPE_MYSQL", "az": "", "node_model": "GP_Gen5_2"},
    {"instance_id": "/subscriptions/sub-standin/resourceGroups/rg-pg/providers/Microsoft.DBforPostgreSQL/"
                    "flexibleServers/pg-standin",
     "region": "westeurope", "service_name": "pg-standin", "username": "pgadmin@pg-standin",
     "address": "pg-standin.postgres.database.azure.com", "azure_resource_group": "rg-pg", "environment": "",
     "type": "DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL", "az": "", "node_model": "Standard_D2ds_v4"},
]

AWS_KEY, AWS_SECRET = next(iter(standin.AWS_KEYS.items()))
AZ_CLIENT, AZ_SECRET = next(iter(standin.AZURE_CLIENTS.items()))


def azure_creds(**over):
    body = {"azure_client_id": AZ_CLIENT, "azure_client_secret": AZ_SECRET,
            "azure_tenant_id": standin.AZURE_TENANT, "azure_subscription_id": standin.AZURE_SUBSCRIPTION}
    body.update(over)
    return body


def set_azure(on):
    r = rest("PUT", "/v1/server/settings", {"enable_azurediscover": on})
    assert r.status == 200, r


class StandIn:
    """The stand-in process on BASE+10, stopped by its pid."""

    def __init__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "cloud_standin.py"), str(PORT)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = self.proc.stdout.readline().decode()
        if "listening" not in line:
            self.stop()
            raise RuntimeError("the cloud stand-in did not start: %r" % line)

    def calls(self):
        with urllib.request.urlopen(BASE + "/_standin/calls", timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        stop_process(self.proc)


@unittest.skipUnless(PORT, "E2E_CLOUD_PORT is not set (tests/e2e/run.sh sets it)")
class WithStandIn(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = StandIn()
        set_azure(True)

    @classmethod
    def tearDownClass(cls):
        set_azure(False)
        cls.standin.stop()

    # ---- DiscoverRDS ----

    def test_discover_rds_rest(self):
        before = self.standin.calls()["aws"]
        r = rest("POST", "/v1/management/services:discoverRDS",
                 {"aws_access_key": AWS_KEY, "aws_secret_key": AWS_SECRET})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"rds_instances": RDS_EXPECTED})
        # every region of the "aws" partition once, and us-east-1's second page
        self.assertEqual(self.standin.calls()["aws"] - before, 30)

    def test_discover_rds_grpc(self):
        with channel() as ch:
            resp = unary(ch, M + "DiscoverRDS",
                         rds_pb2.DiscoverRDSRequest(aws_access_key=AWS_KEY, aws_secret_key=AWS_SECRET),
                         rds_pb2.DiscoverRDSResponse)
        self.assertEqual([i.instance_id for i in resp.rds_instances],
                         [e["instance_id"] for e in RDS_EXPECTED])
        self.assertEqual(resp.rds_instances[3].engine, rds_pb2.DISCOVER_RDS_ENGINE_MYSQL)
        self.assertEqual(resp.rds_instances[3].port, 3306)

    def test_discover_rds_bad_keys(self):
        r = rest("POST", "/v1/management/services:discoverRDS",
                 {"aws_access_key": "AKIDUNKNOWN", "aws_secret_key": AWS_SECRET})
        self.assertErrorBody(r, 400, 3, standin.MSG_BAD_TOKEN)
        bad_secret = ("SignatureDoesNotMatch: %s\n\tstatus code: 403, request id: %s"
                      % (standin.MSG_BAD_SIGNATURE, standin.REQUEST_ID))
        r = rest("POST", "/v1/management/services:discoverRDS",
                 {"aws_access_key": AWS_KEY, "aws_secret_key": "wrong"})
        self.assertErrorBody(r, 500, 2, bad_secret)
        r = rest("POST", "/v1/management/services:discoverRDS", {"aws_access_key": AWS_KEY})
        self.assertErrorBody(r, 500, 2, "EmptyStaticCreds: static credentials are empty")
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "DiscoverRDS", rds_pb2.DiscoverRDSRequest(aws_access_key="AKIDUNKNOWN",
                                                                        aws_secret_key="x"),
                      rds_pb2.DiscoverRDSResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.INVALID_ARGUMENT, standin.MSG_BAD_TOKEN)
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "DiscoverRDS", rds_pb2.DiscoverRDSRequest(aws_access_key=AWS_KEY,
                                                                        aws_secret_key="wrong"),
                      rds_pb2.DiscoverRDSResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.UNKNOWN, bad_secret)

    def test_discover_rds_without_keys(self):
        """The SDK's default chain: no environment keys, no credentials file."""
        r = rest("POST", "/v1/management/services:discoverRDS", {})
        self.assertErrorBody(r, 500, 2)
        path = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "")
        self.assertEqual(r.json["message"],
                         "NoCredentialProviders: no valid providers in chain\n"
                         "caused by: EnvAccessKeyNotFound: AWS_ACCESS_KEY_ID or AWS_ACCESS_KEY not found in "
                         "environment\nSharedCredsLoad: failed to load shared credentials file\n"
                         "caused by: FailedRead: unable to open file\n"
                         "caused by: open %s: no such file or directory" % path)

    # ---- DiscoverAzureDatabase ----

    def test_discover_azure_rest(self):
        before = self.standin.calls()
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds())
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"azure_database_instance": AZURE_EXPECTED})
        after = self.standin.calls()
        self.assertEqual(after["azure_token"] - before["azure_token"], 1)
        self.assertEqual(after["resource_graph"] - before["resource_graph"], 1)

    def test_discover_azure_grpc(self):
        with channel() as ch:
            resp = unary(ch, M + "DiscoverAzureDatabase", azure_pb2.DiscoverAzureDatabaseRequest(**azure_creds()),
                         azure_pb2.DiscoverAzureDatabaseResponse)
        self.assertEqual([i.service_name for i in resp.azure_database_instance],
                         ["maria-standin", "mysql-standin", "pg-standin"])
        self.assertEqual(resp.azure_database_instance[2].type, azure_pb2.DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL)
        self.assertEqual(resp.azure_database_instance[1].username, "dbadmin@mysql-standin")

    def test_discover_azure_bad_keys(self):
        body = json.dumps(json.loads(standin.BAD_SECRET_BODY), indent=2)
        want = ("ClientSecretCredential authentication failed. \n"
                "POST %s/%s/oauth2/v2.0/token\n%s\nRESPONSE 401: 401 Unauthorized\n%s\n%s\n%s\n"
                "To troubleshoot, visit https://aka.ms/azsdk/go/identity/troubleshoot#client-secret"
                % (BASE, standin.AZURE_TENANT, SEP, SEP, body, SEP))
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds(azure_client_secret="wrong"))
        self.assertErrorBody(r, 500, 2, want)
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "DiscoverAzureDatabase",
                      azure_pb2.DiscoverAzureDatabaseRequest(**azure_creds(azure_client_secret="wrong")),
                      azure_pb2.DiscoverAzureDatabaseResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.UNKNOWN, want)
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds(azure_subscription_id="other-sub"))
        self.assertErrorBody(r, 500, 2)
        self.assertTrue(r.json["message"].startswith(
            "POST %s/providers/Microsoft.ResourceGraph/resources\n%s\nRESPONSE 400: 400 Bad Request\n"
            "ERROR CODE: BadRequest\n%s\n{\n  \"error\": {\n" % (BASE, SEP, SEP)), r.json["message"])
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds(azure_tenant_id="bad/tenant"))
        self.assertErrorBody(r, 500, 2, "invalid tenantID. You can locate your tenantID by following the "
                                        "instructions listed here: "
                                        "https://learn.microsoft.com/partner-center/find-ids-and-domain-names")
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds(azure_tenant_id=""))
        self.assertErrorBody(r, 400, 3, "invalid DiscoverAzureDatabaseRequest.AzureTenantId: value length must be "
                                        "at least 1 runes")

    # ---- AddAzureDatabase ----

    def azure_body(self, name, db_type, **over):
        body = {"region": "eastus", "az": "1", "instance_id": name, "node_model": "GP_Gen5_2",
                "address": "%s.mysql.database.azure.com" % name, "port": 3306, "node_name": "", "service_name": "",
                "environment": "e2e", "username": "dbadmin@%s" % name, "password": "db-secret",
                "azure_client_id": AZ_CLIENT, "azure_client_secret": AZ_SECRET,
                "azure_tenant_id": standin.AZURE_TENANT, "azure_subscription_id": standin.AZURE_SUBSCRIPTION,
                "azure_resource_group": "rg-db", "azure_database_exporter": True, "qan": True,
                "custom_labels": {"source": "azure"}, "skip_connection_check": True, "tls": True,
                "tls_skip_verify": False, "disable_query_examples": False, "tablestats_group_table_limit": 0,
                "type": db_type}
        body.update(over)
        return body

    def cleanup_service(self, name):
        """RemoveService by name takes the remote Azure node and the agents along."""
        rest("DELETE", "/v1/management/services/%s" % quote(name))

    def test_add_azure_database_rest(self):
        name = unique("az-mysql")
        self.addCleanup(self.cleanup_service, name)
        r = rest("POST", "/v1/management/services/azure", self.azure_body(name, "DISCOVER_AZURE_DATABASE_TYPE_MYSQL"))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        nodes = rest("GET", "/v1/inventory/nodes?node_type=NODE_TYPE_REMOTE_AZURE_DATABASE_NODE").json
        node = [n for n in nodes["remote_azure_database"] if n["node_name"] == name]
        self.assertEqual(len(node), 1, nodes)
        self.assertEqual(node[0]["address"], "%s.mysql.database.azure.com" % name)
        self.assertEqual(node[0]["region"], "eastus")
        self.assertEqual(node[0]["custom_labels"], {"source": "azure"})
        svc = [s for s in rest("GET", "/v1/inventory/services").json["mysql"] if s["service_name"] == name]
        self.assertEqual(len(svc), 1)
        self.assertEqual((svc[0]["node_id"], svc[0]["port"], svc[0]["environment"]), (node[0]["node_id"], 3306, "e2e"))
        agents = rest("GET", "/v1/inventory/agents?service_id=%s" % quote(svc[0]["service_id"])).json
        kinds = sorted(k for k, v in agents.items() if v)
        self.assertEqual(kinds, ["azure_database_exporter", "mysqld_exporter", "qan_mysql_perfschema_agent"])
        self.assertEqual(agents["azure_database_exporter"][0]["pmm_agent_id"], "pmm-server")
        self.assertEqual(agents["mysqld_exporter"][0]["tablestats_group_table_limit"], 1000)
        # the same name again: nothing new is left behind by the failure
        other = unique("az-other")
        r = rest("POST", "/v1/management/services/azure",
                 self.azure_body(name, "DISCOVER_AZURE_DATABASE_TYPE_MYSQL", node_name=other, address="other"))
        self.assertErrorBody(r, 409, 6, "Service with name \"%s\" already exists." % name)
        nodes = rest("GET", "/v1/inventory/nodes?node_type=NODE_TYPE_REMOTE_AZURE_DATABASE_NODE").json
        self.assertEqual([n for n in nodes["remote_azure_database"] if n["node_name"] == other], [])
        r = rest("POST", "/v1/management/services/azure", self.azure_body(name, "DISCOVER_AZURE_DATABASE_TYPE_UNSPECIFIED"))
        self.assertErrorBody(r, 400, 3,
                             "Unsupported Azure Database type \"DISCOVER_AZURE_DATABASE_TYPE_UNSPECIFIED\".")
        r = rest("POST", "/v1/management/services/azure",
                 self.azure_body(name, "DISCOVER_AZURE_DATABASE_TYPE_MYSQL", azure_resource_group=""))
        self.assertErrorBody(r, 400, 3, "invalid AddAzureDatabaseRequest.AzureResourceGroup: value length must "
                                        "be at least 1 runes")

    def test_add_azure_database_grpc(self):
        name = unique("az-pg")
        self.addCleanup(self.cleanup_service, name)
        body = self.azure_body(name, azure_pb2.DISCOVER_AZURE_DATABASE_TYPE_POSTGRESQL, port=5432,
                               azure_database_exporter=False)
        labels = body.pop("custom_labels")
        req = azure_pb2.AddAzureDatabaseRequest(**body)
        req.custom_labels.update(labels)
        with channel() as ch:
            resp = unary(ch, M + "AddAzureDatabase", req, azure_pb2.AddAzureDatabaseResponse)
        self.assertEqual(resp.ByteSize(), 0)
        svc = [s for s in rest("GET", "/v1/inventory/services").json["postgresql"] if s["service_name"] == name]
        self.assertEqual(len(svc), 1)
        agents = rest("GET", "/v1/inventory/agents?service_id=%s" % quote(svc[0]["service_id"])).json
        self.assertEqual(sorted(k for k, v in agents.items() if v),
                         ["postgres_exporter", "qan_postgresql_pgstatements_agent"])


@unittest.skipUnless(PORT, "E2E_CLOUD_PORT is not set (tests/e2e/run.sh sets it)")
class Unreachable(ApiTestCase):
    """Nothing listens on BASE+10 while these run."""

    @classmethod
    def setUpClass(cls):
        set_azure(True)

    @classmethod
    def tearDownClass(cls):
        set_azure(False)

    def test_discover_rds(self):
        want = ("RequestError: send request failed\ncaused by: Post \"%s/\": dial tcp 127.0.0.1:%d: connect: "
                "connection refused" % (BASE, PORT))
        r = rest("POST", "/v1/management/services:discoverRDS", {"aws_access_key": "k", "aws_secret_key": "s"})
        self.assertErrorBody(r, 500, 2, want)
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "DiscoverRDS", rds_pb2.DiscoverRDSRequest(aws_access_key="k", aws_secret_key="s"),
                      rds_pb2.DiscoverRDSResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.UNKNOWN, want)

    def test_discover_azure(self):
        want = ("ClientSecretCredential: Post \"%s/%s/oauth2/v2.0/token\": dial tcp 127.0.0.1:%d: connect: "
                "connection refused" % (BASE, standin.AZURE_TENANT, PORT))
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds())
        self.assertErrorBody(r, 500, 2, want)
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "DiscoverAzureDatabase", azure_pb2.DiscoverAzureDatabaseRequest(**azure_creds()),
                      azure_pb2.DiscoverAzureDatabaseResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.UNKNOWN, want)


class AzureDisabled(ApiTestCase):
    """Azure discovery is off by default: both Azure methods refuse."""

    def test_refused(self):
        r = rest("GET", "/v1/server/settings")
        self.assertFalse(r.json["settings"]["azurediscover_enabled"])
        r = rest("POST", "/v1/management/services:discoverAzure", azure_creds())
        self.assertErrorBody(r, 500, 2, "Azure monitoring is disabled")
        body = {"region": "eastus", "instance_id": "i", "address": "a", "port": 3306, "username": "u",
                "azure_client_id": "c", "azure_client_secret": "s", "azure_tenant_id": "t",
                "azure_subscription_id": "s", "azure_resource_group": "g", "type": "DISCOVER_AZURE_DATABASE_TYPE_MYSQL"}
        r = rest("POST", "/v1/management/services/azure", body)
        self.assertErrorBody(r, 500, 2, "Azure monitoring is disabled")
        with channel() as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                unary(ch, M + "AddAzureDatabase", azure_pb2.AddAzureDatabaseRequest(**body),
                      azure_pb2.AddAzureDatabaseResponse)
            self.assertGrpcError(cm.exception, grpc.StatusCode.UNKNOWN, "Azure monitoring is disabled")


class AddAnnotation(ApiTestCase):
    """Upstream's checks and texts, then FailedPrecondition: no Grafana here
    stores annotations, so none is ever acknowledged."""

    REFUSED = ("Annotations are stored in Grafana, and this PMM Server runs without Grafana: the annotation was "
               "not added.")

    def test_rest(self):
        r = rest("POST", "/v1/management/annotations", {"text": "", "tags": ["a"]})
        self.assertErrorBody(r, 400, 3, "invalid AddAnnotationRequest.Text: value length must be at least 1 runes")
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "service_names": ["no-service"]})
        self.assertErrorBody(r, 404, 5, "Service with name \"no-service\" not found.")
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "node_name": "no-node"})
        self.assertErrorBody(r, 404, 5, "Node with name \"no-node\" not found.")
        r = rest("POST", "/v1/management/annotations", {"text": "deploy", "node_name": "pmm-server",
                                                         "tags": ["release"]})
        self.assertErrorBody(r, 400, 9, self.REFUSED)

    def test_grpc(self):
        with channel() as ch:
            for req, code, text in [
                (annotation_pb2.AddAnnotationRequest(text=""), grpc.StatusCode.INVALID_ARGUMENT,
                 "invalid AddAnnotationRequest.Text: value length must be at least 1 runes"),
                (annotation_pb2.AddAnnotationRequest(text="x", service_names=["no-service"]),
                 grpc.StatusCode.NOT_FOUND, "Service with name \"no-service\" not found."),
                (annotation_pb2.AddAnnotationRequest(text="x"), grpc.StatusCode.FAILED_PRECONDITION, self.REFUSED),
            ]:
                with self.subTest(text=text):
                    with self.assertRaises(grpc.RpcError) as cm:
                        unary(ch, M + "AddAnnotation", req, annotation_pb2.AddAnnotationResponse)
                    self.assertGrpcError(cm.exception, code, text)


if __name__ == "__main__":
    unittest.main()
