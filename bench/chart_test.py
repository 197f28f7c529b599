#!/usr/bin/python3
"""Tests of bench/chart.py: the selection functions, a rendered PNG, bad input."""

import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(HERE, "chart.py")
sys.path.insert(0, HERE)
import chart  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fig(id, value, unit, baseline_id=None, ratio=None, target=None, better="higher", passed=None):
    return {"id": id, "value": value, "unit": unit, "baseline_id": baseline_id, "ratio": ratio,
            "target": target, "better": better, "pass": passed}


FIGURES = [
    fig("raw.grpc_echo.qps_c64", 30000.0, "req/s"),  # nulls everywhere
    fig("raw.grpc_echo.p99_ms_c64", 3.0, "ms", better="lower"),
    fig("raw.redis_xadd.events_per_s", 90000.0, "events/s"),
    fig("events.relay.events_per_s", 34000.0, "events/s", "raw.redis_xadd.events_per_s",
        0.378, 0.3, passed=True),
    fig("assets.create.qps_c64", 1200.0, "req/s", "raw.grpc_echo.qps_c64", 0.04, 0.3,
        passed=False),
    fig("employment.matching.greedy_households_covered", 5009.0, "households"),
    fig("employment.matching.households_covered", 5029.0, "households",
        "employment.matching.greedy_households_covered", 1.004),  # ratio, not judged
    fig("events.end_to_end.p99_ms", 7.9, "ms", target=50, better="lower", passed=True),
    fig("monitoring.get_household.p99_ms_c64", 9.0, "ms", "raw.grpc_echo.p99_ms_c64", 3.0, 3.0,
        better="lower", passed=True),
    fig("assets.reconcile_county.seconds", 0.04, "s", target=2, better="lower", passed=True),
    fig("monitoring.rss_mib.max", 88.0, "MiB", target=512, better="lower", passed=True),
    fig("consumption.import.rows_per_s", 20000.0, "rows/s", "raw.pg_copy.rows_per_s",
        target=0.3),  # baseline missing from the run: ratio and pass null
]

MACHINE = {"hostname": "vm", "cpu_model": "AMD EPYC", "kernel": "Linux", "compiler": "g++ 12.2.0",
           "timestamp": "2026-11-24T00:00:00Z", "nproc": 2, "memory_gib": 23.5,
           "grpc": "1.51.1", "postgres": "15.18", "redis": "7.0.15"}


def ids(figures):
    return [f["id"] for f in figures]


class SelectionTest(unittest.TestCase):
    def test_ratio_panel_has_every_figure_with_a_ratio_sorted_by_id(self):
        self.assertEqual(ids(chart.ratio_figures(FIGURES)), [
            "assets.create.qps_c64",
            "employment.matching.households_covered",
            "events.relay.events_per_s",
            "monitoring.get_household.p99_ms_c64",
        ])

    def test_latency_panel_has_ms_and_s_figures_where_lower_is_better(self):
        self.assertEqual(ids(chart.latency_figures(FIGURES)), [
            "assets.reconcile_county.seconds",
            "events.end_to_end.p99_ms",
            "monitoring.get_household.p99_ms_c64",
            "raw.grpc_echo.p99_ms_c64",
        ])

    def test_higher_is_better_ms_and_non_numeric_values_are_left_out(self):
        odd = [fig("a.higher_ms", 5.0, "ms"), fig("b.null_value", None, "ms", better="lower"),
               fig("c.bool_ratio", 1.0, "x", ratio=True), fig("d.nan", float("nan"), "s",
                                                               better="lower")]
        self.assertEqual(chart.latency_figures(odd), [])
        self.assertEqual(chart.ratio_figures(odd), [])

    def test_latency_target_in_ms(self):
        by_id = {f["id"]: f for f in FIGURES}
        self.assertEqual(chart.value_ms(by_id["assets.reconcile_county.seconds"]), 40.0)
        self.assertEqual(chart.target_ms(by_id["assets.reconcile_county.seconds"]), 2000.0)
        self.assertEqual(chart.target_ms(by_id["events.end_to_end.p99_ms"]), 50.0)
        # A ratio target: 3 × the baseline (9 ms / 3.0 = 3 ms) = 9 ms.
        self.assertAlmostEqual(chart.target_ms(by_id["monitoring.get_household.p99_ms_c64"]), 9.0)
        self.assertIsNone(chart.target_ms(by_id["raw.grpc_echo.p99_ms_c64"]))
        no_ratio = fig("x.p99_ms", 5.0, "ms", "raw.missing", None, 3.0, better="lower")
        self.assertIsNone(chart.target_ms(no_ratio))

    def test_wide_range(self):
        self.assertTrue(chart.wide_range([0.01, 1.0]))
        self.assertFalse(chart.wide_range([0.3, 1.0, None]))
        self.assertFalse(chart.wide_range([0.0, 100.0]))
        self.assertFalse(chart.wide_range([]))


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_chart(self, content):
        src = os.path.join(self.dir, "results.json")
        with open(src, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        out = os.path.join(self.dir, "results.png")
        proc = subprocess.run([sys.executable, CHART, src, out], capture_output=True, text=True,
                              timeout=120)
        return proc, out

    def assert_png(self, proc, out):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], PNG_SIGNATURE)
        self.assertEqual(data[12:16], b"IHDR")
        width, height = struct.unpack(">II", data[16:24])
        self.assertGreaterEqual(width, 800)
        self.assertGreaterEqual(height, 300)
        self.assertGreater(len(data), 10_000)
        self.assertLess(len(data), 5_000_000)

    def test_renders_every_kind_of_figure(self):
        self.assert_png(*self.run_chart({"machine": MACHINE, "scale": 0.05, "warmup_s": 0.5,
                                         "duration_s": 3, "figures": FIGURES, "errors": []}))

    def test_renders_empty_panels_and_errors(self):
        results = {"machine": {}, "scale": 0.1, "figures": [FIGURES[0]],
                   "errors": [{"suite": "raw.redis", "message": "connection refused"}]}
        self.assert_png(*self.run_chart(results))

    def test_unreadable_input_exits_2(self):
        for content in ["{not json", "[]", '{"figures": [{"value": 1}]}', '{"figures": {}}']:
            with self.subTest(content=content):
                proc, out = self.run_chart(content)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("cannot read results", proc.stderr)
                self.assertFalse(os.path.exists(out))

    def test_missing_file_and_bad_usage_exit_2(self):
        missing = subprocess.run([sys.executable, CHART, os.path.join(self.dir, "none.json"),
                                  os.path.join(self.dir, "out.png")], capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("cannot read results", missing.stderr)
        usage = subprocess.run([sys.executable, CHART], capture_output=True, text=True, timeout=60)
        self.assertEqual(usage.returncode, 2)
        self.assertIn("usage:", usage.stderr)


if __name__ == "__main__":
    unittest.main()
