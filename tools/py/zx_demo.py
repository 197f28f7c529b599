#!/usr/bin/python3
"""Loads a small synthetic prefecture into the county instances' monitoring services.

    zx_demo.py [--instances-file deploy/local/instances.tsv] [--host 127.0.0.1]

For every county instance: 3 synthetic townships (township digits 101..103) x
4 villages (village digits 201..204) x 8 households, all synthetic=true.
Category, member count and relocation are drawn from a random generator seeded
by the household's request id, and each CreateHousehold carries the request id
"demo-<village_code>-<n>", so re-running creates nothing new.
"""
import argparse
import datetime
import os
import signal
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zx_grpc  # noqa: E402
import zx_instances  # noqa: E402

TOWNSHIPS = [101, 102, 103]
VILLAGES = [201, 202, 203, 204]
HOUSEHOLDS_PER_VILLAGE = 8
RETRYABLE = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "RESOURCE_EXHAUSTED")


def township_name(county_zh, t):
    return f"{county_zh}示范乡{t - 100} (synthetic)"


def village_name(county_zh, t, v):
    return f"{county_zh}示范乡{t - 100}第{v - 200}村 (synthetic)"


def household_for(pb, village_code, n):
    rid = f"demo-{village_code}-{n}"
    rng = random.Random(rid)  # str seeds are hashed deterministically (SHA-512)
    lifted = rng.random() < 0.4
    return rid, pb.Household(
        village_code=village_code,
        category=pb.HOUSEHOLD_CATEGORY_LIFTED if lifted else pb.HOUSEHOLD_CATEGORY_ORDINARY,
        relocated=lifted and rng.random() < 0.25,
        member_count=rng.choices(range(1, 9), weights=[6, 12, 18, 22, 18, 12, 8, 4])[0],
        synthetic=True,
    )


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet exit when piped into head
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--instances-file", default=zx_instances.DEFAULT_FILE)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--build-dir", default=None)
    ap.add_argument("--timeout", type=float, default=5.0, help="deadline per call, seconds")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    grpc = zx_grpc.setup(args.build_dir)
    from zx.monitoring.v1 import monitoring_pb2 as pb
    from zx.monitoring.v1 import monitoring_pb2_grpc as pb_grpc

    counties = [r for r in zx_instances.load(args.instances_file)
                if r.level == "county" and r.service == "monitoring"]
    if not counties:
        sys.exit("zx_demo: no county monitoring service in the instances file")

    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    total_created = total_present = 0
    failures = 0
    for c in counties:
        county6 = c.division_code[:6]
        token = f"Bearer dev.{c.division_code}.county_official.demo"
        md = (("authorization", token),)
        ch = zx_grpc.channel(grpc, f"{args.host}:{c.grpc_port}")
        stub = pb_grpc.MonitoringServiceStub(ch)
        created = present = 0
        for t in TOWNSHIPS:
            if not args.quiet:
                print(f"  {c.instance}: township {county6}{t}000 {township_name(c.name_zh, t)}")
            for v in VILLAGES:
                village_code = f"{county6}{t:03d}{v:03d}"
                for n in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
                    rid, hh = household_for(pb, village_code, n)
                    req = pb.CreateHouseholdRequest(request_id=rid, household=hh)
                    for attempt in range(5):
                        try:
                            resp = stub.CreateHousehold(req, timeout=args.timeout, metadata=md)
                            if (resp.HasField("created_at")
                                    and resp.created_at.ToDatetime(datetime.timezone.utc) < started):
                                present += 1
                            else:
                                created += 1
                            break
                        except grpc.RpcError as e:
                            if e.code() == grpc.StatusCode.ALREADY_EXISTS:
                                present += 1
                                break
                            if e.code().name in RETRYABLE and attempt < 4:
                                time.sleep(0.2 * (attempt + 1))
                                continue
                            failures += 1
                            print(f"zx_demo: {c.instance} {rid}: {e.code().name}: {e.details()}",
                                  file=sys.stderr)
                            break
        ch.close()
        print(f"{c.instance} ({c.division_code} {c.name_zh}): {created} households created, "
              f"{present} already present")
        total_created += created
        total_present += present
    print(f"demo data: {total_created} created, {total_present} already present, "
          f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
