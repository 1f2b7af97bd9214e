"""platform.v1 over REST and gRPC (api.md §4.11): this server is never
connected to Percona Platform, so each method answers as upstream does for
a server that is not connected; the roles are upstream's ("/v1/platform:"
admin, "/v1/platform/" viewer)."""

import unittest

import grpc

from e2elib import ApiTestCase, channel, generated, rest, unary, unique
from test_auth import pmmctl

pb = generated("platform/v1/platform_pb2.py")  # `platform` is a standard module

SVC = "/platform.v1.PlatformService/"
NO_TOKEN = "Failed to get user access token. Please sign in using your Percona Portal account."


class Platform(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        login = unique("viewer")
        r = pmmctl("user", "add", login, "--role=viewer", password=login + "-pw")
        assert r.returncode == 0, r.stderr
        cls.viewer = (login, login + "-pw")

    def setUp(self):
        self.ch = channel()
        self.addCleanup(self.ch.close)

    def set_address(self, address):
        self.assertStatus(rest("PUT", "/v1/server/settings", {"pmm_public_address": address}), 200)

    def test_connect(self):
        self.assertErrorBody(rest("POST", "/v1/platform:connect", {"personal_access_token": "t"}), 400, 3,
                             "invalid ConnectRequest.ServerName: value length must be at least 1 runes")
        self.addCleanup(self.set_address, "")
        self.set_address("")
        body = {"server_name": "pmm-prod", "personal_access_token": "t"}
        self.assertErrorBody(rest("POST", "/v1/platform:connect", body), 400, 9,
                             "The address of PMM server is not set")
        self.set_address("pmm.example.com:8443")
        self.assertErrorBody(rest("POST", "/v1/platform:connect", body), 400, 9,
                             "Connecting to Percona Platform is not supported by this PMM Server.")
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch, SVC + "Connect", pb.ConnectRequest(server_name="x"), pb.ConnectResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.FAILED_PRECONDITION)

    def test_disconnect(self):
        for body in ({}, {"force": True}):
            self.assertErrorBody(rest("POST", "/v1/platform:disconnect", body), 409, 10,
                                 "Failed to fetch SSO details.")
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch, SVC + "Disconnect", pb.DisconnectRequest(), pb.DisconnectResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.ABORTED, "Failed to fetch SSO details.")

    def test_percona_account_methods(self):
        for path in ("/v1/platform/organization/tickets", "/v1/platform/organization/entitlements",
                     "/v1/platform/contact", "/v1/platform/user"):
            for auth in (None, self.viewer):
                kw = {} if auth is None else {"auth": auth}
                r = rest("GET", path, **kw)
                self.assertErrorBody(r, 401, 16, NO_TOKEN)
                self.assertEqual(r.headers.get("www-authenticate"), NO_TOKEN)
        for name, req, resp in (("SearchOrganizationTickets", pb.SearchOrganizationTicketsRequest,
                                 pb.SearchOrganizationTicketsResponse),
                                ("SearchOrganizationEntitlements", pb.SearchOrganizationEntitlementsRequest,
                                 pb.SearchOrganizationEntitlementsResponse),
                                ("GetContactInformation", pb.GetContactInformationRequest,
                                 pb.GetContactInformationResponse),
                                ("UserStatus", pb.UserStatusRequest, pb.UserStatusResponse)):
            with self.assertRaises(grpc.RpcError) as e:
                unary(self.ch, SVC + name, req(), resp)
            self.assertGrpcError(e.exception, grpc.StatusCode.UNAUTHENTICATED, NO_TOKEN)

    def test_server_info(self):
        r = rest("GET", "/v1/platform/server", auth=self.viewer)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"pmm_server_name", "pmm_server_id", "pmm_server_telemetry_id",
                                       "connected_to_portal"})
        self.assertEqual(r.json["pmm_server_name"], "")
        self.assertEqual(len(r.json["pmm_server_id"]), 36)
        self.assertIs(r.json["connected_to_portal"], False)
        resp = unary(self.ch, SVC + "ServerInfo", pb.ServerInfoRequest(), pb.ServerInfoResponse)
        self.assertEqual(resp.pmm_server_id, r.json["pmm_server_id"])

    def test_roles(self):
        for path in ("/v1/platform:connect", "/v1/platform:disconnect"):
            self.assertErrorBody(rest("POST", path, {}, auth=self.viewer), 401, 7, "Access denied.")
            self.assertErrorBody(rest("POST", path, {}, auth=None), 401, 16, "Unauthorized")
        self.assertErrorBody(rest("GET", "/v1/platform/server", auth=None), 401, 16, "Unauthorized")


if __name__ == "__main__":
    unittest.main()
