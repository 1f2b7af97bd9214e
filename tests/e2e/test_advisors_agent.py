"""e2e: advisor checks whose queries run on a pmm-agent. A fake pmm-agent
(Python grpcio through the gateway) answers checksd's query actions, sent
by agentsd's internal.v1 QueryActions, with real QueryActionResult
encodings: a PostgreSQL service's queries run for real on the suite's own
PostgreSQL (pg_settings, pg_database for all_dbs, pg_stat_user_indexes),
a MySQL and a MongoDB service get recorded answers. Checks fail, then pass
when the data changes; a failed action fails the check with upstream's
`action %s failed: %s`; the action rows are gone afterwards."""

import csv
import io
import os
import subprocess
import time
import unittest
import urllib.parse

from e2elib import ApiTestCase, quote, rest, unique
from fakeagent import FakeAgent, docs, query_actions, sql

PG_PORT = int(os.environ.get("E2E_PG_PORT", "5433"))


def pg_password():
    path = os.environ.get("E2E_PG_PASSWORD_FILE")
    if path and os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return "pmm-managed"


def run_sql(dsn, sql_text):
    """Runs one statement with the DSN pmm-agent got (postgres://user:pass@host:port/db?...)
    through psql; returns (columns, rows) with every value as text, as the
    agent reads text columns."""
    u = urllib.parse.urlsplit(dsn)
    env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(u.password or ""), PGCONNECT_TIMEOUT="5")
    out = subprocess.run(["psql", "-X", "-q", "--csv", "-h", u.hostname, "-p", str(u.port),
                          "-U", urllib.parse.unquote(u.username), "-d", u.path.lstrip("/") or "postgres",
                          "-c", sql_text], capture_output=True, text=True, env=env, timeout=20)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    rows = list(csv.reader(io.StringIO(out.stdout)))
    return (rows[0], rows[1:]) if rows else ([], [])


def register(name):
    r = rest("POST", "/v1/management/nodes", {
        "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name, "address": "10.9.4.1", "reregister": False})
    assert r.status == 200, r
    return r.json


MYSQL_VARIABLES = [("basedir", "/usr/"), ("datadir", "/var/lib/mysql/"), ("version", "8.0.30"),
                   ("version_comment", "MySQL Community Server - GPL"), ("local_infile", "ON")]


class AgentQueriesTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.seen = []
        cls.fail_next = {}
        cls.mongo_security = {"authorization": "enabled"}
        reg = register(unique("adv-agent"))
        cls.node_id = reg["generic_node"]["node_id"]
        cls.pmm_agent_id = reg["pmm_agent"]["agent_id"]
        cls.agent = FakeAgent(cls.pmm_agent_id, auth="Bearer " + reg["token"],
                              handlers={"start_action": query_actions(lambda: cls.agent, cls.answer)})
        cls.agent.connect()
        cls.agent.wait_set_state()
        cls.db = unique("advdb").replace("-", "_")
        r = rest("POST", "/v1/management/services", {"postgresql": {
            "node_id": cls.node_id, "pmm_agent_id": cls.pmm_agent_id, "service_name": unique("pg-real"),
            "address": "127.0.0.1", "port": PG_PORT, "username": "pmm-managed", "password": pg_password(),
            "database": "pmm-managed", "skip_connection_check": True}})
        assert r.status == 200, r
        cls.pg_id = r.json["postgresql"]["service"]["service_id"]
        r = rest("POST", "/v1/management/services", {"mysql": {
            "node_id": cls.node_id, "pmm_agent_id": cls.pmm_agent_id, "service_name": unique("mysql"),
            "address": "127.0.0.1", "port": 3306, "username": "pmm", "password": "secret",
            "skip_connection_check": True}})
        assert r.status == 200, r
        cls.mysql_id = r.json["mysql"]["service"]["service_id"]
        r = rest("POST", "/v1/management/services", {"mongodb": {
            "node_id": cls.node_id, "pmm_agent_id": cls.pmm_agent_id, "service_name": unique("mongo"),
            "address": "127.0.0.1", "port": 27017, "skip_connection_check": True}})
        assert r.status == 200, r
        cls.mongo_id = r.json["mongodb"]["service"]["service_id"]

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(cls.node_id))

    @classmethod
    def answer(cls, member, params):
        """What the fake pmm-agent does with each query action."""
        cls.seen.append((member, params))
        error = cls.fail_next.pop(member, None)
        if error:
            return error
        if member == "postgresql_query_select_params":
            try:
                return sql(*run_sql(params.dsn, "SELECT " + params.query))
            except RuntimeError as e:
                return str(e)
        if member == "mysql_query_show_params":
            if params.query == "VARIABLES":
                return sql(["Variable_name", "Value"], MYSQL_VARIABLES)
            like = params.query.split("'")[1] if "'" in params.query else None
            return sql(["Variable_name", "Value"], [v for v in MYSQL_VARIABLES if v[0] == like])
        if member == "mongodb_query_getcmdlineopts_params":
            return docs([{"argv": ["mongod"], "parsed": {"security": cls.mongo_security, "net": {"bindIp": "127.0.0.1"}},
                          "ok": 1.0}])
        return "not answered by the fake agent: " + member

    def run_checks(self, names, service_id, predicate, timeout=60):
        r = rest("POST", "/v1/advisors/checks:start", {"names": names})
        self.assertStatus(r, 200)
        deadline = time.time() + timeout
        while True:
            r = rest("GET", "/v1/advisors/checks/failed?service_id=" + service_id)
            self.assertStatus(r, 200)
            mine = [x for x in r.json["results"] if x["check_name"] in names]
            if predicate(mine) or time.time() > deadline:
                return mine
            time.sleep(0.5)

    def test_postgresql_real_queries(self):
        # fsync is on in the suite's PostgreSQL: the real pg_settings row passes
        before = len(self.seen)
        self.run_checks(["postgresql_fsync"], self.pg_id, lambda m: False, timeout=0)
        deadline = time.time() + 30
        while time.time() < deadline and not any(
                m == "postgresql_query_select_params" and "fsync" in p.query for m, p in self.seen[before:]):
            time.sleep(0.2)
        sent = [p for m, p in self.seen[before:] if m == "postgresql_query_select_params"]
        self.assertTrue(sent, "no query action reached the agent")
        self.assertEqual(sent[0].query, "name, setting FROM pg_settings WHERE name = 'fsync'")
        self.assertIn("127.0.0.1:%d" % PG_PORT, sent[0].dsn)
        time.sleep(2)
        r = rest("GET", "/v1/advisors/checks/failed?service_id=" + self.pg_id)
        self.assertEqual([x for x in r.json["results"] if x["check_name"] == "postgresql_fsync"], [])

        # all_dbs: an unused index in a real table is reported, then passes once it is dropped
        dsn = "postgres://pmm-managed:%s@127.0.0.1:%d/pmm-managed" % (urllib.parse.quote(pg_password()), PG_PORT)
        table = unique("advt").replace("-", "_")
        run_sql(dsn, "CREATE TABLE %s (a int, b int)" % table)
        self.addCleanup(run_sql, dsn, "DROP TABLE IF EXISTS %s" % table)
        run_sql(dsn, "CREATE INDEX %s_b_idx ON %s (b)" % (table, table))
        mine = self.run_checks(["postgresql_unused_indexes"], self.pg_id,
                               lambda m: any("%s_b_idx" % table in x["description"] for x in m))
        self.assertTrue(mine, "the unused index was not reported")
        res = [x for x in mine if "%s_b_idx" % table in x["description"]][0]
        self.assertEqual(res["severity"], "SEVERITY_NOTICE")
        self.assertEqual(res["labels"]["database"], "pmm-managed")
        # the per-database queries went to each database the role may connect to
        dbs = {urllib.parse.urlsplit(p.dsn).path for m, p in self.seen if m == "postgresql_query_select_params"
               and "pg_stat_user_indexes" in p.query}
        self.assertIn("/pmm-managed", dbs)
        self.assertIn("/postgres", dbs)
        run_sql(dsn, "DROP INDEX %s_b_idx" % table)
        mine = self.run_checks(["postgresql_unused_indexes"], self.pg_id,
                               lambda m: not any("%s_b_idx" % table in x["description"] for x in m))
        self.assertFalse(any("%s_b_idx" % table in x["description"] for x in mine))

    def test_mysql_and_mongodb(self):
        names = ["mysql_version", "mysql_config_local_infile"]
        mine = self.run_checks(names, self.mysql_id, lambda m: len(m) == 2)
        by = {x["check_name"]: x for x in mine}
        self.assertEqual(by["mysql_version"]["summary"], "Newer version of MySQL is available")
        self.assertEqual(by["mysql_version"]["labels"]["current"], "8.0.30")
        self.assertEqual(by["mysql_version"]["labels"]["service_id"], self.mysql_id)
        self.assertEqual(by["mysql_version"]["severity"], "SEVERITY_INFO")
        self.assertEqual(by["mysql_config_local_infile"]["severity"], "SEVERITY_WARNING")
        shows = [p for m, p in self.seen if m == "mysql_query_show_params"]
        self.assertIn("VARIABLES", [p.query for p in shows])
        self.assertTrue(all(p.dsn.startswith("pmm:secret@tcp(127.0.0.1:3306)/") for p in shows), shows[0].dsn)

        # MongoDB: authentication on passes; off is a warning; on again passes
        mine = self.run_checks(["mongodb_auth"], self.mongo_id, lambda m: False, timeout=3)
        self.assertEqual(mine, [])
        type(self).mongo_security = {}
        mine = self.run_checks(["mongodb_auth"], self.mongo_id, lambda m: len(m) == 1)
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["summary"], "MongoDB authentication is disabled")
        type(self).mongo_security = {"keyFile": "/etc/mongo.key"}
        mine = self.run_checks(["mongodb_auth"], self.mongo_id, lambda m: not m)
        self.assertEqual(mine, [])

    def test_failed_action_fails_the_check(self):
        # a check that reported keeps nothing when its next run fails: the run replaces its results
        mine = self.run_checks(["mysql_config_local_infile"], self.mysql_id, lambda m: len(m) == 1)
        self.assertEqual(len(mine), 1)
        type(self).fail_next["mysql_query_show_params"] = "Error 1045: Access denied for user 'pmm'"
        mine = self.run_checks(["mysql_config_local_infile"], self.mysql_id, lambda m: not m)
        self.assertEqual(mine, [])
        # no action row is left behind
        r = rest("GET", "/v1/actions/00000000-0000-4000-8000-000000000000")
        self.assertStatus(r, 404)


if __name__ == "__main__":
    unittest.main()
