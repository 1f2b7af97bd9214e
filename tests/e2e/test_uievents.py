"""uievents.v1 Store over REST and gRPC (api.md §4.12): the UI's events are
accepted (an empty JSON object back) and counted by kind on the gateway's
/debug/metrics, where configd's counters are appended."""

import unittest

import grpc
from google.protobuf import empty_pb2

from e2elib import ApiTestCase, channel, rest, unary, unique
from test_auth import pmmctl
from test_debug import scrape
from uievents.v1 import server_pb2 as pb

SVC = "/uievents.v1.UIEventsService/Store"


def counts(test):
    _, samples = scrape(test)
    out = {}
    for name, labels, value in samples:
        if name == "pmm_managed_ui_events_total":
            out[labels["kind"]] = value
        elif name == "pmm_managed_ui_events_store_requests_total":
            out["requests"] = value
    return out


class UIEvents(ApiTestCase):
    def test_store_counts(self):
        before = counts(self)
        self.assertEqual(set(before), {"requests", "notifications", "fetching", "dashboard_usage",
                                       "user_flow_events"}, before)
        body = {
            "notifications": [{"title": "t", "text": "x", "location": "/graph", "location_params": ""}] * 2,
            "fetching": [{"component": "grid", "load_time": 120, "location": "/graph"}],
            "dashboard_usage": [{"uid": "abc", "title": "Home", "tags": ["a"], "load_time": 3}],
            "user_flow_events": [{"flow_id": "f", "story_id": "s", "event": "click", "params": {"k": "v"}}] * 3,
        }
        r = rest("POST", "/v1/ui-events/Store", body)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        self.assertStatus(rest("POST", "/v1/ui-events/Store", {}), 200)
        ch = channel()
        self.addCleanup(ch.close)
        req = pb.StoreRequest(fetching=[pb.FetchingEvent(component="c", load_time=1)])
        unary(ch, SVC, req, empty_pb2.Empty)

        after = counts(self)
        self.assertEqual(after["requests"] - before["requests"], 3)
        self.assertEqual(after["notifications"] - before["notifications"], 2)
        self.assertEqual(after["fetching"] - before["fetching"], 2)
        self.assertEqual(after["dashboard_usage"] - before["dashboard_usage"], 1)
        self.assertEqual(after["user_flow_events"] - before["user_flow_events"], 3)

    def test_bad_body_and_roles(self):
        r = rest("POST", "/v1/ui-events/Store", {"notifications": "nope"})
        self.assertErrorBody(r, 400, 3)
        # upstream's auth server has no rule for /v1/ui-events: admin only
        login = unique("viewer")
        self.assertEqual(pmmctl("user", "add", login, "--role=viewer", password="pw-" + login).returncode, 0)
        self.assertErrorBody(rest("POST", "/v1/ui-events/Store", {}, auth=(login, "pw-" + login)), 401, 7,
                             "Access denied.")
        ch = channel()
        self.addCleanup(ch.close)
        with self.assertRaises(grpc.RpcError) as e:
            unary(ch, SVC, pb.StoreRequest(), empty_pb2.Empty, metadata=())
        self.assertGrpcError(e.exception, grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    unittest.main()
