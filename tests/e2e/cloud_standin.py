"""cloud_standin: a local stand-in for the three cloud APIs the management
discovery calls, written from their public documentation, so that no test
reaches the internet:

- AWS RDS Query API, DescribeDBInstances (POST / with a form body,
  Signature Version 4): the signature is recomputed with the stand-in's
  own keys and checked; unknown keys get AWS's InvalidClientTokenId, a
  wrong signature SignatureDoesNotMatch. Each region (from the signature's
  credential scope) has its own instances; us-east-1 answers in two pages.
- Azure AD v2.0 token endpoint (POST /{tenant}/oauth2/v2.0/token,
  client credentials grant): AADSTS errors as Azure AD words them.
- Azure Resource Graph (POST /providers/Microsoft.ResourceGraph/resources):
  only with a bearer token issued above; rows as resultFormat objectArray.

GET /_standin/calls answers the number of calls per API (what the tests
check to know real calls were made).

  /usr/bin/python3 tests/e2e/cloud_standin.py PORT

Binds 127.0.0.1:PORT only; runs until killed."""

import calendar
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---- AWS --------------------------------------------------------------------

AWS_KEYS = {"AKIDSTANDIN": "standin/secret+key"}
ENGINES = ["aurora-mysql", "mariadb", "mysql", "aurora-postgresql", "postgres"]
REQUEST_ID = "3f6f5c1e-2b1a-4d0e-9c4b-5e6f7a8b9c0d"
MSG_BAD_TOKEN = "The security token included in the request is invalid."
MSG_BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                     "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                     "for details.")


def rds_instance(ident, engine, klass, az, address, port, version):
    return {"id": ident, "engine": engine, "class": klass, "az": az, "address": address, "port": port,
            "version": version}


# Per region; pages split us-east-1 after its first instance. None address: still being created.
RDS_DATA = {
    "us-east-1": [
        rds_instance("orders-mysql", "mysql", "db.t3.medium", "us-east-1b",
                     "orders-mysql.c1a2b3.us-east-1.rds.amazonaws.com", 3306, "8.0.35"),
        rds_instance("being-created", "postgres", "db.t3.micro", "us-east-1a", None, 5432, "16.1"),
        rds_instance("billing-pg", "postgres", "db.m5.large", "us-east-1a",
                     "billing-pg.c1a2b3.us-east-1.rds.amazonaws.com", 5432, "15.4"),
    ],
    "eu-west-1": [
        rds_instance("aurora-eu", "aurora-postgresql", "db.r6g.large", "eu-west-1c",
                     "aurora-eu.cluster-x.eu-west-1.rds.amazonaws.com", 5432, "15.3"),
    ],
    "ap-southeast-2": [
        rds_instance("maria-ap", "mariadb", "db.t3.small", "ap-southeast-2a",
                     "maria-ap.c9.ap-southeast-2.rds.amazonaws.com", 3306, "10.11.6"),
    ],
}


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def aws_error(code, message, status=403):
    body = ('<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">\n'
            "  <Error>\n    <Type>Sender</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n"
            "  <RequestId>%s</RequestId>\n</ErrorResponse>\n" % (code, xml_escape(message), REQUEST_ID))
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": REQUEST_ID}, body.encode()


def signing_key(secret, date, region, service):
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def uri_encode(s):
    return urllib.parse.quote(s, safe="-_.~")


def check_signature(method, target, headers, body):
    """None when the SigV4 signature is right, else an (code, message)."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "MissingAuthenticationToken", "Request is missing Authentication Token"
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(",") if "=" in p)
    try:
        key_id, date, region, service, terminal = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return "IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature."
    if key_id not in AWS_KEYS:
        return "InvalidClientTokenId", MSG_BAD_TOKEN
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(date) or service != "rds" or terminal != "aws4_request":
        return "SignatureDoesNotMatch", MSG_BAD_SIGNATURE
    try:
        t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return "IncompleteSignature", "Date must be in ISO-8601 'basic format'."
    if abs(t - time.time()) > 15 * 60:
        return "SignatureDoesNotMatch", "Signature expired: %s is now earlier than allowed." % amz_date
    path, _, query = target.partition("?")
    pairs = sorted((uri_encode(k), uri_encode(v))
                   for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical = "\n".join([
        method, path, "&".join("%s=%s" % p for p in pairs),
        "".join("%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed),
        ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = "/".join([date, region, service, terminal])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    want = hmac.new(signing_key(AWS_KEYS[key_id], date, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, signature):
        return "SignatureDoesNotMatch", MSG_BAD_SIGNATURE
    return None


def instance_xml(i):
    endpoint = ""
    if i["address"]:
        endpoint = ("<Endpoint><Address>%s</Address><Port>%d</Port><HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId>"
                    "</Endpoint>" % (i["address"], i["port"]))
    return ("<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier><DBInstanceClass>%s</DBInstanceClass>"
            "<Engine>%s</Engine><DBInstanceStatus>%s</DBInstanceStatus><MasterUsername>admin</MasterUsername>"
            "%s<AvailabilityZone>%s</AvailabilityZone><EngineVersion>%s</EngineVersion>"
            "<VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-1</VpcSecurityGroupId>"
            "<Status>active</Status></VpcSecurityGroupMembership></VpcSecurityGroups></DBInstance>"
            % (i["id"], i["class"], i["engine"], "available" if i["address"] else "creating", endpoint, i["az"],
               i["version"]))


def describe_db_instances(region, form):
    engines = [form.get("Filters.Filter.1.Values.Value.%d" % n) for n in range(1, 6)]
    if form.get("Version") != "2014-10-31" or form.get("Filters.Filter.1.Name") != "engine" or engines != ENGINES:
        return aws_error("InvalidParameterValue", "Unrecognized engine filter or API version.", 400)
    rows = [i for i in RDS_DATA.get(region, []) if i["engine"] in engines]
    marker = form.get("Marker", "")
    if region == "us-east-1":  # two pages
        page, next_marker = (rows[1:], "") if marker == "page-2" else (rows[:1], "page-2")
    else:
        page, next_marker = rows, ""
    body = ('<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">\n'
            "  <DescribeDBInstancesResult>\n    <DBInstances>%s</DBInstances>\n%s"
            "  </DescribeDBInstancesResult>\n"
            "  <ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>\n"
            "</DescribeDBInstancesResponse>\n"
            % ("".join(instance_xml(i) for i in page),
               "    <Marker>%s</Marker>\n" % next_marker if next_marker else "", REQUEST_ID))
    return 200, {"Content-Type": "text/xml", "x-amzn-RequestId": REQUEST_ID}, body.encode()


# ---- Azure ------------------------------------------------------------------

AZURE_TENANT = "tenant-standin"
AZURE_CLIENTS = {"client-standin": "azure-standin-secret"}
AZURE_SUBSCRIPTION = "sub-standin"
ARM_SCOPE = "https://management.core.windows.net//.default"
# Fixed, so that the tests can expect the Azure SDK's error texts exactly.
BAD_SECRET_BODY = json.dumps({
    "error": "invalid_client",
    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
                         "request is the client secret value, not the client secret ID.",
    "error_codes": [7000215], "timestamp": "2024-05-01 10:00:00Z",
    "trace_id": "0f0e0d0c-0b0a-0908-0706-050403020100", "correlation_id": "00010203-0405-0607-0809-0a0b0c0d0e0f",
    "error_uri": "https://login.microsoftonline.com/error?code=7000215"}, separators=(",", ":"))
NO_TENANT_BODY = json.dumps({
    "error": "invalid_request",
    "error_description": "AADSTS90002: Tenant not found. Check to make sure you have the correct tenant ID.",
    "error_codes": [90002]}, separators=(",", ":"))
TOKENS = set()
TOKENS_LOCK = threading.Lock()

AZURE_ROWS = [
    {"id": "/subscriptions/sub-standin/resourceGroups/rg-db/providers/Microsoft.DBforMySQL/servers/mysql-standin",
     "name": "mysql-standin", "type": "microsoft.dbformysql/servers", "tenantId": AZURE_TENANT, "kind": "",
     "location": "eastus", "resourceGroup": "rg-db", "subscriptionId": AZURE_SUBSCRIPTION, "managedBy": "",
     "sku": {"name": "GP_Gen5_2", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 2}, "plan": None,
     "properties": {"administratorLogin": "dbadmin", "fullyQualifiedDomainName":
                    "mysql-standin.mysql.database.azure.com", "version": "5.7", "userVisibleState": "Ready"},
     "tags": {"environment": "prod", "owner": "dba"}, "identity": None, "zones": None, "extendedLocation": None},
    {"id": "/subscriptions/sub-standin/resourceGroups/rg-pg/providers/Microsoft.DBforPostgreSQL/flexibleServers/"
           "pg-standin",
     "name": "pg-standin", "type": "microsoft.dbforpostgresql/flexibleservers", "tenantId": AZURE_TENANT,
     "kind": "", "location": "westeurope", "resourceGroup": "rg-pg", "subscriptionId": AZURE_SUBSCRIPTION,
     "managedBy": "", "sku": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"}, "plan": None,
     "properties": {"administratorLogin": "pgadmin", "fullyQualifiedDomainName":
                    "pg-standin.postgres.database.azure.com", "availabilityZone": "1", "version": "15"},
     "tags": {}, "identity": None, "zones": None, "extendedLocation": None},
    {"id": "/subscriptions/sub-standin/resourceGroups/rg-db/providers/Microsoft.DBforMariaDB/servers/maria-standin",
     "name": "maria-standin", "type": "microsoft.dbformariadb/servers", "tenantId": AZURE_TENANT, "kind": "",
     "location": "eastus", "resourceGroup": "rg-db", "subscriptionId": AZURE_SUBSCRIPTION, "managedBy": "",
     "sku": {"name": "B_Gen5_1"}, "plan": None, "properties": {"fullyQualifiedDomainName":
                                                               "maria-standin.mariadb.database.azure.com"},
     "tags": None, "identity": None, "zones": None, "extendedLocation": None},
]


def azure_json(status, obj, extra=None):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(extra or {})
    return status, headers, (obj if isinstance(obj, str) else json.dumps(obj)).encode()


def azure_token(tenant, form):
    if tenant != AZURE_TENANT:
        return azure_json(400, NO_TENANT_BODY)
    if form.get("grant_type") != "client_credentials" or form.get("scope") != ARM_SCOPE:
        return azure_json(400, {"error": "invalid_scope", "error_description": "AADSTS70011: invalid scope."})
    client = form.get("client_id", "")
    if client not in AZURE_CLIENTS:
        return azure_json(400, {"error": "unauthorized_client", "error_description":
                                "AADSTS700016: Application with identifier '%s' was not found." % client})
    if form.get("client_secret") != AZURE_CLIENTS[client]:
        return azure_json(401, BAD_SECRET_BODY)
    token = secrets.token_urlsafe(24)
    with TOKENS_LOCK:
        TOKENS.add(token)
    return azure_json(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                            "access_token": token})


def resource_graph(headers, query, body):
    auth = headers.get("Authorization", "")
    with TOKENS_LOCK:
        known = auth.startswith("Bearer ") and auth[7:] in TOKENS
    if not known:
        return azure_json(401, {"error": {"code": "AuthenticationFailed", "message":
                                          "Authentication failed. The 'Authorization' header is missing."}},
                          {"x-ms-error-code": "AuthenticationFailed"})
    if urllib.parse.parse_qs(query).get("api-version") != ["2021-03-01"]:
        return azure_json(400, {"error": {"code": "InvalidApiVersionParameter", "message": "bad api-version"}})
    try:
        req = json.loads(body)
    except ValueError:
        return azure_json(400, {"error": {"code": "InvalidRequestContent", "message": "not JSON"}})
    if req.get("subscriptions") != [AZURE_SUBSCRIPTION]:
        return azure_json(400, {"error": {"code": "BadRequest", "message": "Please provide below info when asking "
                                          "for support: timestamp = 2024-05-01T10:00:00Z, correlationId = "
                                          "00000000-0000-0000-0000-000000000000.",
                                          "details": [{"code": "NoValidSubscriptionsInQueryRequest",
                                                       "message": "There must be at least one valid subscription "
                                                                  "ID to run the query."}]}})
    q = req.get("query", "")
    if "Microsoft.DBforMySQL/servers" not in q or req.get("options", {}).get("resultFormat") != "objectArray":
        return azure_json(400, {"error": {"code": "InvalidQuery", "message": "unexpected query"}})
    rows = sorted(AZURE_ROWS, key=lambda r: r["name"])
    return azure_json(200, {"totalRecords": len(rows), "count": len(rows), "data": rows, "facets": [],
                            "resultTruncated": "false"})


# ---- server -----------------------------------------------------------------

CALLS = {"aws": 0, "azure_token": 0, "resource_graph": 0}
CALLS_LOCK = threading.Lock()


def count(api):
    with CALLS_LOCK:
        CALLS[api] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests print what matters
        pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_standin/calls":
            with CALLS_LOCK:
                self.answer(200, {"Content-Type": "application/json"}, json.dumps(CALLS).encode())
        else:
            self.answer(404, {}, b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        if path == "/providers/Microsoft.ResourceGraph/resources":
            count("resource_graph")
            self.answer(*resource_graph(self.headers, query, body))
        elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            count("azure_token")
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            self.answer(*azure_token(parts[0], form))
        elif path == "/":
            count("aws")
            problem = check_signature("POST", self.path, self.headers, body)
            if problem:
                self.answer(*aws_error(*problem))
                return
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            if form.get("Action") != "DescribeDBInstances":
                self.answer(*aws_error("InvalidAction", "Could not find operation %s." % form.get("Action"), 400))
                return
            region = self.headers["Authorization"].split("Credential=")[1].split("/")[2]
            self.answer(*describe_db_instances(region, form))
        else:
            self.answer(404, {}, b"")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("cloud stand-in listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
