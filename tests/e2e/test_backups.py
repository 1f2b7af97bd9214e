"""e2e: backup.v1.BackupService on-demand backups end to end: the gateway,
backupd, agentsd and a connected fake pmm-agent (tests/e2e/fakeagent.py
BackupJobs) that writes and reads real objects in the S3 server. A MySQL
physical backup lands in the bucket, reports its metadata and logs, is
restored and deleted with its files; validation and compatibility texts;
job errors with retries; a location that stops answering mid-backup; the
agent disconnecting mid-job; backupd killed with -9 while a backup runs."""

import os
import signal
import subprocess
import threading
import time

import grpc

import e2elib
from e2elib import ApiTestCase, rest, unique, quote, channel, unary, ctl, wait_running
from fakeagent import FakeAgent, BackupJobs
from backuplib import (S3_BUCKET, s3_keys, add_s3_location, add_fs_location, register_node, add_service,
                       wait_for, artifact, wait_artifact_status, s3_config)
from backup.v1 import backup_pb2, artifacts_pb2

MYSQL_VERSIONS = {"mysqld": "8.0.33", "xtrabackup": "8.0.33", "xbcloud": "8.0.33"}
MONGO_VERSIONS = {"mongod": "6.0.5", "pbm": "2.1.0"}


def restore_item(restore_id):
    r = rest("GET", "/v1/backups/restores")
    assert r.status == 200, r
    return next((i for i in r.json.get("items", []) if i["restore_id"] == restore_id), None)


class BackupCase(ApiTestCase):
    """A node with a connected fake agent running backup jobs, a MySQL and a
    MongoDB (cluster) service on it, an S3 location."""

    def setUp(self):
        self.node_id, self.pmm_agent_id, self.token = register_node(self)
        self.agent = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token, version="3.0.0")
        self.jobs = BackupJobs(self.agent, dict(MYSQL_VERSIONS, **MONGO_VERSIONS))
        self.agent.connect()
        self.addCleanup(self.agent.close)
        self.mysql_id = add_service(self, "mysql", self.node_id, self.pmm_agent_id)
        self.mongo_id = add_service(self, "mongodb", self.node_id, self.pmm_agent_id, cluster=unique("rs"))
        self.location_id = add_s3_location(self)
        # artifacts go before the location's forced removal (cleanups run last-in first-out)
        self.addCleanup(self.delete_my_artifacts)

    def delete_my_artifacts(self):
        r = rest("GET", "/v1/backups/artifacts")
        for a in r.json.get("artifacts", []):
            if a["location_id"] == self.location_id:
                rest("DELETE", "/v1/backups/artifacts/%s?remove_files=true" % quote(a["artifact_id"]))

    def start(self, **kw):
        body = {"service_id": self.mysql_id, "location_id": self.location_id,
                "data_model": "DATA_MODEL_PHYSICAL"}
        body.update(kw)
        return rest("POST", "/v1/backups:start", body)


class MySQLBackupTest(BackupCase):
    def test_backup_restore_delete(self):
        folder = unique("f")
        r = self.start(name="nightly", folder=folder, description="e2e")
        self.assertStatus(r, 200)
        aid = r.json["artifact_id"]
        a = wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")
        self.assertTrue(a["name"].startswith("nightly_"), a)
        self.assertEqual(a["vendor"], "mysql")
        self.assertEqual(a["location_id"], self.location_id)
        self.assertEqual(a["service_id"], self.mysql_id)
        self.assertEqual(a["data_model"], "DATA_MODEL_PHYSICAL")
        self.assertEqual(a["mode"], "BACKUP_MODE_SNAPSHOT")
        self.assertEqual(a["folder"], folder)
        self.assertEqual(a["metadata_list"], [{"file_list": [{"name": a["name"], "is_directory": True}],
                                              "restore_to": None}])
        self.assertTrue(a["location_name"] and a["service_name"], a)
        # the agent got the S3 config with the region backupd resolved, and the service's credentials
        job = self.jobs.started[0].mysql_backup
        self.assertEqual(job.s3_config.bucket_name, S3_BUCKET)
        self.assertEqual(job.s3_config.bucket_region, "us-east-1")
        self.assertEqual((job.user, job.password, job.port), ("pmm", "secret", 3306))
        keys = s3_keys(folder + "/")
        self.assertEqual(len(keys), 3, keys)
        self.assertTrue(all(k.startswith("%s/%s/" % (folder, a["name"])) for k in keys), keys)

        # logs: every chunk but the last; end once it is reached
        r = rest("GET", "/v1/backups/%s/logs" % quote(aid))
        self.assertStatus(r, 200)
        self.assertEqual([c["chunk_id"] for c in r.json["logs"]], [0, 1])
        self.assertTrue(r.json["end"])
        r = rest("GET", "/v1/backups/%s/logs?offset=1&limit=1" % quote(aid))
        self.assertEqual(r.json, {"logs": [{"chunk_id": 1, "data": "mysql_backup %s done\n" % a["name"]}], "end": False})

        r = rest("GET", "/v1/backups/%s/compatible-services" % quote(aid))
        self.assertStatus(r, 200)
        self.assertIn(self.mysql_id, [s["service_id"] for s in r.json.get("mysql", [])])
        self.assertEqual(r.json.get("mongodb", []), [])

        # restore reads the files back
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mysql_id, "artifact_id": aid})
        self.assertStatus(r, 200)
        rid = r.json["restore_id"]
        item = wait_for(lambda: (lambda i: i if i and i["status"] == "RESTORE_STATUS_SUCCESS" else None)(
            restore_item(rid)), what="restore success")
        self.assertEqual((item["artifact_id"], item["name"], item["vendor"], item["service_id"]),
                         (aid, a["name"], "mysql", self.mysql_id))
        self.assertTrue(item["finished_at"])
        self.assertIsNone(item["pitr_timestamp"])
        r = rest("GET", "/v1/backups/restores/%s/logs" % quote(rid))
        self.assertStatus(r, 200)
        self.assertTrue(r.json["end"])
        self.assertEqual(len(r.json["logs"]), 2)

        # deleting with the files: they leave the bucket
        r = rest("DELETE", "/v1/backups/artifacts/%s?remove_files=true" % quote(aid))
        self.assertStatus(r, 200)
        self.assertEqual(s3_keys(folder + "/"), [])
        self.assertIsNone(artifact(aid))
        self.assertIsNone(restore_item(rid))
        r = rest("DELETE", "/v1/backups/artifacts/%s" % quote(aid))
        self.assertErrorBody(r, 404, 5, 'Artifact with ID "%s" not found.' % aid)

    def test_delete_keeps_files_without_remove_files(self):
        folder = unique("keep")
        aid = self.start(folder=folder).json["artifact_id"]
        wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")
        self.assertStatus(rest("DELETE", "/v1/backups/artifacts/%s?remove_files=false" % quote(aid)), 200)
        self.assertIsNone(artifact(aid))
        self.assertEqual(len(s3_keys(folder + "/")), 3)
        s3 = BackupJobs.s3_client(type("c", (), dict(s3_config(), bucket_region="us-east-1"))())
        for k in s3_keys(folder + "/"):
            s3.delete_object(Bucket=S3_BUCKET, Key=k)

    def test_grpc(self):
        ch = channel()
        resp = unary(ch, "/backup.v1.BackupService/StartBackup", backup_pb2.StartBackupRequest(
            service_id=self.mysql_id, location_id=self.location_id, data_model=1, folder=unique("g")),
            backup_pb2.StartBackupResponse)
        wait_artifact_status(resp.artifact_id, "BACKUP_STATUS_SUCCESS")
        lst = unary(ch, "/backup.v1.BackupService/ListArtifacts", artifacts_pb2.ListArtifactsRequest(),
                    artifacts_pb2.ListArtifactsResponse)
        mine = [a for a in lst.artifacts if a.artifact_id == resp.artifact_id]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0].status, artifacts_pb2.BACKUP_STATUS_SUCCESS)
        with self.assertRaises(grpc.RpcError) as e:
            unary(ch, "/backup.v1.BackupService/StartBackup", backup_pb2.StartBackupRequest(
                service_id=self.mysql_id, location_id=self.location_id, retries=11), backup_pb2.StartBackupResponse)
        self.assertGrpcError(e.exception, grpc.StatusCode.INVALID_ARGUMENT, "Exceeded max retries 10.")
        unary(ch, "/backup.v1.BackupService/DeleteArtifact", artifacts_pb2.DeleteArtifactRequest(
            artifact_id=resp.artifact_id, remove_files=True), artifacts_pb2.DeleteArtifactResponse)

    def test_validation(self):
        cases = [
            ({"service_id": ""}, 400, 3, "invalid StartBackupRequest.ServiceId: value length must be at least 1 runes"),
            ({"location_id": ""}, 400, 3, "invalid StartBackupRequest.LocationId: value length must be at least 1 runes"),
            ({"retries": 11}, 400, 3, "Exceeded max retries 10."),
            ({"retry_interval": "28801s"}, 400, 3, "Exceeded max retry interval 8h0m0s."),
            ({"folder": "a//b"}, 400, 3, 'Specified folder in non-canonical format, canonical would be: "a/b".'),
            ({"folder": "/abs"}, 400, 3, "Folder should be a relative path (shouldn't contain leading slashes)."),
            ({"folder": "../up"}, 400, 3, "Specified folder refers to a parent directory."),
            ({"name": "bad name!"}, 400, 3,
             "Backup name can contain only dots, colons, letters, digits, underscores and dashes."),
            ({"data_model": "DATA_MODEL_UNSPECIFIED"}, 400, 3, "Invalid data model: DATA_MODEL_UNSPECIFIED"),
            ({"data_model": "DATA_MODEL_LOGICAL"}, 400, 3, "the only supported data model for mySQL is physical"),
            ({"service_id": "no-such-service"}, 404, 5, 'Service with ID "no-such-service" not found.'),
            ({"location_id": "no-such-location"}, 404, 5, 'Backup location with ID "no-such-location" not found.'),
        ]
        for body, status, code, message in cases:
            with self.subTest(body=body):
                r = self.start(**body)
                self.assertStatus(r, status)
                self.assertEqual(r.json["code"], code, r.json)
                self.assertIn(message, r.json["message"])
        # MySQL only on S3
        fs = add_fs_location(self)
        r = rest("POST", "/v1/backups:start", {"service_id": self.mysql_id, "location_id": fs,
                                                "data_model": "DATA_MODEL_PHYSICAL"})
        self.assertStatus(r, 400)
        self.assertEqual(r.json["code"], 9)
        self.assertIn("the only supported location type for mySQL is S3", r.json["message"])
        # a MongoDB service outside any cluster
        lone = add_service(self, "mongodb", self.node_id, self.pmm_agent_id, port=27018)
        r = self.start(service_id=lone, data_model="DATA_MODEL_LOGICAL")
        self.assertStatus(r, 400)
        self.assertEqual(r.json["code"], 9)
        self.assertIn("must be a member of a cluster", r.json["message"])
        self.assertEqual(self.jobs.started, [], "nothing may reach the agent")

    def test_compatibility(self):
        cases = [
            ({"mysqld": "8.0.33", "xbcloud": "8.0.33"}, 'software "xtrabackup" is not installed'),
            ({"mysqld": "8.0.33", "xtrabackup": "8.0.33", "xbcloud": "8.0.32"}, "invalid installation of the xtrabackup"),
            ({"mysqld": "8.0.33", "xtrabackup": "8.0.30", "xbcloud": "8.0.30"},
             'xtrabackup version "8.0.30" is not compatible with mysql version "8.0.33"'),
            ({"xtrabackup": "8.0.33", "xbcloud": "8.0.33"}, "incompatible service"),
        ]
        for versions, message in cases:
            with self.subTest(versions=versions):
                self.jobs.versions = versions
                r = self.start()
                self.assertStatus(r, 400)
                self.assertEqual(r.json["code"], 9, r.json)
                self.assertIn(message, r.json["message"])
        self.assertEqual(self.jobs.started, [])
        # the versions the agent reported are kept per service
        out = e2elib.psql("SELECT software_versions::text FROM service_software_versions WHERE service_id = '%s'"
                          % self.mysql_id)
        self.assertIn('"name": "xtrabackup", "version": "8.0.33"', out)

    def test_job_error_then_retry(self):
        self.jobs.fail_with = "xtrabackup: disk full"
        r = self.start(retries=1, retry_interval="1s", folder=unique("retry"))
        self.assertStatus(r, 200)
        aid = r.json["artifact_id"]
        first = self.jobs.wait_started(1)
        self.assertEqual(self.jobs.wait_finished(first.job_id), ("error", "xtrabackup: disk full"))
        self.jobs.fail_with = None
        second = self.jobs.wait_started(2, timeout=20)
        self.assertEqual(second.job_id, first.job_id, "a retry restarts the same job")
        wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")

    def test_job_error_without_retries(self):
        self.jobs.fail_with = "xtrabackup: permission denied"
        aid = self.start(folder=unique("err")).json["artifact_id"]
        wait_artifact_status(aid, "BACKUP_STATUS_ERROR")
        r = rest("GET", "/v1/backups/%s/logs" % quote(aid))
        self.assertIn("error: xtrabackup: permission denied\n", [c["data"] for c in r.json["logs"]])
        self.assertEqual(len(self.jobs.started), 1)

    def test_agent_refuses_the_job(self):
        self.jobs.start_error = "xtrabackup is busy"
        r = self.start(folder=unique("refused"))
        self.assertStatus(r, 500)
        self.assertEqual(r.json["message"], "xtrabackup is busy")
        errs = [a for a in rest("GET", "/v1/backups/artifacts").json["artifacts"]
                if a["location_id"] == self.location_id]
        self.assertEqual([a["status"] for a in errs], ["BACKUP_STATUS_ERROR"])

    def test_agent_not_connected(self):
        self.agent.close()
        self.agent.wait_ended()
        time.sleep(0.5)
        r = self.start(folder=unique("gone"))
        self.assertStatus(r, 400)
        self.assertEqual(r.json["code"], 9)
        self.assertIn("is not currently connected", r.json["message"])


class FaultTest(BackupCase):
    def test_location_stops_answering_mid_backup(self):
        port = int(os.environ["E2E_S3_PORT"]) + 1  # BASE+12: this test's own S3 server
        data = "/tmp/%s" % unique("s3down")
        os.makedirs(data)
        exe = os.environ.get("PMM_S3RVER", "/usr/local/lib/pmm-core-s3rver/node_modules/.bin/s3rver")
        proc = subprocess.Popen([exe, "-d", data, "-a", "127.0.0.1", "-p", str(port), "-s", "--no-vhost-buckets",
                                 "--configure-bucket", "dying"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(), subprocess.run(["rm", "-rf", data])))
        endpoint = "http://127.0.0.1:%d" % port
        wait_for(lambda: rest("POST", "/v1/backups/locations:testConfig",
                              {"s3_config": s3_config("dying", endpoint=endpoint)}).status == 200,
                 what="the test's S3 server")
        r = rest("POST", "/v1/backups/locations", {"name": unique("dying"),
                                                   "s3_config": s3_config("dying", endpoint=endpoint)})
        self.assertStatus(r, 200)
        lid = r.json["location_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/backups/locations/%s?force=true" % quote(lid)))
        self.jobs.hold = threading.Event()
        r = rest("POST", "/v1/backups:start", {"service_id": self.mysql_id, "location_id": lid,
                                                "data_model": "DATA_MODEL_PHYSICAL"})
        self.assertStatus(r, 200)
        aid = r.json["artifact_id"]
        self.jobs.wait_started(1)
        wait_artifact_status(aid, "BACKUP_STATUS_IN_PROGRESS")
        proc.kill()
        proc.wait()
        self.jobs.hold.set()
        a = wait_artifact_status(aid, "BACKUP_STATUS_ERROR", timeout=40)
        self.assertEqual(a["metadata_list"], [], "no metadata of a backup that did not finish")
        logs = rest("GET", "/v1/backups/%s/logs" % quote(aid)).json["logs"]
        self.assertTrue(any("Could not connect" in c["data"] or "Connect" in c["data"] for c in logs), logs)

    def test_agent_disconnects_mid_job_and_the_retry_runs(self):
        self.jobs.hold = threading.Event()
        r = self.start(retries=1, retry_interval="2s", folder=unique("dc"))
        self.assertStatus(r, 200)
        aid = r.json["artifact_id"]
        first = self.jobs.wait_started(1)
        self.agent.close()  # the job dies with the agent's connection
        # a new connection of the same pmm-agent: the watchdog finds the job
        # lost (not connected, then not running) and the retry starts it again
        time.sleep(1)
        agent2 = FakeAgent(self.pmm_agent_id, auth="Bearer " + self.token, version="3.0.0")
        jobs2 = BackupJobs(agent2, dict(MYSQL_VERSIONS))
        agent2.connect()
        self.addCleanup(agent2.close)
        again = jobs2.wait_started(1, timeout=40)
        self.assertEqual(again.job_id, first.job_id)
        wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")

    def test_lost_job_without_retries_fails_with_the_reason(self):
        self.jobs.hold = threading.Event()
        aid = self.start(folder=unique("lost")).json["artifact_id"]
        self.jobs.wait_started(1)
        self.agent.close()
        self.addCleanup(self.jobs.hold.set)
        wait_artifact_status(aid, "BACKUP_STATUS_ERROR", timeout=40)
        out = e2elib.psql("SELECT done, error FROM jobs WHERE data->'mysql_backup'->>'artifact_id' = '%s'" % aid)
        self.assertTrue(out.startswith("t|job lost: "), out)

    def test_backupd_killed_mid_backup(self):
        self.jobs.hold = threading.Event()
        self.addCleanup(self.jobs.hold.set)
        aid = self.start(folder=unique("kill")).json["artifact_id"]
        self.jobs.wait_started(1)
        pid = int(ctl("pid", "backupd").stdout.strip() or 0)
        self.assertGreater(pid, 0)
        with open(os.environ["E2E_EXPECTED_EXITS"], "a") as f:
            f.write("backupd SIGKILL\n")
        os.kill(pid, signal.SIGKILL)
        time.sleep(1.5)
        st = wait_running(("backupd",))
        self.assertEqual(st.get("backupd", ("",))[0], "RUNNING", st)
        wait_for(lambda: rest("GET", "/v1/backups/artifacts").status == 200, what="backupd back")
        self.assertEqual(artifact(aid)["status"], "BACKUP_STATUS_IN_PROGRESS", "still running on the agent")
        time.sleep(1)  # the restarted backupd subscribes to agentsd's events
        self.jobs.hold.set()
        wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")
