#!/usr/bin/python3
"""Status of the local instances started by ./zx up.

    zx_status.py [--json] [--instances-file F] [--run-dir var/run]
                 [--prometheus-url URL] [--host 127.0.0.1]

PIDs come from <run-dir>/<instance>-<service>.pid (null when the process is not
running); health from grpc.health.v1 Check (service ""), probed concurrently.
JSON shape:
  {"instances": [{"name", "division_code", "level",
                  "services": [{"name", "grpc_port", "metrics_port", "pid", "healthy"}]}],
   "prometheus_url"}
"""
import argparse
import json
import os
import signal
import sys
import unicodedata
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zx_grpc  # noqa: E402
import zx_health  # noqa: E402
import zx_instances  # noqa: E402


def live_pid(pidfile, expect):
    """PID from pidfile if that process is alive and is `expect`, else None."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return None
    return pid if expect in cmd else None


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, n):
    return s + " " * max(0, n - width(s))


def prometheus_targets(url):
    """Active scrape targets of the local Prometheus, or None if it is down."""
    try:
        with urllib.request.urlopen(url + "/api/v1/targets?state=active", timeout=2) as resp:
            return json.load(resp)["data"]["activeTargets"]
    except (OSError, ValueError, KeyError):
        return None


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet exit when piped into head
    ap = argparse.ArgumentParser(description="status of the local zhenxing instances")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--instances-file", default=zx_instances.DEFAULT_FILE)
    ap.add_argument("--run-dir", default=os.path.join(zx_grpc.REPO_ROOT, "var", "run"))
    ap.add_argument("--prometheus-url", default="http://127.0.0.1:19090")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--build-dir", default=None)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every service is running and SERVING")
    args = ap.parse_args()

    rows = zx_instances.load(args.instances_file)
    pids = {r: live_pid(os.path.join(args.run_dir, f"{r.instance}-{r.service}.pid"),
                        f"zx-{r.service}") for r in rows}
    targets = {r: f"{args.host}:{r.grpc_port}" for r in rows}
    probed = [targets[r] for r in rows if pids[r] is not None]
    health = zx_health.check_all(probed, build_dir=args.build_dir) if probed else {}
    status = {r: (health.get(targets[r], "NOT_RUNNING") if pids[r] else "NOT_RUNNING")
              for r in rows}

    scrape = prometheus_targets(args.prometheus_url)
    if args.json:
        out = {"instances": [], "prometheus_url": args.prometheus_url}
        for name, code, level, _zh, svc_rows in zx_instances.grouped(rows):
            out["instances"].append({
                "name": name, "division_code": code, "level": level,
                "services": [{"name": r.service, "grpc_port": r.grpc_port,
                              "metrics_port": r.metrics_port, "pid": pids[r],
                              "healthy": status[r] == "SERVING"} for r in svc_rows],
            })
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        header = ["instance", "division", "level", "service", "gRPC", "metrics", "PID", "health"]
        table = [header] + [[r.instance, f"{r.division_code} {r.name_zh}", r.level, r.service,
                             str(r.grpc_port), str(r.metrics_port),
                             str(pids[r]) if pids[r] else "-", status[r]] for r in rows]
        widths = [max(width(line[i]) for line in table) for i in range(len(header))]
        for line in table:
            print("  ".join(pad(c, w) for c, w in zip(line, widths)).rstrip())
        if scrape is None:
            print(f"\nPrometheus {args.prometheus_url}: not reachable")
        elif not scrape:
            print(f"\nPrometheus {args.prometheus_url}: no scrape targets yet (just started?)")
        else:
            up = sum(1 for t in scrape if t["health"] == "up")
            print(f"\nPrometheus {args.prometheus_url}: {up}/{len(scrape)} scrape targets up")
            for t in scrape:
                if t["health"] != "up":
                    print(f"  {t['health']:8} {t['scrapeUrl']}  {t.get('lastError', '')}")
    if args.check and not all(s == "SERVING" for s in status.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
