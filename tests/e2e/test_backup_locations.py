"""e2e: backup.v1.LocationsService over REST and gRPC against the real S3
server (s3rver): AddLocation resolves the bucket's region, ListLocations
shows the config (secret key in clear, as upstream), ChangeLocation,
TestLocationConfig lists the bucket and writes and removes a probe object
(signed with SigV4 by backupd; an unknown key is refused by the server),
RemoveLocation with and without force; protoc-gen-validate's texts and
upstream's own; backup management disabled; the admin-only rule; the
secret sealed at rest."""

import subprocess
import os

import grpc

import e2elib
from e2elib import ApiTestCase, rest, unique, quote, channel, unary
from backuplib import s3_config, s3_keys, S3_BUCKET, add_s3_location
from backup.v1 import locations_pb2


class LocationsTest(ApiTestCase):
    def test_add_list_change_remove(self):
        name = unique("loc")
        lid = add_s3_location(self, name)
        r = rest("GET", "/v1/backups/locations")
        self.assertStatus(r, 200)
        mine = [l for l in r.json["locations"] if l["location_id"] == lid]
        self.assertEqual(mine, [{"location_id": lid, "name": name, "description": "e2e", "s3_config": s3_config()}])
        # change the name and move to a filesystem path
        r = rest("PUT", "/v1/backups/locations/%s" % quote(lid), {"name": name + "-2",
                                                                  "filesystem_config": {"path": "/srv/backups"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        r = rest("GET", "/v1/backups/locations")
        mine = [l for l in r.json["locations"] if l["location_id"] == lid]
        self.assertEqual(mine, [{"location_id": lid, "name": name + "-2", "description": "e2e",
                                 "filesystem_config": {"path": "/srv/backups"}}])
        r = rest("DELETE", "/v1/backups/locations/%s" % quote(lid))
        self.assertStatus(r, 200)
        r = rest("DELETE", "/v1/backups/locations/%s" % quote(lid))
        self.assertErrorBody(r, 404, 5, 'Backup location with ID "%s" not found.' % lid)

    def test_duplicate_name(self):
        name = unique("dup")
        add_s3_location(self, name)
        r = rest("POST", "/v1/backups/locations", {"name": name, "filesystem_config": {"path": "/x"}})
        self.assertErrorBody(r, 409, 6, 'Location with name "%s" already exists.' % name)

    def test_validation(self):
        cases = [
            ({"filesystem_config": {"path": "/x"}}, "invalid AddLocationRequest.Name: value length must be at least 1 runes"),
            ({"name": "x"}, "Missing location config."),
            ({"name": "x", "filesystem_config": {"path": "/x"}, "s3_config": s3_config()}, "Only one config is allowed."),
            ({"name": "x", "filesystem_config": {}},
             "invalid AddLocationRequest.FilesystemConfig: embedded message failed validation | caused by: "
             "invalid FilesystemLocationConfig.Path: value length must be at least 1 runes"),
            ({"name": "x", "s3_config": dict(s3_config(), endpoint="")},
             "invalid AddLocationRequest.S3Config: embedded message failed validation | caused by: "
             "invalid S3LocationConfig.Endpoint: value length must be at least 1 runes"),
            ({"name": "x", "s3_config": dict(s3_config(), bucket_name="")},
             "invalid AddLocationRequest.S3Config: embedded message failed validation | caused by: "
             "invalid S3LocationConfig.BucketName: value length must be at least 1 runes"),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                self.assertErrorBody(rest("POST", "/v1/backups/locations", body), 400, 3, message)
        r = rest("POST", "/v1/backups/locations:testConfig", {"s3_config": dict(s3_config(), access_key="")})
        self.assertErrorBody(r, 400, 3, "invalid TestLocationConfigRequest.S3Config: embedded message failed "
                             "validation | caused by: invalid S3LocationConfig.AccessKey: value length must be at "
                             "least 1 runes")
        r = rest("POST", "/v1/backups/locations:testConfig", {})
        self.assertErrorBody(r, 400, 3, "Missing location config.")

    def test_test_config_talks_to_the_bucket(self):
        before = s3_keys()
        r = rest("POST", "/v1/backups/locations:testConfig", {"s3_config": s3_config()})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        self.assertEqual(s3_keys(), before, "the probe object must be removed")
        r = rest("POST", "/v1/backups/locations:testConfig", {"s3_config": s3_config(bucket="no-such-bucket")})
        self.assertErrorBody(r, 400, 3, "Bucket doesn't exist")
        # s3rver checks the access key and the signed headers, not the SigV4
        # signature itself (tests/unit/test_aws.c checks that against AWS's vectors)
        r = rest("POST", "/v1/backups/locations:testConfig", {"s3_config": dict(s3_config(), access_key="NOPE")})
        self.assertErrorBody(r, 400, 3, "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in "
                             "our records..")
        # nobody listens there
        r = rest("POST", "/v1/backups/locations:testConfig", {"s3_config": s3_config(endpoint="http://127.0.0.1:9")})
        self.assertStatus(r, 500)
        self.assertIn("connection refused", r.json["message"])
        # filesystem paths are the pmm-client's: nothing to check on the server
        r = rest("POST", "/v1/backups/locations:testConfig", {"filesystem_config": {"path": "/backups"}})
        self.assertStatus(r, 200)

    def test_add_with_missing_bucket_fails(self):
        r = rest("POST", "/v1/backups/locations", {"name": unique("nb"), "s3_config": s3_config(bucket="nope")})
        self.assertErrorBody(r, 400, 3)
        self.assertTrue(r.json["message"].startswith("NoSuchBucket: "), r.json)

    def test_grpc(self):
        ch = channel()
        name = unique("grpcloc")
        resp = unary(ch, "/backup.v1.LocationsService/AddLocation", locations_pb2.AddLocationRequest(
            name=name, s3_config=locations_pb2.S3LocationConfig(**s3_config())), locations_pb2.AddLocationResponse)
        lid = resp.location_id
        self.addCleanup(lambda: rest("DELETE", "/v1/backups/locations/%s?force=true" % quote(lid)))
        lst = unary(ch, "/backup.v1.LocationsService/ListLocations", locations_pb2.ListLocationsRequest(),
                    locations_pb2.ListLocationsResponse)
        self.assertIn(lid, [l.location_id for l in lst.locations])
        with self.assertRaises(grpc.RpcError) as e:
            unary(ch, "/backup.v1.LocationsService/AddLocation", locations_pb2.AddLocationRequest(name="x"),
                  locations_pb2.AddLocationResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.INVALID_ARGUMENT, "Missing location config.")
        unary(ch, "/backup.v1.LocationsService/RemoveLocation", locations_pb2.RemoveLocationRequest(location_id=lid),
              locations_pb2.RemoveLocationResponse)

    def test_secret_sealed_at_rest(self):
        lid = add_s3_location(self)
        out = e2elib.psql("SELECT s3_config->>'secret_key' FROM backup_locations WHERE id = '%s'" % lid)
        self.assertTrue(out.strip().startswith("enc:"), out)

    def test_admin_only(self):
        for role in ("viewer", "editor"):
            login = unique(role)
            env = dict(os.environ, PMM_POSTGRES_ADDR="127.0.0.1:%s" % os.environ["E2E_PG_PORT"],
                       PMMCTL_PASSWORD=login + "-pw")
            out = subprocess.run([os.path.join(os.environ["PMM_BIN_DIR"], "pmmctl"), "user", "add", login,
                                  "--role=" + role], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            for method, path in (("GET", "/v1/backups/locations"), ("GET", "/v1/backups/artifacts"),
                                 ("POST", "/v1/backups:start"), ("GET", "/v1/dumps")):
                with self.subTest(role=role, path=path):
                    r = rest(method, path, {} if method == "POST" else None, auth=(login, login + "-pw"))
                    self.assertErrorBody(r, 401, 7, "Access denied.")

    def test_backup_management_disabled(self):
        r = rest("PUT", "/v1/server/settings", {"enable_backup_management": False})
        self.assertStatus(r, 200)
        try:
            r = rest("GET", "/v1/backups/locations")
            self.assertErrorBody(r, 400, 9, "Service backup.v1.LocationsService is disabled.")
        finally:
            self.assertStatus(rest("PUT", "/v1/server/settings", {"enable_backup_management": True}), 200)
        self.assertStatus(rest("GET", "/v1/backups/locations"), 200)
