"""server.v1 updates and AWSInstanceCheck over REST and gRPC (issue 10):
CheckUpdates offline (upstream's zero answer), from the air-gapped JSON
file, from a version service this test runs on 127.0.0.1 (run.sh points
configd's PMM_DEV_PERCONA_PLATFORM_ADDRESS at it), the kept result while
the service is away; ListChangeLogs; StartUpdate's refusal saying how
this suite is updated; UpdateStatus and AWSInstanceCheck without
credentials. Nothing reaches the internet.

The tests run in name order and share configd's cache: the first one
needs a configd that never checked successfully (test_restart runs last)."""

import http.server
import json
import os
import threading
import unittest

import grpc

from e2elib import ApiTestCase, channel, rest, unary
from server.v1 import server_pb2 as pb

SVC = "/server.v1.ServerService/"
PORT = int(os.environ["E2E_VERSION_SERVICE_PORT"])
UPDATE_FILE = os.environ["E2E_UPDATE_FILE"]
HOW_TO_UPDATE = ("This PMM Server does not update itself: install the new release (its packages, "
                 "or make install) and restart the daemons (supervisorctl restart all).")

RELEASES = {"versions": [
    {"version": "3.0.0", "imageInfo": {"imagePath": "percona/pmm-server:3.0.0"}},
    {"version": "3.0.1", "imageInfo": {"imagePath": "percona/pmm-server:3.0.1",
                                       "imageReleaseTimestamp": "2025-01-15T10:00:00Z"}},
    {"version": "3.1.0-rc2"},
    {"version": "3.1.0", "imageInfo": {"imagePath": "percona/pmm-server:3.1.0",
                                       "imageReleaseTimestamp": "2025-04-02T10:11:12.5Z"}},
    {"version": "4.0.0"},
]}


class VersionService:
    """Percona's version service as configd asks it: the release list and
    release notes (only 3.1.0 has notes). Counts the list requests."""

    def __init__(self):
        svc = self
        self.list_requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/metadata/v2/pmm-server":
                    svc.list_requests += 1
                    self.reply(200, RELEASES)
                elif self.path == "/release-notes/v1/pmm/3.1.0":
                    self.reply(200, {"releaseNote": "## Percona Monitoring and Management 3.1.0"})
                else:
                    self.reply(404, {"message": "not found"})

            def reply(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def remove_file():
    try:
        os.unlink(UPDATE_FILE)
    except FileNotFoundError:
        pass


class Updates(ApiTestCase):
    def setUp(self):
        self.ch = channel()
        self.addCleanup(self.ch.close)

    def check(self, query="", status=200):
        r = rest("GET", "/v1/server/updates" + query)
        self.assertStatus(r, status)
        return r.json

    def assert_installed(self, installed, day_only=True):
        self.assertEqual(installed["version"], "3.0.0")
        self.assertTrue(installed["full_version"].startswith("3.0.0-"), installed)
        if day_only:
            self.assertTrue(installed["timestamp"].endswith("T00:00:00Z"), installed)

    def test_1_offline_as_upstream(self):
        j = self.check()
        self.assertEqual(set(j), {"installed", "latest", "update_available", "latest_news_url", "last_check"})
        self.assert_installed(j["installed"])
        self.assertEqual(j["latest"], {"version": "0.0.0", "tag": "", "timestamp": None,
                                       "release_notes_url": "", "release_notes_text": ""})
        self.assertIs(j["update_available"], False)
        self.assertEqual(j["latest_news_url"], "https://per.co.na/pmm/0.0.0")
        self.assertEqual(j["last_check"], "0001-01-01T00:00:00Z")

        r = rest("GET", "/v1/server/updates?force=true")
        self.assertErrorBody(r, 500, 2)
        self.assertTrue(r.json["message"].startswith(
            "failed to get latest version: failed to get PMM server versions: Get \"http://127.0.0.1:%d"
            "/metadata/v2/pmm-server\": " % PORT), r.json)

        j = self.check("?only_installed_version=true")
        self.assert_installed(j["installed"], day_only=False)
        self.assertIsNone(j["latest"])
        self.assertIsNone(j["last_check"])

        resp = unary(self.ch, SVC + "CheckUpdates", pb.CheckUpdatesRequest(), pb.CheckUpdatesResponse)
        self.assertEqual(resp.latest.version, "0.0.0")
        self.assertFalse(resp.update_available)
        self.assertEqual(resp.last_check.seconds, -62135596800)
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch, SVC + "CheckUpdates", pb.CheckUpdatesRequest(force=True), pb.CheckUpdatesResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.UNKNOWN)

    def test_2_air_gapped_file(self):
        self.addCleanup(remove_file)
        with open(UPDATE_FILE, "w") as f:
            json.dump({"version": "3.2.0", "docker_image": "registry.local/percona/pmm-server:3.2.0",
                       "build_time": "2025-07-01T09:30:00Z", "release_notes_url": "https://docs.local/3.2.0",
                       "release_notes_text": "offline notes"}, f)
        j = self.check("?force=true")
        self.assertEqual(j["latest"], {"version": "3.2.0", "tag": "registry.local/percona/pmm-server:3.2.0",
                                       "timestamp": "2025-07-01T00:00:00Z",
                                       "release_notes_url": "https://docs.local/3.2.0",
                                       "release_notes_text": "offline notes"})
        self.assertIs(j["update_available"], True)
        self.assertEqual(j["latest_news_url"], "https://per.co.na/pmm/3.2.0")
        self.assertNotEqual(j["last_check"], "0001-01-01T00:00:00Z")
        # the file names no list of releases
        r = rest("GET", "/v1/server/updates/changelogs")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["updates"], [])

        with open(UPDATE_FILE, "w") as f:
            f.write("{not json")
        r = rest("GET", "/v1/server/updates?force=true")
        self.assertErrorBody(r, 500, 2)
        self.assertTrue(r.json["message"].startswith(
            "failed to get latest version: failed to read from file: failed to unmarshal file: "), r.json)

    def test_3_version_service_and_kept_result(self):
        svc = VersionService()
        stopped = False
        try:
            j = self.check("?force=true")
            self.assertEqual(svc.list_requests, 1)
            self.assertEqual(j["latest"], {
                "version": "3.1.0", "tag": "percona/pmm-server:3.1.0", "timestamp": "2025-04-02T00:00:00Z",
                "release_notes_url": "https://per.co.na/pmm/3.1.0",
                "release_notes_text": "## Percona Monitoring and Management 3.1.0"})
            self.assertIs(j["update_available"], True)
            self.assertEqual(j["latest_news_url"], "https://per.co.na/pmm/3.1.0")
            checked = j["last_check"]

            # fresh for 24 h 10 min: no new request
            again = self.check()
            self.assertEqual(svc.list_requests, 1)
            self.assertEqual(again["latest"], j["latest"])
            self.assertEqual(again["last_check"], checked)

            r = rest("GET", "/v1/server/updates/changelogs")
            self.assertStatus(r, 200)
            self.assertEqual(set(r.json), {"updates", "last_check"})
            self.assertEqual([u["version"] for u in r.json["updates"]], ["3.0.1", "3.1.0", "4.0.0"])
            self.assertEqual(r.json["updates"][1], {
                "version": "3.1.0", "tag": "percona/pmm-server:3.1.0", "timestamp": None,
                "release_notes_url": "https://per.co.na/pmm/3.1.0",
                "release_notes_text": "## Percona Monitoring and Management 3.1.0"})
            self.assertEqual(r.json["updates"][2]["tag"], "percona/pmm-server:4.0.0")
            self.assertEqual(svc.list_requests, 2)  # asked afresh, as upstream

            resp = unary(self.ch, SVC + "ListChangeLogs", pb.ListChangeLogsRequest(), pb.ListChangeLogsResponse)
            self.assertEqual([u.version for u in resp.updates], ["3.0.1", "3.1.0", "4.0.0"])

            svc.stop()
            stopped = True
            # the service went away: the result is kept, and its time
            kept = self.check()
            self.assertEqual(kept["latest"], j["latest"])
            self.assertEqual(kept["last_check"], checked)
            self.assertErrorBody(rest("GET", "/v1/server/updates/changelogs"), 503, 14,
                                 "failed to list available updates")
            self.assertErrorBody(rest("GET", "/v1/server/updates?force=true"), 500, 2)
            resp = unary(self.ch, SVC + "CheckUpdates", pb.CheckUpdatesRequest(), pb.CheckUpdatesResponse)
            self.assertEqual(resp.latest.tag, "percona/pmm-server:3.1.0")
        finally:
            if not stopped:
                svc.stop()

    def test_4_start_update_says_how(self):
        for body in ({}, {"new_image": "percona/pmm-server:3.1.0"}):
            self.assertErrorBody(rest("POST", "/v1/server/updates:start", body), 400, 9, HOW_TO_UPDATE)
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch, SVC + "StartUpdate", pb.StartUpdateRequest(), pb.StartUpdateResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.FAILED_PRECONDITION, HOW_TO_UPDATE)

    def test_5_update_status_without_credentials(self):
        r = rest("POST", "/v1/server/updates:getStatus", {"auth_token": "unknown", "log_offset": 7}, auth=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"log_lines": [], "log_offset": 0, "done": True})
        resp = unary(self.ch, SVC + "UpdateStatus", pb.UpdateStatusRequest(auth_token="x"),
                     pb.UpdateStatusResponse, metadata=())
        self.assertTrue(resp.done)

    def test_6_aws_instance_check_without_credentials(self):
        r = rest("GET", "/v1/server/AWSInstance?instance_id=i-0123456789abcdef0", auth=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        self.assertErrorBody(rest("GET", "/v1/server/AWSInstance", auth=None), 400, 3,
                             "invalid AWSInstanceCheckRequest.InstanceId: value length must be at least 1 runes")
        unary(self.ch, SVC + "AWSInstanceCheck", pb.AWSInstanceCheckRequest(instance_id="i-1"),
              pb.AWSInstanceCheckResponse, metadata=())
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch, SVC + "AWSInstanceCheck", pb.AWSInstanceCheckRequest(), pb.AWSInstanceCheckResponse,
                  metadata=())
        self.assertGrpcError(e.exception, grpc.StatusCode.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
