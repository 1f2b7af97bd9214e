"""fakeagent: a pmm-agent for tests, speaking agent.v1.AgentService/Connect
with Debian's python3 grpcio the way the real pmm-agent does: connect
metadata (pmm-agent-id, pmm-agent-version, authorization), response headers,
Pong to the server's Ping, SetStateResponse to SetState, three log lines per
agent to AgentLogsRequest, StateChanged reports.

    agent = FakeAgent(agent_id, auth="Bearer " + token)
    headers = agent.connect()             # raises grpc.RpcError when refused
    state = agent.wait_set_state(lambda s: "node_exporter" in types(s))
    agent.state_changed(child_id, inventory_pb2.AGENT_STATUS_RUNNING, 42000)
    agent.close()

Options make it misbehave for robustness tests: answer_pings=False,
answer_set_state=False; send_raw() sends arbitrary bytes. credentials= (and
channel_options=) dial with TLS, e.g. through nginx, which passes the
server's headers on only once the agent has sent something: send the first
Ping before connect(), as pmm-agent does. handlers answer other server
requests: {payload kind: fn(ServerMessage) -> AgentMessage or None}, e.g.
{"check_connection": lambda m: agent_pb2.AgentMessage(
check_connection=agent_pb2.CheckConnectionResponse())}; the answer gets
the request's id. Requests are kept in arrival order (wait_request).

Query actions (advisor checks): handlers={"start_action":
query_actions(agent, answer)} acknowledges each StartActionRequest and then
reports its ActionResult as pmm-agent does, the output a real
QueryActionResult: answer(params member, params message) returns
sql(columns, rows), docs([dict, ...]) or an error string (see
query_result)."""

import datetime
import itertools
import queue
import threading
import time

import grpc

from e2elib import GRPC, rest
from agent.v1 import agent_pb2
from google.protobuf import timestamp_pb2

V1 = "/agent.v1.AgentService/Connect"
LEGACY = "/agent.Agent/Connect"
_END = object()


class FakeAgent:
    def __init__(self, agent_id, auth=None, version="3.0.0", target=GRPC, method=V1, credentials=None,
                 channel_options=(),
                 answer_pings=True, answer_set_state=True, extra_metadata=(), handlers=None):
        self.agent_id = agent_id
        self.auth = auth
        self.version = version
        self.target = target
        self.credentials = credentials          # grpc.ChannelCredentials: TLS (the nginx front)
        self.channel_options = tuple(channel_options)
        self.method = method
        self.answer_pings = answer_pings
        self.answer_set_state = answer_set_state
        self.extra_metadata = tuple(extra_metadata)
        self.handlers = dict(handlers or {})
        self.ids = itertools.count(1)
        self.out = queue.Queue()
        self.lock = threading.Condition()
        self.set_states = []      # SetStateRequest, in arrival order
        self.pings = 0            # server Pings answered
        self.requests = []        # other server requests
        self.responses = {}       # id -> ServerMessage answering our requests
        self.ended = None         # (code, details) once the stream ended
        self.channel = None
        self.call = None
        self.reader = None

    # ---- connection ---------------------------------------------------------

    def _outgoing(self):
        while True:
            item = self.out.get()
            if item is _END:
                return
            yield item

    def metadata(self):
        md = []
        if self.agent_id is not None:
            md.append(("pmm-agent-id", self.agent_id))
        if self.version is not None:
            md.append(("pmm-agent-version", self.version))
        if self.auth is not None:
            md.append(("authorization", self.auth))
        return tuple(md) + self.extra_metadata

    def connect(self, timeout=15):
        """Opens the stream and waits for the response headers; returns them as
        a dict. Raises grpc.RpcError when the server ends the call first."""
        # a connection of its own, as each pmm-agent has (grpc python would
        # share one between channels to the same target)
        options = (("grpc.use_local_subchannel_pool", 1),) + self.channel_options
        if self.credentials is not None:
            self.channel = grpc.secure_channel(self.target, self.credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(self.target, options=options)
        fn = self.channel.stream_stream(self.method, request_serializer=lambda b: b,
                                        response_deserializer=agent_pb2.ServerMessage.FromString)
        self.call = fn(self._outgoing(), metadata=self.metadata())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        got = []
        waiter = threading.Thread(target=lambda: got.append(self.call.initial_metadata()), daemon=True)
        waiter.start()
        waiter.join(timeout)
        if not got:
            raise AssertionError("no response headers within %s s" % timeout)
        if not got[0]:
            self.wait_ended(timeout)
            raise self.call
        return dict(got[0])

    def _read(self):
        try:
            for msg in self.call:
                self._handle(msg)
        except grpc.RpcError:
            pass
        with self.lock:
            self.ended = (self.call.code(), self.call.details())
            self.lock.notify_all()

    def _handle(self, msg):
        kind = msg.WhichOneof("payload")
        if kind == "ping":
            with self.lock:
                self.pings += 1
            if self.answer_pings:
                ts = timestamp_pb2.Timestamp()
                ts.GetCurrentTime()
                self.send(agent_pb2.AgentMessage(id=msg.id, pong=agent_pb2.Pong(current_time=ts)))
            return
        if kind == "set_state":
            with self.lock:
                self.set_states.append(msg.set_state)
                self.lock.notify_all()
            if self.answer_set_state:
                self.send(agent_pb2.AgentMessage(id=msg.id, set_state=agent_pb2.SetStateResponse()))
            return
        if kind == "agent_logs":
            lines = ["%s log line %d" % (msg.agent_logs.agent_id, i) for i in range(3)]
            if msg.agent_logs.limit:
                lines = lines[-msg.agent_logs.limit:]
            self.send(agent_pb2.AgentMessage(id=msg.id, agent_logs=agent_pb2.AgentLogsResponse(
                logs=lines, agent_config_log_lines_count=1)))
            return
        if kind in ("pong", "state_changed", "qan_collect", "action_result") or (kind is None and msg.HasField("status")):
            with self.lock:
                self.responses[msg.id] = msg
                self.lock.notify_all()
            return
        with self.lock:
            self.requests.append(msg)
            self.lock.notify_all()
        fn = self.handlers.get(kind)
        reply = fn(msg) if fn is not None else None
        if reply is not None:
            reply.id = msg.id
            self.send(reply)

    def close_send(self):
        """Ends our side of the stream (the server sees the end of our messages)."""
        self.out.put(_END)

    def close(self):
        """Closes our side and the channel."""
        self.out.put(_END)
        if self.call is not None:
            self.call.cancel()
        if self.channel is not None:
            self.channel.close()

    def wait_ended(self, timeout=15):
        with self.lock:
            self.lock.wait_for(lambda: self.ended is not None, timeout=timeout)
            return self.ended

    # ---- sending ------------------------------------------------------------

    def send(self, msg):
        self.out.put(msg.SerializeToString())

    def send_raw(self, data):
        self.out.put(bytes(data))

    def request(self, timeout=10, **payload):
        """Sends an agent request (e.g. ping=agent_pb2.Ping()) and waits for the
        server's answer with the same id."""
        rid = next(self.ids)
        self.send(agent_pb2.AgentMessage(id=rid, **payload))
        return self._answer(rid, timeout)

    def request_raw(self, data, timeout=10):
        """Sends an AgentMessage of a fresh id followed by the raw bytes data
        (e.g. a field no AgentMessage has) and waits for the answer."""
        rid = next(self.ids)
        self.send_raw(agent_pb2.AgentMessage(id=rid).SerializeToString() + data)
        return self._answer(rid, timeout)

    def _answer(self, rid, timeout):
        with self.lock:
            if not self.lock.wait_for(lambda: rid in self.responses or self.ended is not None, timeout=timeout):
                raise AssertionError("no answer to request %d within %s s" % (rid, timeout))
            if rid not in self.responses:
                raise AssertionError("stream ended: %r" % (self.ended,))
            return self.responses.pop(rid)

    def ping(self):
        return self.request(ping=agent_pb2.Ping())

    def state_changed(self, agent_id, status, listen_port=0, process_exec_path="", version=""):
        return self.request(state_changed=agent_pb2.StateChangedRequest(
            agent_id=agent_id, status=status, listen_port=listen_port,
            process_exec_path=process_exec_path, version=version))

    # ---- waiting ------------------------------------------------------------

    def wait_set_state(self, predicate=lambda s: True, timeout=15, after=0):
        """The first SetStateRequest (from index `after` on) for which predicate
        holds; AssertionError after timeout."""
        def found():
            for s in self.set_states[after:]:
                if predicate(s):
                    return s
            return None
        with self.lock:
            self.lock.wait_for(lambda: found() is not None or self.ended is not None, timeout=timeout)
            s = found()
        if s is None:
            raise AssertionError("no matching SetState within %s s (got %d, ended %r)"
                                 % (timeout, len(self.set_states), self.ended))
        return s

    def wait_request(self, kind, timeout=15, after=0):
        """The first server request with payload kind (from index `after` of
        the requests on); AssertionError after timeout."""
        def found():
            for m in self.requests[after:]:
                if m.WhichOneof("payload") == kind:
                    return m
            return None
        with self.lock:
            self.lock.wait_for(lambda: found() is not None or self.ended is not None, timeout=timeout)
            m = found()
        if m is None:
            raise AssertionError("no %s request within %s s (ended %r)" % (kind, timeout, self.ended))
        return m

    def requests_of(self, kind):
        with self.lock:
            return [m for m in self.requests if m.WhichOneof("payload") == kind]

    def set_state_count(self):
        with self.lock:
            return len(self.set_states)

    def wait_pings(self, n, timeout=25):
        with self.lock:
            return self.lock.wait_for(lambda: self.pings >= n, timeout=timeout)


def register_pmm_agent(name, address="10.9.1.1"):
    """RegisterNode (management.v1) of a generic node with its pmm-agent:
    the response JSON, with generic_node, pmm_agent and the agent's token."""
    r = rest("POST", "/v1/management/nodes", {
        "node_type": "NODE_TYPE_GENERIC_NODE", "node_name": name, "address": address,
        "distro": "linux", "reregister": False})
    assert r.status == 200, r
    return r.json


def process_types(state):
    """{agent_id: AgentType} of a SetStateRequest's processes and built-ins."""
    out = {k: v.type for k, v in state.agent_processes.items()}
    out.update({k: v.type for k, v in state.builtin_agents.items()})
    return out


# ---- query actions (advisor checks) -------------------------------------------

def qvalue(v):
    """A Python value as agent.v1.QueryActionValue, as pmm-agent encodes
    database values: None nil, bool, int int64, float double, str and bytes
    bytes, datetime timestamp, list slice, dict map."""
    q = agent_pb2.QueryActionValue()
    if v is None:
        q.nil = True
    elif isinstance(v, bool):
        q.bool = v
    elif isinstance(v, int):
        q.int64 = v
    elif isinstance(v, float):
        q.double = v
    elif isinstance(v, str):
        q.bytes = v.encode()
    elif isinstance(v, bytes):
        q.bytes = v
    elif isinstance(v, datetime.datetime):
        q.timestamp.FromDatetime(v)
    elif isinstance(v, (list, tuple)):
        q.slice.SetInParent()  # an empty list is still a list
        q.slice.slice.extend(qvalue(x) for x in v)
    elif isinstance(v, dict):
        q.map.SetInParent()
        for k, x in v.items():
            q.map.map[k].CopyFrom(qvalue(x))
    else:
        raise TypeError("no QueryActionValue for %r" % (v,))
    return q


def sql(columns, rows):
    """A SQL query's QueryActionResult (columns and rows)."""
    r = agent_pb2.QueryActionResult(columns=columns)
    for row in rows:
        r.rows.add().slice.extend(qvalue(x) for x in row)
    return r


def docs(documents):
    """A MongoDB command's QueryActionResult (documents)."""
    r = agent_pb2.QueryActionResult()
    for d in documents:
        r.docs.add().CopyFrom(qvalue(d).map)
    return r


def query_actions(agent_ref, answer):
    """A start_action handler answering query actions; agent_ref() gives the
    FakeAgent (the handler is made before the agent). Other actions get
    only the acknowledgement."""
    def handle(msg):
        start = msg.start_action
        member = start.WhichOneof("params")

        def report():
            time.sleep(0.05)  # pmm-agent answers the start first, then runs the query
            out = answer(member, getattr(start, member))
            if isinstance(out, str):
                res = agent_pb2.ActionResultRequest(action_id=start.action_id, done=True, error=out)
            else:
                res = agent_pb2.ActionResultRequest(action_id=start.action_id, done=True,
                                                    output=out.SerializeToString())
            agent_ref().request(action_result=res)
        if member and "_query_" in member:
            threading.Thread(target=report, daemon=True).start()
        return agent_pb2.AgentMessage(start_action=agent_pb2.StartActionResponse())
    return handle


# ---- backups ----------------------------------------------------------------

class BackupJobs:
    """Makes a FakeAgent run backup and restore jobs the way pmm-agent's
    xtrabackup/xbcloud and pbm do, against the real S3 server: a backup
    writes objects into the location's bucket (and, for MongoDB PITR,
    pbm-style oplog chunks under <folder>/pbmPitr/<rs>/), streams its log
    as JobProgress chunks and reports a JobResult with the metadata pmm-agent
    reports; a restore reads the artifact's objects back and fails when
    they are missing. It answers GetVersions with self.versions, JobStatus,
    StopJob, PBMSwitchPITR and restart_sys_service_params actions.

    Knobs: versions {"mysqld": "8.0.33", ...} (a missing name answers with
    an error, as an agent without that software); fail_with = "text" makes
    the next jobs report that error; start_error = "text" refuses StartJob;
    hold = threading.Event() keeps a job running until set; delay seconds
    before a job writes; pitr_chunks = [(start, end)] datetimes of the oplog
    chunks a PITR backup writes."""

    SOFTWARE = ("mysqld", "xtrabackup", "xbcloud", "qpress", "mongod", "pbm")

    def __init__(self, agent, versions=None):
        import boto3  # noqa: F401 (checked early: the tests need it)
        self.agent = agent
        self.versions = dict(versions or {})
        self.fail_with = None
        self.start_error = ""
        self.hold = None
        self.delay = 0.0
        self.pitr_chunks = []
        self.lock = threading.Condition()
        self.started = []      # StartJobRequest, in arrival order
        self.finished = {}     # job_id -> ("ok" | "error", detail)
        self.running = {}      # job_id -> thread
        self.stopped = set()
        self.pitr_switches = []
        self.restarts = []     # SystemService values of restart actions
        agent.handlers.update({
            "get_versions": self._versions,
            "start_job": self._start_job,
            "job_status": self._job_status,
            "stop_job": self._stop_job,
            "pbm_switch_pitr": self._pbm_switch,
            "start_action": self._start_action,
        })

    # ---- answers --------------------------------------------------------------

    def _versions(self, msg):
        out = []
        for sw in msg.get_versions.softwares:
            name = sw.WhichOneof("software")
            v = self.versions.get(name)
            out.append(agent_pb2.GetVersionsResponse.Version(version=v) if v else
                       agent_pb2.GetVersionsResponse.Version(error='exec: "%s": executable file not found' % name))
        return agent_pb2.AgentMessage(get_versions=agent_pb2.GetVersionsResponse(versions=out))

    def _job_status(self, msg):
        with self.lock:
            alive = msg.job_status.job_id in self.running
        return agent_pb2.AgentMessage(job_status=agent_pb2.JobStatusResponse(alive=alive))

    def _stop_job(self, msg):
        with self.lock:
            self.stopped.add(msg.stop_job.job_id)
        return agent_pb2.AgentMessage(stop_job=agent_pb2.StopJobResponse())

    def _pbm_switch(self, msg):
        with self.lock:
            self.pitr_switches.append(msg.pbm_switch_pitr.enabled)
            self.lock.notify_all()
        return agent_pb2.AgentMessage(pbm_switch_pitr=agent_pb2.PBMSwitchPITRResponse())

    def _start_action(self, msg):
        params = msg.start_action
        if params.WhichOneof("params") == "restart_sys_service_params":
            with self.lock:
                self.restarts.append(params.restart_sys_service_params.system_service)
                self.lock.notify_all()
        return agent_pb2.AgentMessage(start_action=agent_pb2.StartActionResponse())

    def _start_job(self, msg):
        req = msg.start_job
        with self.lock:
            self.started.append(req)
            self.lock.notify_all()
            if self.start_error:
                return agent_pb2.AgentMessage(start_job=agent_pb2.StartJobResponse(error=self.start_error))
            t = threading.Thread(target=self._run, args=(req,), daemon=True)
            self.running[req.job_id] = t
        t.start()
        return agent_pb2.AgentMessage(start_job=agent_pb2.StartJobResponse())

    # ---- jobs -------------------------------------------------------------------

    @staticmethod
    def s3_client(cfg):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=cfg.endpoint, aws_access_key_id=cfg.access_key,
                            aws_secret_access_key=cfg.secret_key, region_name=cfg.bucket_region or "us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          connect_timeout=3, read_timeout=5))

    def _log(self, job_id, chunk, data, done=False):
        ts = timestamp_pb2.Timestamp()
        ts.GetCurrentTime()
        self.agent.send(agent_pb2.AgentMessage(id=next(self.agent.ids), job_progress=agent_pb2.JobProgress(
            job_id=job_id, timestamp=ts, logs=agent_pb2.JobProgress.Logs(chunk_id=chunk, data=data, done=done))))

    def _result(self, job_id, **kw):
        ts = timestamp_pb2.Timestamp()
        ts.GetCurrentTime()
        self.agent.send(agent_pb2.AgentMessage(id=next(self.agent.ids), job_result=agent_pb2.JobResult(
            job_id=job_id, timestamp=ts, **kw)))

    def _run(self, req):
        kind = req.WhichOneof("job")
        job = getattr(req, kind)
        try:
            self._log(req.job_id, 0, "%s %s started\n" % (kind, job.name))
            if self.delay:
                time.sleep(self.delay)
            if self.hold is not None:
                self.hold.wait(600)
            if req.job_id in self.stopped:
                raise RuntimeError("job stopped")
            if self.fail_with:
                raise RuntimeError(self.fail_with)
            result = getattr(self, "_" + kind)(job)
            self._log(req.job_id, 1, "%s %s done\n" % (kind, job.name))
            self._log(req.job_id, 2, "", done=True)
            self._result(req.job_id, **result)
            outcome = ("ok", result)
        except Exception as e:  # noqa: BLE001 (any failure is the job's error, as pmm-agent reports it)
            self._log(req.job_id, 1, "error: %s\n" % e)
            self._log(req.job_id, 2, "", done=True)
            self._result(req.job_id, error=agent_pb2.JobResult.Error(message=str(e)))
            outcome = ("error", str(e))
        with self.lock:
            self.running.pop(req.job_id, None)
            self.finished[req.job_id] = outcome
            self.lock.notify_all()

    @staticmethod
    def _key(folder, *parts):
        return "/".join(p for p in (folder,) + parts if p)

    def _mysql_backup(self, job):
        s3 = self.s3_client(job.s3_config)
        for f in ("xtrabackup_checkpoints", "ibdata1.zst", "mysql/user.ibd.zst"):
            s3.put_object(Bucket=job.s3_config.bucket_name, Key=self._key(job.folder, job.name, f),
                          Body=("%s of %s\n" % (f, job.name)).encode())
        meta = backup_pb2_common().Metadata(file_list=[backup_pb2_common().File(name=job.name, is_directory=True)])
        return {"mysql_backup": agent_pb2.JobResult.MySQLBackup(metadata=meta)}

    def _mongodb_backup(self, job):
        import datetime
        pbm_name = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        files = []
        if job.WhichOneof("location_config") == "s3_config":
            s3 = self.s3_client(job.s3_config)
            bucket = job.s3_config.bucket_name
            s3.put_object(Bucket=bucket, Key=self._key(job.folder, pbm_name + ".pbm.json"),
                          Body=b'{"name": "%s"}' % pbm_name.encode())
            s3.put_object(Bucket=bucket, Key=self._key(job.folder, pbm_name, "rs0", "data.bson.gz"), Body=b"bson")
            if job.enable_pitr:
                for start, end in self.pitr_chunks:
                    key = self._key(job.folder, "pbmPitr", "rs0", start.strftime("%Y%m%d"),
                                    "%s.%s.oplog.gz" % (start.strftime("%Y%m%d%H%M%S"), end.strftime("%Y%m%d%H%M%S")))
                    s3.put_object(Bucket=bucket, Key=key, Body=b"oplog")
        files = [backup_pb2_common().File(name=pbm_name + ".pbm.json"),
                 backup_pb2_common().File(name=pbm_name, is_directory=True)]
        restore_to = timestamp_pb2.Timestamp()
        restore_to.GetCurrentTime()
        meta = backup_pb2_common().Metadata(file_list=files, restore_to=restore_to,
                                            pbm_metadata=backup_pb2_common().PbmMetadata(name=pbm_name))
        return {"mongodb_backup": agent_pb2.JobResult.MongoDBBackup(is_sharded_cluster=False, metadata=meta)}

    def _read_back(self, cfg, prefix):
        s3 = self.s3_client(cfg)
        got = s3.list_objects_v2(Bucket=cfg.bucket_name, Prefix=prefix).get("Contents", [])
        if not got:
            raise RuntimeError("no backup files under %r" % prefix)
        for o in got:
            s3.get_object(Bucket=cfg.bucket_name, Key=o["Key"])["Body"].read()

    def _mysql_restore_backup(self, job):
        self._read_back(job.s3_config, self._key(job.folder, job.name) + "/")
        return {"mysql_restore_backup": agent_pb2.JobResult.MySQLRestoreBackup()}

    def _mongodb_restore_backup(self, job):
        if job.WhichOneof("location_config") == "s3_config":
            self._read_back(job.s3_config, self._key(job.folder, job.pbm_metadata.name))
        return {"mongodb_restore_backup": agent_pb2.JobResult.MongoDBRestoreBackup()}

    # ---- waiting ------------------------------------------------------------------

    def wait_started(self, n=1, timeout=15):
        with self.lock:
            if not self.lock.wait_for(lambda: len(self.started) >= n, timeout=timeout):
                raise AssertionError("%d StartJob requests, wanted %d" % (len(self.started), n))
            return self.started[n - 1]

    def wait_finished(self, job_id, timeout=15):
        with self.lock:
            if not self.lock.wait_for(lambda: job_id in self.finished, timeout=timeout):
                raise AssertionError("job %s did not finish" % job_id)
            return self.finished[job_id]


def backup_pb2_common():
    from backup.v1 import common_pb2
    return common_pb2
