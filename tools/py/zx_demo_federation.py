"""Federation demonstration (上报、审核、督办、穿透查询) across the local instances,
after the monitoring and consumption demos:

  reports     every county submits its report of this month to the prefecture
              (over mutual TLS between the federation gateways);
  approval    the prefecture approves the month once both counties reported,
              which locks the counties' month;
  directive   the prefecture issues a 督办 to the first county: verify its red
              households within 14 days;
  drill-down  the prefecture reads the first county's households from the county
              instance (nothing is copied to the prefecture).

Request ids are deterministic ("demo-f-..."): a re-run in the same month changes
nothing.
"""
import datetime
import time

import zx_grpc


def load(grpc, caller_class, describe, rows, host, timeout):
    """Returns (summary lines, errors)."""
    from zx.federation.v1 import federation_pb2 as fpb
    from zx.federation.v1 import federation_pb2_grpc as fpb_grpc

    feds = [r for r in rows if r.service == "federation"]
    prefecture = next((r for r in feds if r.level == "prefecture"), None)
    counties = [r for r in feds if r.level == "county"
                and prefecture is not None and r.division_code[:4] == prefecture.division_code[:4]]
    if prefecture is None or not counties:
        return [], []
    errors = []
    period = datetime.date.today().strftime("%Y-%m")
    pref_meta = (("authorization", f"Bearer dev.{prefecture.division_code}.prefecture_official.demo"),)
    pcall = caller_class(grpc, fpb_grpc.FederationServiceStub(
        zx_grpc.channel(grpc, f"{host}:{prefecture.grpc_port}")), pref_meta, timeout)

    def ok(call, method, request):
        resp, err = call(method, request)
        if err is not None:
            errors.append(f"{method}: {describe(err)}")
        return resp

    for c in counties:
        meta = (("authorization", f"Bearer dev.{c.division_code}.county_official.demo"),)
        ccall = caller_class(grpc, fpb_grpc.FederationServiceStub(
            zx_grpc.channel(grpc, f"{host}:{c.grpc_port}")), meta, timeout)
        ok(ccall, "SubmitReport", fpb.SubmitReportRequest(
            request_id=f"demo-f-{c.division_code[:6]}-report-{period}", period=period))

    view = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        view, err = pcall("GetChildrenReport", fpb.GetChildrenReportRequest(period=period))
        if err is None and not view.missing_children:
            break
        time.sleep(0.2)
    if view is None or view.missing_children:
        errors.append(f"reports of {period} did not all reach the prefecture: "
                      f"missing {list(view.missing_children) if view else '?'}")
        return [], errors
    approved = ok(pcall, "ApprovePeriod", fpb.ApprovePeriodRequest(
        request_id=f"demo-f-approve-{period}", period=period))

    first = counties[0]
    listed = ok(pcall, "DrillDownHouseholds",
                fpb.DrillDownHouseholdsRequest(division_code=first.division_code, page_size=5))
    items = [h.household_id for h in listed.households] if listed else []
    due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    directive = ok(pcall, "IssueDirective", fpb.IssueDirectiveRequest(
        request_id=f"demo-f-directive-{period}", target_division_code=first.division_code,
        subject="verify_households", title="核实红色预警户 (demo)", items=items, deadline=due))

    lines = []
    if approved is not None:
        agg = approved.aggregate
        lines.append(
            f"federation: {len(approved.children)} counties reported {period} to "
            f"{prefecture.instance} over mutual TLS; approved: {agg.households} households, "
            f"{agg.household_colours.red} red, {agg.household_colours.orange} orange")
    if directive is not None:
        lines.append(f"federation: directive {directive.directive_id} (verify_households, "
                     f"due {directive.deadline}) issued to {first.instance}; drill-down read "
                     f"{len(items)} of its households from the county instance")
    return lines, errors
