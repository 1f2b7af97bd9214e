"""qan_standin: a stand-in for qan-api2 in the e2e tests (no ClickHouse, no
real QAN): Debian's python3 grpcio serving the qan.v1 methods pmm-managed
calls, built from this tree's qan.v1 protos (E2E_PYGEN), and a tiny JSON
API behind nginx's /v1/qan/.

    qan_standin.py GRPC_PORT JSON_PORT RECORD_FILE EXPLAIN_FILE

- qan.v1.CollectorService/Collect: every bucket is appended to RECORD_FILE
  as one JSON line (flushed and fsynced before the answer, so a kill loses
  nothing it acknowledged), with the request's sequence number;
- qan.v1.QANService/ExplainFingerprintByQueryID, SchemaByQueryID,
  QueryExists: answered from EXPLAIN_FILE (JSON {query_id: {"fingerprint",
  "placeholders_count", "schema"}}, read at each call); an unknown
  query_id gets qan-api2's NOT_FOUND-like error;
- HTTP on JSON_PORT: any request is answered 200 with its method, path and
  X-Proxy-Filter header as JSON, but GET /_standin/kill: the process kills
  itself with SIGKILL at a moment when no Collect call is between writing
  its record and answering (it holds the record lock, gives the last
  answer time to leave, then dies). A kill -9 inside that window is the
  one case that can deliver a bucket twice: qan.v1's Collect has no
  idempotency key, so a call cut after qan-api2 stored it but before its
  answer must be sent again.
Prints "listening" once both ports are bound. Binds 127.0.0.1 only."""

import http.server
import json
import os
import signal
import sys
import threading
import time
from concurrent import futures

sys.path.insert(0, os.environ.get("E2E_PYGEN", "build/release/gen/py"))

import grpc  # noqa: E402
from qan.v1 import collector_pb2, object_details_pb2  # noqa: E402
from google.protobuf import json_format  # noqa: E402

GRPC_PORT, JSON_PORT, RECORD, EXPLAIN = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
requests = [0]


def collect(req, ctx):
    with lock:
        requests[0] += 1
        with open(RECORD, "a") as f:
            for b in req.metrics_bucket:
                rec = json_format.MessageToDict(b, preserving_proto_field_name=True)
                rec["_request"] = requests[0]
                f.write(json.dumps(rec, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
    return collector_pb2.CollectResponse()


def explain_entry(query_id, ctx):
    try:
        with open(EXPLAIN) as f:
            table = json.load(f)
    except (OSError, ValueError):
        table = {}
    e = table.get(query_id)
    if e is None:
        ctx.abort(grpc.StatusCode.NOT_FOUND, "error in checking query:query_id %s not found" % query_id)
    return e


def explain_fingerprint(req, ctx):
    e = explain_entry(req.query_id, ctx)
    return object_details_pb2.ExplainFingerprintByQueryIDResponse(
        explain_fingerprint=e["fingerprint"], placeholders_count=e["placeholders_count"])


def schema(req, ctx):
    e = explain_entry(req.query_id, ctx)
    return object_details_pb2.SchemaByQueryIDResponse(schema=e.get("schema", ""))


def query_exists(req, ctx):
    try:
        with open(EXPLAIN) as f:
            table = json.load(f)
    except (OSError, ValueError):
        table = {}
    return object_details_pb2.QueryExistsResponse(exists=any(e["fingerprint"] == req.query for e in table.values()))


def unary(fn, req_cls, resp_cls):
    return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=req_cls.FromString,
                                               response_serializer=resp_cls.SerializeToString)


class JSONHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        if self.path == "/_standin/kill":
            lock.acquire()  # never released: the process dies holding it
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGKILL)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        out = json.dumps({"standin": "qan-api2", "method": self.command, "path": self.path, "body": body,
                          "x_proxy_filter": self.headers.get("X-Proxy-Filter")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    od = object_details_pb2
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("qan.v1.CollectorService", {
            "Collect": unary(collect, collector_pb2.CollectRequest, collector_pb2.CollectResponse)}),
        grpc.method_handlers_generic_handler("qan.v1.QANService", {
            "ExplainFingerprintByQueryID": unary(explain_fingerprint, od.ExplainFingerprintByQueryIDRequest,
                                                 od.ExplainFingerprintByQueryIDResponse),
            "SchemaByQueryID": unary(schema, od.SchemaByQueryIDRequest, od.SchemaByQueryIDResponse),
            "QueryExists": unary(query_exists, od.QueryExistsRequest, od.QueryExistsResponse)}),
    ))
    if server.add_insecure_port("127.0.0.1:%d" % GRPC_PORT) == 0:
        print("cannot bind gRPC port %d" % GRPC_PORT, flush=True)
        sys.exit(1)
    server.start()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", JSON_PORT), JSONHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print("listening", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
