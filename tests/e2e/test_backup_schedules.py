"""e2e: scheduled backups and the whole MongoDB PITR cycle against the real
S3 server and a fake pmm-agent: ScheduleBackup's validation texts, runs by
the scheduler (robfig's "@every" so that the test need not wait for
minutes), retention keeping N artifacts and removing the others' files,
ListScheduledBackups, Change/Remove; a MongoDB PITR schedule whose runs
grow one artifact, retention trimming its oldest snapshots, PITR timeranges
read from pbm's oplog chunk names in the bucket, a restore to a timestamp
inside them (and one outside: OutOfRange), PBM's PITR switched off when the
schedule is disabled; a MongoDB physical restore restarting mongod and
pbm-agent; a schedule whose service was removed."""

import datetime
import os
import time

import e2elib
from e2elib import rest, unique, quote
from fakeagent import FakeAgent, BackupJobs
from backuplib import s3_keys, add_s3_location, wait_for, artifact, wait_artifact_status, add_service
from test_backups import BackupCase, restore_item


def psql(sql):
    return e2elib.psql(sql).strip()


def scheduled(task_id):
    r = rest("GET", "/v1/backups/scheduled")
    assert r.status == 200, r
    return next((t for t in r.json.get("scheduled_backups", []) if t["scheduled_backup_id"] == task_id), None)


class SchedulesTest(BackupCase):
    def schedule(self, **kw):
        body = {"service_id": self.mysql_id, "location_id": self.location_id, "cron_expression": "@every 3s",
                "name": unique("sched"), "enabled": True, "mode": "BACKUP_MODE_SNAPSHOT",
                "data_model": "DATA_MODEL_PHYSICAL"}
        body.update(kw)
        r = rest("POST", "/v1/backups:schedule", body)
        if r.status == 200:
            tid = r.json["scheduled_backup_id"]
            self.addCleanup(lambda: rest("DELETE", "/v1/backups/%s" % quote(tid)))
        return r

    def test_validation(self):
        cluster = psql("SELECT cluster FROM services WHERE service_id = '%s'" % self.mongo_id)
        cases = [
            ({"cron_expression": ""}, 3,
             "invalid ScheduleBackupRequest.CronExpression: value length must be at least 1 runes"),
            ({"cron_expression": "0 1 1"}, 3, "Invalid cron expression: expected exactly 5 fields, found 3: [0 1 1]"),
            ({"cron_expression": "61 * * * *"}, 3, "Invalid cron expression: end of range (61) above maximum (59): 61"),
            ({"name": ""}, 3, "Can't create mySQL backup task: backup name can't be empty"),
            ({"retries": 11}, 3, "Exceeded max retries 10."),
            ({"retry_interval": "28801s"}, 3, "Exceeded max retry interval 8h0m0s."),
            ({"mode": "BACKUP_MODE_UNSPECIFIED"}, 3, "Invalid backup mode: BACKUP_MODE_UNSPECIFIED"),
            ({"data_model": "DATA_MODEL_LOGICAL"}, 3,
             "Can't create mySQL backup task: unsupported backup data model for mySQL: logical"),
            ({"mode": "BACKUP_MODE_PITR", "data_model": "DATA_MODEL_LOGICAL"}, 3,
             "Can't create mySQL backup task: unsupported backup mode for mySQL: pitr"),
            ({"service_id": self.mongo_id, "mode": "BACKUP_MODE_PITR", "data_model": "DATA_MODEL_PHYSICAL"}, 3,
             "the specified backup model is not compatible with other parameters"),
            ({"folder": "/x"}, 3, "Folder should be a relative path (shouldn't contain leading slashes)."),
            ({"location_id": "nope"}, 5, 'Backup location with ID "nope" not found.'),
        ]
        for body, code, message in cases:
            with self.subTest(body=body):
                r = self.schedule(**body)
                self.assertErrorBody(r, 404 if code == 5 else 400, code, message)
        # MongoDB: PITR only alone in its cluster, snapshots not beside an enabled PITR
        self.assertStatus(self.schedule(service_id=self.mongo_id, data_model="DATA_MODEL_LOGICAL",
                                        cron_expression="0 1 1 1 1"), 200)
        r = self.schedule(service_id=self.mongo_id, mode="BACKUP_MODE_PITR", data_model="DATA_MODEL_LOGICAL",
                          cron_expression="0 1 1 1 1", folder="p")
        self.assertErrorBody(r, 400, 9, "A PITR backup for the cluster '%s' can be enabled only if there are no other "
                                        "scheduled backups for this cluster." % cluster)
        # the MongoDB task holds the location's root folder: MySQL tasks go elsewhere
        r = self.schedule(cron_expression="0 1 1 1 1")
        self.assertStatus(r, 400)
        self.assertIn("Same location and folder already used for scheduled task ", r.json["message"])
        # duplicate name
        name = unique("dup")
        self.assertStatus(self.schedule(name=name, cron_expression="0 1 1 1 1", folder="dup"), 200)
        r = self.schedule(name=name, cron_expression="0 1 1 1 1", folder="dup")
        self.assertErrorBody(r, 409, 6, 'A scheduled task with name "%s" already exists.' % name)
        self.assertEqual(self.jobs.started, [], "nothing ran")

    def test_runs_retention_change_remove(self):
        folder = unique("sched")
        r = self.schedule(folder=folder, retention=2, description="every 3 s", retries=1, retry_interval="5s",
                          cron_expression="@every 3s")
        self.assertStatus(r, 200)
        tid = r.json["scheduled_backup_id"]
        self.jobs.wait_started(4, timeout=40)
        mine = lambda: [a for a in rest("GET", "/v1/backups/artifacts").json["artifacts"]
                        if a["location_id"] == self.location_id]
        # every run made a scheduled artifact; retention keeps the two newest successful ones
        wait_for(lambda: len([a for a in mine() if a["status"] == "BACKUP_STATUS_SUCCESS"]) == 2 and
                 len(mine()) <= 3, timeout=20, what="retention")
        kept = [a for a in mine() if a["status"] == "BACKUP_STATUS_SUCCESS"]
        names = sorted(set(k.split("/")[1] for k in s3_keys(folder + "/")))
        self.assertTrue(set(a["name"] for a in kept) <= set(names), (kept, names))
        self.assertLessEqual(len(names), 3, "the files of deleted artifacts are gone: %s" % names)
        t = scheduled(tid)
        self.assertEqual((t["service_id"], t["location_id"], t["folder"], t["cron_expression"], t["enabled"],
                          t["retention"], t["retries"], t["retry_interval"], t["vendor"], t["mode"], t["data_model"]),
                         (self.mysql_id, self.location_id, folder, "@every 3s", True, 2, 1, "5s", "mysql",
                          "BACKUP_MODE_SNAPSHOT", "DATA_MODEL_PHYSICAL"))
        self.assertTrue(t["last_run"] and t["next_run"] and t["service_name"] and t["location_name"], t)
        self.assertEqual(psql("SELECT running::text || '|' || error FROM scheduled_tasks WHERE id = '%s'" % tid)[-1:],
                         "|")
        # disable: no more runs
        r = rest("PUT", "/v1/backups:changeScheduled", {"scheduled_backup_id": tid, "enabled": False,
                                                         "name": t["name"] + "-x", "retention": 0})
        self.assertStatus(r, 200)
        time.sleep(1)
        n = len(self.jobs.started)
        time.sleep(4)
        self.assertEqual(len(self.jobs.started), n, "a disabled task does not run")
        t = scheduled(tid)
        self.assertEqual((t["enabled"], t["name"], t["retention"]), (False, t["name"], 0))
        r = rest("PUT", "/v1/backups:changeScheduled", {"scheduled_backup_id": tid, "retries": 11})
        self.assertErrorBody(r, 400, 3, "Exceeded max retries 10.")
        r = rest("PUT", "/v1/backups:changeScheduled", {"scheduled_backup_id": "nope", "enabled": True})
        self.assertErrorBody(r, 404, 5, 'ScheduledTask with ID "nope" not found.')
        # removal keeps the artifacts, no longer tied to the schedule
        r = rest("DELETE", "/v1/backups/scheduled/%s" % quote(tid))
        self.assertStatus(r, 200)
        self.assertIsNone(scheduled(tid))
        self.assertEqual(psql("SELECT count(*) FROM artifacts WHERE schedule_id = '%s'" % tid), "0")
        self.assertGreaterEqual(len(mine()), 2)
        r = rest("DELETE", "/v1/backups/%s" % quote(tid))
        self.assertErrorBody(r, 404, 5, 'ScheduledTask with ID "%s" not found.' % tid)

    def test_schedule_of_a_removed_service(self):
        other = add_service(self, "mysql", self.node_id, self.pmm_agent_id, port=3307)
        r = self.schedule(service_id=other, folder=unique("gone"), cron_expression="@every 2s")
        self.assertStatus(r, 200)
        tid = r.json["scheduled_backup_id"]
        self.assertStatus(rest("DELETE", "/v1/inventory/services/%s?force=true" % quote(other)), 200)
        wait_for(lambda: "not found" in psql("SELECT error FROM scheduled_tasks WHERE id = '%s'" % tid),
                 timeout=20, what="the run's error")
        self.assertIn('Service with ID "%s" not found.' % other,
                      psql("SELECT error FROM scheduled_tasks WHERE id = '%s'" % tid))
        self.assertEqual(psql("SELECT running FROM scheduled_tasks WHERE id = '%s'" % tid), "f")


class MongoPITRCycleTest(BackupCase):
    def test_pitr_cycle(self):
        now = datetime.datetime.utcnow().replace(microsecond=0)
        # oplog written after the snapshots (retention drops the chunks older than the oldest kept one)
        at = lambda s: now + datetime.timedelta(seconds=s)
        self.jobs.pitr_chunks = [(at(600), at(900)), (at(900), at(1200)), (at(1300), at(1400))]
        folder = unique("pitr")
        name = unique("pitr")
        r = rest("POST", "/v1/backups:schedule", {
            "service_id": self.mongo_id, "location_id": self.location_id, "cron_expression": "@every 3s",
            "name": name, "enabled": True, "mode": "BACKUP_MODE_PITR", "data_model": "DATA_MODEL_LOGICAL",
            "retention": 2, "folder": folder})
        self.assertStatus(r, 200)
        tid = r.json["scheduled_backup_id"]
        self.addCleanup(lambda: rest("DELETE", "/v1/backups/%s" % quote(tid)))
        job = self.jobs.wait_started(1, timeout=20).mongodb_backup
        self.assertTrue(job.enable_pitr)
        self.assertEqual((job.name, job.folder, job.data_model), (name, folder, 2))
        self.assertTrue(job.dsn.startswith("mongodb://pmm:secret@127.0.0.1:27017"), job.dsn)
        # the runs share one artifact whose snapshots grow; retention keeps two
        self.jobs.wait_started(4, timeout=30)
        arts = lambda: [a for a in rest("GET", "/v1/backups/artifacts").json["artifacts"] if a["name"] == name]
        wait_for(lambda: len(arts()) == 1 and arts()[0]["status"] == "BACKUP_STATUS_SUCCESS" and
                 len(arts()[0]["metadata_list"]) == 2, timeout=20, what="one PITR artifact with 2 snapshots")
        a = arts()[0]
        self.assertEqual((a["mode"], a["data_model"], a["vendor"]), ("BACKUP_MODE_PITR", "DATA_MODEL_LOGICAL", "mongodb"))
        snapshots = [k for k in s3_keys(folder + "/") if k.endswith(".pbm.json")]
        self.assertLessEqual(len(snapshots), 3, snapshots)  # trimmed ones are removed (a run may be under way)

        # stop the runs, then PITR timeranges from the chunks: gaps close timelines, starts + 1 s
        r = rest("PUT", "/v1/backups:changeScheduled", {"scheduled_backup_id": tid, "enabled": False})
        self.assertStatus(r, 200)
        with self.jobs.lock:
            self.assertTrue(self.jobs.lock.wait_for(lambda: False in self.jobs.pitr_switches, timeout=10),
                            "PBM's PITR switched off")
        wait_for(lambda: arts()[0]["status"] == "BACKUP_STATUS_SUCCESS", what="the last run's end")
        aid = a["artifact_id"]
        r = rest("GET", "/v1/backups/artifacts/%s/pitr-timeranges" % quote(aid))
        self.assertStatus(r, 200)
        fmt = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(r.json["timeranges"], [
            {"start_timestamp": fmt(at(601)), "end_timestamp": fmt(at(1200))},
            {"start_timestamp": fmt(at(1301)), "end_timestamp": fmt(at(1400))}])

        # restore to a point inside, and refusals outside and without a timestamp
        target = at(1000)
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": aid,
                                                         "pitr_timestamp": fmt(target)})
        self.assertStatus(r, 200)
        rid = r.json["restore_id"]
        item = wait_for(lambda: (lambda i: i if i and i["status"] == "RESTORE_STATUS_SUCCESS" else None)(
            restore_item(rid)), what="PITR restore")
        self.assertEqual(item["pitr_timestamp"], fmt(target))
        req = self.jobs.started[-1].mongodb_restore_backup
        self.assertEqual(req.pitr_timestamp.seconds, int(target.replace(tzinfo=datetime.timezone.utc).timestamp()))
        self.assertEqual(req.pbm_metadata.name, a["metadata_list"][0]["pbm_metadata"]["name"])
        self.assertEqual(req.folder, folder)
        outside = at(1250)
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": aid,
                                                         "pitr_timestamp": fmt(outside)})
        self.assertErrorBody(r, 400, 11, "point in time recovery value %s +0000 UTC: timestamp value is out of range"
                             % outside.strftime("%Y-%m-%d %H:%M:%S"))
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": aid})
        self.assertStatus(r, 400)
        self.assertIn("artifact backup mode is not compatible with other parameters", r.json["message"])

    def test_physical_restore_restarts_mongod_and_pbm_agent(self):
        # named: two backups of one service within a second would get one name (as upstream's)
        r = rest("POST", "/v1/backups:start", {"service_id": self.mongo_id, "location_id": self.location_id,
                                                "data_model": "DATA_MODEL_PHYSICAL", "folder": unique("phys"),
                                                "name": unique("phys")})
        self.assertStatus(r, 200)
        aid = r.json["artifact_id"]
        wait_artifact_status(aid, "BACKUP_STATUS_SUCCESS")
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": aid})
        self.assertStatus(r, 200)
        rid = r.json["restore_id"]
        wait_for(lambda: (lambda i: i and i["status"] == "RESTORE_STATUS_SUCCESS")(restore_item(rid)),
                 what="physical restore")
        self.assertEqual(self.jobs.restarts, [1, 2], "mongod, then pbm-agent")
        # a restore of a mismatching database version is refused with its code
        self.jobs.versions["mongod"] = "7.0.1"
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": aid})
        self.assertStatus(r, 400)
        self.assertIn("incompatible version of target mongodb", r.json["message"])
        self.jobs.versions["mongod"] = "6.0.5"
        # an artifact not in success
        self.jobs.fail_with = "pbm: failed"
        r = rest("POST", "/v1/backups:start", {"service_id": self.mongo_id, "location_id": self.location_id,
                                                "data_model": "DATA_MODEL_LOGICAL", "folder": unique("bad"),
                                                "name": unique("bad")})
        self.assertStatus(r, 200)
        bad = r.json["artifact_id"]
        wait_artifact_status(bad, "BACKUP_STATUS_ERROR")
        r = rest("POST", "/v1/backups/restores:start", {"service_id": self.mongo_id, "artifact_id": bad})
        self.assertErrorBody(r, 400, 9, 'artifact "%s" in status: "error": artifact not in success status' % bad)
