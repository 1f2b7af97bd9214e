"""backuplib: what the backup e2e tests share: the S3 server run.sh starts
(s3rver on BASE+11, keys S3RVER/S3RVER, bucket pmm-backups) read and
written with boto3, an independent S3 client; locations, nodes and
services made through the API and removed afterwards."""

import os
import time

import boto3
from botocore.config import Config

from e2elib import rest, unique, quote

S3_ENDPOINT = os.environ.get("E2E_S3_ENDPOINT", "http://127.0.0.1:4568")
S3_BUCKET = os.environ.get("E2E_S3_BUCKET", "pmm-backups")
S3_KEY = "S3RVER"
S3_SECRET = "S3RVER"


def s3():
    return boto3.client("s3", endpoint_url=S3_ENDPOINT, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      connect_timeout=5, read_timeout=10))


def s3_keys(prefix="", bucket=S3_BUCKET):
    keys = []
    kw = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3().list_objects_v2(**kw)
        keys += [o["Key"] for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return sorted(keys)
        kw["ContinuationToken"] = page["NextContinuationToken"]


def s3_config(bucket=S3_BUCKET, secret=S3_SECRET, endpoint=None):
    return {"endpoint": endpoint or S3_ENDPOINT, "access_key": S3_KEY, "secret_key": secret, "bucket_name": bucket}


def add_s3_location(test, name=None, bucket=S3_BUCKET):
    r = rest("POST", "/v1/backups/locations", {"name": name or unique("loc"), "description": "e2e",
                                               "s3_config": s3_config(bucket)})
    test.assertStatus(r, 200)
    lid = r.json["location_id"]
    test.addCleanup(lambda: rest("DELETE", "/v1/backups/locations/%s?force=true" % quote(lid)))
    return lid


def add_fs_location(test, path="/tmp/pmm-backups"):
    r = rest("POST", "/v1/backups/locations", {"name": unique("fsloc"), "filesystem_config": {"path": path}})
    test.assertStatus(r, 200)
    lid = r.json["location_id"]
    test.addCleanup(lambda: rest("DELETE", "/v1/backups/locations/%s?force=true" % quote(lid)))
    return lid


def register_node(test, prefix="bk"):
    """A generic node with its pmm-agent (management register); returns
    (node_id, pmm_agent_id, token)."""
    r = rest("POST", "/v1/management/nodes", {
        "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": unique(prefix), "address": "10.9.3.1",
        "distro": "linux", "reregister": False})
    test.assertStatus(r, 200)
    node_id = r.json["generic_node"]["node_id"]
    test.addCleanup(lambda: rest("DELETE", "/v1/management/nodes/%s?force=true" % quote(node_id)))
    return node_id, r.json["pmm_agent"]["agent_id"], r.json["token"]


def add_service(test, kind, node_id, pmm_agent_id, cluster="", name=None, port=None):
    """A mysql or mongodb service with its exporter on pmm_agent_id."""
    body = {"node_id": node_id, "pmm_agent_id": pmm_agent_id, "service_name": name or unique(kind),
            "address": "127.0.0.1", "port": port or (3306 if kind == "mysql" else 27017), "username": "pmm",
            "password": "secret", "skip_connection_check": True, "cluster": cluster}
    r = rest("POST", "/v1/management/services", {kind: body})
    test.assertStatus(r, 200)
    return r.json[kind]["service"]["service_id"]


def wait_for(fn, timeout=30, what="condition", interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("%s not met within %s s (last %r)" % (what, timeout, last))


def artifact(artifact_id):
    r = rest("GET", "/v1/backups/artifacts")
    assert r.status == 200, r
    for a in r.json.get("artifacts", []):
        if a["artifact_id"] == artifact_id:
            return a
    return None


def wait_artifact_status(artifact_id, statuses, timeout=30):
    if isinstance(statuses, str):
        statuses = (statuses,)
    return wait_for(lambda: (lambda a: a if a and a["status"] in statuses else None)(artifact(artifact_id)),
                    timeout, "artifact %s in %s" % (artifact_id, statuses))
