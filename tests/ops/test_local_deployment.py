#!/usr/bin/python3
"""The local deployment as an operator, an official and a partner province meet it.

Runs the real `./zx up` (a prefecture and two counties: PostgreSQL, Redis, 15
services, Prometheus, demonstration data) in a directory and on ports of its
own (ZX_VAR, ZX_PORT_OFFSET), then checks from outside:

  1. `zxctl status` shows every instance and service SERVING; a scripted
     zxctl session walks a household from clue to county confirmation and
     prints its history (issue 9, criterion 1);
  2. the Prometheus that ./zx up started loaded every rule of
     deploy/prometheus/rules without error (criterion 2, with tests/ops/prometheus);
  3. every metric a Grafana panel uses exists in a live /metrics scrape (criterion 3);
  4. the partner-province client (clients/python) posts a job and places an
     order through the prefecture's federation gateway with mutual TLS (criterion 5).

`./zx down --purge` removes everything afterwards.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import zx_grpc  # noqa: E402

ARGS = None
PSQL = "/usr/lib/postgresql/15/bin/psql"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
COUNTY = "653121000000"  # Shufu
VILLAGE_CADRE = "dev.653121101201.village_cadre.ops-test"
TOWNSHIP_OFFICIAL = "dev.653121101000.township_official.ops-test"
COUNTY_OFFICIAL = f"dev.{COUNTY}.county_official.ops-test"


def run(cmd, env=None, timeout=120, check=False):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


class LocalDeploymentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.var = os.path.join(ARGS.build_dir, "ops-deployment")
        cls.offset = ARGS.port_offset
        cls.env = dict(os.environ, ZX_VAR=cls.var, ZX_PORT_OFFSET=str(cls.offset),
                       ZX_BUILD_DIR=ARGS.build_dir, ZX_NO_BUILD="1")
        run([os.path.join(ROOT, "zx"), "down", "--purge"], env=cls.env, timeout=120)
        shutil.rmtree(cls.var, ignore_errors=True)
        # Runs even when setUpClass fails below: nothing stays up on its ports.
        cls.addClassCleanup(cls.down)
        try:
            up = run([os.path.join(ROOT, "zx"), "up"], env=cls.env, timeout=600)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"./zx up did not finish in 600 s: {e}") from e
        cls.up_output = up.stdout + up.stderr
        if up.returncode != 0:
            print(cls.up_output[-4000:], file=sys.stderr)
            raise AssertionError(f"./zx up exited {up.returncode}")
        cls.instances_file = os.path.join(cls.var, "run", "instances.tsv")
        cls.rows = [line.split() for line in open(cls.instances_file, encoding="utf-8")
                    if line.strip() and not line.startswith("#")]

    @classmethod
    def down(cls):
        down = run([os.path.join(ROOT, "zx"), "down", "--purge"], env=cls.env, timeout=180)
        if down.returncode != 0:
            print(down.stdout + down.stderr, file=sys.stderr)

    def zxctl(self, *args, token=None, instance="shufu", expect=0):
        cmd = [os.path.join(ARGS.build_dir, "bin", "zxctl"), "--instances-file",
               self.instances_file, "--no-colour"]
        if instance:
            cmd += ["--instance", instance]
        if token:
            cmd += ["--token", token]
        p = run(cmd + list(args), env=self.env)
        if expect is not None:
            self.assertEqual(p.returncode, expect,
                             f"zxctl {' '.join(args)}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def port(self, instance, service, column=5):
        for r in self.rows:
            if r[0] == instance and r[4] == service:
                return int(r[column])
        raise KeyError((instance, service))

    # ---- 1. zxctl ---------------------------------------------------------------

    def test_1_status_shows_every_service_serving(self):
        table = self.zxctl("status", instance=None).stdout
        self.assertEqual(len(re.findall(r"\bSERVING\b", table)), len(self.rows), table)
        status = json.loads(self.zxctl("-o", "json", "status", instance=None).stdout)
        self.assertEqual(len(status), len(self.rows))
        self.assertEqual({s["health"] for s in status}, {"SERVING"})
        self.assertTrue(all(s["version"] for s in status))
        federation = [s for s in status if s["service"] == "federation"]
        self.assertEqual(len(federation), 3)
        self.assertTrue(all("federation_backlog" in s for s in federation), federation)
        self.assertTrue(all("outbox_depth" in s for s in status))
        peers = json.loads(self.zxctl("-o", "json", "federation", "status",
                                      instance="kashgar").stdout)["peers"]
        self.assertEqual(sorted((p["division_code"], p["relation"]) for p in peers),
                         [("370000000000", "partner"), ("653121000000", "child"),
                          ("653122000000", "child")])

    def green_household(self):
        csv = self.zxctl("-o", "csv", "household", "list", "--division", "653121101201",
                         "--page-size", "100", token=COUNTY_OFFICIAL).stdout.splitlines()
        self.assertTrue(csv[0].startswith("household"), csv[:2])
        for line in csv[1:]:
            cells = line.split(",")
            if cells[-1].endswith("GREEN"):
                return cells[0]
        self.fail(f"no GREEN household in village 653121101201:\n{csv}")

    def let_publicity_run_six_days(self, household):
        """The publicity must run five days (RULES M7): move its recorded start
        back six days in the database instead of waiting."""
        zx_grpc.setup(ARGS.build_dir)  # makes the generated stubs importable
        from zx.monitoring.v1 import lifecycle_pb2
        pg = ["-h", "127.0.0.1", "-p", str(15432 + self.offset), "-U", "postgres",
              "-d", f"zx_{COUNTY[:6]}", "-v", "ON_ERROR_STOP=1", "-qAt", "-c"]
        where = f"household_id = '{household}' AND state <> 'closed_no_risk'"
        hexed = run([PSQL] + pg + [f"SELECT encode(snapshot, 'hex') FROM "
                                   f"monitoring.monitoring_objects WHERE {where}"],
                    check=True).stdout.strip()
        snap = lifecycle_pb2.MonitoringObjectSnapshot.FromString(bytes.fromhex(hexed))
        self.assertGreater(snap.object.publicity_started_at.seconds, 0)
        snap.object.publicity_started_at.seconds -= 6 * 86400
        run([PSQL] + pg + [f"UPDATE monitoring.monitoring_objects SET snapshot = "
                           f"decode('{snap.SerializeToString().hex()}', 'hex') WHERE {where}"],
            check=True)

    def test_2_zxctl_walks_a_household_from_clue_to_confirmation(self):
        h = self.green_household()
        clue = json.loads(self.zxctl("-o", "json", "clue", "raise", h, "--way", "cadre_visit",
                                     "--description", "户主突发重病住院 (ops test)",
                                     token=VILLAGE_CADRE).stdout)
        self.assertTrue(clue["object_id"].startswith("mo-"))
        steps = [
            (VILLAGE_CADRE, ["--step", "home_verification", "--reason", "入户核实", "--consent"]),
            (COUNTY_OFFICIAL, ["--step", "data_comparison", "--reason", "医保、民政数据比对"]),
            (VILLAGE_CADRE, ["--step", "village_assess", "--reason", "村民代表评议通过"]),
            (VILLAGE_CADRE, ["--step", "start_publicity", "--reason", "村委会公示栏公示"]),
        ]
        for token, args in steps:
            self.zxctl("object", "advance", h, *args, token=token)
        # Ending publicity early is refused, naming the rule; nothing changes.
        early = self.zxctl("object", "advance", h, "--step", "end_publicity", "--reason", "x",
                           token=VILLAGE_CADRE, expect=3)
        self.assertIn("publicity_min_days", early.stderr)
        self.let_publicity_run_six_days(h)
        for token, args in [
            (VILLAGE_CADRE, ["--step", "end_publicity", "--reason", "公示5天无异议"]),
            (TOWNSHIP_OFFICIAL, ["--step", "township_review", "--reason", "乡镇审核同意",
                                 "--decision", "approve"]),
            (COUNTY_OFFICIAL, ["--step", "county_confirm", "--reason", "县级审定",
                               "--decision", "approve", "--type", "sudden_hardship",
                               "--risk", "illness"]),
        ]:
            self.zxctl("object", "advance", h, *args, token=token)
        obj = json.loads(self.zxctl("-o", "json", "object", "get", h,
                                    token=COUNTY_OFFICIAL).stdout)
        self.assertEqual(obj["state"], "MONITORING_OBJECT_STATE_COUNTY_CONFIRMED")
        self.assertEqual(obj["risk_types"], ["RISK_TYPE_ILLNESS"])
        history = json.loads(self.zxctl("-o", "json", "household", "history", h,
                                        token=COUNTY_OFFICIAL).stdout)
        actions = [s["action"].replace("LIFECYCLE_ACTION_", "").lower()
                   for s in history["steps"] if not s["rejected"]]
        self.assertEqual(actions[-7:], ["record_home_verification", "record_data_comparison",
                                        "village_assess", "start_publicity", "end_publicity",
                                        "township_review", "county_confirm"])
        table = self.zxctl("household", "history", h, token=COUNTY_OFFICIAL).stdout
        self.assertIn("county_confirm", table)
        self.assertIn("县级审定", table)
        print(f"\nhistory of {h}:\n{table}", file=sys.stderr)

    def test_3_zxctl_errors_are_exit_codes(self):
        self.zxctl("object", "advance", "hh-00000000000000000000", "--step", "bogus",
                   "--reason", "x", expect=2)
        missing = self.zxctl("household", "get", "hh-00000000000000000000",
                             token=COUNTY_OFFICIAL, expect=6)
        self.assertIn("NOT_FOUND", missing.stderr)
        bad = self.zxctl("clue", "raise", "not-a-household", "--description", "x",
                         token=VILLAGE_CADRE, expect=3)
        self.assertIn("field household_id", bad.stderr)
        # A Shule official reading a Shufu household: outside the jurisdiction.
        denied = self.zxctl("household", "get", self.green_household(),
                            token="dev.653122000000.county_official.ops-test", expect=4)
        self.assertIn("PERMISSION_DENIED", denied.stderr)
        self.zxctl("--instance", "nowhere", "status", instance=None, expect=2)

    def test_3b_every_zxctl_command_answers(self):
        """The commands not in the session above, against the demo data."""
        county = dict(token=COUNTY_OFFICIAL)
        # Monitoring: explain, roll-up, alerts, a watch that ends, re-assessment.
        h = self.green_household()
        explained = json.loads(self.zxctl("-o", "json", "household", "explain", h, "--lang", "en",
                                          **county).stdout)
        self.assertEqual(explained["colour"], "COLOUR_GREEN")
        rollup = json.loads(self.zxctl("-o", "json", "rollup", **county).stdout)
        self.assertEqual(int(rollup["households"]), 96)
        self.assertIn("红 RED", self.zxctl("rollup", **county).stdout)
        alerts = json.loads(self.zxctl("-o", "json", "alerts", "list", "--kind", "new_red",
                                       **county).stdout)["alerts"]
        self.assertTrue(alerts and all(a["kind"] == "ALERT_KIND_NEW_RED" for a in alerts))
        watched = self.zxctl("-o", "json", "alerts", "watch", "--max", "2", **county).stdout
        self.assertEqual(len(watched.splitlines()), 2, watched)
        job = json.loads(self.zxctl("-o", "json", "household", "reassess", "--division",
                                    "653121101201", **county).stdout)
        self.assertEqual(job["state"], "JOB_STATE_DONE")
        self.assertEqual(job["households_done"], job["households_total"])
        # Assets: the ledgers of a county without assets balance.
        self.zxctl("ledger", "get", "--kind", "master", **county)
        self.assertIn("balanced", self.zxctl("ledger", "reconcile", **county).stdout)
        # Employment: a matching run, then shown again by id.
        run_ = json.loads(self.zxctl("-o", "json", "matching", "run", instance="kashgar").stdout)
        shown = json.loads(self.zxctl("-o", "json", "matching", "show", run_["run_id"],
                                      instance="kashgar").stdout)
        self.assertEqual(shown["run_id"], run_["run_id"])
        # Consumption: an 832 export whose rows name nothing known is rejected
        # row by row (exit 3), each row with its field; nothing is imported.
        export = os.path.join(self.var, "orders.csv")
        with open(export, "w", encoding="utf-8") as f:
            f.write("platform_order_no,buyer_id,product_id,quantity,unit_price_fen,order_date\n"
                    "832-ops-1,by-0a0a0a0a0a0a0a0a0a0a,pd-0a0a0a0a0a0a0a0a0a0a,3,2400,2026-11-01\n"
                    "832-ops-2,not-a-buyer,pd-0a0a0a0a0a0a0a0a0a0a,3,2400,2026-11-01\n")
        imported = self.zxctl("orders", "import", export, **county, expect=3)
        self.assertIn("2 rows: 0 accepted", imported.stdout)
        self.assertIn("buyer_id", imported.stdout)
        # Federation: the directive the demo issued to Shufu, acknowledged; the
        # children's reports of this month at the prefecture.
        directives = json.loads(self.zxctl("-o", "json", "directive", "list", **county).stdout)
        demo = [d for d in directives["directives"] if d["subject"] == "verify_households"]
        self.assertTrue(demo, directives)
        if demo[0]["status"] == "DIRECTIVE_STATUS_ISSUED":
            acked = json.loads(self.zxctl("-o", "json", "directive", "ack", demo[0]["directive_id"],
                                          "--note", "已签收 (ops test)", **county).stdout)
            self.assertEqual(acked["status"], "DIRECTIVE_STATUS_ACKNOWLEDGED")
        month = datetime.date.today().strftime("%Y-%m")
        children = json.loads(self.zxctl("-o", "json", "report", "children", "--period", month,
                                         instance="kashgar").stdout)
        self.assertEqual(sorted(c["division_code"] for c in children["children"]),
                         ["653121000000", "653122000000"])
        # Audit: every service's chain of the county is intact.
        audit = self.zxctl("audit", "verify", instance="shufu")
        self.assertEqual(audit.stdout.count("yes 是"), 5, audit.stdout)
        self.zxctl("audit", "verify", "--service", "monitorng", instance="shufu", expect=2)

    # ---- 2. Prometheus ------------------------------------------------------------

    def test_4_prometheus_loaded_every_rule(self):
        import yaml
        expected = set()
        for path in glob.glob(os.path.join(ROOT, "deploy", "prometheus", "rules", "*.yml")):
            with open(path, encoding="utf-8") as f:
                groups = yaml.safe_load(f)["groups"]
            for group in groups:
                for rule in group["rules"]:
                    expected.add(rule.get("alert") or rule.get("record"))
        self.assertGreater(len(expected), 10)
        url = f"http://127.0.0.1:{19090 + self.offset}/api/v1/rules"
        deadline = time.monotonic() + 60
        while True:
            groups = json.load(NO_PROXY.open(url, timeout=5))["data"]["groups"]
            rules = {r["name"]: r for g in groups for r in g["rules"]}
            if set(rules) >= expected and all(r["health"] == "ok" for r in rules.values()):
                break
            if time.monotonic() > deadline:
                bad = {n: (r["health"], r.get("lastError")) for n, r in rules.items()
                       if r["health"] != "ok"}
                self.fail(f"missing {expected - set(rules)}; not ok: {bad}")
            time.sleep(2)

    # ---- 3. Grafana ------------------------------------------------------------------

    def test_5_every_dashboard_metric_is_in_a_live_scrape(self):
        urls = []
        for r in self.rows:
            urls += ["--metrics-url", f"http://127.0.0.1:{r[6]}/metrics"]
        p = run(["/usr/bin/python3", os.path.join(HERE, "grafana", "check_dashboards.py")] + urls)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"missing: 0")

    def test_5b_state_gauges_agree_with_the_rollup(self):
        """zx_monitoring_households of Shufu equals its roll-up (the gauges are
        refreshed every 30 s: wait for the one after the demo data)."""
        rollup = json.loads(self.zxctl("-o", "json", "rollup", token=COUNTY_OFFICIAL).stdout)
        want = {c: int(rollup["household_colours"][c]) for c in ("red", "orange", "yellow", "green")}
        url = f"http://127.0.0.1:{self.port('shufu', 'monitoring', 6)}/metrics"
        pattern = re.compile(r'^zx_monitoring_households\{(?=[^}]*county="653121000000")'
                             r'[^}]*colour="(\w+)"[^}]*\} (\S+)$', re.M)
        deadline = time.monotonic() + 45
        while True:
            text = NO_PROXY.open(url, timeout=5).read().decode()
            got = {c: int(float(v)) for c, v in pattern.findall(text)}
            if all(got.get(c) == n for c, n in want.items()):
                break
            if time.monotonic() > deadline:
                self.fail(f"gauge {got} != roll-up {want}")
            time.sleep(2)
        self.assertEqual(sum(want.values()), 96)

    # ---- 4. The partner province ----------------------------------------------------

    def partner(self, *args, cert="partner-370000000000", instance="kashgar", expect=0):
        pki = os.path.join(self.var, "pki")
        level, code = ("prefecture", "653100000000") if instance == "kashgar" else \
            ("county", COUNTY)
        cmd = ["/usr/bin/python3", os.path.join(ROOT, "clients", "python", "zx_partner.py"),
               "--target", f"127.0.0.1:{self.port(instance, 'federation') + 1000}",
               "--ca", os.path.join(pki, "ca.crt"), "--cert", os.path.join(pki, cert + ".crt"),
               "--key", os.path.join(pki, cert + ".key"),
               "--server-name", f"{level}-{code}.zx", "--timeout", "10"]
        p = run(cmd + list(args), env=self.env)
        if expect is not None:
            self.assertEqual(p.returncode, expect, f"{args}\n{p.stdout}\n{p.stderr}")
        return p

    def test_6_partner_posts_a_job_and_places_an_order_over_mutual_tls(self):
        run(["bash", os.path.join(ROOT, "clients", "python", "generate.sh")], check=True)
        m = re.search(r"partner catalogue — \S+ (pd-[0-9a-f]{20})", self.up_output)
        self.assertIsNotNone(m, "the demo printed no partner catalogue")
        product = m.group(1)

        posted = json.loads(self.partner("post-job", "--employer-name", "青岛示范电子厂 (ops)",
                                         "--title", "装配工", "--wage-fen", "560000",
                                         "--slots", "20").stdout)
        self.assertEqual(posted["employer"]["division_code"], "370000000000")
        self.assertTrue(posted["job"]["job_id"].startswith("jb-"))
        self.assertTrue(posted["job"]["partner_province"])
        self.assertEqual(posted["job"]["updated"]["role"], "partner")

        order_args = ["place-order", "--buyer-name", "青岛示范食品公司 (ops)", "--buyer-division",
                      "370200000000", "--buyer-kind", "company", "--line", f"{product}:120"]
        placed = json.loads(self.partner(*order_args).stdout)
        order = placed["order"]
        self.assertEqual(order["status"], "ORDER_STATUS_PLACED")
        self.assertEqual(order["channel"], "CHANNEL_PARTNER_STORE")
        self.assertEqual(order["lines"][0]["amount_fen"], str(120 * 3000))
        # A retry (same derived request id) changes nothing twice.
        again = json.loads(self.partner(*order_args).stdout)["order"]
        self.assertEqual(again["order_id"], order["order_id"])
        got = json.loads(self.partner("get-order", "--order-id", order["order_id"]).stdout)
        self.assertEqual(got["order_id"], order["order_id"])

        # Bad input: the local service's error, naming the field, through the gateway.
        bad = self.partner("post-job", "--employer-name", "青岛示范电子厂 (ops)", "--title", "x",
                           "--wage-fen", "99999999", "--slots", "1", expect=3)
        self.assertIn("field job.", bad.stderr)
        # A province the prefecture has no partnership with is refused.
        run([os.path.join(ROOT, "tools", "zxca", "zxca"), "issue", os.path.join(self.var, "pki"),
             "partner", "440000000000"], check=True)
        refused = self.partner(*order_args, cert="partner-440000000000", expect=4)
        self.assertIn("PERMISSION_DENIED", refused.stderr)
        # A county has no partners configured: refused there too.
        self.partner(*order_args, instance="shufu", expect=4)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--port-offset", type=int,
                    default=int(os.environ.get("ZX_OPS_TEST_PORT_OFFSET", "3000")))
    ARGS, rest = ap.parse_known_args()
    ARGS.build_dir = os.path.abspath(ARGS.build_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
