"""e2e: alerting.v1 through the gateway against checksd, configd, the real
vmalert, VictoriaMetrics and Alertmanager (Debian's packages) the suite
runs: the built-in templates, paging and sorting; templates created,
updated and deleted through the API with upstream's texts; a template of
the user's folder read on reload=true; CreateRule's checks; a rule made
from a template becomes a vmalert rule group (checked by vmalert -dryRun)
that fires on data pushed into VictoriaMetrics and reaches Alertmanager,
seen through its API with the labels and annotations upstream gives;
FailedPrecondition while alerting is off."""

import json
import os
import threading
import time
import urllib.parse

from e2elib import ApiTestCase, channel, http_call, rest, unary, unique
from alerting.v1 import alerting_pb2

VM = os.environ.get("E2E_VM", "http://127.0.0.1:9090/prometheus")
VMALERT = os.environ.get("E2E_VMALERT", "http://127.0.0.1:8880")
ALERTMANAGER = os.environ.get("E2E_ALERTMANAGER", "http://127.0.0.1:9093")
VAR = os.environ.get("PMM_VAR_DIR", "var")

TEMPLATE = """---
templates:
  - name: %(name)s
    version: 1
    summary: E2E value too high
    expr: |-
      %(metric)s > [[ .threshold ]]
    params:
      - name: threshold
        summary: the limit
        unit: "%%"
        type: float
        range: [0, 100]
        value: 10
    for: 0s
    severity: warning
    labels:
      team: e2e
    annotations:
      summary: '{{ $labels.service_name }} is above [[ .threshold ]]'
      description: E2E value of {{ $labels.service_name }} is {{ $value }}
"""


def get(base, path):
    r = http_call(base, "GET", urllib.parse.urlsplit(base).path + path, auth=None)
    assert r.status == 200, r
    return r.json


def vm_import(text):
    r = http_call(VM, "POST", urllib.parse.urlsplit(VM).path + "/api/v1/import/prometheus", text.encode(), auth=None)
    assert r.status in (200, 204), r


class AlertingTest(ApiTestCase):
    def templates(self, query=""):
        r = rest("GET", "/v1/alerting/templates" + query)
        self.assertStatus(r, 200)
        return r.json

    def create(self, yaml):
        return rest("POST", "/v1/alerting/templates", {"yaml": yaml})

    def new_template(self, metric="e2e_alert_value"):
        name = unique("e2e_tpl").replace("-", "_")
        r = self.create(TEMPLATE % {"name": name, "metric": metric})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        self.addCleanup(rest, "DELETE", "/v1/alerting/templates/" + name)
        return name

    def test_builtin_templates_and_paging(self):
        body = self.templates()
        names = [t["name"] for t in body["templates"]]
        self.assertEqual(names, sorted(names))
        for n in ("pmm_mysql_down", "pmm_postgresql_down", "pmm_mongodb_down", "pmm_node_high_cpu_load",
                  "pmm_mongodb_pbm_backup_failed", "pmm_mysql_too_many_connections"):
            self.assertIn(n, names)
        self.assertEqual(body["total_items"], len(names))
        self.assertEqual(body["total_pages"], 1)
        conn = [t for t in body["templates"] if t["name"] == "pmm_mysql_too_many_connections"][0]
        self.assertEqual(conn["source"], "TEMPLATE_SOURCE_BUILT_IN")
        self.assertEqual(conn["severity"], "SEVERITY_WARNING")
        self.assertEqual(conn["for"], "300s")
        self.assertEqual(set(conn["annotations"]), {"summary", "description"})
        self.assertEqual(conn["params"], [{
            "name": "threshold", "summary": conn["params"][0]["summary"], "unit": "PARAM_UNIT_PERCENTAGE",
            "type": "PARAM_TYPE_FLOAT", "float": {"has_default": True, "default": 80, "has_min": True, "min": 0,
                                                  "has_max": True, "max": 100}}])
        self.assertIn("[[ .threshold ]]", conn["expr"])
        self.assertTrue(conn["yaml"].startswith("---"))
        self.assertEqual(conn["created_at"], "0001-01-01T00:00:00Z")
        # pages of 2, sorted across pages
        page = self.templates("?page_size=2&page_index=1")
        self.assertEqual(page["total_items"], len(names))
        self.assertEqual(page["total_pages"], (len(names) + 1) // 2)
        self.assertEqual([t["name"] for t in page["templates"]], names[2:4])
        self.assertEqual(self.templates("?page_size=2&page_index=999")["templates"], [])
        r = rest("GET", "/v1/alerting/templates?page_size=0")
        self.assertErrorBody(r, 400, 3, "invalid ListTemplatesRequest.PageSize: value must be greater than or equal to 1")

    def test_api_templates(self):
        name = self.new_template()
        t = [x for x in self.templates()["templates"] if x["name"] == name][0]
        self.assertEqual(t["source"], "TEMPLATE_SOURCE_USER_API")
        self.assertEqual(t["labels"], {"team": "e2e"})
        self.assertNotEqual(t["created_at"], "0001-01-01T00:00:00Z")
        # a second one of the same name
        r = self.create(TEMPLATE % {"name": name, "metric": "x"})
        self.assertErrorBody(r, 409, 6, 'Template with name "%s" already exists.' % name)
        # the reserved prefixes
        r = self.create(TEMPLATE % {"name": "pmm_mine", "metric": "x"})
        self.assertErrorBody(r, 400, 3, "pmm_mine: template name should not start with 'pmm_' or 'saas_' prefix.")
        # twice in one request
        two = TEMPLATE % {"name": "dup_e2e", "metric": "x"}
        two += two.split("templates:\n", 1)[1]
        r = self.create(two)
        self.assertErrorBody(r, 400, 3, "Template with name 'dup_e2e' declared more that once.")
        # an expression that cannot be filled
        r = self.create((TEMPLATE % {"name": "bad_e2e", "metric": "x"}).replace(".threshold ]]", ".nope ]]", 1))
        self.assertEqual(r.status, 400, r)
        self.assertIn('map has no entry for key \\"nope\\"', json.dumps(r.json["message"]))
        r = self.create("")
        self.assertErrorBody(r, 400, 3, "invalid CreateTemplateRequest.Yaml: value length must be at least 1 runes")
        r = self.create("templates: [ {name: x")
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.json["message"].startswith("Failed to parse rule template: "), r.json)
        # update: the summary changes; names must match; unknown names
        r = rest("PUT", "/v1/alerting/templates/" + name,
                 {"yaml": (TEMPLATE % {"name": name, "metric": "y"}).replace("E2E value too high", "Changed")})
        self.assertStatus(r, 200)
        t = [x for x in self.templates()["templates"] if x["name"] == name][0]
        self.assertEqual(t["summary"], "Changed")
        r = rest("PUT", "/v1/alerting/templates/" + name, {"yaml": TEMPLATE % {"name": "other_e2e", "metric": "y"}})
        self.assertErrorBody(r, 400, 3, "Mismatch names.")
        r = rest("PUT", "/v1/alerting/templates/nothing_e2e", {"yaml": TEMPLATE % {"name": "nothing_e2e", "metric": "y"}})
        self.assertErrorBody(r, 404, 5, 'Template with name "nothing_e2e" not found.')
        r = rest("PUT", "/v1/alerting/templates/" + name, {"yaml": "templates: []"})
        self.assertErrorBody(r, 400, 3, "Request should contain exactly one rule template.")
        # delete: API templates only
        r = rest("DELETE", "/v1/alerting/templates/pmm_mysql_down")
        self.assertErrorBody(r, 404, 5, 'Template with name "pmm_mysql_down" not found.')
        r = rest("DELETE", "/v1/alerting/templates/" + name)
        self.assertStatus(r, 200)
        self.assertNotIn(name, [x["name"] for x in self.templates()["templates"]])
        # and over gRPC
        ch = channel()
        self.addCleanup(ch.close)
        resp = unary(ch, "/alerting.v1.AlertingService/ListTemplates", alerting_pb2.ListTemplatesRequest(),
                     alerting_pb2.ListTemplatesResponse)
        self.assertIn("pmm_mysql_down", [t.name for t in resp.templates])

    def test_user_file_reload(self):
        name = unique("e2e_file").replace("-", "_")
        path = os.path.join(VAR, "alerting", "templates", name + ".yaml")
        with open(path, "w") as f:
            f.write(TEMPLATE % {"name": name, "metric": "x"})
        self.addCleanup(os.unlink, path)
        self.assertNotIn(name, [t["name"] for t in self.templates()["templates"]])
        body = self.templates("?reload=true")
        t = [x for x in body["templates"] if x["name"] == name]
        self.assertEqual(len(t), 1)
        self.assertEqual(t[0]["source"], "TEMPLATE_SOURCE_USER_FILE")

    def test_create_rule_checks(self):
        name = self.new_template()
        base = {"template_name": name, "name": "r", "group": "g", "folder_uid": "f",
                "params": [{"name": "threshold", "type": "PARAM_TYPE_FLOAT", "float": 5}]}
        cases = [
            ({"template_name": ""}, 400, "Template name should be specified."),
            ({"folder_uid": ""}, 400, "Folder UID should be specified."),
            ({"group": ""}, 400, "Rule group name should be specified."),
            ({"template_name": "nope_e2e"}, 404, "Unknown template nope_e2e."),
            ({"params": []}, 400, "Expression requires 1 parameters, but got 0."),
            ({"params": [{"name": "", "type": "PARAM_TYPE_FLOAT", "float": 5}]}, 400,
             "invalid CreateRuleRequest.Params[0]: embedded message failed validation | caused by: "
             "invalid ParamValue.Name: value length must be at least 1 runes"),
            ({"params": [{"name": "other", "type": "PARAM_TYPE_FLOAT", "float": 5}]}, 400,
             "Parameter threshold is missing."),
            ({"params": [{"name": "threshold", "type": "PARAM_TYPE_BOOL", "bool": True}]}, 400,
             "Parameter threshold has type bool instead of float."),
            ({"params": [{"name": "threshold", "type": "PARAM_TYPE_FLOAT", "float": -1}]}, 400,
             "Parameter threshold value is less than required minimum."),
            ({"params": [{"name": "threshold", "type": "PARAM_TYPE_FLOAT", "float": 101}]}, 400,
             "Parameter threshold value is greater than required maximum."),
        ]
        for change, status, message in cases:
            body = dict(base, **change)
            r = rest("POST", "/v1/alerting/rules", body)
            self.assertEqual((r.status, r.json["message"]), (status, message), change)

    def test_rule_fires_and_reaches_alertmanager(self):
        metric = "e2e_alert_value_" + unique("m").replace("-", "_")
        name = self.new_template(metric)
        rule = unique("E2E rule")
        service = unique("svc")
        stop = threading.Event()

        def push():
            while not stop.is_set():
                vm_import('%s{service_name="%s"} 42\n%s{service_name="other"} 42\n' % (metric, service, metric))
                stop.wait(1)

        pusher = threading.Thread(target=push, daemon=True)
        pusher.start()
        self.addCleanup(pusher.join)
        self.addCleanup(stop.set)
        r = rest("POST", "/v1/alerting/rules", {
            "template_name": name, "name": rule, "group": "e2e-group", "folder_uid": "folder1",
            "params": [{"name": "threshold", "type": "PARAM_TYPE_FLOAT", "float": 20.5}],
            "severity": "SEVERITY_CRITICAL", "custom_labels": {"owner": "[[ .threshold ]]"},
            "filters": [{"type": "FILTER_TYPE_MATCH", "label": "service_name", "regexp": service}]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        # vmalert loaded the group
        groups = get(VMALERT, "/api/v1/rules")["data"]["groups"]
        mine = [rl for g in groups if g["name"] == "e2e-group" for rl in g["rules"] if rl["name"] == rule]
        self.assertEqual(len(mine), 1, groups)
        self.assertEqual(mine[0]["query"], 'label_match(%s > 20.5, "service_name", "%s")' % (metric, service))
        # the alert reaches Alertmanager
        deadline = time.time() + 90
        alerts = []
        while time.time() < deadline and not alerts:
            alerts = [a for a in get(ALERTMANAGER, "/api/v2/alerts")
                      if a["labels"].get("alertname") == rule]
            if not alerts:
                time.sleep(1)
        self.assertEqual(len(alerts), 1, "no alert %r in Alertmanager" % rule)
        labels = alerts[0]["labels"]
        self.assertEqual(labels["service_name"], service)  # the filter kept only this service
        self.assertEqual(labels["percona_alerting"], "1")
        self.assertEqual(labels["severity"], "critical")
        self.assertEqual(labels["template_name"], name)
        self.assertEqual(labels["team"], "e2e")
        self.assertEqual(labels["owner"], "20.5")
        self.assertEqual(alerts[0]["annotations"]["summary"], "%s is above 20.5" % service)
        self.assertEqual(alerts[0]["annotations"]["description"], "E2E value of %s is 42" % service)
        self.assertEqual(alerts[0]["status"]["state"], "active")

    def test_rule_vmalert_refuses(self):
        # MetricsQL cannot parse the filled expression: vmalert -dryRun refuses
        # the file, and nothing is stored (the next rule still applies)
        name = unique("e2e_bad").replace("-", "_")
        r = self.create((TEMPLATE % {"name": name, "metric": "sum(("}))
        self.assertStatus(r, 200)
        self.addCleanup(rest, "DELETE", "/v1/alerting/templates/" + name)
        r = rest("POST", "/v1/alerting/rules", {
            "template_name": name, "name": "bad", "group": "e2e-bad", "folder_uid": "f",
            "params": [{"name": "threshold", "type": "PARAM_TYPE_FLOAT", "float": 1}]})
        self.assertEqual(r.status, 400, r)
        self.assertTrue(r.json["message"].startswith("Invalid alerting rules. "), r.json)
        groups = get(VMALERT, "/api/v1/rules")["data"]["groups"]
        self.assertNotIn("e2e-bad", [g["name"] for g in groups])

    def test_disabled(self):
        r = rest("PUT", "/v1/server/settings", {"enable_alerting": False})
        self.assertStatus(r, 200)
        try:
            r = rest("GET", "/v1/alerting/templates")
            self.assertErrorBody(r, 400, 9, "Alerting is disabled")
            r = rest("POST", "/v1/alerting/rules", {"template_name": "x"})
            self.assertErrorBody(r, 400, 9, "Alerting is disabled")
        finally:
            r = rest("PUT", "/v1/server/settings", {"enable_alerting": True})
            self.assertStatus(r, 200)
