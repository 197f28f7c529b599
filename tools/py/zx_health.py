#!/usr/bin/python3
"""grpc.health.v1 probe, independent of the project's C++.

    zx_health.py [--json] [--service NAME] [--timeout 2] [--wait SECONDS] host:port ...

Checks Health/Check for every target concurrently, with a deadline of
--timeout seconds per call. With --wait, re-probes the targets that are not yet
SERVING until all are or the time is up. Exit status 0 only if every target is
SERVING, 1 otherwise, 2 on usage errors.
"""
import argparse
import concurrent.futures
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zx_grpc  # noqa: E402


def probe(grpc, health_pb2, health_pb2_grpc, target, service, timeout):
    ch = zx_grpc.channel(grpc, target)
    try:
        stub = health_pb2_grpc.HealthStub(ch)
        resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    except grpc.RpcError as e:
        return e.code().name
    finally:
        ch.close()


def check_all(targets, service="", timeout=2.0, wait=0.0, build_dir=None):
    """{target: status-name}; SERVING or a health status or a gRPC code name."""
    grpc = zx_grpc.setup(build_dir)
    from grpc.health.v1 import health_pb2, health_pb2_grpc
    results = {}
    pending = list(dict.fromkeys(targets))
    deadline = time.monotonic() + wait
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(32, len(pending)))) as pool:
        while True:
            futs = {t: pool.submit(probe, grpc, health_pb2, health_pb2_grpc, t, service, timeout)
                    for t in pending}
            for t, f in futs.items():
                results[t] = f.result()
            pending = [t for t in pending if results[t] != "SERVING"]
            if not pending or time.monotonic() >= deadline:
                return results
            time.sleep(0.5)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet exit when piped into head
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    ap.add_argument("--service", default="", help='health service name (default "")')
    ap.add_argument("--timeout", type=float, default=2.0, help="deadline per call, seconds")
    ap.add_argument("--wait", type=float, default=0.0,
                    help="keep re-probing for up to this many seconds until all are SERVING")
    ap.add_argument("--build-dir", default=None, help="build directory holding python/ stubs")
    ap.add_argument("targets", nargs="+", metavar="host:port")
    args = ap.parse_args()

    results = check_all(args.targets, args.service, args.timeout, args.wait, args.build_dir)
    ok = all(s == "SERVING" for s in results.values())
    if args.json:
        print(json.dumps({
            "all_serving": ok,
            "targets": [{"target": t, "status": s, "serving": s == "SERVING"}
                        for t, s in results.items()],
        }))
    else:
        for t, s in results.items():
            print(f"{t}\t{s}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
