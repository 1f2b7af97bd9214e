"""e2e: the REST front decodes requests exactly as PMM v3's grpc-gateway v2
(default ServeMux, JSONPb with protojson DiscardUnknown, the runtime's query
parser) and answers with the same status, code and message. One test class
per rule: unknown enum names, path shapes, body decode errors, query
parameters, validation texts, list-valued settings."""

import http.client
import json
import unittest
import urllib.parse

from e2elib import ApiTestCase, REST, ADMIN, basic, rest, unique, quote


def raw_request(method, target, body=None):
    """A request whose target goes out exactly as written (no client-side
    quoting or cleaning)."""
    u = urllib.parse.urlsplit(REST)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Authorization", basic(*ADMIN))
        if body is not None:
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def col(text, token):
    """protojson's column of token's first occurrence in a one-line body."""
    return text.index(token) + 1


class UnknownEnumNames(ApiTestCase):
    """protojson with DiscardUnknown drops an unknown enum name like an
    unknown field; the runtime's query parser refuses one."""

    def test_body_enum_name_dropped(self):
        name = unique("enum")
        r = rest("POST", "/v1/management/nodes", {
            "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name, "address": "10.12.0.1",
            "metrics_mode": "METRICS_MODE_AUTO", "no_such_field": {"x": [1, 2]}})
        self.assertStatus(r, 200)
        node_id = r.json["generic_node"]["node_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
        # an unknown node_type is dropped too: UNSPECIFIED is refused by the handler
        r = rest("POST", "/v1/management/nodes", {"node_type": "NODE_TYPE_FOO", "node_name": unique("enum"),
                                                   "address": "10.12.0.2"})
        self.assertErrorBody(r, 400, 3, 'Unsupported Node type "NODE_TYPE_UNSPECIFIED".')

    def test_query_enum_name_refused(self):
        r = rest("GET", "/v1/inventory/nodes?node_type=NODE_TYPE_FOO")
        self.assertErrorBody(r, 400, 3, 'parsing field "node_type": "NODE_TYPE_FOO" is not a valid value')
        r = rest("GET", "/v1/inventory/nodes?node_type=1")
        self.assertStatus(r, 200)


class PathShapes(ApiTestCase):
    """runtime/mux.go and pattern.go in the default (legacy) unescaping mode,
    behind net/http's ServeMux."""

    def test_empty_last_variable_reaches_validation(self):
        cases = [
            ("GET", "/v1/inventory/nodes/", "invalid GetNodeRequest.NodeId: value length must be at least 1 runes"),
            ("DELETE", "/v1/inventory/nodes/",
             "invalid RemoveNodeRequest.NodeId: value length must be at least 1 runes"),
            ("GET", "/v1/inventory/services/",
             "invalid GetServiceRequest.ServiceId: value length must be at least 1 runes"),
            ("DELETE", "/v1/management/services/", "service_id or service_name expected"),
        ]
        for method, path, message in cases:
            with self.subTest(path=path):
                self.assertErrorBody(rest(method, path), 400, 3, message)

    def test_escaped_slash_splits_segments(self):
        r = rest("GET", "/v1/inventory/nodes/a%2Fb")
        self.assertErrorBody(r, 404, 5, "Endpoint not found: /v1/inventory/nodes/a/b, http method: GET")

    def test_escapes_decoded_once(self):
        r = rest("GET", "/v1/inventory/nodes/pmm%3Ano%2525")
        self.assertErrorBody(r, 404, 5, 'Node with ID "pmm:no%25" not found.')

    def test_bad_escape_is_go_400(self):
        status, headers, body = raw_request("GET", "/v1/inventory/nodes/%zz")
        self.assertEqual(status, 400)
        self.assertEqual(body, b"400 Bad Request")

    def test_unclean_path_redirects(self):
        status, headers, body = raw_request("GET", "/v1//inventory/./nodes?node_type=1")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/v1/inventory/nodes?node_type=1")
        self.assertEqual(body, b'<a href="/v1/inventory/nodes?node_type=1">Moved Permanently</a>.\n\n')

    def test_trailing_slash_and_bare_verb(self):
        self.assertErrorBody(rest("GET", "/v1/server/version/"), 404, 5,
                             "Endpoint not found: /v1/server/version/, http method: GET")
        self.assertErrorBody(rest("POST", "/v1/inventory/services/:getTypes", {}), 404, 5,
                             "Endpoint not found: /v1/inventory/services/:getTypes, http method: POST")
        self.assertErrorBody(rest("GET", "/v1/inventory/services:getTypes"), 501, 12, "Method Not Allowed")

    def test_invalid_utf8_fails_at_marshal(self):
        r = rest("GET", "/v1/inventory/nodes/%ff")
        self.assertErrorBody(r, 500, 13, "grpc: error while marshaling: string field contains invalid UTF-8")


class BodyDecodeErrors(ApiTestCase):
    """encoding/json's texts for malformed JSON, protojson's for values, all
    InvalidArgument with the text as the message."""

    def put_settings(self, text):
        return rest("PUT", "/v1/server/settings", text.encode())

    def test_protojson_value_errors(self):
        cases = [
            ('{"data_retention": "36h"}', "(line 1:%d): invalid google.protobuf.Duration value \"36h\"",
             '"36h"'),
            ('{"data_retention": "315576000001s"}',
             "(line 1:%d): google.protobuf.Duration value out of range: \"315576000001s\"", '"315576'),
            ('{"metrics_resolutions": {"hr": 5}}', "syntax error (line 1:%d): unexpected token 5", "5"),
            ('{"enable_telemetry": "true"}', "(line 1:%d): invalid value for bool field enableTelemetry: \"true\"",
             '"true"'),
            ('{"aws_partitions": {"values": "aws"}}', "syntax error (line 1:%d): unexpected token \"aws\"",
             '"aws"'),
            ('{"ssh_key": "a", "sshKey": "b"}', "(line 1:%d): duplicate field \"sshKey\"", '"sshKey"'),
            ('[]', "syntax error (line 1:%d): unexpected token [", "["),
        ]
        for text, want, token in cases:
            with self.subTest(body=text):
                self.assertErrorBody(self.put_settings(text), 400, 3, "proto: " + want % col(text, token))

    def test_encoding_json_errors(self):
        cases = [
            ('{"data_retention": ', "unexpected EOF"),
            ("{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
            ('{"a" 1}', "invalid character '1' after object key"),
            ('{"a": tru}', "invalid character '}' in literal true (expecting 'e')"),
        ]
        for text, want in cases:
            with self.subTest(body=text):
                self.assertErrorBody(self.put_settings(text), 400, 3, want)

    def test_blank_and_trailing(self):
        # a blank body is no body; what follows the first value is never read
        r = rest("POST", "/v1/inventory/services:getTypes", b"  \n")
        self.assertStatus(r, 200)
        r = rest("POST", "/v1/inventory/services:getTypes", b"{} and then anything")
        self.assertStatus(r, 200)


class QueryParameters(ApiTestCase):
    """url.ParseQuery and runtime/query.go's texts; path parameters win."""

    def test_query_errors(self):
        cases = [
            ("/v1/inventory/agents?pmm_agent_id=a&pmm_agent_id=b", 'too many values for field "pmm_agent_id": a, b'),
            ("/v1/inventory/agents?pmm_agent_id=%zz", 'invalid URL escape "%zz"'),
            ("/v1/inventory/agents?pmm_agent_id=a;b", "invalid semicolon separator in query"),
            ("/v1/inventory/agents?agent_type=7x", 'parsing field "agent_type": "7x" is not a valid value'),
            ("/v1/inventory/nodes/x?force=maybe", None),  # GetNode has no query fields: never parsed
            ("/v1/inventory/nodes/x?force=maybe&node_id=y", None),
        ]
        for path, want in cases:
            with self.subTest(path=path):
                status, headers, body = raw_request("GET", path)
                if want is None:
                    self.assertEqual(status, 404)
                    self.assertEqual(json.loads(body)["message"], 'Node with ID "x" not found.')
                else:
                    self.assertEqual(status, 400, body)
                    self.assertEqual(json.loads(body)["message"], want)
        status, _, body = raw_request("DELETE", "/v1/inventory/nodes/x?force=maybe")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["message"],
                         'parsing field "force": strconv.ParseBool: parsing "maybe": invalid syntax')

    def test_json_names_and_plus(self):
        r = rest("GET", "/v1/inventory/services?serviceType=SERVICE_TYPE_MYSQL_SERVICE&external_group=a+b")
        self.assertStatus(r, 200)


class ValidationTexts(ApiTestCase):
    """protoc-gen-validate's texts for upstream's rules."""

    def test_min_len_and_ranges(self):
        r = rest("POST", "/v1/inventory/nodes", {"generic": {"node_name": "", "address": "a"}})
        self.assertErrorBody(r, 400, 3, "invalid AddNodeRequest.Generic: embedded message failed validation | caused by: invalid AddGenericNodeParams.NodeName: value length must be at least 1 runes")
        r = rest("GET", "/v1/inventory/agents/")
        self.assertErrorBody(r, 400, 3, "invalid GetAgentRequest.AgentId: value length must be at least 36 runes")

    def test_embedded_messages(self):
        # a oneof member's failure is reported through the member, nested twice for add_node
        r = rest("POST", "/v1/management/services", {"mysql": {
            "add_node": {"node_type": "NODE_TYPE_GENERIC_NODE"}, "service_name": "x", "pmm_agent_id": "p",
            "username": "u"}})
        self.assertErrorBody(r, 400, 3, "invalid AddServiceRequest.Mysql: embedded message failed validation"
                             " | caused by: invalid AddMySQLServiceParams.AddNode: embedded message failed validation"
                             " | caused by: invalid AddNodeParams.NodeName: value length must be at least 1 runes")
        r = rest("POST", "/v1/inventory/agents", {"mysqld_exporter": {
            "pmm_agent_id": "a", "service_id": "s", "username": "u", "connection_timeout": "-1s"}})
        self.assertErrorBody(r, 400, 3, "invalid AddAgentRequest.MysqldExporter: embedded message failed validation"
                             " | caused by: invalid AddMySQLdExporterParams.ConnectionTimeout: value must be greater"
                             " than or equal to 0s")
        # no member at all: upstream's handler fails with a plain error, answered as Internal
        self.assertErrorBody(rest("POST", "/v1/inventory/nodes", {}), 500, 13, "Internal server error.")


EMBEDDED = "invalid %s.%s: embedded message failed validation | caused by: %s"
MIN1 = "invalid %s.%s: value length must be at least 1 runes"
UUID = "invalid %s.%s: value must be a valid UUID | caused by: invalid uuid format"
PORT = "invalid %s.%s: value must be inside range (0, 65536)"


class ValidationPerMessage(ApiTestCase):
    """The first rule a request breaks, in its message's field order, for
    each message family of the suite (upstream's api/**/*.proto rules and
    protoc-gen-validate's texts). A rule that holds lets the next one be
    reached, so each case also shows the order."""

    def check(self, cases):
        for method, path, body, status, code, message in cases:
            with self.subTest(path=path, body=body):
                self.assertErrorBody(rest(method, path, body), status, code, message)

    def test_management_add_service(self):
        def add(kind, params):
            return {kind: dict({"node_id": "n", "pmm_agent_id": "p", "service_name": "s"}, **params)}

        def wrap(member, params, field, text=MIN1):
            return EMBEDDED % ("AddServiceRequest", member, text % (params, field))

        rds = {"region": "r", "instance_id": "i", "address": "a", "port": 3306, "username": "u"}
        self.check([
            ("POST", "/v1/management/services", add("postgresql", {"username": ""}), 400, 3,
             wrap("Postgresql", "AddPostgreSQLServiceParams", "Username")),
            ("POST", "/v1/management/services", add("postgresql", {"pmm_agent_id": ""}), 400, 3,
             wrap("Postgresql", "AddPostgreSQLServiceParams", "PmmAgentId")),
            ("POST", "/v1/management/services", add("proxysql", {"username": ""}), 400, 3,
             wrap("Proxysql", "AddProxySQLServiceParams", "Username")),
            ("POST", "/v1/management/services", add("mongodb", {"service_name": ""}), 400, 3,
             wrap("Mongodb", "AddMongoDBServiceParams", "ServiceName")),
            ("POST", "/v1/management/services", add("valkey", {"pmm_agent_id": ""}), 400, 3,
             wrap("Valkey", "AddValkeyServiceParams", "PmmAgentId")),
            ("POST", "/v1/management/services", add("haproxy", {"listen_port": 0}), 400, 3,
             wrap("Haproxy", "AddHAProxyServiceParams", "ListenPort", PORT)),
            ("POST", "/v1/management/services", add("external", {"listen_port": 65536}), 400, 3,
             wrap("External", "AddExternalServiceParams", "ListenPort", PORT)),
            ("POST", "/v1/management/services", {"rds": dict(rds, region="")}, 400, 3,
             wrap("Rds", "AddRDSServiceParams", "Region")),
            ("POST", "/v1/management/services", {"rds": dict(rds, port=0)}, 400, 3,
             EMBEDDED % ("AddServiceRequest", "Rds",
                         "invalid AddRDSServiceParams.Port: value must be greater than 0")),
            ("POST", "/v1/management/services", {"rds": dict(rds, username="")}, 400, 3,
             wrap("Rds", "AddRDSServiceParams", "Username")),
            # the oneof is not required: upstream's handler refuses it
            ("POST", "/v1/management/services", {}, 400, 3, "invalid service type"),
        ])

    def test_management_nodes_and_others(self):
        self.check([
            ("POST", "/v1/management/nodes", {"node_type": "NODE_TYPE_GENERIC_NODE"}, 400, 3,
             MIN1 % ("RegisterNodeRequest", "NodeName")),
            ("DELETE", "/v1/management/nodes/", None, 400, 3, MIN1 % ("UnregisterNodeRequest", "NodeId")),
            ("GET", "/v1/management/nodes/", None, 400, 3, MIN1 % ("GetNodeRequest", "NodeId")),
            ("POST", "/v1/management/annotations", {"tags": ["t"]}, 400, 3, MIN1 % ("AddAnnotationRequest", "Text")),
            ("POST", "/v1/management/services:discoverAzure", {"azure_client_id": "c", "azure_client_secret": "s"},
             400, 3, MIN1 % ("DiscoverAzureDatabaseRequest", "AzureTenantId")),
            ("POST", "/v1/management/services/azure", {"region": "r", "instance_id": "i", "address": "a"}, 400, 3,
             "invalid AddAzureDatabaseRequest.Port: value must be greater than 0"),
            ("POST", "/v1/management/services/azure", {"region": "r", "instance_id": "i", "address": "a",
                                                        "port": 3306, "username": "u"}, 400, 3,
             MIN1 % ("AddAzureDatabaseRequest", "AzureClientId")),
            # RemoveServiceRequest has no rule: the handler's own text
            ("DELETE", "/v1/management/services/", None, 400, 3, "service_id or service_name expected"),
        ])

    def test_inventory(self):
        self.check([
            ("PUT", "/v1/inventory/services/", {"cluster": "c"}, 400, 3, MIN1 % ("ChangeServiceRequest", "ServiceId")),
            ("POST", "/v1/inventory/agents", {"valkey_exporter": {"pmm_agent_id": "p", "service_id": "v",
                                                                  "username": "u"}}, 400, 3,
             EMBEDDED % ("AddAgentRequest", "ValkeyExporter", UUID % ("AddValkeyExporterParams", "ServiceId"))),
            ("GET", "/v1/inventory/agents/short/logs", None, 400, 3,
             "invalid GetAgentLogsRequest.AgentId: value length must be at least 36 runes"),
            ("PUT", "/v1/inventory/agents/some-agent", {"external_exporter": {"listen_port": 0}}, 400, 3,
             EMBEDDED % ("ChangeAgentRequest", "ExternalExporter",
                         PORT % ("ChangeExternalExporterParams", "ListenPort"))),
            # no member: upstream's handler fails with a plain error -> Internal
            ("PUT", "/v1/inventory/agents/some-agent", {}, 500, 13, "Internal server error."),
        ])

    def test_actions(self):
        sid = "1b1a2f6e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
        self.check([
            ("POST", "/v1/actions:cancelAction", {}, 400, 3, UUID % ("CancelActionRequest", "ActionId")),
            ("POST", "/v1/actions:startServiceAction", {"mongodb_explain": {"service_id": "x", "query": "q"}}, 400, 3,
             EMBEDDED % ("StartServiceActionRequest", "MongodbExplain",
                         UUID % ("StartMongoDBExplainActionParams", "ServiceId"))),
            ("POST", "/v1/actions:startServiceAction", {"mongodb_explain": {"service_id": sid}}, 400, 3,
             EMBEDDED % ("StartServiceActionRequest", "MongodbExplain",
                         MIN1 % ("StartMongoDBExplainActionParams", "Query"))),
            ("POST", "/v1/actions:startServiceAction", {"postgres_show_create_table": {"service_id": sid}}, 400, 3,
             EMBEDDED % ("StartServiceActionRequest", "PostgresShowCreateTable",
                         MIN1 % ("StartPostgreSQLShowCreateTableActionParams", "TableName"))),
            ("POST", "/v1/actions:startServiceAction", {}, 500, 13, "Internal server error."),
        ])

    def test_server_and_platform(self):
        # server.v1's proto declares no rules (ChangeSettings is checked by
        # its handler); AWSInstanceCheck and platform Connect have min_len 1
        self.check([
            ("GET", "/v1/server/AWSInstance", None, 400, 3, MIN1 % ("AWSInstanceCheckRequest", "InstanceId")),
            ("POST", "/v1/platform:connect", {}, 400, 3, MIN1 % ("ConnectRequest", "ServerName")),
        ])


class ListSettings(ApiTestCase):
    """aws_partitions: deduplicated and sorted as upstream's deduplicateStrings."""

    def test_aws_partitions_normalized(self):
        self.addCleanup(lambda: rest("PUT", "/v1/server/settings", {"aws_partitions": {"values": ["aws"]}}))
        r = rest("PUT", "/v1/server/settings", {"aws_partitions": {"values": ["aws-cn", "aws", "aws-cn"]}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["settings"]["aws_partitions"], ["aws", "aws-cn"])
        r = rest("GET", "/v1/server/settings")
        self.assertEqual(r.json["settings"]["aws_partitions"], ["aws", "aws-cn"])


if __name__ == "__main__":
    unittest.main()
