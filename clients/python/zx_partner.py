#!/usr/bin/env python3
"""zx_partner — the partner-province client (东西部协作) of a zhenxing prefecture.

A partner province (e.g. Shandong, 370000000000, paired with Kashgar
prefecture, 653100000000) calls the prefecture's federation gateway,
`zx.federation.v1.PeerService`, over mutual TLS with its partner certificate
(subject CN "partner:<province>"). The certificate is the identity: no token.

    python3 clients/python/zx_partner.py --target 127.0.0.1:8104 \\
        --ca ca.crt --cert partner-370000000000.crt --key partner-370000000000.key \\
        --server-name prefecture-653100000000.zx \\
        post-job --employer-name "青岛海信" --title "装配工" --wage-fen 560000 --slots 20

Subcommands: post-job, place-order, get-order, report (see --help of each).
Success: the answer as JSON on stdout (proto field names). Failure: the gRPC
code, message and every field violation on stderr, and the exit code
2 usage, 3 invalid argument / failed precondition / out of range,
4 permission denied / unauthenticated, 5 unavailable / deadline exceeded
(after the retries), 1 anything else.

As a library (generated stubs in gen/, see generate.sh):

    import zx_partner as zp
    stub = zp.connect("127.0.0.1:8104", ca="ca.crt", cert="p.crt", key="p.key",
                      server_name="prefecture-653100000000.zx")
    employer, job = zp.post_job(stub, province="370000000000", employer_name="...",
                                title="...", wage_fen=560000, slots=20)
    buyer, order = zp.place_order(stub, province="370000000000", buyer_name="...",
                                  buyer_division="370200000000", lines=[("pd-...", 120)])

Every mutating call carries a request_id: the caller's, or one derived from
the request itself (`derive_request_id`), so that repeating the same command
after a timeout returns the first result instead of doing it twice. Calls are
retried on UNAVAILABLE and DEADLINE_EXCEEDED with the same request, at most
`attempts` times (default 3) with backoff.
"""
import argparse
import hashlib
import ipaddress
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN_DIR = os.environ.get("ZX_PARTNER_GEN_DIR") or os.path.join(HERE, "gen")

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_DENIED = 4
EXIT_UNAVAILABLE = 5

DEFAULT_TIMEOUT = 10.0  # seconds, per attempt
DEFAULT_ATTEMPTS = 3
BACKOFF_INITIAL = 0.25  # seconds before the 2nd attempt; doubled each time
BACKOFF_MAX = 2.0

PEER_SERVICE = "zx.federation.v1.PeerService"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
REQUEST_ID_RE = re.compile(r"^[!-~]{1,128}$")  # the server's rule: printable ASCII, no spaces
DIVISION_RE = re.compile(r"^[0-9]{12}$")
PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
INT64_MAX = 2**63 - 1


class UsageError(Exception):
    """Bad input found before anything is sent (exit 2)."""


# ---- gRPC and the generated stubs --------------------------------------------------

def _import_grpc():
    try:
        import grpc
    except ImportError:
        raise ImportError(
            f"the grpc module is missing for {sys.executable}: pip install grpcio protobuf "
            "(Debian: apt install python3-grpcio python3-protobuf, run /usr/bin/python3)")
    return grpc


class _Stubs:
    """The generated modules, imported on first use (so --help works without them)."""
    _loaded = None

    @classmethod
    def get(cls):
        if cls._loaded is None:
            _import_grpc()  # the real grpcio first; gen/ goes to the END of sys.path
            if not os.path.isdir(os.path.join(GEN_DIR, "zx", "federation")):
                raise ImportError(f"generated stubs not found in {GEN_DIR}: "
                                  f"run {os.path.join(HERE, 'generate.sh')}")
            if GEN_DIR not in sys.path:
                sys.path.append(GEN_DIR)
            from google.rpc import error_details_pb2, status_pb2
            from zx.consumption.v1 import consumption_pb2
            from zx.employment.v1 import employment_pb2
            from zx.federation.v1 import federation_pb2, federation_pb2_grpc
            ns = argparse.Namespace(
                status=status_pb2, details=error_details_pb2, consumption=consumption_pb2,
                employment=employment_pb2, federation=federation_pb2,
                federation_grpc=federation_pb2_grpc)
            cls._loaded = ns
        return cls._loaded


def stubs():
    """The generated modules: .status, .details (google.rpc), .employment,
    .consumption, .federation, .federation_grpc."""
    return _Stubs.get()


def split_target(target):
    """'host:port' or '[v6]:port' -> (host, port); UsageError otherwise."""
    m = re.match(r"^\[([^\]]+)\]:([0-9]+)$", target) or re.match(r"^([^:\[\]]+):([0-9]+)$", target)
    if not m:
        raise UsageError(f"--target must be host:port, not {target!r}")
    return m.group(1), int(m.group(2))


def is_ip_literal(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read {what} {path}: {e.strerror}")


def connect(target, ca, cert, key, server_name=None):
    """A PeerService stub over mutual TLS. `ca`, `cert`, `key` are PEM file paths.
    `server_name` is the TLS name the gateway's certificate must carry
    ("prefecture-653100000000.zx"); required when `target`'s host is an IP address.
    The channel is `stub.channel` (close it when done)."""
    grpc = _import_grpc()
    host, _ = split_target(target)
    if not server_name and is_ip_literal(host):
        raise UsageError(
            f"--server-name is required with an IP address target ({host}): the gateway's "
            "TLS name, e.g. prefecture-653100000000.zx, proves which instance answers")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_read(ca, "CA certificate"),
        private_key=_read(key, "private key"),
        certificate_chain=_read(cert, "certificate"))
    options = []
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    if is_loopback(host):
        options.append(("grpc.enable_http_proxy", 0))  # never send loopback through a proxy
    channel = grpc.secure_channel(target, creds, options=options)
    stub = stubs().federation_grpc.PeerServiceStub(channel)
    stub.channel = channel
    return stub


def province_from_certificate(cert_path):
    """The province of a "partner:<12 digits>" certificate, or None when it cannot be read."""
    try:
        import ssl
        decoded = ssl._ssl._test_decode_cert(cert_path)  # CPython's own PEM decoder
    except Exception:
        return None
    for rdn in decoded.get("subject", ()):
        for k, v in rdn:
            m = re.match(r"^partner:([0-9]{12})$", v) if k == "commonName" else None
            if m:
                return m.group(1)
    return None


# ---- Request ids and retries ---------------------------------------------------------

def derive_request_id(kind, method, request):
    """A request id that depends only on what is asked: `kind` (a short label),
    the full method name and the request (its request_id ignored), hashed over
    the deterministic protobuf encoding. The same inputs give the same id, so a
    repeat after a timeout returns the first result; other inputs, another id."""
    r = type(request)()
    r.CopyFrom(request)
    r.request_id = ""
    h = hashlib.sha256(method.encode() + b"\0" + r.SerializeToString(deterministic=True))
    return f"zxp-{kind}-{h.hexdigest()[:32]}"


def check_request_id(request_id):
    if not REQUEST_ID_RE.match(request_id):
        raise UsageError(f"--request-id must be 1..128 printable ASCII characters without "
                         f"spaces, not {request_id!r}")
    return request_id


def is_retryable(code):
    grpc = _import_grpc()
    return code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def backoff_delay(attempt):
    """Seconds to wait after failed attempt `attempt` (1-based): 0.25, 0.5, 1, ...
    capped at 2, times a jitter in [0.5, 1]."""
    return min(BACKOFF_MAX, BACKOFF_INITIAL * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def call(stub, method, request, timeout=DEFAULT_TIMEOUT, attempts=DEFAULT_ATTEMPTS,
         sleep=time.sleep, log=None):
    """stub.<method>(request), retried with the SAME request (request id
    included) on UNAVAILABLE and DEADLINE_EXCEEDED, at most `attempts` times.
    Raises the last grpc.RpcError; its `.zx_method`, `.zx_attempts` and
    `.zx_request_id` say where."""
    grpc = _import_grpc()
    fn = getattr(stub, method)
    attempts = max(1, int(attempts))
    for attempt in range(1, attempts + 1):
        try:
            return fn(request, timeout=timeout)
        except grpc.RpcError as err:
            err.zx_method = method
            err.zx_attempts = attempt
            err.zx_request_id = getattr(request, "request_id", "") or None
            if attempt == attempts or not is_retryable(err.code()):
                raise
            delay = backoff_delay(attempt)
            if log:
                log(f"{method}: {err.code().name} (attempt {attempt}/{attempts}); "
                    f"retrying in {delay:.2f}s with the same request id")
            sleep(delay)
    raise AssertionError("unreachable")


# ---- Operations --------------------------------------------------------------------

def _province(province):
    if not DIVISION_RE.match(province or "") or province[2:] != "0" * 10:
        raise UsageError(f"province must be a province's 12-digit code like 370000000000, "
                         f"not {province!r}")
    return province


def post_job(stub, province, employer_name, title, wage_fen, slots, employer_id=None,
             job_id=None, required_skills=(), preferred_skills=(), min_language_level=0,
             light_work=False, open_=True, request_id=None, **call_kw):
    """Ensures the partner's employer (kind EMPLOYER_KIND_PARTNER_PROVINCE, division
    the province) unless `employer_id` is given, then creates (or, with `job_id`,
    replaces) a regular job located in the province with partner_province set.
    Returns (employer or None, job). `call_kw` go to `call` (timeout, attempts, ...)."""
    pb = stubs().employment
    _province(province)
    employer = None
    if not employer_id:
        req = pb.UpsertEmployerRequest(employer=pb.Employer(
            name=employer_name, kind=pb.EMPLOYER_KIND_PARTNER_PROVINCE,
            division_code=province, partner_province=province[:2]))
        req.request_id = derive_request_id("employer", f"/{PEER_SERVICE}/PartnerUpsertEmployer", req)
        employer = call(stub, "PartnerUpsertEmployer", req, **call_kw)
        employer_id = employer.employer_id
    req = pb.UpsertJobRequest(job=pb.Job(
        job_id=job_id or "", employer_id=employer_id, title=title, kind=pb.JOB_KIND_REGULAR,
        location_division_code=province, partner_province=True, monthly_wage_fen=wage_fen,
        slots=slots, required_skills=list(required_skills),
        preferred_skills=list(preferred_skills), min_language_level=min_language_level,
        light_work=light_work, open=open_))
    req.request_id = request_id or derive_request_id("job", f"/{PEER_SERVICE}/PartnerUpsertJob", req)
    job = call(stub, "PartnerUpsertJob", req, **call_kw)
    return employer, job


BUYER_KINDS = {"company": "BUYER_KIND_PARTNER_COMPANY", "agency": "BUYER_KIND_PARTNER_AGENCY"}


def place_order(stub, province, lines, buyer_name=None, buyer_division=None,
                buyer_kind="company", buyer_id=None, date="", request_id=None, **call_kw):
    """Ensures the partner's buyer (a partner company or agency in `buyer_division`,
    a division of the province, default the province) unless `buyer_id` is given,
    then submits an order of `lines` [(product_id, quantity), ...] through channel
    CHANNEL_PARTNER_STORE. Returns (buyer or None, order)."""
    pb = stubs().consumption
    _province(province)
    if not lines:
        raise UsageError("an order needs at least one --line product_id:quantity")
    buyer = None
    if not buyer_id:
        if not buyer_name:
            raise UsageError("--buyer-name is required unless --buyer-id is given")
        if buyer_kind not in BUYER_KINDS:
            raise UsageError(f"buyer kind must be one of {sorted(BUYER_KINDS)}")
        req = pb.UpsertBuyerRequest(buyer=pb.Buyer(
            name=buyer_name, kind=pb.BuyerKind.Value(BUYER_KINDS[buyer_kind]),
            division_code=buyer_division or province))
        req.request_id = derive_request_id("buyer", f"/{PEER_SERVICE}/PartnerUpsertBuyer", req)
        buyer = call(stub, "PartnerUpsertBuyer", req, **call_kw)
        buyer_id = buyer.buyer_id
    req = pb.SubmitOrderRequest(
        buyer_id=buyer_id, channel=pb.CHANNEL_PARTNER_STORE, date=date or "",
        lines=[pb.SubmitOrderRequest.Line(product_id=p, quantity=q) for p, q in lines])
    req.request_id = request_id or derive_request_id("order", f"/{PEER_SERVICE}/PartnerSubmitOrder", req)
    order = call(stub, "PartnerSubmitOrder", req, **call_kw)
    return buyer, order


def get_order(stub, order_id, **call_kw):
    return call(stub, "PartnerGetOrder", stubs().consumption.GetOrderRequest(order_id=order_id),
                **call_kw)


def get_report(stub, period, **call_kw):
    return call(stub, "GetAgreedReport", stubs().federation.GetAgreedReportRequest(period=period),
                **call_kw)


# ---- Parsing, output, errors -----------------------------------------------------------

def parse_line(text):
    """'product_id:quantity' -> (product_id, quantity); ValueError on anything else."""
    if not isinstance(text, str) or text.count(":") != 1:
        raise ValueError(f"expected product_id:quantity, not {text!r}")
    product, qty = text.split(":")
    if not product or product != product.strip() or any(c.isspace() for c in product):
        raise ValueError(f"empty or blank product id in {text!r}")
    if not re.fullmatch(r"[0-9]+", qty):
        raise ValueError(f"quantity must be a whole number of units, not {qty!r}")
    n = int(qty)
    if n <= 0 or n > INT64_MAX:
        raise ValueError(f"quantity must be at least 1 (and fit in int64), not {qty}")
    return product, n


def parse_lines(texts):
    """Each --line parsed; a product listed twice is refused (the server allows each once)."""
    lines, seen = [], set()
    for t in texts or ():
        p, q = parse_line(t)
        if p in seen:
            raise ValueError(f"product {p} is listed twice: give it once with the total quantity")
        seen.add(p)
        lines.append((p, q))
    return lines


def to_dict(message):
    """MessageToDict with proto field names and every field shown (int64 as strings,
    enums by name, per the proto3 JSON mapping)."""
    from google.protobuf import json_format
    try:
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         including_default_value_fields=True)
    except TypeError:  # protobuf >= 5.26 renamed the option
        return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)


def rich_status(err):
    """The google.rpc.Status of the `grpc-status-details-bin` trailer, or None."""
    try:
        trailers = err.trailing_metadata() or ()
    except Exception:
        return None
    for k, v in trailers:
        if k == STATUS_DETAILS_KEY:
            st = stubs().status.Status()
            try:
                st.ParseFromString(v if isinstance(v, bytes) else v.encode("latin-1"))
            except Exception:
                return None
            return st
    return None


def _trailer(err, key):
    try:
        for k, v in err.trailing_metadata() or ():
            if k == key:
                return v
    except Exception:
        pass
    return None


def describe_details(status):
    """Lines for the details of a google.rpc.Status: field violations and the rest."""
    d = stubs().details
    out = []
    for any_ in status.details:
        if any_.Is(d.BadRequest.DESCRIPTOR):
            m = d.BadRequest()
            any_.Unpack(m)
            out += [f"field {v.field}: {v.description}" for v in m.field_violations]
        elif any_.Is(d.PreconditionFailure.DESCRIPTOR):
            m = d.PreconditionFailure()
            any_.Unpack(m)
            out += [" ".join(x for x in ("precondition", v.type, v.subject + ":", v.description) if x)
                    for v in m.violations]
        elif any_.Is(d.ErrorInfo.DESCRIPTOR):
            m = d.ErrorInfo()
            any_.Unpack(m)
            out.append(f"reason {m.reason} ({m.domain})"
                       + "".join(f" {k}={m.metadata[k]}" for k in sorted(m.metadata)))
        elif any_.Is(d.RetryInfo.DESCRIPTOR):
            m = d.RetryInfo()
            any_.Unpack(m)
            out.append(f"retry after {m.retry_delay.ToTimedelta().total_seconds():g}s")
        elif any_.Is(d.RequestInfo.DESCRIPTOR):
            m = d.RequestInfo()
            any_.Unpack(m)
            out.append(f"server request id {m.request_id}")
        else:
            out.append(f"detail {any_.type_url} ({len(any_.value)} bytes)")
    return out


def field_violations(err):
    """[(field, description), ...] of the error's BadRequest details."""
    st = rich_status(err)
    if st is None:
        return []
    d = stubs().details
    res = []
    for any_ in st.details:
        if any_.Is(d.BadRequest.DESCRIPTOR):
            br = d.BadRequest()
            any_.Unpack(br)
            res.extend((v.field, v.description) for v in br.field_violations)
    return res


def format_error(err, request_id=None):
    """The stderr text for a failed call: code and message, then one line per detail."""
    code = err.code()
    lines = [f"zx_partner: {getattr(err, 'zx_method', 'call')} failed: "
             f"{code.name if code else 'UNKNOWN'}: {err.details() or ''}".rstrip()]
    st = rich_status(err)
    if st is not None:
        lines += ["  " + s for s in describe_details(st)]
    if getattr(err, "zx_attempts", 1) > 1:
        lines.append(f"  attempts: {err.zx_attempts}")
    request_id = request_id or getattr(err, "zx_request_id", None)
    if request_id:
        lines.append(f"  request_id: {request_id}")
    server_rid = _trailer(err, "x-request-id")
    if server_rid:
        lines.append(f"  x-request-id: {server_rid}")
    return "\n".join(lines)


def exit_code_for(code):
    """grpc.StatusCode -> exit code (see the module doc)."""
    grpc = _import_grpc()
    S = grpc.StatusCode
    if code in (S.INVALID_ARGUMENT, S.FAILED_PRECONDITION, S.OUT_OF_RANGE):
        return EXIT_INVALID
    if code in (S.PERMISSION_DENIED, S.UNAUTHENTICATED):
        return EXIT_DENIED
    if code in (S.UNAVAILABLE, S.DEADLINE_EXCEEDED):
        return EXIT_UNAVAILABLE
    return EXIT_OTHER


# ---- CLI -----------------------------------------------------------------------------

def _positive_int(text):
    if not re.fullmatch(r"[0-9]+", text or "") or int(text) <= 0 or int(text) > INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text!r}")
    return int(text)


def _regex_arg(regex, what):
    def check(text):
        if not regex.match(text):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return text
    return check


def check_request_id_arg(text):
    try:
        return check_request_id(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e))


def add_connection_options(c, top):
    """The connection options, on the top parser (defaults from the environment)
    and again on each subcommand (so they may also follow the subcommand name)."""
    env = os.environ.get
    d = (lambda v: v) if top else (lambda v: argparse.SUPPRESS)
    c.add_argument("--target", default=d(env("ZX_PARTNER_TARGET")),
                   help="host:port of the gateway's mutual-TLS port, e.g. 127.0.0.1:8104")
    c.add_argument("--ca", default=d(env("ZX_PARTNER_CA")),
                   help="CA certificate (PEM) that signed the gateway's certificate")
    c.add_argument("--cert", default=d(env("ZX_PARTNER_CERT")),
                   help="your partner certificate (PEM, CN partner:<province>)")
    c.add_argument("--key", default=d(env("ZX_PARTNER_KEY")), help="its private key (PEM)")
    c.add_argument("--server-name", default=d(env("ZX_PARTNER_SERVER_NAME")),
                   help="TLS name the gateway must present, e.g. prefecture-653100000000.zx; "
                        "required when --target is an IP address")
    c.add_argument("--timeout", type=float, default=d(DEFAULT_TIMEOUT),
                   help=f"seconds per attempt (default {DEFAULT_TIMEOUT:g})")
    c.add_argument("--attempts", type=int, default=d(DEFAULT_ATTEMPTS), choices=range(1, 11),
                   metavar="N", help=f"attempts on UNAVAILABLE/DEADLINE_EXCEEDED, 1..10 "
                                     f"(default {DEFAULT_ATTEMPTS})")
    c.add_argument("--province", type=_regex_arg(DIVISION_RE, "12 digits"), default=d(None),
                   help="your province's code, e.g. 370000000000 (default: from the "
                        "certificate's CN partner:<province>)")
    c.add_argument("--quiet", action="store_true", default=d(False), help="no retry notes on stderr")


def build_parser():
    p = argparse.ArgumentParser(
        prog="zx_partner.py",
        description="Partner-province client (东西部协作) of a zhenxing federation gateway "
                    "(zx.federation.v1.PeerService over mutual TLS). Prints the answer as JSON.",
        epilog="Exit codes: 0 ok, 1 other error, 2 usage, 3 invalid argument / failed "
               "precondition / out of range, 4 permission denied / unauthenticated, "
               "5 unavailable / deadline exceeded (after the retries). "
               "Connection options default to $ZX_PARTNER_TARGET, _CA, _CERT, _KEY, _SERVER_NAME.")
    add_connection_options(p.add_argument_group("connection"), top=True)

    sub = p.add_subparsers(dest="command", metavar="command", required=True)

    j = sub.add_parser("post-job", help="publish a job of your employer (grant employment.job.post)",
                       description="Ensures your employer exists (PartnerUpsertEmployer: kind "
                                   "EMPLOYER_KIND_PARTNER_PROVINCE, division your province), then "
                                   "PartnerUpsertJob: a regular job located in your province "
                                   "(partner_province set). Prints {\"employer\": ..., \"job\": ...}.")
    j.add_argument("--employer-name", help="employer name (required unless --employer-id)")
    j.add_argument("--employer-id", help="an employer created before (em-...): skip its upsert")
    j.add_argument("--title", required=True, help="job title, e.g. 装配工")
    j.add_argument("--wage-fen", type=_positive_int, required=True,
                   help="monthly wage in fen (1 yuan = 100 fen), e.g. 560000 for 5,600 yuan")
    j.add_argument("--slots", type=_positive_int, required=True, help="positions open")
    j.add_argument("--required-skill", action="append", default=[], metavar="SKILL",
                   help="hard requirement (repeatable)")
    j.add_argument("--preferred-skill", action="append", default=[], metavar="SKILL",
                   help="counts toward skill fit (repeatable)")
    j.add_argument("--min-language-level", type=int, default=0, choices=range(0, 6), metavar="0..5",
                   help="national common language level required (default 0)")
    j.add_argument("--light-work", action="store_true", help="suits weak labour")
    j.add_argument("--closed", action="store_true", help="record the job closed (default open)")
    j.add_argument("--job-id", help="replace this job (jb-...) instead of creating one")
    j.add_argument("--request-id", type=check_request_id_arg,
                   help="request id of the job upsert (default: derived from the request)")

    o = sub.add_parser("place-order",
                       help="buy certified assistance products (grant consumption.order.submit)",
                       description="Ensures your buyer exists (PartnerUpsertBuyer: a partner company "
                                   "or agency in a division of your province), then "
                                   "PartnerSubmitOrder through CHANNEL_PARTNER_STORE. "
                                   "Prints {\"buyer\": ..., \"order\": ...}.")
    o.add_argument("--buyer-name", help="buyer name (required unless --buyer-id)")
    o.add_argument("--buyer-division", type=_regex_arg(DIVISION_RE, "12 digits"),
                   help="the buyer's division in your province, e.g. 370200000000 (青岛); "
                        "default: the province")
    o.add_argument("--buyer-kind", choices=sorted(BUYER_KINDS), default="company",
                   help="partner company (default) or partner agency")
    o.add_argument("--buyer-id", help="a buyer created before (by-...): skip its upsert")
    o.add_argument("--line", action="append", default=[], required=True,
                   metavar="PRODUCT_ID:QUANTITY", help="an order line (repeatable), e.g. pd-...:120")
    o.add_argument("--date", type=_regex_arg(DATE_RE, "a date YYYY-MM-DD"),
                   help="order date (default: today, on the server)")
    o.add_argument("--request-id", type=check_request_id_arg,
                   help="request id of the order (default: derived from the request)")

    g = sub.add_parser("get-order", help="read one of your orders back (grant consumption.order.submit)")
    g.add_argument("--order-id", required=True, help="or-...")

    r = sub.add_parser("report", help="read the gateway's agreed (approved) report "
                                      "(grant federation.report.read)")
    r.add_argument("--period", required=True, type=_regex_arg(PERIOD_RE, "a month YYYY-MM"),
                   help="month, YYYY-MM")
    for sp in (j, o, g, r):
        add_connection_options(sp.add_argument_group("connection (also accepted before the command)"),
                               top=False)
    return p


def run(args, out=sys.stdout, err_out=sys.stderr):
    """Runs parsed arguments; returns the exit code."""
    def usage(msg):
        print(f"zx_partner.py: error: {msg}", file=err_out)
        return EXIT_USAGE

    missing = [f"--{n.replace('_', '-')}" for n in ("target", "ca", "cert", "key")
               if not getattr(args, n)]
    if missing:
        return usage(f"missing {', '.join(missing)}")
    if args.timeout <= 0:
        return usage("--timeout must be positive")
    try:
        lines = parse_lines(getattr(args, "line", []))
    except ValueError as e:
        return usage(f"--line: {e}")
    province = args.province
    if args.command in ("post-job", "place-order") and not province:
        province = province_from_certificate(args.cert)
        if not province:
            return usage(f"--province is required: {args.cert} has no CN partner:<province>")
    if args.command == "post-job" and not (args.employer_name or args.employer_id):
        return usage("post-job needs --employer-name (or --employer-id)")
    if args.command == "place-order" and not (args.buyer_name or args.buyer_id):
        return usage("place-order needs --buyer-name (or --buyer-id)")

    log = None if args.quiet else (lambda m: print(f"zx_partner: {m}", file=err_out))
    kw = dict(timeout=args.timeout, attempts=args.attempts, log=log)
    grpc = _import_grpc()
    stub = None
    try:
        stub = connect(args.target, args.ca, args.cert, args.key, args.server_name)
        if args.command == "post-job":
            employer, job = post_job(
                stub, province, args.employer_name, args.title, args.wage_fen, args.slots,
                employer_id=args.employer_id, job_id=args.job_id,
                required_skills=args.required_skill, preferred_skills=args.preferred_skill,
                min_language_level=args.min_language_level, light_work=args.light_work,
                open_=not args.closed, request_id=args.request_id, **kw)
            result = {"employer": to_dict(employer) if employer is not None else None,
                      "job": to_dict(job)}
        elif args.command == "place-order":
            buyer, order = place_order(
                stub, province, lines, buyer_name=args.buyer_name,
                buyer_division=args.buyer_division, buyer_kind=args.buyer_kind,
                buyer_id=args.buyer_id, date=args.date, request_id=args.request_id, **kw)
            result = {"buyer": to_dict(buyer) if buyer is not None else None,
                      "order": to_dict(order)}
        elif args.command == "get-order":
            result = to_dict(get_order(stub, args.order_id, **kw))
        else:
            result = to_dict(get_report(stub, args.period, **kw))
    except UsageError as e:
        return usage(str(e))
    except grpc.RpcError as e:
        print(format_error(e), file=err_out)
        return exit_code_for(e.code())
    finally:
        if stub is not None:
            stub.channel.close()
    json.dump(result, out, ensure_ascii=False, indent=2, sort_keys=True)
    out.write("\n")
    return EXIT_OK


def main(argv=None):
    args = build_parser().parse_args(argv)  # exits 2 on bad usage
    try:
        return run(args)
    except ImportError as e:
        print(f"zx_partner.py: {e}", file=sys.stderr)
        return EXIT_OTHER


def _reexec_with_system_python():
    """On a machine whose first python3 lacks grpcio (e.g. pyenv) but Debian's
    /usr/bin/python3 has it, run there instead. ZX_PARTNER_NO_REEXEC=1 disables."""
    import importlib.util
    if importlib.util.find_spec("grpc") is not None:
        return
    system = "/usr/bin/python3"
    if (os.environ.get("ZX_PARTNER_NO_REEXEC") or not os.path.exists(system)
            or os.path.realpath(sys.executable) == os.path.realpath(system)):
        return
    os.environ["ZX_PARTNER_NO_REEXEC"] = "1"
    os.execv(system, [system] + sys.argv)


if __name__ == "__main__":
    _reexec_with_system_python()
    sys.exit(main())
