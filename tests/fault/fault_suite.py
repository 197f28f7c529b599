#!/usr/bin/python3
"""Fault suite, soak and scale-out (issue 10): a mixed load on real processes.

Starts its own PostgreSQL and Redis (tests/harness/stack.sh, loopback), a
county instance (653121 疏附县: monitoring, employment, consumption and its
federation gateway, each in --replicas copies against the same database and
Redis) and the prefecture's gateway (653100). The gateways talk mutual TLS
through relays this script controls (LinkProxy). Four load threads:

  income      monitoring RecordIncome (a declared transfer, note = request id)
  wages       employment RecordWage, this month's wage of each on-duty placement
              (started today: the service refuses a start before the
              acceptance or after today, a month before the start or not yet
              begun, and a second job of one worker, so each household has
              several workers, each in one placement); each wage emits
              employment.wage_paid, which monitoring books as income
  orders      consumption SubmitOrder → CONFIRMED → SHIPPED → RECEIVED → SETTLED;
              each settlement attributes revenue to the (≤ 8) bound households
              (consumption.income_attributed), which monitoring books
  federation  the prefecture issues directives to the county; every tenth
              step the county submits this month's report to the prefecture

Each request is retried with the same request_id on a transient code
(UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED, INTERNAL) until
it is accepted, as a client must when the outcome is unknown. Calls go to the
replicas in turn.

Modes:
  (default)    short form, in ./zx test: each fault once, 2 s outages: SIGKILL
               of each service (the first replica; restarted), SIGKILL of
               Redis (restarted on the same AOF), fast shutdown of PostgreSQL
               (started again), the federation link cut for 5 s
  --long       ./zx bench: every fault three times, 10 s outages, the link
               cut for two minutes
  --soak MIN   ./zx bench --soak: no faults; each loop's capacity measured for
               30 s, then MIN minutes at 70 % of it: errors, RSS slope of
               every service, p99 per sixth of the run
  --scale-out  ./zx bench: no faults; unpaced load through the first replica
               of each service for 30 s, then through all --replicas

After the load stops and the system is quiet the reconciliation checks:
every accepted request's effect present exactly once; every event applied
once (each wage and attribution booked once); every directive received once
and the prefecture holding the county's latest report revision; monitoring's
roll-up equal to a full recount (VerifyRollup); no outbox row unpublished and
no federation envelope undelivered; with replicas, every monitoring replica
consumed events. Requests are counted against the phase (fault) in which
they started. Exit status 0 only when nothing is lost or duplicated and every
check holds. --results adds the figures (fault.<kind>.accepted|lost|duplicated,
soak.*, scale.*) to a zx-bench results file. --prove-detection deletes two
effects before reconciling, to show that the suite then fails.
"""
import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import zx_grpc  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from stack_env import read_env  # noqa: E402

COUNTY = "653121000000"
PREFECTURE = "653100000000"
TOWNSHIP = "653121101000"
VILLAGE = "653121101201"
COUNTY_TOKEN = f"Bearer dev.{COUNTY}.county_official.fault"
REGION_TOKEN = "Bearer dev.650000000000.region_official.fault"
PREFECTURE_TOKEN = f"Bearer dev.{PREFECTURE}.prefecture_official.fault"
SERVICES = ("monitoring", "employment", "consumption")  # the county's domain services
TRANSIENT = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "RESOURCE_EXHAUSTED", "INTERNAL"}
# Attributions whose income record the consumption service has not linked yet.
UNLINKED_ATTRIBUTIONS = ("SELECT count(*) FROM consumption.attributions a WHERE NOT EXISTS "
                         "(SELECT 1 FROM consumption.attribution_bookings b "
                         "WHERE b.event_id = a.event_id)")
REQUEST_BOUND_S = 120  # a request still not accepted after this is a failure
CALL_TIMEOUT_S = 10


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


_HANDED_OUT = set()


def free_port():
    """A free loopback port below the kernel's ephemeral range (so no outgoing
    connection takes it while its service is down), never handed out twice."""
    import random
    import socket
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    for _ in range(1000):
        port = random.randrange(max(1024, low - 12000), low)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def months_back(today, n):
    """First days of the n months before today's month, oldest first."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(datetime.date(y, m, 1))
    return list(reversed(out))


def read_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def slope_per_hour(points):
    """Least-squares slope of (seconds, MiB) points, in MiB per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mx) * (v - my) for t, v in points) / var * 3600


class Stack:
    """PostgreSQL + Redis of stack.sh, with the fault operations on them."""

    AOF_FS_MB = 256

    def __init__(self, directory):
        self.dir = directory
        self.aof_fs = self.mount_aof_fs(directory + "-aof")
        env = dict(os.environ)
        if self.aof_fs:
            env["ZX_TEST_REDIS_DATA_DIR"] = self.aof_fs
        try:
            subprocess.run(["bash", os.path.join(ROOT, "tests", "harness", "stack.sh"), "start",
                            directory], check=True, stdout=subprocess.DEVNULL, env=env)
        except BaseException:
            self.unmount_aof_fs()
            raise
        self.env = read_env(os.path.join(directory, "env"))
        self.pg = self.env["ZX_TEST_PG"]
        self.redis_port = self.env["ZX_TEST_REDIS_PORT"]
        self.psql(["-c", "CREATE DATABASE fault", "-c", "CREATE DATABASE fault_pref"],
                  db="postgres")

    def stop(self):
        subprocess.run(["bash", os.path.join(ROOT, "tests", "harness", "stack.sh"), "stop",
                        self.dir], check=False, stdout=subprocess.DEVNULL)
        self.unmount_aof_fs()

    def unmount_aof_fs(self):
        if self.aof_fs:
            subprocess.run(["umount", self.aof_fs], check=False)
            subprocess.run(["rmdir", self.aof_fs], check=False)
            self.aof_fs = None

    def mount_aof_fs(self, path):
        """A tmpfs of its own for Redis's AOF, so that the disk-full fault can
        fill it; None where mounting is not permitted (not root, a container
        without the capability): the fault is then not injected."""
        if os.getuid() != 0:
            return None
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.AOF_FS_MB}m,mode=0755",
                            "zx-fault-aof", path], capture_output=True, text=True)
        if r.returncode != 0:
            log(f"disk-full fault not available: mount refused ({r.stderr.strip()})")
            os.rmdir(path)
            return None
        return path

    def conninfo(self, db="fault"):
        return f"{self.pg} dbname={db}"

    def psql(self, args, db="fault"):
        return subprocess.run(["psql", self.conninfo(db), "-X", "-q", "-At", "-v",
                               "ON_ERROR_STOP=1"] + args, check=True, capture_output=True,
                              text=True).stdout

    def query_int(self, sql, db="fault"):
        return int(self.psql(["-c", sql], db=db).strip() or 0)

    def query_rows(self, sql, db="fault"):
        out = self.psql(["-F", "\t", "-c", sql], db=db)
        return [line.split("\t") for line in out.splitlines() if line]

    def as_pg(self, cmd):
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pg_fast_restart(self, down_s):
        pgbin = "/usr/lib/postgresql/15/bin"
        data = os.path.join(self.dir, "pg")
        self.as_pg([f"{pgbin}/pg_ctl", "stop", "-D", data, "-m", "fast", "-w", "-t", "30"])
        time.sleep(down_s)
        self.as_pg([f"{pgbin}/pg_ctl", "start", "-D", data, "-l", os.path.join(self.dir, "pg.log"),
                    "-w", "-t", "30"])

    def redis_pid(self):
        with open(self.env["ZX_TEST_REDIS_PIDFILE"]) as f:
            return int(f.read().strip())

    def redis_kill_restart(self, down_s):
        pid = self.redis_pid()
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.05)
        time.sleep(down_s)
        self.redis_start()

    def redis_disk_full(self, down_s):
        """Fills the AOF's file system for down_s, then frees it. With
        appendfsync always Redis cannot go on without its AOF and exits on the
        failed write (it never acknowledged the write it could not log); it is
        started again on the same AOF once there is room, as a supervisor
        would. The full disk must be felt: Redis gone or reporting the error."""
        pid = self.redis_pid()
        filler = os.path.join(self.aof_fs, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for size in (1 << 20, 4096, 1):
                block = b"\0" * size
                while True:
                    try:
                        os.write(fd, block)
                    except OSError:  # ENOSPC: this block no longer fits
                        break
        finally:
            os.close(fd)
        end, felt = time.time() + down_s, False
        while time.time() < end or not felt and time.time() < end + 30:
            felt = felt or not os.path.exists(f"/proc/{pid}") or self.redis_aof_error()
            time.sleep(0.2)
        os.remove(filler)
        if os.path.exists(f"/proc/{pid}"):
            for _ in range(100):  # Redis retries the write once there is room
                if not self.redis_aof_error():
                    break
                time.sleep(0.1)
        else:
            self.redis_start()
        if not felt:
            raise RuntimeError("the full disk was not felt by Redis")

    def redis_aof_error(self):
        r = subprocess.run(["redis-cli", "-p", self.redis_port, "info", "persistence"],
                           capture_output=True, text=True)
        return "aof_last_write_status:err" in r.stdout

    def redis_start(self):
        subprocess.run(["/bin/sh", "-c", self.env["ZX_TEST_REDIS_CMD"]], check=True)
        for _ in range(100):
            r = subprocess.run(["redis-cli", "-p", self.redis_port, "ping"], capture_output=True,
                               text=True)
            if r.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("Redis did not come back")


class LinkProxy:
    """A TCP relay between two federation gateways: the link that gets cut.

    The peer address in each gateway's config points here. cut() closes the
    listener and every relayed connection, so the peer sees the link drop
    and new connections refused; restore() listens again on the same port."""

    def __init__(self, upstream_ports):
        # Connections go to the upstreams in turn (replicas of a gateway).
        self.upstreams = [("127.0.0.1", p) for p in upstream_ports]
        self.next_upstream = 0
        self.port = free_port()
        self.lock = threading.Lock()
        self.conns = []
        self.listener = None
        self.restore()

    def restore(self):
        import socket
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self.listener = ls
        threading.Thread(target=self.accept_loop, args=(ls,), daemon=True).start()

    def accept_loop(self, ls):
        import socket
        while True:
            try:
                client, _ = ls.accept()
            except OSError:
                return  # cut
            try:
                upstream = self.upstreams[self.next_upstream % len(self.upstreams)]
                self.next_upstream += 1
                server = socket.create_connection(upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if ls is not self.listener:  # cut while this one was being accepted
                    client.close()
                    server.close()
                    return
                self.conns += [client, server]
            pair = {"open": 2}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(src, dst, pair), daemon=True).start()

    def pump(self, src, dst, pair):
        import socket
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            pair["open"] -= 1
            if pair["open"] == 0:  # the second direction to end closes both
                for sock in (src, dst):
                    sock.close()
                    if sock in self.conns:
                        self.conns.remove(sock)

    def cut(self):
        import socket
        # shutdown wakes the accept() blocked in accept_loop; close alone does not.
        with self.lock:
            listener, self.listener = self.listener, None
            conns, self.conns = self.conns, []
        try:
            listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        listener.close()
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class Services:
    """The service processes of both instances; each keeps its ports across
    restarts. The county 653121 runs monitoring, employment, consumption and
    its federation gateway; the prefecture 653100 its federation gateway. The
    gateways reach each other through LinkProxy relays."""

    COUNTY_SERVICES = ("monitoring", "employment", "consumption", "federation")

    def __init__(self, grpc, bin_dir, stack, workdir, replicas):
        self.grpc, self.bin_dir, self.stack, self.workdir = grpc, bin_dir, stack, workdir
        self.replicas = replicas
        self.keys = os.path.join(workdir, "personal-data.keys")
        subprocess.run([os.path.join(bin_dir, "zx-token"), "personal-data-keygen", "--key-id",
                        "fault-1", "--out", self.keys], check=True, stdout=subprocess.DEVNULL)
        self.pki = os.path.join(workdir, "pki")
        zxca = os.path.join(ROOT, "tools", "zxca", "zxca")
        subprocess.run([zxca, "init", self.pki], check=True, stdout=subprocess.DEVNULL)
        for level, code in (("county", COUNTY), ("prefecture", PREFECTURE)):
            subprocess.run([zxca, "issue", self.pki, level, code], check=True,
                           stdout=subprocess.DEVNULL)
        # "monitoring" is the first replica, "monitoring@2" the second, ...
        keys = [k for s in self.COUNTY_SERVICES for k in self.replicas_of(s)] + ["pref-federation"]
        self.ports = {k: (free_port(), free_port()) for k in keys}
        self.tls_ports = {k: free_port() for k in keys if k.endswith("federation") or
                          k.startswith("federation@")}
        # county → prefecture and prefecture → county (to every county replica)
        self.links = [LinkProxy([self.tls_ports["pref-federation"]]),
                      LinkProxy([self.tls_ports[k] for k in self.replicas_of("federation")])]
        self.write_federation_configs()
        self.procs = {}
        try:
            for k in keys:
                self.start(k)
            for k in keys:
                self.wait_serving(k)
        except BaseException:
            self.stop_all()
            raise

    def replicas_of(self, svc):
        return [svc] + [f"{svc}@{i}" for i in range(2, self.replicas + 1)]

    def write_federation_configs(self):
        local = "".join(f"local_services {{ name: '{s}' address: '127.0.0.1:{self.ports[s][0]}' }}\n"
                        for s in ("monitoring", "employment", "consumption"))
        with open(os.path.join(self.workdir, "county-federation.txtpb"), "w") as f:
            f.write("level: LEVEL_COUNTY\n"
                    f"parent {{ division_code: '{PREFECTURE}' level: LEVEL_PREFECTURE "
                    f"address: '127.0.0.1:{self.links[0].port}' }}\n" + local)
        with open(os.path.join(self.workdir, "prefecture-federation.txtpb"), "w") as f:
            f.write("level: LEVEL_PREFECTURE\n"
                    f"children {{ division_code: '{COUNTY}' level: LEVEL_COUNTY "
                    f"address: '127.0.0.1:{self.links[1].port}' }}\n")

    def start(self, key):
        grpc_port, metrics_port = self.ports[key]
        prefecture = key.startswith("pref-")
        svc = (key[len("pref-"):] if prefecture else key).split("@")[0]
        division, db, level = (PREFECTURE, "fault_pref", "prefecture") if prefecture else \
            (COUNTY, "fault", "county")
        extra = []
        if svc == "federation":
            cfg = f"{level}-federation.txtpb"
            extra = ["--tls-port", str(self.tls_ports[key]),
                     "--tls-cert", os.path.join(self.pki, f"{level}-{division}.crt"),
                     "--tls-key", os.path.join(self.pki, f"{level}-{division}.key"),
                     "--tls-ca", os.path.join(self.pki, "ca.crt"),
                     "--federation-config", os.path.join(self.workdir, cfg)]
        logf = open(os.path.join(self.workdir, f"{key}.log"), "ab")
        self.procs[key] = subprocess.Popen([
            os.path.join(self.bin_dir, "zx-" + svc), "--instance", f"fault-{level}",
            "--division", division, "--grpc-port", str(grpc_port),
            "--metrics-port", str(metrics_port), "--pg", self.stack.conninfo(db),
            "--redis", "127.0.0.1:" + self.stack.redis_port,
            "--redis-namespace", f"zx:fault-{level}", "--allow-dev-tokens", "--log-level", "warn",
            "--personal-data-keys", self.keys] + extra, stdout=logf, stderr=logf)
        logf.close()

    def wait_serving(self, key, bound_s=60):
        from grpc.health.v1 import health_pb2, health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel(key))
        deadline = time.time() + bound_s
        while time.time() < deadline:
            if self.procs[key].poll() is not None:
                raise RuntimeError(f"zx-{key} exited; see {self.workdir}/{key}.log")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                        health_pb2.HealthCheckResponse.SERVING:
                    return
            except self.grpc.RpcError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"zx-{key} did not become SERVING within {bound_s} s")

    def channel(self, key):
        return zx_grpc.channel(self.grpc, f"127.0.0.1:{self.ports[key][0]}")

    def metric_sum(self, key, name, having=""):
        """The sum of the series of `name` on the replica's /metrics whose
        labels contain `having`."""
        import urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        text = opener.open(f"http://127.0.0.1:{self.ports[key][1]}/metrics", timeout=5).read()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.decode().splitlines()
                   if (line.startswith(name + "{") or line.startswith(name + " ")) and
                   having in line)

    def kill_restart(self, key, down_s):
        self.procs[key].send_signal(signal.SIGKILL)
        self.procs[key].wait()
        time.sleep(down_s)
        self.start(key)
        self.wait_serving(key)

    def cut_links(self, down_s, felt):
        """Cuts both links for down_s; `felt()` must become true meanwhile
        (a sender saw the link down), else the cut is reported as not felt."""
        for link in self.links:
            link.cut()
        end, seen = time.time() + down_s, False
        while time.time() < end:
            seen = seen or felt()
            time.sleep(min(0.5, max(0.0, end - time.time())))
        for link in self.links:
            link.restore()
        if not seen:
            raise RuntimeError("the federation link cut was not felt by either gateway")

    def stop_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Client:
    """Unary calls retried with the same request until accepted (or bound)."""

    def __init__(self, grpc, stub):
        self.grpc, self.stub = grpc, stub
        self.transient_seen = 0
        self.samples = []  # (end time, seconds) of every accepted call

    def call(self, method, request, token=COUNTY_TOKEN, bound_s=REQUEST_BOUND_S):
        fn = getattr(self.stub, method)
        deadline = time.time() + bound_s
        while True:
            t0 = time.time()
            try:
                resp = fn(request, timeout=CALL_TIMEOUT_S, metadata=(("authorization", token),))
                t1 = time.time()
                self.samples.append((t1, t1 - t0))
                return resp
            except self.grpc.RpcError as e:
                if e.code().name in TRANSIENT and time.time() < deadline:
                    self.transient_seen += 1
                    time.sleep(0.2)
                    continue
                raise RuntimeError(f"{method} {getattr(request, 'request_id', '')}: "
                                   f"{e.code().name}: {e.details()}") from None


class Replicas:
    """Calls spread over the replicas of one service, in turn; `active` limits
    them to the first k (the scale-out measurement)."""

    def __init__(self, clients):
        self.clients = clients
        self.active = len(clients)
        self.turn = 0

    def call(self, *args, **kwargs):
        self.turn += 1
        return self.clients[self.turn % self.active].call(*args, **kwargs)


class Suite:
    def __init__(self, args):
        self.args = args
        self.grpc = zx_grpc.setup(args.build_dir)
        from zx.consumption.v1 import consumption_pb2, consumption_pb2_grpc
        from zx.employment.v1 import employment_pb2, employment_pb2_grpc
        from zx.federation.v1 import federation_pb2, federation_pb2_grpc
        from zx.monitoring.v1 import monitoring_pb2, monitoring_pb2_grpc
        self.cpb, self.epb, self.mpb = consumption_pb2, employment_pb2, monitoring_pb2
        self.fpb = federation_pb2
        self.stubs = {"monitoring": monitoring_pb2_grpc.MonitoringServiceStub,
                      "employment": employment_pb2_grpc.EmploymentServiceStub,
                      "consumption": consumption_pb2_grpc.ConsumptionServiceStub,
                      "federation": federation_pb2_grpc.FederationServiceStub,
                      "pref-federation": federation_pb2_grpc.FederationServiceStub}
        self.phase = "baseline"
        self.stop_load = threading.Event()
        self.lock = threading.Lock()
        self.records = []  # (phase, kind, request id, facts)
        self.failures = []
        self.clients = []
        self.ops, self.intervals = {}, {}
        # The wage loop has one request per placement (this month's wage):
        # paced so they last through every fault.
        combos = args.households * args.workers_per_household
        self.pauses = {"wages": max(args.pause, 0.9 * args.expected_s / combos)}
        self.replica_sets = []
        self.today = datetime.date.today()

    def client(self, svc):
        stub = self.stubs[svc.split("@")[0]]
        clients = [Client(self.grpc, stub(self.services.channel(k)))
                   for k in (self.services.replicas_of(svc) if not svc.startswith("pref-")
                             else [svc])]
        self.clients += clients
        r = Replicas(clients)
        self.replica_sets.append(r)
        return r

    # ---- set-up ------------------------------------------------------------------
    def set_up(self):
        m, e, c = self.client("monitoring"), self.client("employment"), self.client("consumption")
        mpb, epb, cpb = self.mpb, self.epb, self.cpb
        year = self.today.year
        m.call("PublishPolicy", mpb.PublishPolicyRequest(
            request_id="fault-policy", policy=mpb.MonitoringPolicy(
                version=f"fault-{year}", owner_division_code="650000000000", year=year,
                effective_from=f"{year}-01-01", monitoring_line_fen=800_000)), token=REGION_TOKEN)
        self.households = []
        for i in range(self.args.households):
            h = m.call("CreateHousehold", mpb.CreateHouseholdRequest(
                request_id=f"fault-hh-{i}", household=mpb.Household(
                    village_code=VILLAGE, category=mpb.HOUSEHOLD_CATEGORY_LIFTED, member_count=4)))
            self.households.append(h.household_id)
        # Employment: workers_per_household workers of each household (one
        # person, one job: E1), each placed and on duty from today. Only this
        # month's wage may be paid (the start may not precede the acceptance,
        # a wage month not precede the start), so the wage loop's requests are
        # one per placement, as many as households × months were before.
        employer = e.call("UpsertEmployer", epb.UpsertEmployerRequest(
            request_id="fault-employer", employer=epb.Employer(
                name="疏附示范企业 (synthetic)", kind=epb.EMPLOYER_KIND_ENTERPRISE,
                division_code=COUNTY)))
        per = self.args.workers_per_household
        e.call("UpsertJob", epb.UpsertJobRequest(request_id="fault-job", job=epb.Job(
            employer_id=employer.employer_id, title="包装工", kind=epb.JOB_KIND_REGULAR,
            location_division_code=COUNTY, monthly_wage_fen=300_000,
            slots=len(self.households) * per, open=True)))
        self.placements = []
        # Matching in batches of at most ~1,000 workers: each run sees only the
        # new batch (the placed are on duty), and its answer stays small.
        batch = max(1, 1000 // per)
        for b in range(0, len(self.households), batch):
            group = self.households[b:b + batch]
            for i, h in enumerate(group, start=b):
                for k in range(per):
                    e.call("UpsertWorker", epb.UpsertWorkerRequest(
                        request_id=f"fault-worker-{i}-{k}", worker=epb.Worker(
                            person_id=f"pe-{h[3:]}-{k + 1}", household_id=h,
                            division_code=VILLAGE, birth_date="1990-05-01",
                            willingness=epb.WILLINGNESS_LOCAL,
                            labour_capacity=epb.LABOUR_CAPACITY_FULL, available=True,
                            local_registration=True, language_level=3,
                            flags=epb.PriorityFlags(lifted_household=True))))
            run = e.call("RunMatching", epb.RunMatchingRequest(
                request_id=f"fault-matching-{b}", division_code=COUNTY))
            # Matching proposes one placement per worker (the job has a slot for each).
            if len(run.proposals) != len(group) * per or \
                    len({p.worker_id for p in run.proposals}) != len(group) * per:
                raise RuntimeError(f"matching proposed {len(run.proposals)} placements for "
                                   f"{len(group) * per} workers")
            for p in run.proposals:
                e.call("AcceptPlacement", epb.AcceptPlacementRequest(
                    request_id=f"fault-accept-{p.placement_id}", placement_id=p.placement_id,
                    consent_ref=f"同意书 {p.placement_id}"))
                e.call("StartPlacement", epb.StartPlacementRequest(
                    request_id=f"fault-start-{p.placement_id}", placement_id=p.placement_id,
                    start_date=self.today.isoformat()))
                self.placements.append(p.placement_id)
        # Declared incomes (the income loop) are of the last six months.
        self.income_months = months_back(self.today, 6)
        # Consumption: a cooperative bound to every household (revenue share 2.5 % each).
        supplier = c.call("UpsertSupplier", cpb.UpsertSupplierRequest(
            request_id="fault-supplier", supplier=cpb.Supplier(
                name="疏附核桃合作社 (synthetic)", kind=cpb.SUPPLIER_KIND_COOPERATIVE,
                division_code=TOWNSHIP)))
        # At most 8 bound households: a settlement emits one attribution each.
        self.bound = self.households[:8]
        for i, h in enumerate(self.bound):
            c.call("UpsertBinding", cpb.UpsertBindingRequest(
                request_id=f"fault-bind-{i}", binding=cpb.Binding(
                    supplier_id=supplier.supplier_id, household_id=h, village_code=VILLAGE,
                    rule=cpb.BINDING_RULE_REVENUE_SHARE, share_bp=250,
                    valid_from=f"{year - 1}-01-01")))
        product = c.call("UpsertProduct", cpb.UpsertProductRequest(
            request_id="fault-product", product=cpb.Product(
                supplier_id=supplier.supplier_id, name="纸皮核桃", category="干果",
                origin_county_code=COUNTY, unit="kg", price_fen=2_400, stock=1_000_000_000,
                traceability_ref="溯源-653121-walnut", annual_sales_fen=80_000_000)))
        for step, day in (("REVIEW", "01-05"), ("PUBLICISE", "01-06"), ("ANNOUNCE", "01-12")):
            c.call("AdvanceCertification", cpb.AdvanceCertificationRequest(
                request_id=f"fault-cert-{step}", product_id=product.product_id,
                step=cpb.CertificationStep.Value(f"CERTIFICATION_STEP_{step}"),
                date=f"{year - 1}-{day}"))
        buyer = c.call("UpsertBuyer", cpb.UpsertBuyerRequest(
            request_id="fault-buyer", buyer=cpb.Buyer(
                name="疏附县教育局 (synthetic)", kind=cpb.BUYER_KIND_BUDGET_UNIT,
                division_code=COUNTY, has_canteen=True, canteen_food_budget_fen=20_000_000)))
        self.product_id, self.buyer_id = product.product_id, buyer.buyer_id

    # ---- load --------------------------------------------------------------------
    def run_loop(self, name, step):
        n = 0
        next_at = time.time()
        try:
            while not self.stop_load.is_set():
                if not step(n):
                    return
                n += 1
                self.ops[name] = n
                # The soak paces each loop (self.intervals); otherwise a fixed pause.
                interval = self.intervals.get(name)
                if interval is None:
                    time.sleep(self.pauses.get(name, self.args.pause))
                else:
                    next_at = max(next_at + interval, time.time() - 1.0)
                    time.sleep(max(0.0, next_at - time.time()))
        except Exception as ex:  # noqa: BLE001 — any failure is reported, not swallowed
            with self.lock:
                self.failures.append(f"{name}: {ex}")

    def income_step(self, client):
        def step(n):
            phase = self.phase
            rid = f"fault-income-{n}"
            month = self.income_months[-1 - (n % 6)].strftime("%Y-%m")
            r = client.call("RecordIncome", self.mpb.RecordIncomeRequest(
                request_id=rid, record=self.mpb.IncomeRecord(
                    household_id=self.households[n % len(self.households)],
                    kind=self.mpb.INCOME_KIND_TRANSFER, source=self.mpb.RECORD_SOURCE_DECLARATION,
                    month=month, amount_fen=10_000, note=rid)))
            with self.lock:
                self.records.append((phase, "income", rid, {"record_id": r.record_id}))
            return True
        return step

    def wage_step(self, client):
        # This month's wage of each placement (all started today), paid today.
        month = self.today.strftime("%Y-%m")

        def step(n):
            if n >= len(self.placements):
                return False
            phase = self.phase
            rid = f"fault-wage-{n}"
            r = client.call("RecordWage", self.epb.RecordWageRequest(
                request_id=rid, placement_id=self.placements[n], month=month,
                amount_fen=300_000, paid_on=self.today.isoformat()))
            with self.lock:
                self.records.append((phase, "wage", rid,
                                     {"wage_id": r.wage_id, "event_id": r.event_id}))
            return True
        return step

    def order_step(self, client):
        cpb = self.cpb

        def step(n):
            phase = self.phase
            rid = f"fault-order-{n}"
            order = client.call("SubmitOrder", cpb.SubmitOrderRequest(
                request_id=rid, buyer_id=self.buyer_id, channel=cpb.CHANNEL_COUNTER,
                lines=[cpb.SubmitOrderRequest.Line(product_id=self.product_id,
                                                   quantity=1 + n % 5)]))
            for to in ("CONFIRMED", "SHIPPED", "RECEIVED", "SETTLED"):
                client.call("AdvanceOrder", cpb.AdvanceOrderRequest(
                    request_id=f"{rid}-{to}", order_id=order.order_id,
                    to=cpb.OrderStatus.Value(f"ORDER_STATUS_{to}")))
            with self.lock:
                self.records.append((phase, "order", rid, {"order_id": order.order_id}))
            return True
        return step

    def federation_step(self, prefecture, county):
        fpb = self.fpb
        # Only the current period is live; earlier ones need a closed roll-up day.
        period = self.today.strftime("%Y-%m")
        deadline = (self.today + datetime.timedelta(days=30)).isoformat()

        def step(n):
            phase = self.phase
            if n % 10 == 0:  # the county reports a period to the prefecture
                rid = f"fault-report-{n}"
                r = county.call("SubmitReport", fpb.SubmitReportRequest(
                    request_id=rid, period=period))
                with self.lock:
                    self.records.append((phase, "report", rid,
                                         {"period": r.period, "revision": r.revision}))
            rid = f"fault-directive-{n}"
            d = prefecture.call("IssueDirective", fpb.IssueDirectiveRequest(
                request_id=rid, target_division_code=COUNTY, subject="verify_households",
                title=f"核实 {n}", items=[self.households[n % len(self.households)]],
                deadline=deadline), token=PREFECTURE_TOKEN)
            with self.lock:
                self.records.append((phase, "directive", rid, {"directive_id": d.directive_id}))
            return True
        return step

    # ---- faults ------------------------------------------------------------------
    def faults(self):
        if self.args.soak or self.args.scale_out:
            return []
        down = self.args.down
        kinds = [(f"sigkill_{k.replace('-', '_')}", lambda k=k: self.services.kill_restart(k, down))
                 for k in Services.COUNTY_SERVICES + ("pref-federation",)]
        kinds.append(("redis_kill", lambda: self.stack.redis_kill_restart(down)))
        if self.stack.aof_fs:
            kinds.append(("redis_disk_full", lambda: self.stack.redis_disk_full(down)))
        kinds.append(("pg_fast_restart", lambda: self.stack.pg_fast_restart(down)))
        kinds.append(("federation_link_cut",
                      lambda: self.services.cut_links(self.args.cut, self.link_down_seen)))
        return kinds

    def run(self):
        workdir = tempfile.mkdtemp(prefix="zx-fault-", dir=self.args.work_dir)
        self.workdir = workdir
        started = time.time()
        self.stack, self.services, status = None, None, 1
        try:
            self.stack = Stack(os.path.join(workdir, "stack"))
            self.services = Services(self.grpc, self.args.bin_dir, self.stack, workdir,
                                     self.args.replicas)
            self.set_up()
            log(f"set-up: {len(self.households)} households, {len(self.placements)} "
                f"placements on duty; load starts")
            status = self.load_and_faults(started)
            return status
        finally:
            self.stop_load.set()
            if self.services is not None:
                self.services.stop_all()
            if self.args.keep:
                aof = f"; umount {self.stack.aof_fs}" if self.stack and self.stack.aof_fs else ""
                log(f"kept {workdir} (stack still running: stack.sh stop {workdir}/stack{aof})")
            else:
                if self.stack is not None:
                    self.stack.stop()
                else:
                    subprocess.run(["bash", os.path.join(ROOT, "tests", "harness", "stack.sh"),
                                    "stop", os.path.join(workdir, "stack")], check=False)
                if status == 0:
                    subprocess.run(["rm", "-rf", workdir], check=False)
                else:  # the services' logs stay for the diagnosis
                    log(f"logs of the failed run kept in {workdir}")

    def load_and_faults(self, started):
        loops = [("income", self.income_step(self.client("monitoring"))),
                 ("wages", self.wage_step(self.client("employment"))),
                 ("orders", self.order_step(self.client("consumption"))),
                 ("federation", self.federation_step(self.client("pref-federation"),
                                                     self.client("federation")))]
        self.ops = {name: 0 for name, _ in loops}
        threads = [threading.Thread(target=self.run_loop, args=loop, daemon=True) for loop in loops]
        for t in threads:
            t.start()
        time.sleep(self.args.settle)
        injected = {}
        if self.args.soak:
            self.soak_result = self.soak(loops)
        if self.args.scale_out:
            self.scale_out_result = self.scale_out()
        for _ in range(0 if self.args.soak or self.args.scale_out else self.args.rounds):
            for kind, inject in self.faults():
                self.phase = kind
                time.sleep(self.args.settle)
                log(f"inject {kind}")
                inject()
                injected[kind] = injected.get(kind, 0) + 1
                time.sleep(self.args.settle)
        self.phase = "after"
        self.stop_load.set()
        joined_by = time.time() + REQUEST_BOUND_S + 30
        for t in threads:
            t.join(timeout=max(0.0, joined_by - time.time()))
        with self.lock:
            self.failures += [f"a load thread still ran {REQUEST_BOUND_S + 30} s after the "
                              "load stopped" for t in threads if t.is_alive()]
            self.records = list(self.records)  # what reconcile reads; late appends are ignored
        log("load stopped; waiting for every event to be applied")
        self.quiesce()
        if self.args.prove_detection:
            # Removes one declared income and one booked event behind the services'
            # back: the reconciliation must count both as lost.
            self.stack.psql(["-c", "DELETE FROM monitoring.income_records WHERE record_id IN "
                             "((SELECT record_id FROM monitoring.income_records WHERE source = 1 "
                             "LIMIT 1) UNION ALL (SELECT record_id FROM monitoring.income_records "
                             "WHERE source = 3 LIMIT 1))"])
        return self.reconcile(injected, started)

    def scale_out(self):
        """Unpaced load through the first replica of each service, then through
        all of them: requests per second of each window."""
        rates = []
        self.intervals = {}
        self.args.pause = 0.0
        self.pauses = {}
        for active in (1, self.args.replicas):
            self.phase = f"replicas_{active}"
            for r in self.replica_sets:
                r.active = min(active, len(r.clients))
            before = sum(self.ops.values())
            t0 = time.time()
            time.sleep(self.args.calibrate)
            rates.append((sum(self.ops.values()) - before) / (time.time() - t0))
            log(f"{active} replica(s): {rates[-1]:.1f} load steps/s")
        return rates

    def soak(self, loops):
        """Calibrates each loop's capacity, then runs them at 70 % of it for
        --soak minutes, sampling every service's RSS every 10 s."""
        names = [name for name, _ in loops]
        self.phase = "calibration"
        self.intervals = {name: 0.0 for name in names}
        before = dict(self.ops)
        time.sleep(self.args.calibrate)
        rates = {n: (self.ops.get(n, 0) - before.get(n, 0)) / self.args.calibrate for n in names}
        self.intervals = {n: 1.0 / (0.7 * r) if r > 0 else 1.0 for n, r in rates.items()}
        log("capacity (ops/s): " + ", ".join(f"{n} {r:.1f}" for n, r in rates.items()) +
            "; soak at 70 %")
        self.phase = "soak"
        errors_before = sum(c.transient_seen for c in self.clients)
        start = time.time()
        end = start + self.args.soak * 60
        rss = {k: [] for k in self.services.procs}
        while time.time() < end and not self.failures:
            for key, proc in self.services.procs.items():
                rss[key].append((time.time() - start, read_rss_mib(proc.pid)))
            time.sleep(min(10.0, max(0.0, end - time.time())))
        duration = time.time() - start
        samples = sorted((t, dt) for c in self.clients for t, dt in c.samples if t >= start)
        return {"rates": rates, "duration": duration, "rss": rss, "samples": samples,
                "start": start,
                "errors": sum(c.transient_seen for c in self.clients) - errors_before +
                len(self.failures)}

    def soak_report(self, result):
        """Prints and judges the soak; returns (ok, figures)."""
        figures = []
        start, duration = result["start"], result["duration"]
        print(f"\nsoak: {duration / 60:.1f} min at 70 % of capacity, "
              f"{len(result['samples'])} calls, {result['errors']} errors")
        figures.append(("soak.errors", result["errors"], "calls", 0, "lower"))
        ok = result["errors"] == 0
        for key, points in result["rss"].items():
            tail = [p for p in points if p[0] >= duration * 0.1]  # after warm-up
            slope = slope_per_hour(tail)
            growth = slope * duration / 3600
            flat = growth <= max(16.0, 0.1 * tail[0][1]) if tail else False
            ok &= flat
            print(f"  {key:<18} RSS {tail[0][1] if tail else 0:7.1f} → "
                  f"{tail[-1][1] if tail else 0:7.1f} MiB, slope {slope:+8.2f} MiB/h "
                  f"({'flat' if flat else 'GROWING'})")
            figures.append((f"soak.{key.replace('-', '_')}.rss_slope_mib_per_h", round(slope, 3),
                            "MiB/h", None, "lower"))
        windows = 6
        p99s = []
        for w in range(windows):
            lo, hi = start + duration * w / windows, start + duration * (w + 1) / windows
            lat = sorted(dt for t, dt in result["samples"] if lo <= t < hi)
            p99s.append(lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000 if lat else 0.0)
        stable = min(p99s) > 0 and max(p99s) <= 2 * min(p99s)
        ok &= stable
        print("  p99 per sixth of the run (ms): " + ", ".join(f"{p:.1f}" for p in p99s) +
              f" ({'stable' if stable else 'UNSTABLE'}: max ≤ 2 × min)")
        figures.append(("soak.p99_ms.max_window", round(max(p99s), 3), "ms", None, "lower"))
        figures.append(("soak.p99_ms.max_over_min", round(max(p99s) / min(p99s), 3)
                        if min(p99s) > 0 else 0.0, "x", 2, "lower"))
        return ok, figures

    def quiesce(self):
        deadline = time.time() + self.args.quiesce_bound
        while time.time() < deadline:
            if self.unpublished() == 0 and self.unbooked() == 0 and self.peer_backlog() == 0 \
                    and self.stack.query_int(UNLINKED_ATTRIBUTIONS) == 0:
                return
            time.sleep(0.5)
        log(f"not quiet after {self.args.quiesce_bound} s: {self.unpublished()} outbox rows "
            f"unpublished, {self.unbooked()} events unbooked, {self.peer_backlog()} envelopes "
            "undelivered")

    def unpublished(self):
        sql = "SELECT count(*) FROM {}.outbox WHERE published_at IS NULL"
        return sum(self.stack.query_int(sql.format(s)) for s in SERVICES + ("federation",)) + \
            self.stack.query_int(sql.format("federation"), db="fault_pref")

    def link_down_seen(self):
        sql = "SELECT count(*) FROM federation.peer_links WHERE attempts > 0"
        return self.stack.query_int(sql) + self.stack.query_int(sql, db="fault_pref") > 0

    def peer_backlog(self):
        sql = "SELECT coalesce(sum(last_seq - acked_seq), 0) FROM federation.peer_links"
        return self.stack.query_int(sql) + self.stack.query_int(sql, db="fault_pref")

    def unbooked(self):
        return self.stack.query_int(
            "SELECT (SELECT count(*) FROM employment.outbox o WHERE o.event_type = "
            "'employment.wage_paid' AND NOT EXISTS (SELECT 1 FROM monitoring.income_records r "
            "WHERE r.source = 3 AND r.source_ref = o.event_id)) + (SELECT count(*) FROM "
            "consumption.attributions a WHERE NOT EXISTS (SELECT 1 FROM monitoring.income_records "
            "r WHERE r.source = 3 AND r.source_ref = a.event_id))")

    # ---- reconciliation ----------------------------------------------------------
    def reconcile(self, injected, started):
        q = self.stack
        income_by_note = dict(q.query_rows(
            "SELECT note, count(*) FROM monitoring.income_records WHERE source = 1 GROUP BY note"))
        wages = {r[0] for r in q.query_rows("SELECT wage_id FROM employment.wages")}
        booked = dict(q.query_rows(
            "SELECT source_ref, count(*) FROM monitoring.income_records WHERE source = 3 "
            "GROUP BY source_ref"))
        orders = dict(q.query_rows("SELECT order_id, status FROM consumption.orders"))
        attributions = {}
        for order_id, event_id in q.query_rows(
                "SELECT l.order_id, a.event_id FROM consumption.attributions a JOIN "
                "consumption.order_lines l USING (line_id)"):
            attributions.setdefault(order_id, []).append(event_id)
        received = {r[0] for r in q.query_rows(
            "SELECT directive_id FROM federation.directives WHERE direction = 'received'")}
        issued = {r[0] for r in q.query_rows(
            "SELECT directive_id FROM federation.directives WHERE direction = 'issued'",
            db="fault_pref")}
        # The latest revision of each period the county sent, as the prefecture holds it.
        held = {r[0]: int(r[1]) for r in q.query_rows(
            f"SELECT period, revision FROM federation.reports WHERE division_code = '{COUNTY}'",
            db="fault_pref")}
        latest = {}
        for _, kind, _, facts in self.records:
            if kind == "report":
                latest[facts["period"]] = max(latest.get(facts["period"], 0), facts["revision"])
        settled = self.cpb.ORDER_STATUS_SETTLED
        tally = {}

        def count(phase, field, k=1):
            tally.setdefault(phase, {"accepted": 0, "lost": 0, "duplicated": 0})[field] += k

        by_kind = {}
        for phase, kind, _, _ in self.records:
            by_kind[(phase, kind)] = by_kind.get((phase, kind), 0) + 1
        # Every loop must have had requests accepted during every fault.
        idle = [f"{kind} during {phase}" for phase, _ in self.faults()
                for kind in ("income", "wage", "order", "directive")
                if by_kind.get((phase, kind), 0) == 0]
        for what in idle:
            log(f"no request accepted: {what}")

        accepted_orders = set()
        for phase, kind, rid, facts in self.records:
            count(phase, "accepted")
            if kind == "income":
                n = int(income_by_note.get(rid, 0))
                count(phase, "lost", n == 0)
                count(phase, "duplicated", max(0, n - 1))
            elif kind == "wage":
                count(phase, "lost", facts["wage_id"] not in wages)
                n = int(booked.get(facts["event_id"], 0))
                count(phase, "lost", n == 0)
                count(phase, "duplicated", max(0, n - 1))
            elif kind == "directive":
                count(phase, "lost", facts["directive_id"] not in received)
            elif kind == "report":
                # Lost when the prefecture holds an older revision than the last accepted one.
                count(phase, "lost", held.get(facts["period"], 0) < latest[facts["period"]])
            else:
                oid = facts["order_id"]
                accepted_orders.add(oid)
                count(phase, "lost", oid not in orders or int(orders[oid]) != settled)
                events = attributions.get(oid, [])
                count(phase, "lost", max(0, len(self.bound) - len(events)))
                count(phase, "duplicated", max(0, len(events) - len(self.bound)))
                for ev in events:
                    n = int(booked.get(ev, 0))
                    count(phase, "lost", n == 0)
                    count(phase, "duplicated", max(0, n - 1))
        # Effects nobody was told about: a retried request that took effect twice.
        accepted_income = sum(1 for r in self.records if r[1] == "income")
        extra_income = sum(int(n) for n in income_by_note.values()) - accepted_income
        extra_orders = len(set(orders) - accepted_orders)
        extra_wages = len(wages) - sum(1 for r in self.records if r[1] == "wage")
        accepted_directives = {r[3]["directive_id"] for r in self.records
                               if r[1] == "directive"}
        extra_directives = len(issued - accepted_directives) + len(received - issued)
        revisions_ahead = sum(1 for p, rev in held.items() if rev > latest.get(p, 0))
        rollup = self.client("monitoring").call("VerifyRollup", self.mpb.VerifyRollupRequest(
            division_code=COUNTY))
        checks = {
            "unaccounted income records": extra_income,
            "unaccounted orders": extra_orders,
            "unaccounted wages": extra_wages,
            "unaccounted directives": extra_directives,
            "report revisions never accepted": revisions_ahead,
            "federation envelopes undelivered": self.peer_backlog(),
            "outbox rows unpublished": self.unpublished(),
            "events unbooked": self.unbooked(),
            "roll-up differences": 0 if rollup.consistent else max(1, len(rollup.differences)),
            "load failures": len(self.failures),
            "fault windows with an idle loop": len(idle),
            "attributions without their income record": self.stack.query_int(UNLINKED_ATTRIBUTIONS),
        }
        if self.args.replicas > 1:
            # Both replicas of monitoring took a share of the booked events.
            for key in self.services.replicas_of("monitoring"):
                consumed = self.services.metric_sum(key, "zx_events_consumed_total",
                                                    'result="applied"')
                log(f"{key}: {consumed:.0f} events consumed")
                checks[f"{key} consumed no event"] = int(consumed == 0)
        return self.report(tally, injected, checks, started)

    def report(self, tally, injected, checks, started):
        print()
        print(f"{'fault':<26}{'injected':>9}{'accepted':>10}{'lost':>7}{'duplicated':>12}")
        kinds = ["baseline"] + [k for k, _ in self.faults()] + \
            (["calibration", "soak"] if self.args.soak else []) + \
            ([f"replicas_{k}" for k in sorted({1, self.args.replicas})]
             if self.args.scale_out else []) + ["after"]
        for kind in kinds:
            t = tally.get(kind, {"accepted": 0, "lost": 0, "duplicated": 0})
            print(f"{kind:<26}{injected.get(kind, 0):>9}{t['accepted']:>10}{t['lost']:>7}"
                  f"{t['duplicated']:>12}")
        retried = sum(c.transient_seen for c in self.clients)
        print(f"\ncalls retried after a transient error (same request id): {retried}\n")
        for name, value in checks.items():
            print(f"{name:<32}{value:>6}")
        for f in self.failures:
            print(f"load failure: {f}")
        lost = sum(t["lost"] for t in tally.values())
        dup = sum(t["duplicated"] for t in tally.values())
        accepted = sum(t["accepted"] for t in tally.values())
        ok = lost == 0 and dup == 0 and all(v == 0 for v in checks.values()) and \
            all(injected.get(k, 0) > 0 for k, _ in self.faults()) and \
            all(tally.get(k, {}).get("accepted", 0) > 0 for k, _ in self.faults())
        figures = []
        if self.faults():
            failed = sum(1 for v in checks.values() if v != 0)
            figures.append(("fault.checks_failed", failed, "checks", 0, "lower"))
        for kind, _ in self.faults():
            t = tally.get(kind, {"accepted": 0, "lost": 0, "duplicated": 0})
            figures += [(f"fault.{kind}.accepted", t["accepted"], "requests", None, "higher"),
                        (f"fault.{kind}.lost", t["lost"], "requests", 0, "lower"),
                        (f"fault.{kind}.duplicated", t["duplicated"], "requests", 0, "lower")]
        if self.args.scale_out:
            one, many = self.scale_out_result
            print(f"\nscale-out: {one:.1f} load steps/s through 1 replica of each service, "
                  f"{many:.1f} through {self.args.replicas} "
                  f"({many / one if one else 0.0:.2f} ×)")
            figures += [("scale.replicas_1.steps_per_s", round(one, 2), "steps/s", None, "higher"),
                        (f"scale.replicas_{self.args.replicas}.steps_per_s", round(many, 2),
                         "steps/s", None, "higher"),
                        (f"scale.replicas_{self.args.replicas}_vs_1.ratio",
                         round(many / one, 3) if one else 0.0, "x", None, "higher")]
        if self.args.soak:
            soak_ok, soak_figures = self.soak_report(self.soak_result)
            ok &= soak_ok
            figures += soak_figures
        print(f"\nfaults injected {sum(injected.values())}, requests accepted {accepted}, "
              f"lost {lost}, duplicated {dup}, in {time.time() - started:.0f} s: "
              f"{'PASS' if ok else 'FAIL'}")
        if self.args.results:
            self.write_figures(figures)
        return 0 if ok else 1

    def write_figures(self, figures):
        """Adds (id, value, unit, target, better) figures to a zx-bench results
        file, replacing figures of the same family from an earlier run."""
        path = self.args.results
        data = {"figures": [], "errors": []}
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
        families = {fid.split(".")[0] + "." for fid, *_ in figures}
        data["figures"] = [f for f in data["figures"]
                           if not any(f["id"].startswith(p) for p in families)]
        for fid, value, unit, target, better in figures:
            data["figures"].append({
                "id": fid, "value": value, "unit": unit, "baseline_id": None, "ratio": None,
                "target": target, "better": better,
                "pass": None if target is None else
                (value <= target if better == "lower" else value >= target)})
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, path)
        log(f"figures {', '.join(sorted(families))}* written to {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--work-dir", default=None, help="where the throwaway stack goes")
    p.add_argument("--long", action="store_true", help="the long form (./zx bench)")
    p.add_argument("--results", help="add fault.* figures to this zx-bench results file")
    p.add_argument("--keep", action="store_true", help="leave the stack and logs behind")
    p.add_argument("--soak", type=float, default=0, metavar="MINUTES",
                   help="no faults: calibrate capacity, then MINUTES of load at 70 %% of it")
    p.add_argument("--replicas", type=int, default=1, choices=range(1, 5),
                   help="replicas of each county service (same database and Redis)")
    p.add_argument("--scale-out", action="store_true",
                   help="no faults: unpaced load through 1 replica, then through all")
    p.add_argument("--prove-detection", action="store_true",
                   help="delete two effects before reconciling; the suite must then fail")
    args = p.parse_args()
    # ctest's timeout and ^C end the run through the finally blocks, which stop
    # the services and the stack.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not (args.long or args.soak or args.scale_out):
        # The short form ends itself (cleanly) well before ctest's TIMEOUT of 600 s.
        signal.signal(signal.SIGALRM, lambda *_: sys.exit("fault suite: over its 540 s budget"))
        signal.alarm(540)
    if args.scale_out and args.replicas < 2:
        p.error("--scale-out needs --replicas 2 or more")
    args.bin_dir = os.path.join(os.path.abspath(args.build_dir), "bin")
    # Short: one of each fault, 2 s outages, ~2 minutes. Long: three rounds, 10 s outages.
    args.rounds, args.down, args.settle = (3, 10.0, 6.0) if args.long else (1, 2.0, 3.0)
    # Workers per household: the wage loop pays one wage per placement (this
    # month's), so households × workers_per_household is its request count.
    args.households, args.workers_per_household, args.pause = \
        (40, 60, 0.02) if args.long else (8, 60, 0.05)
    args.quiesce_bound = 300 if args.long or args.soak else 120
    args.calibrate = 30.0
    # How long the federation link stays cut: minutes in the long form.
    args.cut = 120.0 if args.long else 5.0
    # How long the load runs, roughly (the wage loop is paced to last it).
    faults = 8
    args.expected_s = args.settle + args.rounds * (
        faults * (2 * args.settle + args.down + 3) + max(0.0, args.cut - args.down))
    if args.soak or args.scale_out:
        # No pacing beyond the load's own. Every placement is seeded by three
        # calls (worker, accept, start), so the set-up is bounded: scale-out
        # 100 × 60 = 6,000 placements, enough for its two unpaced 30 s windows
        # (wages ran at ~60/s); soak 800 × 20 = 16,000, which at 70 % of the
        # wage capacity (~45/s) lasts about the first six minutes of a 30-min
        # soak: the wage loop then stops and the other three loops go on.
        # (Before 2026-11-25, 60–120 past months per placement gave
        # 96,000 wages; the service now refuses months before the start.)
        args.households, args.workers_per_household = (800, 20) if args.soak else (100, 60)
        args.expected_s = 0.0
    return Suite(args).run()


if __name__ == "__main__":
    sys.exit(main())
