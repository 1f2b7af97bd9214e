"""make_corpus: writes the seed corpus of the fuzz targets that take API
messages (tests/fuzz/corpus/{pbjson,protobuf,route,envelope,agent_stream}/
seed-*), so that the fuzzers start from inputs that reach deep: for every
route of the REST table, its request type with every field set, as JSON, as
protobuf, and as a request line with path and query parameters; bus
envelopes; agent stream sessions. Run it again when the protos change and
commit what it writes:

    /usr/bin/python3 tests/fuzz/make_corpus.py build/asan

Seeds only: the fuzzers' own finds stay in build/fuzz; a crash they find is
kept as corpus/<target>/crash-* (tests/fuzz/run.sh)."""

import hashlib
import os
import re
import struct
import sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/asan"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BUILD, "gen", "py"))

import importlib.util  # noqa: E402

from google.protobuf import descriptor as D  # noqa: E402
from google.protobuf import json_format, symbol_database  # noqa: E402

WKT_DONE = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Empty",
            "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
            "google.protobuf.Any", "google.protobuf.FieldMask"}


def routes():
    """(verb, pattern, body, method, request full name) in route_table order."""
    text = open(os.path.join(BUILD, "gen", "routes.c")).read()
    out = []
    for m in re.finditer(r'\{"(\w+)", "([^"]*)", "([^"]*)", "([^"]*)",\s*&(\w+)__descriptor', text):
        out.append(m.groups())
    return out


def message_class(c_name):
    """The python class of a protoc-c descriptor symbol (inventory__v1__get_node_request)."""
    parts = c_name.split("__")
    package = ".".join(parts[:-1])
    type_snake = parts[-1]
    pool = symbol_database.Default().pool
    for mod in MODULES:
        fd = mod.DESCRIPTOR
        if fd.package != package:
            continue
        for name, desc in fd.message_types_by_name.items():
            if snake(name) == type_snake:
                return symbol_database.Default().GetPrototype(pool.FindMessageTypeByName(desc.full_name))
    raise KeyError(c_name)


def snake(name):
    """protoc-c's lowercasing of a CamelCase message name: an underscore
    before a capital that follows a lowercase letter (PTSummary: ptsummary)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def load_modules():
    mods = []
    root = os.path.join(BUILD, "gen", "py")
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith("_pb2.py"):
                rel = os.path.relpath(os.path.join(d, f), root)[:-3].replace(os.sep, ".")
                if rel.startswith("platform."):
                    spec = importlib.util.spec_from_file_location(rel.replace(".", "_"), os.path.join(d, f))
                    mod = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(mod)
                else:
                    mod = importlib.import_module(rel)
                mods.append(mod)
    return mods


def fill(msg, depth=0, variant=0):
    """Sets every field of msg (one member of each oneof: the variant-th)."""
    desc = msg.DESCRIPTOR
    if desc.full_name in WKT_DONE:
        if desc.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
            msg.seconds = 60
        return
    if depth > 4:
        return
    seen_oneofs = {}
    for f in desc.fields:
        oneof = f.containing_oneof
        if oneof is not None:
            k = seen_oneofs.get(oneof.name, 0)
            seen_oneofs[oneof.name] = k + 1
            if k != variant % max(1, len(oneof.fields)):
                continue
        set_field(msg, f, depth, variant)


def scalar(f):
    t = f.type
    if t == D.FieldDescriptor.TYPE_STRING:
        return "x-" + f.name
    if t == D.FieldDescriptor.TYPE_BYTES:
        return b"\x00\x01bytes"
    if t == D.FieldDescriptor.TYPE_BOOL:
        return True
    if t in (D.FieldDescriptor.TYPE_DOUBLE, D.FieldDescriptor.TYPE_FLOAT):
        return 1.5
    if t == D.FieldDescriptor.TYPE_ENUM:
        values = f.enum_type.values
        return values[1].number if len(values) > 1 else values[0].number
    return 7


def set_field(msg, f, depth, variant):
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        key_f, val_f = f.message_type.fields_by_name["key"], f.message_type.fields_by_name["value"]
        m = getattr(msg, f.name)
        k = scalar(key_f)
        if val_f.message_type is not None:
            fill(m[k], depth + 1, variant)
        else:
            m[k] = scalar(val_f)
        return
    if f.label == D.FieldDescriptor.LABEL_REPEATED:
        if f.message_type is not None:
            fill(getattr(msg, f.name).add(), depth + 1, variant)
        else:
            getattr(msg, f.name).append(scalar(f))
        return
    if f.message_type is not None:
        sub = getattr(msg, f.name)
        sub.SetInParent()
        if f.message_type.full_name.startswith("google.protobuf.") and f.message_type.name.endswith("Value") \
                and f.message_type.full_name not in WKT_DONE:
            vf = f.message_type.fields_by_name["value"]
            sub.value = scalar(vf)
        else:
            fill(sub, depth + 1, variant)
        return
    setattr(msg, f.name, scalar(f))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, "seed-%s-%s" % (name, h)), "wb") as f:
        f.write(data)


def path_for(pattern):
    return re.sub(r"\{([^}=]+)(=[^}]*)?\}", lambda m: "x%2F" + m.group(1) if "=" not in m.group(0) else "a/b",
                  pattern)


def query_for(msg):
    pairs = []
    for f in msg.DESCRIPTOR.fields:
        if f.message_type is None:
            v = scalar(f)
            if f.type == D.FieldDescriptor.TYPE_ENUM:
                v = f.enum_type.values_by_number[v].name
            elif f.type == D.FieldDescriptor.TYPE_BYTES:
                v = "AAE="
            elif f.type == D.FieldDescriptor.TYPE_BOOL:
                v = "true"
            pairs.append("%s=%s" % (f.name, v))
        elif f.message_type.full_name.startswith("google.protobuf."):
            pairs.append("%s=%s" % (f.name, "60s" if f.message_type.name == "Duration" else "1"))
    return "&".join(pairs)


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def msgpack_str(s):
    b = s.encode()
    return (bytes([0xA0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)])) + b


def envelope(items):
    out = bytes([0x80 | len(items)])
    for k, v in items:
        out += msgpack_str(k)
        if isinstance(v, int):
            out += b"\xcf" + struct.pack(">Q", v) if v >= 0 else b"\xd3" + struct.pack(">q", v)
        elif isinstance(v, bytes):
            out += b"\xc4" + bytes([len(v)]) + v
        elif isinstance(v, dict):
            out += bytes([0x80 | len(v)]) + b"".join(msgpack_str(a) + msgpack_str(b) for a, b in v.items())
        else:
            out += msgpack_str(v)
    return out


def record(op, data):
    return bytes([op]) + struct.pack("<H", len(data)) + data


def main():
    global MODULES
    MODULES = load_modules()
    from agent.v1 import agent_pb2, collector_pb2  # noqa: F401
    from internal.v1 import agentstream_pb2 as sp
    table = routes()
    for i, (verb, pattern, body, method, c_name) in enumerate(table):
        cls = message_class(c_name)
        idx = struct.pack(">H", i)
        for variant in range(3):
            msg = cls()
            fill(msg, variant=variant)
            js = json_format.MessageToJson(msg, preserving_proto_field_name=True).encode()
            write("pbjson", "%d-%d" % (i, variant), idx + js)
            write("protobuf", "%d-%d" % (i, variant), idx + msg.SerializeToString())
        write("pbjson", "%d-empty" % i, idx + b"{}")
        verb_i = ["GET", "POST", "PUT", "DELETE", "PATCH"].index(verb)
        line = path_for(pattern)
        q = query_for(cls())
        write("route", "%d" % i, bytes([verb_i]) + (line + ("?" + q if q else "")).encode())
    # bus envelopes: a request and a reply
    write("envelope", "request", envelope([("v", 1), ("id", 42), ("method", "/inventory.v1.NodesService/GetNode"),
                                           ("deadline_ms", 1700000000000), ("caller", {"user": "admin", "role": "admin"}),
                                           ("body", b"\x0a\x03abc")]))
    write("envelope", "reply", envelope([("v", 1), ("id", 42), ("code", 5), ("message", "not found"),
                                         ("body", b"")]))
    # agent stream sessions (see fuzz_agent_stream.c for the record format)
    A = agent_pb2
    msgs = [
        A.AgentMessage(id=1, ping=A.Ping()),
        A.AgentMessage(id=2, state_changed=A.StateChangedRequest(agent_id="a1", status=2, listen_port=42000)),
        A.AgentMessage(id=3, action_result=A.ActionResultRequest(action_id="x", output=b"out", done=True)),
        A.AgentMessage(id=4, qan_collect=A.QANCollectRequest(metrics_bucket=[collector_pb2.MetricsBucket()])),
        A.AgentMessage(id=5, job_result=A.JobResult(job_id="j")),
        A.AgentMessage(id=6, job_progress=A.JobProgress(job_id="j")),
        A.AgentMessage(id=1, pong=A.Pong()),
        A.AgentMessage(id=7, set_state=A.SetStateResponse()),
        A.AgentMessage(id=8),
    ]
    session = b"".join(record(1, m.SerializeToString()) for m in msgs)
    write("agent_stream", "messages", session)
    write("agent_stream", "garbage-then-empty", record(1, b"\xff\xff\xff") + record(1, b"") + record(1, b""))
    write("agent_stream", "ticks", record(1, msgs[0].SerializeToString()) + record(2, b"\x80") * 4)
    write("agent_stream", "duplicate", record(3, b"\x00\x01") + record(3, b"\x01\x02") + record(1, b""))
    gw = [sp.StreamMessage(kind=sp.STREAM_KIND_HELLO, epoch="e1"),
          sp.StreamMessage(kind=sp.STREAM_KIND_FRAME, stream_id=9, payload=msgs[0].SerializeToString()),
          sp.StreamMessage(kind=sp.STREAM_KIND_OPEN, stream_id=9,
                           meta=sp.StreamMeta(pmm_agent_id="pmm-agent-fuzz", agent_version="3.0.0", resync=True)),
          sp.StreamMessage(kind=sp.STREAM_KIND_SYNC, live=[1, 9]),
          sp.StreamMessage(kind=sp.STREAM_KIND_CLOSED, stream_id=1)]
    write("agent_stream", "gateway", b"".join(record(0, m.SerializeToString()) for m in gw))


if __name__ == "__main__":
    main()
