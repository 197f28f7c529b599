"""Reads deploy/local/instances.tsv, the one table of local instances and ports."""
import collections
import os

from zx_grpc import REPO_ROOT

DEFAULT_FILE = os.path.join(REPO_ROOT, "deploy", "local", "instances.tsv")

Row = collections.namedtuple(
    "Row", "instance division_code level name_zh service grpc_port metrics_port")


def load(path=None):
    rows = []
    with open(path or DEFAULT_FILE, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cols = line.split()
            if len(cols) != 7:
                raise ValueError(f"{path}:{lineno}: expected 7 columns, got {len(cols)}")
            rows.append(Row(cols[0], cols[1], cols[2], cols[3], cols[4],
                            int(cols[5]), int(cols[6])))
    return rows


def grouped(rows):
    """[(instance, division_code, level, name_zh, [rows...])] in file order."""
    out = collections.OrderedDict()
    for r in rows:
        out.setdefault(r.instance, (r.instance, r.division_code, r.level, r.name_zh, []))[4].append(r)
    return list(out.values())
