#!/usr/bin/python3
"""Every service binary, driven by an independent client (Python grpcio).

Starts the five service binaries against the test stack's PostgreSQL and
Redis, then checks from outside: grpc.health.v1 SERVING, ServiceInfo, rich
INVALID_ARGUMENT details naming the field (decoded from the standard
grpc-status-details-bin trailer), idempotent creation, /metrics, and a
graceful SIGTERM (exit 0).
"""
import argparse
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "py"))
import zx_grpc  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "harness"))
from stack_env import read_env  # noqa: E402

ARGS = None
SERVICES = ["monitoring", "assets", "employment", "consumption", "federation"]
COUNTY_TOKEN = "dev.653121.county_official.pytest"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.grpc = zx_grpc.setup(os.path.dirname(ARGS.python_dir))
        env = read_env(os.environ["ZX_TEST_STACK_ENV"])
        pg = env["ZX_TEST_PG"]
        subprocess.run(["psql", pg, "-q", "-c", "DROP DATABASE IF EXISTS py_client WITH (FORCE)",
                        "-c", "CREATE DATABASE py_client"], check=True)
        # Signed Ed25519 tokens: a key made with the operators' tool.
        cls.keydir = tempfile.mkdtemp(prefix="zx-keys-")
        cls.keys = os.path.join(cls.keydir, "token-keys")
        secret = os.path.join(cls.keydir, "k1.secret")
        token_tool = os.path.join(ARGS.bin_dir, "zx-token")
        subprocess.run([token_tool, "keygen", "--kid", "k1", "--secret-file", secret,
                        "--public-file", cls.keys], check=True)
        cls.signed_token = subprocess.run(
            [token_tool, "sign", "--kid", "k1", "--secret-file", secret, "--user", "ayxam",
             "--role", "township_official", "--division", "653121101", "--audience", "pytest",
             "--ttl-minutes", "10"], check=True, capture_output=True, text=True).stdout.strip()
        cls.foreign_token = subprocess.run(
            [token_tool, "sign", "--kid", "k1", "--secret-file", secret, "--user", "ayxam",
             "--role", "township_official", "--division", "653121101", "--audience", "shule"],
            check=True, capture_output=True, text=True).stdout.strip()
        cls.procs, cls.ports = {}, {}
        # Runs even when setUpClass fails, so no server outlives the test.
        cls.addClassCleanup(cls.stop_all)
        for svc in SERVICES:
            grpc_port, metrics_port = free_port(), free_port()
            cls.ports[svc] = (grpc_port, metrics_port)
            cls.procs[svc] = subprocess.Popen([
                os.path.join(ARGS.bin_dir, "zx-" + svc), "--instance", "pytest",
                "--division", "653121000000", "--grpc-port", str(grpc_port),
                "--metrics-port", str(metrics_port), "--pg", pg + " dbname=py_client",
                "--redis", "127.0.0.1:" + env["ZX_TEST_REDIS_PORT"],
                "--redis-namespace", "zx:pytest", "--allow-dev-tokens", "--log-level", "warn",
                "--token-keys", cls.keys])
        from grpc.health.v1 import health_pb2, health_pb2_grpc
        deadline = time.time() + 60
        for svc in SERVICES:
            stub = health_pb2_grpc.HealthStub(
                zx_grpc.channel(cls.grpc, "127.0.0.1:%d" % cls.ports[svc][0]))
            while True:
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                            health_pb2.HealthCheckResponse.SERVING:
                        break
                except cls.grpc.RpcError:
                    pass
                if time.time() > deadline or cls.procs[svc].poll() is not None:
                    raise RuntimeError("zx-%s did not become SERVING" % svc)
                time.sleep(0.2)

    @classmethod
    def stop_all(cls):
        shutil.rmtree(getattr(cls, "keydir", "/nonexistent"), ignore_errors=True)
        for p in cls.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def channel(self, svc):
        return zx_grpc.channel(self.grpc, "127.0.0.1:%d" % self.ports[svc][0])

    def test_1_health_of_every_service(self):
        from grpc.health.v1 import health_pb2, health_pb2_grpc
        for svc in SERVICES:
            stub = health_pb2_grpc.HealthStub(self.channel(svc))
            name = "zx.%s.v1.%sService" % (svc, svc.capitalize())
            for service in ("", name):
                resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
                self.assertEqual(resp.status, health_pb2.HealthCheckResponse.SERVING, (svc, service))

    def test_2_service_info(self):
        from zx.common.v1 import types_pb2, types_pb2_grpc
        for svc in SERVICES:
            stub = types_pb2_grpc.ServiceInfoStub(self.channel(svc))
            info = stub.GetServiceInfo(types_pb2.GetServiceInfoRequest(), timeout=5,
                                       metadata=[("authorization", "Bearer dev.653121.operator.op")])
            self.assertEqual(info.service, svc)
            self.assertEqual(info.instance, "pytest")
            self.assertEqual(info.division_code, "653121000000")
            self.assertEqual(info.level, types_pb2.LEVEL_COUNTY)
            self.assertTrue(info.version)
        with self.assertRaises(self.grpc.RpcError) as cm:
            types_pb2_grpc.ServiceInfoStub(self.channel("assets")).GetServiceInfo(
                types_pb2.GetServiceInfoRequest(), timeout=5)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.UNAUTHENTICATED)

    def test_3_invalid_argument_names_the_field(self):
        from zx.monitoring.v1 import monitoring_pb2, monitoring_pb2_grpc
        from google.rpc import status_pb2, error_details_pb2
        stub = monitoring_pb2_grpc.MonitoringServiceStub(self.channel("monitoring"))
        req = monitoring_pb2.CreateHouseholdRequest(
            request_id="py-bad-1",
            household=monitoring_pb2.Household(
                village_code="6531211012", member_count=3,
                category=monitoring_pb2.HOUSEHOLD_CATEGORY_ORDINARY))
        with self.assertRaises(self.grpc.RpcError) as cm:
            stub.CreateHousehold(req, timeout=5, metadata=[("authorization", "Bearer " + COUNTY_TOKEN)])
        err = cm.exception
        self.assertEqual(err.code(), self.grpc.StatusCode.INVALID_ARGUMENT)
        details = dict(err.trailing_metadata()).get("grpc-status-details-bin")
        self.assertIsNotNone(details, "rich error trailer present")
        status = status_pb2.Status.FromString(details)
        self.assertEqual(status.code, 3)
        bad = error_details_pb2.BadRequest()
        self.assertTrue(status.details[0].Unpack(bad))
        fields = [v.field for v in bad.field_violations]
        self.assertEqual(fields, ["household.village_code"])
        self.assertIn("12", bad.field_violations[0].description)

    def test_4_repeated_request_returns_first_result(self):
        from zx.monitoring.v1 import monitoring_pb2, monitoring_pb2_grpc
        stub = monitoring_pb2_grpc.MonitoringServiceStub(self.channel("monitoring"))
        req = monitoring_pb2.CreateHouseholdRequest(
            request_id="py-once-1",
            household=monitoring_pb2.Household(
                village_code="653121101201", member_count=3, synthetic=True,
                category=monitoring_pb2.HOUSEHOLD_CATEGORY_ORDINARY))
        md = [("authorization", "Bearer " + COUNTY_TOKEN)]
        first = stub.CreateHousehold(req, timeout=5, metadata=md)
        again = stub.CreateHousehold(req, timeout=5, metadata=md)
        self.assertEqual(first.household_id, again.household_id)
        listed = stub.ListHouseholds(monitoring_pb2.ListHouseholdsRequest(division_code="653121101"),
                                     timeout=5, metadata=md)
        self.assertEqual([h.household_id for h in listed.households], [first.household_id])

    def test_4b_signed_tokens(self):
        from zx.monitoring.v1 import monitoring_pb2, monitoring_pb2_grpc
        stub = monitoring_pb2_grpc.MonitoringServiceStub(self.channel("monitoring"))
        listed = stub.ListHouseholds(
            monitoring_pb2.ListHouseholdsRequest(division_code="653121101"), timeout=5,
            metadata=[("authorization", "Bearer " + self.signed_token)])
        self.assertGreaterEqual(len(listed.households), 1)
        # The township official may not list the whole county.
        with self.assertRaises(self.grpc.RpcError) as cm:
            stub.ListHouseholds(monitoring_pb2.ListHouseholdsRequest(division_code="653121"),
                                timeout=5, metadata=[("authorization", "Bearer " + self.signed_token)])
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.PERMISSION_DENIED)
        # A token for another instance, or a tampered one, is refused.
        for token in (self.foreign_token, self.signed_token[:-3] + "AAA"):
            with self.assertRaises(self.grpc.RpcError) as cm:
                stub.ListHouseholds(monitoring_pb2.ListHouseholdsRequest(division_code="653121101"),
                                    timeout=5, metadata=[("authorization", "Bearer " + token)])
            self.assertEqual(cm.exception.code(), self.grpc.StatusCode.UNAUTHENTICATED)

    def test_5_metrics_exported(self):
        text = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % self.ports["monitoring"][1], timeout=5).read().decode()
        self.assertRegex(text, r'grpc_server_handled_total\{[^}]*grpc_code="INVALID_ARGUMENT"[^}]*'
                               r'grpc_method="CreateHousehold"')
        self.assertIn("grpc_server_handling_seconds_bucket", text)
        self.assertIn("zx_pg_pool_connections", text)
        self.assertIn("zx_events_relayed_total", text)
        for svc in SERVICES:
            urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.ports[svc][1], timeout=5)

    def test_9_sigterm_drains_and_exits_zero(self):
        for svc in SERVICES:
            self.procs[svc].send_signal(signal.SIGTERM)
        for svc in SERVICES:
            self.assertEqual(self.procs[svc].wait(timeout=30), 0, svc)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--python-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
