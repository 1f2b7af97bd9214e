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

from e2elib import GRPC
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
        if self.credentials is not None:
            self.channel = grpc.secure_channel(self.target, self.credentials, options=self.channel_options)
        else:
            self.channel = grpc.insecure_channel(self.target, options=self.channel_options)
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

