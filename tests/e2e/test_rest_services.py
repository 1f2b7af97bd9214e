"""REST inventory services against the reference (api.md §2, §3.5 rows 9-18,
§4.1, §5, §6.2): exact JSON shapes, filters, active types, ChangeService
presence semantics and upstream's error texts."""

import unittest

from e2elib import UUID_RE, ApiTestCase, quote, rest, unique

SERVICES = "/v1/inventory/services"
NODES = "/v1/inventory/nodes"
LIST_KEYS = {"mysql", "mongodb", "postgresql", "proxysql", "haproxy", "external", "valkey"}
COMMON = ("environment", "cluster", "replication_set")


def expected(kind, service_id, name, node_id, address="", port=0, socket="", labels=None, group="external",
             environment="", cluster="", replication_set=""):
    """The whole object upstream renders for a service of this kind."""
    body = {"service_id": service_id, "service_name": name, "node_id": node_id,
            "environment": environment, "cluster": cluster, "replication_set": replication_set,
            "custom_labels": labels or {}}
    if kind in ("mysql", "mongodb", "proxysql", "postgresql", "valkey"):
        body.update({"address": address, "port": port, "socket": socket, "version": ""})
    if kind in ("postgresql", "valkey"):
        body["database_name"] = "postgres" if kind == "postgresql" else ""
    if kind == "postgresql":
        body["auto_discovery_limit"] = 0
    if kind == "external":
        body["group"] = group
    return body


class RestServices(ApiTestCase):
    def setUp(self):
        self.node = self.add_node("generic", {"node_name": unique("svc-node"), "address": "10.2.0.1"})
        self.node_id = self.node["node_id"]

    def add_service(self, kind, params, status=200):
        r = rest("POST", SERVICES, {kind: params})
        if status != 200:
            return r
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {kind}, r.json)
        service = r.json[kind]
        self.addCleanup(rest, "DELETE", "%s/%s?force=true" % (SERVICES, quote(service["service_id"])))
        return service

    def test_add_get_every_kind(self):
        cases = {
            "mysql": {"address": "10.2.0.5", "port": 3306},
            "mongodb": {"socket": "/tmp/mongodb-27017.sock"},
            "postgresql": {"address": "10.2.0.6", "port": 5432},
            "proxysql": {"address": "10.2.0.7", "port": 6032},
            "haproxy": {},
            "external": {"group": "redis"},
            "valkey": {"address": "10.2.0.8", "port": 6379},
        }
        for kind, extra in cases.items():
            with self.subTest(kind=kind):
                name = unique(kind)
                params = dict(extra, service_name=name, node_id=self.node_id, environment="prod",
                              custom_labels={"team": "db"})
                service = self.add_service(kind, params)
                self.assertRegex(service["service_id"], UUID_RE)
                want = expected(kind, service["service_id"], name, self.node_id,
                                address=extra.get("address", ""), port=extra.get("port", 0),
                                socket=extra.get("socket", ""), labels={"team": "db"},
                                group=extra.get("group", "external"), environment="prod")
                self.assertEqual(service, want)
                r = rest("GET", "%s/%s" % (SERVICES, service["service_id"]))
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {kind: want})

    def test_defaults_and_number_types(self):
        pg = self.add_service("postgresql", {"service_name": unique("pg"), "node_id": self.node_id,
                                             "address": "localhost", "port": 5432})
        self.assertEqual(pg["database_name"], "postgres")
        self.assertIsInstance(pg["port"], int)
        self.assertEqual(pg["custom_labels"], {})
        ext = self.add_service("external", {"service_name": unique("ext"), "node_id": self.node_id})
        self.assertEqual(ext["group"], "external")
        self.assertEqual(set(ext), set(expected("external", "", "", "")))
        hap = self.add_service("haproxy", {"service_name": unique("hap"), "node_id": self.node_id})
        self.assertEqual(set(hap), {"service_id", "service_name", "node_id", "environment", "cluster",
                                    "replication_set", "custom_labels"})

    def test_list_shape_and_filters(self):
        other = self.add_node("remote", {"node_name": unique("svc-remote"), "address": "10.2.0.2"})
        mine = self.add_service("mysql", {"service_name": unique("m"), "node_id": self.node_id,
                                          "address": "localhost", "port": 3306})
        theirs = self.add_service("mysql", {"service_name": unique("m"), "node_id": other["node_id"],
                                            "address": "localhost", "port": 3306})
        group = unique("grp")
        ext = self.add_service("external", {"service_name": unique("e"), "node_id": self.node_id,
                                            "group": group})

        r = rest("GET", SERVICES)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), LIST_KEYS)
        self.assertIn(mine, r.json["mysql"])
        self.assertIn(theirs, r.json["mysql"])
        self.assertIn(ext, r.json["external"])
        self.assertIn("pmm-server-postgresql", [s["service_name"] for s in r.json["postgresql"]])

        r = rest("GET", "%s?node_id=%s" % (SERVICES, self.node_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"mysql": [mine], "mongodb": [], "postgresql": [], "proxysql": [],
                                  "haproxy": [], "external": [ext], "valkey": []})

        r = rest("GET", "%s?node_id=%s&service_type=SERVICE_TYPE_MYSQL_SERVICE" % (SERVICES, other["node_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), LIST_KEYS)
        self.assertEqual(r.json["mysql"], [theirs])
        for key in LIST_KEYS - {"mysql"}:
            self.assertEqual(r.json[key], [], key)

        # enum numbers are accepted on input too: 5 = SERVICE_TYPE_EXTERNAL_SERVICE
        r = rest("GET", "%s?service_type=5&node_id=%s" % (SERVICES, self.node_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["external"], [ext])
        self.assertEqual(r.json["mysql"], [])

        r = rest("GET", "%s?external_group=%s" % (SERVICES, group))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"mysql": [], "mongodb": [], "postgresql": [], "proxysql": [],
                                  "haproxy": [], "external": [ext], "valkey": []})
        r = rest("GET", "%s?external_group=%s" % (SERVICES, unique("none")))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {k: [] for k in LIST_KEYS})

    def test_active_types(self):
        self.add_service("valkey", {"service_name": unique("vk"), "node_id": self.node_id,
                                    "address": "localhost", "port": 6379})
        r = rest("POST", SERVICES + ":getTypes", {})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"service_types"})
        types = r.json["service_types"]
        self.assertIn("SERVICE_TYPE_VALKEY_SERVICE", types)
        self.assertIn("SERVICE_TYPE_POSTGRESQL_SERVICE", types)
        self.assertEqual(len(types), len(set(types)))
        for t in types:
            self.assertTrue(t.startswith("SERVICE_TYPE_"), t)
        r = rest("GET", SERVICES + "/types")  # the older route, kept as an alias
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"service_types": types})

    def test_change_presence(self):
        s = self.add_service("mysql", {"service_name": unique("chg"), "node_id": self.node_id,
                                       "address": "localhost", "port": 3306, "environment": "e0",
                                       "cluster": "c0", "replication_set": "r0", "custom_labels": {"k": "v"}})
        url = "%s/%s" % (SERVICES, s["service_id"])
        r = rest("PUT", url, {"environment": "e1"})
        self.assertStatus(r, 200)
        want = dict(s, environment="e1")
        self.assertEqual(r.json, {"mysql": want})

        r = rest("PUT", url, {"cluster": "", "custom_labels": {"values": {"a": "1", "b": "2"}}})
        self.assertStatus(r, 200)
        want = dict(want, cluster="", custom_labels={"a": "1", "b": "2"})
        self.assertEqual(r.json, {"mysql": want})

        r = rest("PUT", url, {})  # nothing present: nothing changes
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"mysql": want})

        r = rest("PUT", url, {"custom_labels": {}})  # present and empty: no labels
        self.assertStatus(r, 200)
        self.assertEqual(r.json["mysql"]["custom_labels"], {})
        self.assertEqual(r.json["mysql"]["replication_set"], "r0")

        ext = self.add_service("external", {"service_name": unique("ext"), "node_id": self.node_id})
        r = rest("PUT", "%s/%s" % (SERVICES, ext["service_id"]), {"external_group": "rabbitmq"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"external": dict(ext, group="rabbitmq")})

        r = rest("PUT", "%s/%s" % (SERVICES, "pmm-not-found"), {"environment": "x"})
        self.assertErrorBody(r, 404, 5, 'Service with ID "pmm-not-found" not found.')

    def test_errors(self):
        name = unique("dup")
        self.add_service("mysql", {"service_name": name, "node_id": self.node_id,
                                   "address": "localhost", "port": 3306})
        cases = [
            ("mysql", {"service_name": name, "node_id": self.node_id, "address": "127.0.0.1", "port": 3336},
             409, 6, 'Service with name "%s" already exists.' % name),
            ("postgresql", {"service_name": unique(), "node_id": "pmm-not-found", "address": "h", "port": 1},
             404, 5, 'Node with ID "pmm-not-found" not found.'),
            ("mysql", {"service_name": unique(), "address": "localhost", "port": 3306},
             400, 3, "invalid AddServiceRequest.Mysql: embedded message failed validation | caused by: invalid AddMySQLServiceParams.NodeId: value length must be at least 1 runes"),
            ("mongodb", {"node_id": self.node_id},
             400, 3, "invalid AddServiceRequest.Mongodb: embedded message failed validation | caused by: invalid AddMongoDBServiceParams.ServiceName: value length must be at least 1 runes"),
            ("postgresql", {"service_name": "", "node_id": self.node_id},
             400, 3, "invalid AddServiceRequest.Postgresql: embedded message failed validation | caused by: invalid AddPostgreSQLServiceParams.ServiceName: value length must be at least 1 runes"),
            ("proxysql", {"service_name": unique(), "node_id": ""},
             400, 3, "invalid AddServiceRequest.Proxysql: embedded message failed validation | caused by: invalid AddProxySQLServiceParams.NodeId: value length must be at least 1 runes"),
            ("haproxy", {"node_id": self.node_id},
             400, 3, "invalid AddServiceRequest.Haproxy: embedded message failed validation | caused by: invalid AddHAProxyServiceParams.ServiceName: value length must be at least 1 runes"),
            ("external", {"service_name": unique()},
             400, 3, "invalid AddServiceRequest.External: embedded message failed validation | caused by: invalid AddExternalServiceParams.NodeId: value length must be at least 1 runes"),
            ("valkey", {"node_id": self.node_id},
             400, 3, "invalid AddServiceRequest.Valkey: embedded message failed validation | caused by: invalid AddValkeyServiceParams.ServiceName: value length must be at least 1 runes"),
            ("mysql", {"service_name": unique(), "node_id": self.node_id, "address": "localhost"},
             400, 3, "Port is expected to be passed along with the host address."),
            ("mongodb", {"service_name": unique(), "node_id": self.node_id, "address": "localhost",
                         "port": 27017, "socket": "/tmp/mongodb-27017.sock"},
             400, 3, "Socket and address cannot be specified together."),
            ("postgresql", {"service_name": unique(), "node_id": self.node_id, "port": 5432,
                            "socket": "/var/run/postgresql"},
             400, 3, "Socket and port cannot be specified together."),
            ("valkey", {"service_name": unique(), "node_id": self.node_id},
             400, 3, "Neither socket nor address passed."),
        ]
        for kind, params, status, code, message in cases:
            with self.subTest(kind=kind, message=message):
                r = self.add_service(kind, params, status=status)
                self.assertErrorBody(r, status, code, message)

        r = rest("GET", "%s/pmm-not-found" % SERVICES)
        self.assertErrorBody(r, 404, 5, 'Service with ID "pmm-not-found" not found.')
        r = rest("DELETE", "%s/not-exist-service-id" % SERVICES)
        self.assertErrorBody(r, 404, 5, 'Service with ID "not-exist-service-id" not found.')
        r = rest("GET", "%s/%s" % (SERVICES, "s" * 2000))  # upstream echoes the whole id
        self.assertErrorBody(r, 404, 5, 'Service with ID "%s" not found.' % ("s" * 2000))

    def test_remove(self):
        s = self.add_service("haproxy", {"service_name": unique("rm"), "node_id": self.node_id})
        url = "%s/%s" % (SERVICES, s["service_id"])
        r = rest("DELETE", url)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        r = rest("GET", url)
        self.assertErrorBody(r, 404, 5, 'Service with ID "%s" not found.' % s["service_id"])

        # The server's own PostgreSQL service has agents: refused without force.
        r = rest("GET", SERVICES + "?service_type=SERVICE_TYPE_POSTGRESQL_SERVICE")
        server = [x for x in r.json["postgresql"] if x["service_name"] == "pmm-server-postgresql"]
        self.assertEqual(len(server), 1, r.json)
        sid = server[0]["service_id"]
        r = rest("DELETE", "%s/%s?force=false" % (SERVICES, sid))
        self.assertErrorBody(r, 400, 9, 'Service with ID "%s" has agents.' % sid)
        r = rest("GET", "%s/%s" % (SERVICES, sid))
        self.assertStatus(r, 200)

        f = self.add_service("mysql", {"service_name": unique("force"), "node_id": self.node_id,
                                       "address": "localhost", "port": 3306})
        r = rest("DELETE", "%s/%s?force=true" % (SERVICES, f["service_id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})

    def test_remove_node_with_services(self):
        node = self.add_node("generic", {"node_name": unique("busy-node"), "address": "10.2.0.3"})
        s = self.add_service("external", {"service_name": unique("on-node"), "node_id": node["node_id"]})
        url = "%s/%s" % (NODES, node["node_id"])
        r = rest("DELETE", url)
        self.assertErrorBody(r, 400, 9, 'Node with ID "%s" has services.' % node["node_id"])
        r = rest("DELETE", url + "?force=true")
        self.assertStatus(r, 200)
        r = rest("GET", "%s/%s" % (SERVICES, s["service_id"]))
        self.assertErrorBody(r, 404, 5, 'Service with ID "%s" not found.' % s["service_id"])


if __name__ == "__main__":
    unittest.main()
