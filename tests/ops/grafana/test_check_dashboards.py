#!/usr/bin/python3
"""Unit tests of check_dashboards.py (standard library unittest):

    python3 tests/ops/grafana/test_check_dashboards.py        # from any directory
"""

import contextlib
import http.server
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_dashboards as cd  # noqa: E402

# What the services export, as prometheus-cpp writes it (one sample each).
FULL_EXPOSITION = """\
# HELP grpc_server_handled_total RPCs completed on the server
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_service="zx.monitoring.v1.MonitoringService",grpc_method="GetHousehold",grpc_type="unary",grpc_code="OK"} 3
# TYPE grpc_server_handling_seconds histogram
grpc_server_handling_seconds_count{grpc_service="s",grpc_method="m",grpc_type="unary"} 3
grpc_server_handling_seconds_sum{grpc_service="s",grpc_method="m",grpc_type="unary"} 0.01
grpc_server_handling_seconds_bucket{grpc_service="s",grpc_method="m",grpc_type="unary",le="0.0005"} 0
grpc_server_handling_seconds_bucket{grpc_service="s",grpc_method="m",grpc_type="unary",le="+Inf"} 3
# TYPE zx_events_outbox_depth gauge
zx_events_outbox_depth{stream="shufu:events:monitoring"} 0
# TYPE zx_events_relay_lag_seconds gauge
zx_events_relay_lag_seconds{stream="shufu:events:monitoring"} 0
# TYPE zx_events_relayed_total counter
zx_events_relayed_total{stream="shufu:events:monitoring"} 10
# TYPE zx_events_republished_total counter
zx_events_republished_total{stream="shufu:events:monitoring"} 0
# TYPE zx_events_consumer_lag gauge
zx_events_consumer_lag{stream="shufu:events:monitoring",group="employment"} 0
# TYPE zx_events_consumer_pending gauge
zx_events_consumer_pending{stream="shufu:events:monitoring",group="employment"} 0
# TYPE zx_events_dead_letters gauge
zx_events_dead_letters{stream="shufu:events:monitoring"} 0
# TYPE zx_idempotency_purged_total counter
zx_idempotency_purged_total 0
# TYPE zx_events_consumed_total counter
zx_events_consumed_total{stream="shufu:events:monitoring",group="employment",result="applied"} 10
# TYPE zx_pg_pool_connections gauge
zx_pg_pool_connections{pool="monitoring",state="in_use"} 1
# TYPE zx_pg_pool_exhausted_total counter
zx_pg_pool_exhausted_total{pool="monitoring"} 0
# TYPE zx_federation_backlog gauge
zx_federation_backlog{peer="653100000000",relation="parent"} 0
# TYPE zx_monitoring_households gauge
zx_monitoring_households{county="653121000000",colour="red"} 12
# TYPE zx_monitoring_alerts gauge
zx_monitoring_alerts{county="653121000000",kind="new_red"} 3
# TYPE zx_employment_households gauge
zx_employment_households{county="653121000000",coverage="covered"} 900
# TYPE zx_employment_wage_alerts gauge
zx_employment_wage_alerts{county="653121000000"} 0
# TYPE zx_consumption_sales_fen gauge
zx_consumption_sales_fen{origin_county="653121000000",channel="platform_832"} 150000
"""


def without_family(text, family):
    return "\n".join(l for l in text.splitlines() if family not in l) + "\n"


class MetricNamesTest(unittest.TestCase):
    def check(self, expr, expected):
        self.assertEqual(cd.metric_names(expr), expected, expr)

    def test_aggregation_with_by_before_the_argument(self):
        self.check("sum by (county) (rate(x_total[5m]))", ["x_total"])

    def test_histogram_quantile(self):
        self.check("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))", ["h_bucket"])

    def test_label_matchers_with_regex_strings(self):
        self.check('rate(grpc_server_handled_total{grpc_code=~"INTERNAL|UNAVAILABLE",'
                   ' service!~"a.*{b}(c)", method="say \\"by(x)\\" y"}[5m])',
                   ["grpc_server_handled_total"])

    def test_recording_rule_name(self):
        self.check("zx:households_red:count", ["zx:households_red:count"])
        self.check('zx:households_red:count{county=~"6531.*"} > 10', ["zx:households_red:count"])

    def test_by_after_the_argument_and_set_operators(self):
        self.check("sum(rate(a[5m])) by (job, instance) > bool 0 AND b unless on(job) c",
                   ["a", "b", "c"])

    def test_vector_matching_label_lists(self):
        self.check("a / on (instance, job) group_left (version, county) b", ["a", "b"])
        self.check("a * ignoring(code) group_right b", ["a", "b"])
        self.check("sum without (instance) (a)", ["a"])

    def test_numbers_durations_offsets(self):
        self.check("x > 1e-3 and y offset -5m < 0x1F or z @ 1609746000", ["x", "y", "z"])
        self.check("max_over_time(rate(x[5m])[1h:1m]) > Inf", ["x"])

    def test_grafana_variables(self):
        self.check('sum(rate(x{instance_name=~"$instance_name"}[$__rate_interval])) / $__range_s'
                   ' + delta(y[${__range}])', ["x", "y"])

    def test_string_arguments_and_functions(self):
        self.check('label_replace(x, "dst", "$1", "src", "(.*)") or vector(0) + time()', ["x"])
        self.check('label_replace(x, "d", "say \\"hi\\" b", "s", "") + y', ["x", "y"])
        self.check("label_join(x, `d`, `\\`, `s`) + y", ["x", "y"])
        self.check("topk(5, x) + clamp_min(y, 0) + count_values(\"v\", z)", ["x", "y", "z"])

    def test_name_matcher_and_comments(self):
        self.check('{__name__="foo", job="a"} + {__name__=~"ba.*"}', ["foo"])
        self.check("x # y is a comment\n + z", ["x", "z"])

    def test_order_of_first_use_without_repeats(self):
        self.check("b + a + b", ["b", "a"])

    def test_unterminated(self):
        for expr in ('x{a="b}', "rate(x[5m)", 'x{a="b"'):
            with self.assertRaises(ValueError, msg=expr):
                cd.metric_names(expr)


class RulesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_reader_scalar_styles(self):
        path = self.write("r.yml", """\
groups:
  - name: g  # a comment
    rules:
      - record: a:x:sum
        expr: sum(x)  # trailing comment
      - expr: 'y{l="it''s"}'
        record: a:y:sum
      - alert: Folded
        expr: >-
          a:x:sum
            > 1
        for: 5m
        labels: {severity: warning}
      - record: a:z:plain
        expr: z
          + w
""")
        rules = cd.read_rules(path)
        self.assertEqual([(r.get("record") or r.get("alert"), " ".join(r["expr"].split())) for r in rules],
                         [("a:x:sum", "sum(x)"), ("a:y:sum", "y{l=\"it's\"}"),
                          ("Folded", "a:x:sum > 1"), ("a:z:plain", "z + w")])

    def test_reader_agrees_with_pyyaml_on_the_repository_rules(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML not installed")
        mine = [(r.get("record") or r.get("alert"), " ".join(r["expr"].split()))
                for r in cd.load_rules(cd.DEFAULT_RULES)]
        theirs = []
        for path in sorted(os.listdir(cd.DEFAULT_RULES)):
            if path.endswith(".yml"):
                with open(os.path.join(cd.DEFAULT_RULES, path), encoding="utf-8") as f:
                    for g in yaml.safe_load(f)["groups"]:
                        for r in g["rules"]:
                            theirs.append((r.get("record") or r.get("alert"), " ".join(r["expr"].split())))
        self.assertTrue(mine)
        self.assertEqual(mine, theirs)

    def test_resolve_follows_recording_rules(self):
        records = {"zx:b:sum": ["sum(zx:a:max) / m3"], "zx:a:max": ["max(m1) + max(m2_bucket)"]}
        raw, undefined = cd.resolve("zx:b:sum", records)
        self.assertEqual([n for n, _ in raw], ["m1", "m2_bucket", "m3"])
        self.assertEqual(raw[0][1], ("zx:b:sum", "zx:a:max"))
        self.assertEqual(undefined, [])
        raw, undefined = cd.resolve("zx:nope:sum", records)
        self.assertEqual((raw, [n for n, _ in undefined]), ([], ["zx:nope:sum"]))


class ExpositionTest(unittest.TestCase):
    def test_families_and_suffixes(self):
        names = cd.families_from_text("# HELP h_seconds x\n# TYPE h_seconds histogram\n"
                                      "# TYPE g gauge\ng{a=\"b\"} 1\nc_total 2 1700000000\n")
        self.assertEqual(names, {"h_seconds", "g", "c_total"})
        self.assertTrue(cd.exported("h_seconds_bucket", names))
        self.assertTrue(cd.exported("h_seconds_count", names))
        self.assertFalse(cd.exported("h_seconds_total", names))
        self.assertFalse(cd.exported("g_total", names))
        self.assertFalse(cd.exported("c", names))
        self.assertTrue(cd.exported("up", set()))


class MainTest(unittest.TestCase):
    """Runs the checker on small dashboards and on the repository's own."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.dash = os.path.join(self.tmp, "dashboards")
        self.rules = os.path.join(self.tmp, "rules")
        os.mkdir(self.dash)
        os.mkdir(self.rules)
        with open(os.path.join(self.rules, "r.yml"), "w") as f:
            f.write("groups:\n  - name: g\n    rules:\n      - record: zx:m1:sum\n"
                    "        expr: sum by (county) (m1{colour=\"red\"})\n")

    def dashboard(self, name="d.json", uid="d", panels=None):
        panels = panels if panels is not None else [
            {"id": 1, "type": "row", "title": "r", "panels": []},
            {"id": 2, "type": "timeseries", "title": "rule",
             "targets": [{"refId": "A", "expr": "zx:m1:sum{county=~\"$county\"}"}]},
            {"id": 3, "type": "timeseries", "title": "raw",
             "targets": [{"refId": "A", "expr": "histogram_quantile(0.9, sum by (le) (rate(m2_bucket[$__rate_interval])))"},
                         {"refId": "B", "expr": "up{service!=\"\"}"}]},
        ]
        with open(os.path.join(self.dash, name), "w") as f:
            json.dump({"title": "T", "uid": uid, "panels": panels}, f)

    def metrics(self, text, name="m.txt"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_main(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = cd.main(["--dashboards", self.dash, "--rules", self.rules, *args])
        return rc, out.getvalue()

    def test_all_found(self):
        self.dashboard()
        rc, out = self.run_main("--metrics-file", self.metrics("# TYPE m1 gauge\n# TYPE m2 histogram\n"))
        self.assertEqual(rc, 0, out)
        self.assertIn("dashboards: 1, panels: 2, rules: 1, metric names checked: 3, missing: 0", out)

    def test_missing_metric_is_reported(self):
        self.dashboard()
        rc, out = self.run_main("--metrics-file", self.metrics("# TYPE m2 histogram\nm2_bucket{le=\"1\"} 0\n"))
        self.assertEqual(rc, 1, out)
        self.assertIn('d.json panel 2 "rule": metric m1 is not exported', out)
        self.assertIn("(via zx:m1:sum)", out)
        self.assertNotIn("metric m2", out)
        self.assertIn("missing: 2", out)  # the panel and the recording rule itself

    def test_metrics_files_are_combined(self):
        self.dashboard()
        rc, out = self.run_main("--metrics-file", self.metrics("# TYPE m1 gauge\n", "a.txt"),
                                "--metrics-file", self.metrics("m2_count 1\n", "b.txt"))
        self.assertEqual(rc, 1, out)  # m2_bucket: m2 is not a family here, m2_count is no base
        rc, out = self.run_main("--metrics-file", self.metrics("# TYPE m1 gauge\n", "a.txt"),
                                "--metrics-file", self.metrics("m2_bucket{le=\"+Inf\"} 1\n", "b.txt"))
        self.assertEqual(rc, 0, out)

    def test_undefined_recording_rule(self):
        self.dashboard(panels=[{"id": 1, "type": "stat", "title": "s",
                                "targets": [{"refId": "A", "expr": "sum(zx:nope:sum)"}]}])
        rc, out = self.run_main()
        self.assertEqual(rc, 1, out)
        self.assertIn("recording rule zx:nope:sum is not defined", out)

    def test_structure(self):
        self.dashboard(panels=[
            {"id": 1, "type": "stat", "title": "a", "targets": [{"refId": "A", "expr": "up"}]},
            {"id": 1, "type": "stat", "title": "b", "targets": [{"refId": "A", "expr": "up"}]},
            {"id": 3, "type": "stat", "title": "c", "targets": [{"refId": "A", "expr": " "}]},
            {"type": "stat", "title": "no id", "targets": [{"refId": "A", "expr": "up"}]},
            {"id": 4, "type": "row", "title": "collapsed", "collapsed": True, "panels": [
                {"id": 5, "type": "stat", "title": "nested", "targets": []}]},
        ])
        self.dashboard("e.json", uid="d", panels=[])
        with open(os.path.join(self.dash, "f.json"), "w") as f:
            f.write("{not json")
        rc, out = self.run_main()
        self.assertEqual(rc, 1, out)
        self.assertIn('panel 1 "b": id 1 also used by panel "a"', out)
        self.assertIn('panel 3 "c": no target with an expr', out)
        self.assertIn('panel None "no id": no id', out)
        self.assertIn('panel 5 "nested": no target with an expr', out)
        self.assertIn("uid 'd' also used by", out)
        self.assertIn("f.json: not valid JSON", out)

    def test_metrics_url(self):
        self.dashboard()
        body = b"# TYPE m1 gauge\nm1 1\n# TYPE m2 histogram\n"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        rc, out = self.run_main("--metrics-url", f"http://127.0.0.1:{server.server_port}/metrics")
        self.assertEqual(rc, 0, out)
        rc, out = self.run_main("--metrics-url", "http://127.0.0.1:1/metrics")
        self.assertEqual(rc, 2, out)

    @unittest.skipUnless(shutil.which("promtool"), "promtool not installed")
    def test_promtool_syntax(self):
        self.dashboard(panels=[
            {"id": 1, "type": "stat", "title": "ok",
             "targets": [{"refId": "A", "expr": "sum(rate(m1[$__rate_interval])) by (x)"}]},
            {"id": 2, "type": "stat", "title": "bad", "targets": [{"refId": "A", "expr": "sum(rate(m1[5m])"}]},
        ])
        rc, out = self.run_main("--promtool", "promtool")
        self.assertEqual(rc, 1, out)
        self.assertIn('panel 2 "bad": PromQL does not parse', out)
        self.assertNotIn('"ok"', out)

    def test_repository_dashboards_against_complete_exposition(self):
        full = self.metrics(FULL_EXPOSITION)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = cd.main(["--metrics-file", full])
        self.assertEqual(rc, 0, out.getvalue())
        self.assertRegex(out.getvalue(), r"dashboards: 5, panels: \d+, rules: \d+, metric names checked: \d+, missing: 0")
        for family, dashboard in (("zx_federation_backlog", "zx-federation.json"),
                                  ("zx_monitoring_households", "zx-prefecture.json"),
                                  ("grpc_server_handling_seconds", "zx-services.json")):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = cd.main(["--metrics-file", self.metrics(without_family(FULL_EXPOSITION, family), "partial.txt")])
            self.assertEqual(rc, 1, family)
            self.assertIn(dashboard, out.getvalue())
            self.assertIn(f"metric {family}", out.getvalue())


if __name__ == "__main__":
    unittest.main()
