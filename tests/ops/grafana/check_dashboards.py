#!/usr/bin/python3
"""Checks the Grafana dashboards of zhenxing (deploy/grafana/dashboards).

Structure: every dashboard parses as JSON and has a title and a uid (unique
across the files); panel ids are unique within a dashboard; every panel other
than a row has at least one target with a PromQL `expr`.

Metric names: every metric name a panel expression uses is extracted. A
recording-rule name (one holding ':') must be recorded in
deploy/prometheus/rules/*.yml; its expression is followed, recursively, down to
the raw metric names. With --metrics-url / --metrics-file the raw names (of the
panels and of every rule) are compared with the metric families the services
export; `up` and the other series Prometheus makes itself (scrape_*, ALERTS)
are always accepted. A name is found if it, or the name without a histogram
suffix (_bucket, _sum, _count), is exported.

With --promtool, every panel expression (Grafana variables replaced by sample
values) is also parsed by `promtool check rules`.

    tests/ops/grafana/check_dashboards.py                       # structure, rules
    tests/ops/grafana/check_dashboards.py --promtool promtool   # + PromQL syntax
    tests/ops/grafana/check_dashboards.py \\
        --metrics-url http://127.0.0.1:9100/metrics --metrics-url ...   # + live

Exits 0 when everything is found, 1 when something is missing or malformed,
2 on a usage error or when a metrics source cannot be read. Standard library
only; the rule files are read by a minimal YAML reader (see read_rules).
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DEFAULT_DASHBOARDS = os.path.join(ROOT, "deploy", "grafana", "dashboards")
DEFAULT_RULES = os.path.join(ROOT, "deploy", "prometheus", "rules")

# Series Prometheus makes itself, never exported by a service.
ALWAYS_PRESENT = {
    "up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

# PromQL words that are never metric names (compared lower-case).
AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}
KEYWORDS = AGGREGATIONS | {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "atan2", "bool", "offset", "inf", "nan", "start", "end",
}
# Keywords followed by a parenthesised list of label names.
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}

IDENT_START = re.compile(r"[A-Za-z_:]")
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
NUMBER = re.compile(r"[0-9.][0-9A-Za-z_.]*")  # numbers, hex, durations (5m, 1h30m)
VARIABLE = re.compile(r"\$(\{[^}]*\}|[A-Za-z0-9_]+)")  # Grafana $var, ${var}, ${var:fmt}


def _skip_string(s, i):
    """Index just past the string literal starting at s[i] (", ' or `)."""
    quote = s[i]
    i += 1
    while i < len(s):
        if s[i] == "\\" and quote != "`":
            i += 2
            continue
        if s[i] == quote:
            return i + 1
        i += 1
    raise ValueError("unterminated string literal")


def _read_string(s, i):
    end = _skip_string(s, i)
    body = s[i + 1:end - 1]
    if s[i] != "`":
        body = re.sub(r"\\(.)", r"\1", body)
    return body, end


def _skip_matchers(s, i, names):
    """s[i] is '{': index past the matching '}'. Adds the value of an
    exact __name__="..." matcher to names."""
    i += 1
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
        elif c == "}":
            return i + 1
        elif IDENT_START.match(c):
            m = IDENT.match(s, i)
            label = m.group(0)
            j = m.end()
            while j < len(s) and s[j].isspace():
                j += 1
            if label == "__name__" and s.startswith("=", j) and not s.startswith("=~", j):
                j += 1
                while j < len(s) and s[j].isspace():
                    j += 1
                if j < len(s) and s[j] in "\"'`":
                    value, j = _read_string(s, j)
                    names.append(value)
            i = j
        else:
            i += 1
    raise ValueError("unterminated label matcher '{'")


def _skip_balanced(s, i, open_c, close_c):
    """s[i] is open_c: index past the matching close_c (strings skipped)."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced '{open_c}'")


def metric_names(expr):
    """Metric names used in a PromQL expression, in order of first use.

    Skips function and aggregation names, keywords, label names (in matchers
    and in by/without/on/ignoring/group_left/group_right lists), string
    literals, numbers and durations, range and subquery brackets, comments and
    Grafana variables. Raises ValueError on an unterminated string, matcher or
    bracket."""
    names = []
    s = expr
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "#":
            nl = s.find("\n", i)
            i = len(s) if nl < 0 else nl + 1
        elif c in "\"'`":
            i = _skip_string(s, i)
        elif c == "{":
            i = _skip_matchers(s, i, names)
        elif c == "[":
            i = _skip_balanced(s, i, "[", "]")
        elif c == "$":
            m = VARIABLE.match(s, i)
            i = m.end() if m else i + 1
        elif c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            i = NUMBER.match(s, i).end()
        elif IDENT_START.match(c):
            m = IDENT.match(s, i)
            word = m.group(0)
            i = m.end()
            j = i
            while j < len(s) and s[j].isspace():
                j += 1
            followed_by_paren = j < len(s) and s[j] == "("
            lower = word.lower()
            if lower in LABEL_LIST_KEYWORDS:
                if followed_by_paren:
                    i = _skip_balanced(s, j, "(", ")")
            elif lower in KEYWORDS or followed_by_paren:
                pass  # keyword, aggregation or function call
            else:
                names.append(word)
        else:
            i += 1
    seen = set()
    return [n for n in names if not (n in seen or seen.add(n))]


# ------------------------------------------------------------------ rules


def read_rules(path):
    """Rules of a Prometheus rule file: a list of dicts with 'record' or
    'alert', 'expr', 'file'. A minimal YAML reader for the layout of
    deploy/prometheus/rules: each rule is a list item holding `record:` or
    `alert:` and `expr:`; expr is a plain or quoted scalar on one line or a
    block scalar (| or >, with chomping indicator), or continues on more
    indented lines."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    rules = []
    current = None
    item_re = re.compile(r"^(\s*)-\s+(.*)$")
    key_re = re.compile(r"^(\s*)(record|alert|expr):(?:\s+(.*))?$")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        item = item_re.match(line)
        if item:
            if current is not None and "expr" in current:
                rules.append(current)
            current = {"file": path}
            # Treat the item's first key as if written on its own line.
            line = " " * (len(item.group(1)) + 2) + item.group(2)
        key = key_re.match(line)
        i += 1
        if not key or current is None:
            continue
        indent, name, value = len(key.group(1)), key.group(2), (key.group(3) or "").strip()
        if value and value[0] in "|>":
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i])
                i += 1
            value = "\n".join(block).strip()
        elif value[:1] in ("'", '"'):
            quote = value[0]
            value = value[1:value.rindex(quote)]
            value = value.replace("''", "'") if quote == "'" else re.sub(r"\\(.)", r"\1", value)
        else:
            value = re.sub(r"\s+#.*$", "", value)
            while i < len(lines) and lines[i].strip() and \
                    len(lines[i]) - len(lines[i].lstrip()) > indent and \
                    not item_re.match(lines[i]):
                value += " " + lines[i].strip()
                i += 1
        current[name] = value
    if current is not None and "expr" in current:
        rules.append(current)
    for r in rules:
        if "record" not in r and "alert" not in r:
            raise ValueError(f"{path}: a rule with expr has neither record nor alert")
    return rules


def load_rules(rules_dir):
    rules = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml")) +
                       glob.glob(os.path.join(rules_dir, "*.yaml"))):
        rules.extend(read_rules(path))
    return rules


def resolve(name, records, chain=(), out=None):
    """Raw metric names behind `name`: itself if it holds no ':', else those
    of the expression(s) recording it. Returns (raw names with their rule
    chain, undefined recording-rule names with their chain)."""
    if out is None:
        out = ([], [])
    if ":" not in name:
        out[0].append((name, chain))
        return out
    if name in chain:
        return out  # a cycle: promtool rejects those; nothing more to find
    if name not in records:
        out[1].append((name, chain))
        return out
    for expr in records[name]:
        for n in metric_names(expr):
            resolve(n, records, chain + (name,), out)
    return out


# --------------------------------------------------------------- exported


def families_from_text(text):
    """Metric names of a Prometheus text exposition: # TYPE family names and
    sample names."""
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "TYPE":
                names.add(parts[2])
            continue
        m = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
        if m:
            names.add(m.group(0))
    return names


def fetch(url, timeout=10):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        return resp.read().decode("utf-8", errors="replace")


def exported(name, available):
    if name in available or name in ALWAYS_PRESENT:
        return True
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[:-len(suffix)] in available:
            return True
    return False


# ------------------------------------------------------------- dashboards


def iter_panels(panels):
    for p in panels or []:
        yield p
        yield from iter_panels(p.get("panels"))  # rows hold their panels when collapsed


def sample_expr(expr):
    """expr with Grafana variables replaced so that PromQL can parse it."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}", "5m", expr)
    expr = re.sub(r"\$__(range_s|interval_ms|range_ms)\b", "300", expr)
    return VARIABLE.sub("x", expr)


def check_syntax(promtool, exprs):
    """Problems promtool finds parsing the expressions [(where, expr)]."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboards.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboards\n    rules:\n")
            for n, (_, expr) in enumerate(exprs):
                f.write(f"      - record: dashboard:expr{n}:check\n")
                f.write(f"        expr: {json.dumps(sample_expr(expr))}\n")
        proc = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        if proc.returncode == 0:
            return []
        problems = []
        for m in re.finditer(r"group \"dashboards\", rule (\d+), \"[^\"]*\": (.*)", proc.stdout + proc.stderr):
            where, expr = exprs[int(m.group(1)) - 1]
            problems.append(f"{where}: PromQL does not parse ({m.group(2)}): {expr}")
        return problems or [f"promtool check rules failed:\n{proc.stdout}{proc.stderr}"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dashboards", default=DEFAULT_DASHBOARDS, help="directory of dashboard *.json")
    ap.add_argument("--rules", default=DEFAULT_RULES, help="directory of Prometheus rule *.yml")
    ap.add_argument("--metrics-url", action="append", default=[], help="a /metrics URL (repeatable)")
    ap.add_argument("--metrics-file", action="append", default=[],
                    help="a file in Prometheus text format (repeatable)")
    ap.add_argument("--promtool", help="also parse every panel expression with this promtool")
    args = ap.parse_args(argv)

    problems = []
    try:
        rules = load_rules(args.rules)
    except (OSError, ValueError) as e:
        print(f"error: rules: {e}", file=sys.stderr)
        return 2
    records = {}
    for r in rules:
        if "record" in r:
            records.setdefault(r["record"], []).append(r["expr"])

    available = None
    if args.metrics_url or args.metrics_file:
        available = set()
        for path in args.metrics_file:
            try:
                with open(path, encoding="utf-8") as f:
                    available |= families_from_text(f.read())
            except OSError as e:
                print(f"error: --metrics-file {path}: {e}", file=sys.stderr)
                return 2
        for url in args.metrics_url:
            try:
                available |= families_from_text(fetch(url))
            except (OSError, ValueError) as e:
                print(f"error: --metrics-url {url}: {e}", file=sys.stderr)
                return 2

    files = sorted(glob.glob(os.path.join(args.dashboards, "*.json")))
    if not files:
        problems.append(f"no dashboards (*.json) in {args.dashboards}")
    uids = {}
    n_panels = 0
    exprs = []     # (where, expr) for the syntax check
    uses = []      # (where, expr) whose metric names are checked
    for path in files:
        name = os.path.relpath(path, ROOT) if path.startswith(ROOT) else path
        try:
            with open(path, encoding="utf-8") as f:
                dash = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{name}: not valid JSON: {e}")
            continue
        if not isinstance(dash, dict):
            problems.append(f"{name}: not a JSON object")
            continue
        for field in ("title", "uid"):
            if not isinstance(dash.get(field), str) or not dash[field].strip():
                problems.append(f"{name}: no {field}")
        uid = dash.get("uid")
        if isinstance(uid, str) and uid:
            if uid in uids:
                problems.append(f"{name}: uid {uid!r} also used by {uids[uid]}")
            uids[uid] = name
        ids = {}
        for panel in iter_panels(dash.get("panels")):
            pid = panel.get("id")
            title = panel.get("title", "")
            where = f'{name} panel {pid} "{title}"'
            if pid is None:
                problems.append(f"{where}: no id")
            elif pid in ids:
                problems.append(f'{where}: id {pid} also used by panel "{ids[pid]}"')
            else:
                ids[pid] = title
            if panel.get("type") == "row":
                continue
            n_panels += 1
            targets = [t for t in panel.get("targets") or []
                       if isinstance(t, dict) and isinstance(t.get("expr"), str) and t["expr"].strip()]
            if not targets:
                problems.append(f"{where}: no target with an expr")
            refids = [t.get("refId") for t in panel.get("targets") or [] if isinstance(t, dict)]
            if len(refids) != len(set(refids)):
                problems.append(f"{where}: duplicate refId")
            for t in targets:
                exprs.append((where, t["expr"]))
                uses.append((where, t["expr"]))
    for r in rules:
        kind = "record" if "record" in r else "alert"
        uses.append((f"{os.path.relpath(r['file'], ROOT)} {kind} {r.get(kind)}", r["expr"]))

    checked = set()
    missing = 0
    for where, expr in uses:
        try:
            names = metric_names(expr)
        except ValueError as e:
            problems.append(f"{where}: cannot read expression ({e}): {expr}")
            continue
        for n in names:
            raw, undefined = resolve(n, records)
            for rule, chain in undefined:
                via = f" (via {' -> '.join(chain)})" if chain else ""
                problems.append(f"{where}: recording rule {rule} is not defined in {args.rules}{via}")
                missing += 1
            for metric, chain in raw:
                if available is None:
                    continue
                checked.add(metric)
                if not exported(metric, available):
                    via = f" (via {' -> '.join(chain)})" if chain else ""
                    problems.append(f"{where}: metric {metric} is not exported by any scraped target{via}")
                    missing += 1

    if args.promtool:
        if not shutil.which(args.promtool):
            print(f"error: --promtool {args.promtool}: not found", file=sys.stderr)
            return 2
        problems.extend(check_syntax(args.promtool, exprs))

    for p in problems:
        print(f"MISSING: {p}" if "not exported" in p or "not defined" in p else f"ERROR: {p}")
    note = "" if available is not None else " (no --metrics-url/--metrics-file: raw names not compared)"
    print(f"dashboards: {len(files)}, panels: {n_panels}, rules: {len(rules)}, "
          f"metric names checked: {len(checked)}, missing: {missing}{note}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
