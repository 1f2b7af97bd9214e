"""Debug listener: /debug/metrics (Prometheus text: request counters by
method and code, a latency histogram) and /debug/vars (JSON)."""

import re
import unittest

from e2elib import ApiTestCase, channel, debug, rest, unary
from inventory.v1 import nodes_pb2 as pb

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Returns (types {family: type}, samples [(name, {label: value}, float)])."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            f = line.split()
            if len(f) >= 4 and f[1] == "TYPE":
                types[f[2]] = f[3]
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise ValueError("not Prometheus text: %r" % line)
        labels = dict(LABEL_RE.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return types, samples


def scrape(test):
    r = debug("/debug/metrics")
    test.assertEqual(r.status, 200, r)
    test.assertTrue(r.headers.get("content-type", "").startswith("text/plain"), r.headers)
    return parse_prometheus(r.body.decode())


def request_counters(types, samples):
    """Counter samples carrying a method-ish and a code-ish label."""
    out = []
    for name, labels, value in samples:
        family = name[:-6] if name.endswith("_total") and name not in types else name
        if types.get(family) != "counter" and types.get(name) != "counter":
            continue
        keys = " ".join(labels)
        if "method" in keys and "code" in keys:
            out.append((name, labels, value))
    return out


def count_for(counters, method_part, code_values):
    total = 0.0
    for _, labels, value in counters:
        methods = [v for k, v in labels.items() if "method" in k]
        codes = [v for k, v in labels.items() if "code" in k]
        if any(method_part in m for m in methods) and any(c in code_values for c in codes):
            total += value
    return total


class Debug(ApiTestCase):
    def test_request_counters_grow(self):
        types, samples = scrape(self)
        before_rest = count_for(request_counters(types, samples), "ListNodes", ("OK", "0"))
        for _ in range(3):
            self.assertStatus(rest("GET", "/v1/inventory/nodes"), 200)
        ch = channel()
        self.addCleanup(ch.close)
        for _ in range(2):
            unary(ch, "/inventory.v1.NodesService/ListNodes", pb.ListNodesRequest(), pb.ListNodesResponse)
        rest("GET", "/v1/inventory/nodes/pmm-not-found")

        types, samples = scrape(self)
        counters = request_counters(types, samples)
        self.assertTrue(counters, "no counter labelled by method and code")
        after = count_for(counters, "ListNodes", ("OK", "0"))
        self.assertGreaterEqual(after - before_rest, 5, counters)
        self.assertGreaterEqual(count_for(counters, "GetNode", ("NotFound", "NOT_FOUND", "5")), 1,
                                counters)

    def test_latency_histogram(self):
        rest("GET", "/v1/inventory/nodes")
        types, samples = scrape(self)
        hists = [f for f, t in types.items() if t == "histogram"]
        self.assertTrue(hists, "no histogram in /debug/metrics")
        names = {s[0] for s in samples}
        ok = False
        for h in hists:
            buckets = [s for s in samples if s[0] == h + "_bucket"]
            if buckets and h + "_sum" in names and h + "_count" in names:
                self.assertTrue(any(s[1].get("le") == "+Inf" for s in buckets), h)
                ok = True
        self.assertTrue(ok, "no histogram with _bucket/_sum/_count series: %r" % hists)

    def test_vars_json(self):
        r = debug("/debug/vars")
        self.assertEqual(r.status, 200, r)
        self.assertIsInstance(r.json, dict, r)
        self.assertTrue(r.json)


if __name__ == "__main__":
    unittest.main()
