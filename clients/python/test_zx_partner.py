"""Offline tests of zx_partner (no zhenxing service needed).

    /usr/bin/python3 clients/python/test_zx_partner.py      (or: -m unittest -v from clients/python)

Unit tests: request-id derivation, --line parsing, rich-error decoding, exit
codes, retries. Loopback tests (skipped without openssl or tools/zxca): a fake
PeerService on 127.0.0.1 with mutual TLS, certificates from tools/zxca, driven
through the library and through the CLI as a subprocess. Stubs are generated
with generate.sh first when gen/ is missing.
"""
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import unittest.mock
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ZXCA = os.path.join(REPO, "tools", "zxca", "zxca")
sys.path.insert(0, HERE)
# The refusal tests make gRPC's core log its handshake errors; keep the output clean.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

try:
    import grpc  # noqa: E402
except ImportError:  # e.g. a pyenv python3 first on PATH: use Debian's, which has grpcio
    if __name__ == "__main__" and os.path.exists("/usr/bin/python3") \
            and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

import zx_partner as zp  # noqa: E402

PROVINCE = "370000000000"


def setUpModule():
    if not os.path.isdir(os.path.join(zp.GEN_DIR, "zx", "federation")):
        subprocess.run([os.path.join(HERE, "generate.sh")], check=True, stdout=subprocess.DEVNULL)
    zp.stubs()


class FakeRpcError(grpc.RpcError, grpc.Call):
    """What a failed unary call raises: code, details, trailing metadata."""

    def __init__(self, code, details="", trailers=()):
        self._code, self._details, self._trailers = code, details, tuple(trailers)

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False


def bad_request_trailers(code, message, violations):
    """The grpc-status-details-bin trailer the C++ services send (errors::ToGrpcStatus)."""
    s = zp.stubs()
    br = s.details.BadRequest(field_violations=[
        s.details.BadRequest.FieldViolation(field=f, description=d) for f, d in violations])
    st = s.status.Status(code=code.value[0], message=message)
    st.details.add().Pack(br)
    return ((zp.STATUS_DETAILS_KEY, st.SerializeToString()), ("x-request-id", "req-42"))


# ---- Unit tests ------------------------------------------------------------------------

class RequestIdTest(unittest.TestCase):
    def job_request(self, **job):
        pb = zp.stubs().employment
        fields = dict(employer_id="em-" + "a" * 20, title="装配工", monthly_wage_fen=560000,
                      slots=20, location_division_code=PROVINCE, partner_province=True)
        fields.update(job)
        return pb.UpsertJobRequest(job=pb.Job(**fields))

    def test_deterministic(self):
        m = "/zx.federation.v1.PeerService/PartnerUpsertJob"
        a = zp.derive_request_id("job", m, self.job_request())
        b = zp.derive_request_id("job", m, self.job_request())
        self.assertEqual(a, b)
        self.assertRegex(a, r"^zxp-job-[0-9a-f]{32}$")
        self.assertTrue(zp.REQUEST_ID_RE.match(a))

    def test_changes_with_inputs_kind_and_method(self):
        m = "/zx.federation.v1.PeerService/PartnerUpsertJob"
        base = zp.derive_request_id("job", m, self.job_request())
        for changed in (dict(slots=21), dict(monthly_wage_fen=560001), dict(title="焊工"),
                        dict(employer_id="em-" + "b" * 20), dict(light_work=True)):
            self.assertNotEqual(base, zp.derive_request_id("job", m, self.job_request(**changed)),
                                changed)
        self.assertNotEqual(base, zp.derive_request_id("job2", m, self.job_request()))
        self.assertNotEqual(base, zp.derive_request_id("job", m + "X", self.job_request()))

    def test_ignores_existing_request_id_and_leaves_request_alone(self):
        m = "/zx.federation.v1.PeerService/PartnerUpsertJob"
        r = self.job_request()
        r.request_id = "something-else"
        self.assertEqual(zp.derive_request_id("job", m, r),
                         zp.derive_request_id("job", m, self.job_request()))
        self.assertEqual(r.request_id, "something-else")

    def test_order_lines_matter(self):
        pb = zp.stubs().consumption
        m = "/zx.federation.v1.PeerService/PartnerSubmitOrder"

        def order(lines, date=""):
            return pb.SubmitOrderRequest(buyer_id="by-1", channel=pb.CHANNEL_PARTNER_STORE, date=date,
                                         lines=[pb.SubmitOrderRequest.Line(product_id=p, quantity=q)
                                                for p, q in lines])
        a = zp.derive_request_id("order", m, order([("pd-1", 120)]))
        self.assertEqual(a, zp.derive_request_id("order", m, order([("pd-1", 120)])))
        self.assertNotEqual(a, zp.derive_request_id("order", m, order([("pd-1", 121)])))
        self.assertNotEqual(a, zp.derive_request_id("order", m, order([("pd-1", 120)], "2026-11-02")))

    def test_check_request_id(self):
        self.assertEqual(zp.check_request_id("po-2026-0001"), "po-2026-0001")
        for bad in ("", "has space", "x" * 129, "中文"):
            with self.assertRaises(zp.UsageError, msg=bad):
                zp.check_request_id(bad)


class LineParsingTest(unittest.TestCase):
    def test_good(self):
        self.assertEqual(zp.parse_line("pd-0123456789abcdef0123:120"),
                         ("pd-0123456789abcdef0123", 120))
        self.assertEqual(zp.parse_lines(["a:1", "b:2"]), [("a", 1), ("b", 2)])

    def test_bad(self):
        for bad in ("pd-1", "pd-1:", ":3", "pd-1:0", "pd-1:-1", "pd-1:abc", "pd-1:1.5",
                    "pd-1:1:2", "pd 1:2", " pd-1:2", "pd-1: 2", "pd-1:+2", "pd-1:1e3",
                    f"pd-1:{2**63}", ""):
            with self.assertRaises(ValueError, msg=repr(bad)):
                zp.parse_line(bad)

    def test_duplicate_product_refused(self):
        with self.assertRaisesRegex(ValueError, "twice"):
            zp.parse_lines(["pd-1:1", "pd-2:1", "pd-1:3"])

    def test_cli_bad_line_is_usage_error(self):
        err = io.StringIO()
        args = zp.build_parser().parse_args(
            ["--target", "127.0.0.1:1", "--ca", "x", "--cert", "x", "--key", "x",
             "--server-name", "n", "place-order", "--buyer-name", "b", "--line", "pd-1:zero"])
        self.assertEqual(zp.run(args, out=io.StringIO(), err_out=err), zp.EXIT_USAGE)
        self.assertIn("--line", err.getvalue())

    def test_cli_missing_line_exits_2(self):
        with self.assertRaises(SystemExit) as cm, \
                unittest.mock.patch("sys.stderr", io.StringIO()):
            zp.build_parser().parse_args(["place-order", "--buyer-name", "b"])
        self.assertEqual(cm.exception.code, 2)


class ErrorFormattingTest(unittest.TestCase):
    def test_decodes_bad_request(self):
        trailers = bad_request_trailers(
            grpc.StatusCode.INVALID_ARGUMENT, "job.monthly_wage_fen: must be 1..10,000,000 fen",
            [("job.monthly_wage_fen", "must be 1..10,000,000 fen"), ("job.slots", "must be 1..100,000")])
        err = FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT,
                           "job.monthly_wage_fen: must be 1..10,000,000 fen", trailers)
        err.zx_method, err.zx_request_id = "PartnerUpsertJob", "zxp-job-1"
        st = zp.rich_status(err)
        self.assertIsNotNone(st)
        self.assertEqual(st.code, 3)
        self.assertEqual(zp.field_violations(err), [
            ("job.monthly_wage_fen", "must be 1..10,000,000 fen"), ("job.slots", "must be 1..100,000")])
        text = zp.format_error(err)
        self.assertIn("PartnerUpsertJob failed: INVALID_ARGUMENT: job.monthly_wage_fen", text)
        self.assertIn("\n  field job.monthly_wage_fen: must be 1..10,000,000 fen", text)
        self.assertIn("\n  field job.slots: must be 1..100,000", text)
        self.assertIn("request_id: zxp-job-1", text)
        self.assertIn("x-request-id: req-42", text)

    def test_other_details_and_unknown_any(self):
        s = zp.stubs()
        st = s.status.Status(code=9, message="stock short")
        st.details.add().Pack(s.details.PreconditionFailure(violations=[
            s.details.PreconditionFailure.Violation(type="STOCK", subject="pd-1",
                                                    description="3 left")]))
        st.details.add().Pack(s.details.ErrorInfo(reason="NO_PARTNERSHIP", domain="zx",
                                                  metadata={"province": "37"}))
        st.details.add().Pack(s.consumption.GetOrderRequest(order_id="x"))  # not a known detail
        err = FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "stock short",
                           [(zp.STATUS_DETAILS_KEY, st.SerializeToString())])
        lines = zp.describe_details(zp.rich_status(err))
        self.assertEqual(lines[0], "precondition STOCK pd-1: 3 left")
        self.assertEqual(lines[1], "reason NO_PARTNERSHIP (zx) province=37")
        self.assertTrue(lines[2].startswith("detail type.googleapis.com/zx.consumption.v1.GetOrderRequest"))

    def test_without_or_with_garbage_details(self):
        err = FakeRpcError(grpc.StatusCode.NOT_FOUND, "order or-1 not found")
        self.assertIsNone(zp.rich_status(err))
        self.assertEqual(zp.field_violations(err), [])
        self.assertIn("NOT_FOUND: order or-1 not found", zp.format_error(err))
        garbage = FakeRpcError(grpc.StatusCode.INTERNAL, "x", [(zp.STATUS_DETAILS_KEY, b"\xff\xff\xff")])
        self.assertIsNone(zp.rich_status(garbage))
        self.assertIn("INTERNAL: x", zp.format_error(garbage))


class ExitCodeTest(unittest.TestCase):
    def test_mapping(self):
        S = grpc.StatusCode
        expected = {S.INVALID_ARGUMENT: 3, S.FAILED_PRECONDITION: 3, S.OUT_OF_RANGE: 3,
                    S.PERMISSION_DENIED: 4, S.UNAUTHENTICATED: 4,
                    S.UNAVAILABLE: 5, S.DEADLINE_EXCEEDED: 5,
                    S.NOT_FOUND: 1, S.ALREADY_EXISTS: 1, S.INTERNAL: 1, S.UNKNOWN: 1,
                    S.RESOURCE_EXHAUSTED: 1, S.ABORTED: 1, S.CANCELLED: 1, S.DATA_LOSS: 1}
        for code, want in expected.items():
            self.assertEqual(zp.exit_code_for(code), want, code)
        self.assertEqual(len({zp.EXIT_OK, zp.EXIT_OTHER, zp.EXIT_USAGE, zp.EXIT_INVALID,
                              zp.EXIT_DENIED, zp.EXIT_UNAVAILABLE}), 6)

    def test_usage_errors(self):
        p = zp.build_parser()
        conn = ["--ca", "x", "--cert", "x", "--key", "x"]
        cases = [
            ["--target", "127.0.0.1:1", *conn, "report", "--period", "2026-11"],  # no --server-name
            ["--target", "nonsense", *conn, "report", "--period", "2026-11"],
            [*conn, "report", "--period", "2026-11"],  # no --target
            ["--target", "localhost:1", "--ca", "/nonexistent/ca.crt", "--cert", "x", "--key", "x",
             "report", "--period", "2026-11"],
            ["--target", "localhost:1", *conn, "--province", "370000000000", "post-job",
             "--title", "t", "--wage-fen", "1", "--slots", "1"],  # no employer
            ["--target", "localhost:1", *conn, "--province", "370200000000", "post-job",
             "--employer-name", "e", "--title", "t", "--wage-fen", "1", "--slots", "1"],  # not a province
        ]
        for argv in cases:
            err = io.StringIO()
            self.assertEqual(zp.run(p.parse_args(argv), out=io.StringIO(), err_out=err),
                             zp.EXIT_USAGE, argv)
            self.assertIn("error:", err.getvalue())
        for argv in (["report", "--period", "2026-13"], ["post-job", "--title", "t", "--wage-fen", "0",
                                                          "--slots", "1"],
                     ["place-order", "--line", "a:1", "--request-id", "has space"]):
            with self.assertRaises(SystemExit) as cm, unittest.mock.patch("sys.stderr", io.StringIO()):
                p.parse_args(argv)
            self.assertEqual(cm.exception.code, 2, argv)


class RetryTest(unittest.TestCase):
    def test_retries_unavailable_with_same_request_then_succeeds(self):
        seen, sleeps = [], []

        class Stub:
            def PartnerSubmitOrder(self, request, timeout):
                seen.append((request.request_id, timeout))
                if len(seen) < 3:
                    raise FakeRpcError(grpc.StatusCode.UNAVAILABLE if len(seen) == 1
                                       else grpc.StatusCode.DEADLINE_EXCEEDED, "down")
                return "ok"
        req = zp.stubs().consumption.SubmitOrderRequest(request_id="zxp-order-1")
        self.assertEqual(zp.call(Stub(), "PartnerSubmitOrder", req, timeout=4, sleep=sleeps.append), "ok")
        self.assertEqual(seen, [("zxp-order-1", 4)] * 3)
        self.assertEqual(len(sleeps), 2)
        self.assertTrue(0 < sleeps[0] <= zp.BACKOFF_INITIAL and sleeps[1] <= 2 * zp.BACKOFF_INITIAL)

    def test_bounded(self):
        n = []

        class Stub:
            def GetAgreedReport(self, request, timeout):
                n.append(1)
                raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "down")
        with self.assertRaises(grpc.RpcError) as cm:
            zp.call(Stub(), "GetAgreedReport", zp.stubs().federation.GetAgreedReportRequest(),
                    sleep=lambda s: None)
        self.assertEqual(len(n), 3)
        self.assertEqual(cm.exception.zx_attempts, 3)

    def test_no_retry_on_other_codes(self):
        for code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED,
                     grpc.StatusCode.INTERNAL, grpc.StatusCode.ABORTED):
            n = []

            class Stub:
                def PartnerGetOrder(self, request, timeout):
                    n.append(1)
                    raise FakeRpcError(code, "no")
            with self.assertRaises(grpc.RpcError):
                zp.call(Stub(), "PartnerGetOrder", zp.stubs().consumption.GetOrderRequest(),
                        sleep=lambda s: self.fail("slept"))
            self.assertEqual(len(n), 1, code)

    def test_backoff_is_bounded(self):
        for attempt in range(1, 20):
            d = zp.backoff_delay(attempt)
            self.assertTrue(0 < d <= zp.BACKOFF_MAX, (attempt, d))


# ---- Loopback tests: a fake gateway with mutual TLS -----------------------------------------

def _servicer_class():
    s = zp.stubs()
    emp, con, fed = s.employment, s.consumption, s.federation

    class FakePeer(s.federation_grpc.PeerServiceServicer):
        """Answers like the gateway: idempotent on request_id, INVALID_ARGUMENT with
        BadRequest details, UNAVAILABLE for the first `fail_first` calls."""

        def __init__(self):
            self.calls, self.done, self.fail_first, self.peers = [], {}, 0, []

        def _enter(self, context, name, request):
            self.calls.append((name, request))
            cn = dict(context.auth_context()).get("x509_common_name") or [b""]
            self.peers.append(cn[0].decode())
            if self.fail_first > 0:
                self.fail_first -= 1
                context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
            return self.done.get(getattr(request, "request_id", None))

        def _invalid(self, context, violations):
            msg = "; ".join(f"{f}: {d}" for f, d in violations)
            context.set_trailing_metadata(bad_request_trailers(
                grpc.StatusCode.INVALID_ARGUMENT, msg, violations)[:1])
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, msg)

        def _id(self, prefix):
            return f"{prefix}-{len(self.done):020x}"

        def PartnerUpsertEmployer(self, request, context):
            if (r := self._enter(context, "PartnerUpsertEmployer", request)) is not None:
                return r
            e = emp.Employer()
            e.CopyFrom(request.employer)
            e.employer_id = self._id("em")
            self.done[request.request_id] = e
            return e

        def PartnerUpsertJob(self, request, context):
            if (r := self._enter(context, "PartnerUpsertJob", request)) is not None:
                return r
            if request.job.monthly_wage_fen > 10_000_000:
                self._invalid(context, [("job.monthly_wage_fen", "must be 1..10,000,000 fen")])
            j = emp.Job()
            j.CopyFrom(request.job)
            j.job_id = self._id("jb")
            self.done[request.request_id] = j
            return j

        def PartnerUpsertBuyer(self, request, context):
            if (r := self._enter(context, "PartnerUpsertBuyer", request)) is not None:
                return r
            b = con.Buyer()
            b.CopyFrom(request.buyer)
            b.buyer_id = self._id("by")
            self.done[request.request_id] = b
            return b

        def PartnerSubmitOrder(self, request, context):
            if (r := self._enter(context, "PartnerSubmitOrder", request)) is not None:
                return r
            o = con.Order(order_id=self._id("or"), buyer_id=request.buyer_id,
                          channel=request.channel, status=con.ORDER_STATUS_PLACED)
            for i, line in enumerate(request.lines):
                o.lines.add(line_id=f"ol-{i:020x}", product_id=line.product_id,
                            quantity=line.quantity, unit_price_fen=2400,
                            amount_fen=2400 * line.quantity)
            o.total_fen = sum(x.amount_fen for x in o.lines)
            self.done[request.request_id] = o
            return o

        def PartnerGetOrder(self, request, context):
            self._enter(context, "PartnerGetOrder", request)
            for o in self.done.values():
                if isinstance(o, con.Order) and o.order_id == request.order_id:
                    return o
            context.abort(grpc.StatusCode.NOT_FOUND, f"order {request.order_id} not found")

        def GetAgreedReport(self, request, context):
            self._enter(context, "GetAgreedReport", request)
            if request.period != "2026-10":
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "partner 370000000000 lacks grant")
            return fed.Report(division_code="653100000000", period=request.period, revision=1,
                              approval=fed.APPROVAL_STATE_APPROVED)

    return FakePeer


@unittest.skipUnless(shutil.which("openssl") and os.access(ZXCA, os.X_OK),
                     "needs openssl and tools/zxca/zxca")
class LoopbackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zx_partner_test.")
        pki = os.path.join(cls.tmp, "pki")
        other = os.path.join(cls.tmp, "other")
        run = lambda *a: subprocess.run([ZXCA, *a], check=True, capture_output=True)  # noqa: E731
        run("init", pki)
        run("issue", pki, "prefecture", "653100000000")
        run("issue", pki, "partner", PROVINCE)
        run("init", other)
        run("issue", other, "partner", PROVINCE)
        cls.ca = os.path.join(pki, "ca.crt")
        cls.cert = os.path.join(pki, f"partner-{PROVINCE}.crt")
        cls.key = os.path.join(pki, f"partner-{PROVINCE}.key")
        cls.foreign_cert = os.path.join(other, f"partner-{PROVINCE}.crt")
        cls.foreign_key = os.path.join(other, f"partner-{PROVINCE}.key")
        read = lambda p: pathlib.Path(p).read_bytes()  # noqa: E731
        creds = grpc.ssl_server_credentials(
            [(read(os.path.join(pki, "prefecture-653100000000.key")),
              read(os.path.join(pki, "prefecture-653100000000.crt")))],
            root_certificates=read(cls.ca), require_client_auth=True)
        cls.fake = _servicer_class()()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        zp.stubs().federation_grpc.add_PeerServiceServicer_to_server(cls.fake, cls.server)
        cls.port = cls.server.add_secure_port("127.0.0.1:0", creds)
        cls.server.start()
        cls.target = f"127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.fake.calls.clear()
        self.fake.fail_first = 0

    def stub(self, server_name="prefecture-653100000000.zx", cert=None, key=None):
        s = zp.connect(self.target, self.ca, cert or self.cert, key or self.key, server_name)
        self.addCleanup(s.channel.close)
        return s

    def test_province_from_certificate(self):
        self.assertEqual(zp.province_from_certificate(self.cert), PROVINCE)
        self.assertIsNone(zp.province_from_certificate(self.ca))
        self.assertIsNone(zp.province_from_certificate("/nonexistent"))

    def test_post_job_sends_partner_records_and_is_idempotent(self):
        stub = self.stub()
        employer, job = zp.post_job(stub, PROVINCE, "青岛示范电子厂", "装配工", 560000, 20,
                                    required_skills=["普通话"], sleep=lambda s: None)
        (n1, ereq), (n2, jreq) = self.fake.calls
        self.assertEqual((n1, n2), ("PartnerUpsertEmployer", "PartnerUpsertJob"))
        emp = zp.stubs().employment
        self.assertEqual(ereq.employer.kind, emp.EMPLOYER_KIND_PARTNER_PROVINCE)
        self.assertEqual((ereq.employer.division_code, ereq.employer.partner_province), (PROVINCE, "37"))
        self.assertEqual(jreq.job.employer_id, employer.employer_id)
        self.assertEqual((jreq.job.location_division_code, jreq.job.partner_province), (PROVINCE, True))
        self.assertEqual((jreq.job.kind, jreq.job.monthly_wage_fen, jreq.job.slots, jreq.job.open),
                         (emp.JOB_KIND_REGULAR, 560000, 20, True))
        self.assertTrue(ereq.request_id.startswith("zxp-employer-"))
        self.assertTrue(jreq.request_id.startswith("zxp-job-"))
        self.assertIn(f"partner:{PROVINCE}", self.fake.peers)  # the certificate reached the server
        # The same command again: same request ids, so the same employer and job come back.
        employer2, job2 = zp.post_job(stub, PROVINCE, "青岛示范电子厂", "装配工", 560000, 20,
                                      required_skills=["普通话"])
        self.assertEqual((employer2.employer_id, job2.job_id), (employer.employer_id, job.job_id))
        self.assertEqual([c[1].request_id for c in self.fake.calls[2:]],
                         [ereq.request_id, jreq.request_id])

    def test_retry_over_the_wire_keeps_request_id(self):
        self.fake.fail_first = 2
        _, order = zp.place_order(self.stub(), PROVINCE, [("pd-1", 120)], buyer_name="青岛公司",
                                  buyer_division="370200000000", sleep=lambda s: None)
        names = [c[0] for c in self.fake.calls]
        self.assertEqual(names, ["PartnerUpsertBuyer"] * 3 + ["PartnerSubmitOrder"])
        self.assertEqual(len({c[1].request_id for c in self.fake.calls[:3]}), 1)
        self.assertEqual(order.channel, zp.stubs().consumption.CHANNEL_PARTNER_STORE)
        buyer_req = self.fake.calls[0][1]
        self.assertEqual(buyer_req.buyer.kind, zp.stubs().consumption.BUYER_KIND_PARTNER_COMPANY)
        self.assertEqual(buyer_req.buyer.division_code, "370200000000")

    def test_wrong_server_name_is_refused(self):
        with self.assertRaises(grpc.RpcError) as cm:
            zp.get_report(self.stub("prefecture-653122000000.zx"), "2026-10", attempts=1, timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(self.fake.calls, [])

    def test_foreign_client_certificate_is_refused(self):
        with self.assertRaises(grpc.RpcError) as cm:
            zp.get_report(self.stub(cert=self.foreign_cert, key=self.foreign_key), "2026-10",
                          attempts=1, timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(self.fake.calls, [])

    # ---- the CLI as a subprocess (how the end-to-end test calls it) ----

    def cli(self, *argv):
        conn = ["--target", self.target, "--ca", self.ca, "--cert", self.cert, "--key", self.key,
                "--server-name", "prefecture-653100000000.zx", "--timeout", "5"]
        p = subprocess.run([sys.executable, os.path.join(HERE, "zx_partner.py"), *conn, *argv],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_cli_post_job_place_order_get_order_report(self):
        rc, out, err = self.cli("post-job", "--employer-name", "青岛示范电子厂", "--title", "装配工",
                                "--wage-fen", "560000", "--slots", "20")
        self.assertEqual(rc, 0, err)
        res = json.loads(out)
        self.assertEqual(res["employer"]["kind"], "EMPLOYER_KIND_PARTNER_PROVINCE")
        self.assertEqual(res["job"]["monthly_wage_fen"], "560000")  # int64: a JSON string
        self.assertEqual(res["job"]["slots"], 20)
        self.assertIs(res["job"]["partner_province"], True)

        rc, out, err = self.cli("place-order", "--buyer-name", "青岛示范食品公司",
                                "--buyer-division", "370200000000",
                                "--line", "pd-00000000000000000001:120", "--line", "pd-2:3")
        self.assertEqual(rc, 0, err)
        order = json.loads(out)["order"]
        self.assertEqual(order["channel"], "CHANNEL_PARTNER_STORE")
        self.assertEqual([(l["product_id"], l["quantity"]) for l in order["lines"]],
                         [("pd-00000000000000000001", "120"), ("pd-2", "3")])

        rc, out, err = self.cli("get-order", "--order-id", order["order_id"])
        self.assertEqual((rc, json.loads(out)["order_id"]), (0, order["order_id"]), err)
        rc, out, err = self.cli("report", "--period", "2026-10")
        self.assertEqual((rc, json.loads(out)["approval"]), (0, "APPROVAL_STATE_APPROVED"), err)

    def test_cli_errors_and_exit_codes(self):
        rc, out, err = self.cli("post-job", "--employer-name", "e", "--title", "t",
                                "--wage-fen", "99999999", "--slots", "1")
        self.assertEqual((rc, out), (3, ""))
        self.assertIn("PartnerUpsertJob failed: INVALID_ARGUMENT", err)
        self.assertIn("field job.monthly_wage_fen: must be 1..10,000,000 fen", err)
        self.assertIn("request_id: zxp-job-", err)
        rc, out, err = self.cli("report", "--period", "2026-09")
        self.assertEqual((rc, out), (4, ""))
        self.assertIn("PERMISSION_DENIED", err)
        rc, _, err = self.cli("get-order", "--order-id", "or-missing")
        self.assertEqual(rc, 1)
        self.assertIn("NOT_FOUND", err)


class ClosedPortTest(unittest.TestCase):
    def test_unavailable_exits_5_quickly(self):
        pki = tempfile.mkdtemp(prefix="zx_partner_closed.")
        self.addCleanup(shutil.rmtree, pki, True)
        if not (shutil.which("openssl") and os.access(ZXCA, os.X_OK)):
            self.skipTest("needs openssl and tools/zxca/zxca")
        subprocess.run([ZXCA, "init", pki], check=True, capture_output=True)
        subprocess.run([ZXCA, "issue", pki, "partner", PROVINCE], check=True, capture_output=True)
        start = time.monotonic()
        p = subprocess.run(
            [sys.executable, os.path.join(HERE, "zx_partner.py"), "--target", "127.0.0.1:1",
             "--ca", os.path.join(pki, "ca.crt"), "--cert", os.path.join(pki, f"partner-{PROVINCE}.crt"),
             "--key", os.path.join(pki, f"partner-{PROVINCE}.key"),
             "--server-name", "prefecture-653100000000.zx",
             "get-order", "--order-id", "or-1"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("UNAVAILABLE", p.stderr)
        self.assertIn("attempts: 3", p.stderr)
        self.assertEqual(p.stderr.count("retrying"), 2)
        self.assertLess(time.monotonic() - start, 10)


if __name__ == "__main__":
    unittest.main()
