#!/usr/bin/python3
"""Tests of the scripts the Kubernetes manifests run inside the containers:

  * deploy/docker/zx-grpc-health (the exec probes): against a grpcio
    grpc.health.v1 server on loopback (Debian's python3-grpcio, the same
    gRPC core 1.51 as the services): SERVING passes; NOT_SERVING, an unknown
    service, no listener and a non-gRPC listener fail;
  * the migration Job's script (k8s/base/migrations.yaml) with a stand-in
    service: it succeeds once the service serves (and stops it with SIGTERM),
    and fails when the service exits before serving.

    /usr/bin/python3 tests/ops/k8s/test_deploy_scripts.py [-v]

Everything listens on 127.0.0.1 only and stops by itself.
"""
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PROBE = os.path.join(REPO, "deploy", "docker", "zx-grpc-health")

try:
    import grpc  # noqa: F401
    from concurrent import futures
    HAVE_GRPC = True
except ImportError:
    HAVE_GRPC = False

# A grpc.health.v1 server without generated stubs: requests and responses
# are raw bytes (HealthCheckRequest{service}: 0a <len> <name>;
# HealthCheckResponse{status}: 08 <status>).
FAKE_SERVICE = textwrap.dedent("""\
    import os, signal, sys, time
    # Blocked before any thread starts, so that sigwait takes them (as the
    # services do).
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    from concurrent import futures
    import grpc
    mode = os.environ.get("FAKE_MODE", "serve")
    if mode == "fail":
        print("invalid configuration", file=sys.stderr)
        sys.exit(2)
    if mode == "exit0":
        sys.exit(0)
    status = {"": int(os.environ.get("FAKE_STATUS", "1")), "zx.fake.v1.Fake": 1}
    def check(req, ctx):
        name = req[2:2 + req[1]].decode() if req else ""
        if name not in status:
            ctx.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return bytes([0x08, status[name]])
    handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(check)})
    time.sleep(float(os.environ.get("FAKE_DELAY", "0")))  # "migrations"
    server = grpc.server(futures.ThreadPoolExecutor(2), handlers=[handler])
    server.add_insecure_port("127.0.0.1:" + os.environ["ZX_GRPC_PORT"])
    server.start()
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    server.stop(0)
    sys.exit(0)
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(port, *args):
    return subprocess.run([PROBE, str(port)] + list(args), capture_output=True, timeout=30).returncode


class FakeService:
    """The stand-in service as a child process, stopped at exit."""

    def __init__(self, testcase, **env):
        fd, self.script = tempfile.mkstemp(suffix=".py")
        with os.fdopen(fd, "w") as f:
            f.write("#!%s\n%s" % (sys.executable, FAKE_SERVICE))
        os.chmod(self.script, 0o755)
        testcase.addCleanup(os.unlink, self.script)
        self.port = free_port()
        self.env = dict(os.environ, ZX_GRPC_PORT=str(self.port), **env)

    def start(self, testcase):
        proc = subprocess.Popen([self.script], env=self.env)
        testcase.addCleanup(_stop, proc)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return proc


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@unittest.skipUnless(HAVE_GRPC, "python3-grpcio not installed")
class GrpcHealthProbeTest(unittest.TestCase):
    def test_serving(self):
        fake = FakeService(self)
        fake.start(self)
        self.assertEqual(probe(fake.port), 0)
        self.assertEqual(probe(fake.port, "zx.fake.v1.Fake"), 0)

    def test_not_serving(self):
        fake = FakeService(self, FAKE_STATUS="2")
        proc = fake.start(self)
        self.assertIsNone(proc.poll())
        self.assertEqual(probe(fake.port), 1)

    def test_unknown_service(self):
        fake = FakeService(self)
        fake.start(self)
        self.assertEqual(probe(fake.port, "zx.nothing.v1.Nothing"), 1)

    def test_nothing_listening(self):
        self.assertEqual(probe(free_port()), 1)

    def test_not_grpc(self):
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            port = srv.getsockname()[1]

            def answer():
                conn, _ = srv.accept()
                with conn:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

            t = threading.Thread(target=answer, daemon=True)
            t.start()
            self.assertEqual(probe(port), 1)
            t.join(5)

    def test_usage(self):
        self.assertEqual(subprocess.run([PROBE], capture_output=True).returncode, 2)
        self.assertEqual(subprocess.run([PROBE, "x"], capture_output=True).returncode, 2)


def migration_script(service="assets"):
    with open(os.path.join(REPO, "k8s", "base", "migrations.yaml"), encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "Job" and doc["metadata"]["name"] == "zx-migrate-" + service:
                c = doc["spec"]["template"]["spec"]["containers"][0]
                return c["command"], c["args"]
    raise KeyError(service)


@unittest.skipUnless(HAVE_GRPC, "python3-grpcio not installed")
class MigrationJobScriptTest(unittest.TestCase):
    def run_job(self, **env):
        fake = FakeService(self, **env)
        command, args = migration_script()
        self.assertEqual(command, ["bash", "-c"])
        self.assertEqual(args[1], "/usr/local/bin/zx-assets")
        run_env = dict(fake.env, PATH=os.path.dirname(PROBE) + os.pathsep + os.environ.get("PATH", ""))
        # args[1] ($0 of the script) is the service binary: the stand-in here.
        return subprocess.run(command + [args[0], fake.script], env=run_env, capture_output=True,
                              text=True, timeout=120)

    def test_migrates_then_stops(self):
        r = self.run_job(FAKE_DELAY="1.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("migrations applied; stopping", r.stderr)

    def test_service_failing_at_start_fails_the_job(self):
        r = self.run_job(FAKE_MODE="fail")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("exited (2) before serving", r.stderr)

    def test_service_exiting_cleanly_before_serving_fails_the_job(self):
        r = self.run_job(FAKE_MODE="exit0")
        self.assertEqual(r.returncode, 1, r.stderr)


if __name__ == "__main__":
    unittest.main()
