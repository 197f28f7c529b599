"""Consumption demonstration data (消费帮扶) for each county instance, after the
monitoring demo (zx_demo.py) has registered the households:

  supplier     a walnut cooperative in township 101 ("<county>核桃合作社 (synthetic)");
  bindings     the 8 households of village 101-201 by revenue share, 2.5% each
               (20% of every sale goes to them, RULES C3/C4 联农带农);
  product      纸皮核桃 at 24 yuan/kg, certified: county review, publicity,
               announcement in January of last year (valid three years);
  partnership  Shandong (370000000000) with the county (东西部协作), granted by
               the Kashgar prefecture;
  buyers       a Qingdao company (partner, registered by a Shandong partner
               token), the county education bureau (budget unit, canteen food
               budget 200,000 yuan) and the county trade union;
  orders       the Qingdao company buys 120 kg (partner store), the bureau 500 kg
               (6% of its canteen budget: below the 10% target), the union once
               (one purchase: below C5's two); all settled, so the monitoring
               service books the households' shares as operating income.

The prefecture gets a catalogue for its partner province (load_prefecture): a
certified product of a Shufu cooperative and the partnership of Shandong with
the whole prefecture, so Shandong's own client (clients/python) can post jobs
and place orders through the prefecture's federation gateway.

Request ids are deterministic ("demo-c-<county6>-..."): a re-run changes nothing.
"""
import datetime

import zx_grpc

PREFECTURE_TOKEN = "Bearer dev.653100000000.prefecture_official.demo"
SHANDONG = "370000000000"
PARTNER_TOKEN = f"Bearer dev.{SHANDONG}.partner.demo"


def certify_and_partner(cpb, ok, rid, product_id, origin_code, year):
    """Certifies the product in January of last year (review, publicity,
    announcement: valid three years) and has the prefecture grant Shandong
    the partnership over `origin_code`."""
    for step, day in (("REVIEW", "01-05"), ("PUBLICISE", "01-06"), ("ANNOUNCE", "01-12")):
        ok("AdvanceCertification", cpb.AdvanceCertificationRequest(
            request_id=rid(f"cert-{step}"), product_id=product_id,
            step=cpb.CertificationStep.Value(f"CERTIFICATION_STEP_{step}"),
            date=f"{year - 1}-{day}"))
    ok("GrantPartnership", cpb.GrantPartnershipRequest(
        request_id=rid("partnership"), partnership=cpb.Partnership(
            partner_province_code=SHANDONG, origin_division_code=origin_code,
            valid_from=f"{year - 1}-01-01")), (("authorization", PREFECTURE_TOKEN),))


def load_county(grpc, caller_class, describe, county, consumption, host, timeout):
    """Loads one county (`county` its monitoring row, `consumption` its consumption
    row of the instances file); returns (summary lines, errors)."""
    from zx.consumption.v1 import consumption_pb2 as cpb
    from zx.consumption.v1 import consumption_pb2_grpc as cpb_grpc
    from zx.monitoring.v1 import monitoring_pb2 as mpb
    from zx.monitoring.v1 import monitoring_pb2_grpc as mpb_grpc

    county6 = county.division_code[:6]
    code = county.division_code
    official = (("authorization", f"Bearer dev.{code}.county_official.demo"),)
    errors = []
    ch = zx_grpc.channel(grpc, f"{host}:{consumption.grpc_port}")
    mch = zx_grpc.channel(grpc, f"{host}:{county.grpc_port}")
    call = caller_class(grpc, cpb_grpc.ConsumptionServiceStub(ch), official, timeout)
    mcall = caller_class(grpc, mpb_grpc.MonitoringServiceStub(mch), official, timeout)

    def ok(method, request, metadata=None):
        resp, err = call(method, request, metadata)
        if err is not None:
            errors.append(f"{request.request_id if hasattr(request, 'request_id') else method}: "
                          f"{describe(err)}")
        return resp

    rid = lambda what: f"demo-c-{county6}-{what}"  # noqa: E731
    village = f"{county6}101201"
    listed, err = mcall("ListHouseholds", mpb.ListHouseholdsRequest(division_code=village,
                                                                   page_size=8))
    if err is not None:
        return [], [f"ListHouseholds {village}: {describe(err)}"]
    households = [h.household_id for h in listed.households]

    supplier = ok("UpsertSupplier", cpb.UpsertSupplierRequest(
        request_id=rid("supplier"), supplier=cpb.Supplier(
            name=f"{county.name_zh}核桃合作社 (synthetic)",
            kind=cpb.SUPPLIER_KIND_COOPERATIVE, division_code=f"{county6}101000")))
    if supplier is None:
        return [], errors
    year = datetime.date.today().year
    for i, h in enumerate(households):
        ok("UpsertBinding", cpb.UpsertBindingRequest(request_id=rid(f"bind-{i}"), binding=cpb.Binding(
            supplier_id=supplier.supplier_id, household_id=h, village_code=village,
            rule=cpb.BINDING_RULE_REVENUE_SHARE, share_bp=250, valid_from=f"{year - 1}-01-01")))
    product = ok("UpsertProduct", cpb.UpsertProductRequest(
        request_id=rid("product"), product=cpb.Product(
            supplier_id=supplier.supplier_id, name="纸皮核桃", category="干果",
            origin_county_code=code, unit="kg", price_fen=2_400, stock=100_000,
            traceability_ref=f"溯源-{county6}-walnut", annual_sales_fen=80_000_000)))
    if product is None:
        return [], errors
    certify_and_partner(cpb, ok, rid, product.product_id, code, year)
    partner_md = (("authorization", PARTNER_TOKEN),)
    company = ok("UpsertBuyer", cpb.UpsertBuyerRequest(request_id=rid("buyer-qingdao"), buyer=cpb.Buyer(
        name=f"青岛示范食品公司 ({county.name_zh}) (synthetic)",
        kind=cpb.BUYER_KIND_PARTNER_COMPANY, division_code="370200000000")), partner_md)
    bureau = ok("UpsertBuyer", cpb.UpsertBuyerRequest(request_id=rid("buyer-bureau"), buyer=cpb.Buyer(
        name=f"{county.name_zh}教育局 (synthetic)", kind=cpb.BUYER_KIND_BUDGET_UNIT,
        division_code=code, has_canteen=True, canteen_food_budget_fen=20_000_000)))
    union = ok("UpsertBuyer", cpb.UpsertBuyerRequest(request_id=rid("buyer-union"), buyer=cpb.Buyer(
        name=f"{county.name_zh}总工会 (synthetic)", kind=cpb.BUYER_KIND_TRADE_UNION,
        division_code=code)))

    def settle(name, buyer, kg, channel, buyer_md):
        if buyer is None:
            return
        order = ok("SubmitOrder", cpb.SubmitOrderRequest(
            request_id=rid(f"order-{name}"), buyer_id=buyer.buyer_id, channel=channel,
            lines=[cpb.SubmitOrderRequest.Line(product_id=product.product_id, quantity=kg)]),
            buyer_md)
        if order is None:
            return
        for to, md in (("CONFIRMED", None), ("SHIPPED", None), ("RECEIVED", buyer_md),
                       ("SETTLED", None)):
            ok("AdvanceOrder", cpb.AdvanceOrderRequest(
                request_id=rid(f"order-{name}-{to}"), order_id=order.order_id,
                to=cpb.OrderStatus.Value(f"ORDER_STATUS_{to}")), md)

    settle("qingdao", company, 120, cpb.CHANNEL_PARTNER_STORE, partner_md)
    settle("bureau", bureau, 500, cpb.CHANNEL_COUNTER, None)
    settle("union", union, 30, cpb.CHANNEL_FAIR, None)

    lines = []
    report, err = call("GetTargetReport", cpb.GetTargetReportRequest(
        division_code=code, year=year, only_below_target=True))
    if err is None:
        for t in report.buyers:
            lines.append(f"  below target: {t.name} — {t.reason}")
    attributed, err = call("GetAttributionReport", cpb.GetAttributionReportRequest(
        division_code=code, year=year))
    if err is None:
        lines.insert(0, f"{county.instance}: consumption — {len(households)} households bound, "
                        f"{attributed.total_fen / 100:,.2f} yuan attributed this year")
    ch.close()
    mch.close()
    return lines, errors


def load_prefecture(grpc, caller_class, describe, prefecture, consumption, host, timeout):
    """The partner catalogue on the prefecture (`consumption` its consumption
    row): returns (product id or None, summary lines, errors). Idempotent, so
    a test may call it again to learn the product id."""
    from zx.consumption.v1 import consumption_pb2 as cpb
    from zx.consumption.v1 import consumption_pb2_grpc as cpb_grpc

    code = prefecture.division_code
    county = code[:4] + "21000000"  # the prefecture's first county (Shufu for Kashgar)
    # Products are certified by the county of origin (C3-C4).
    official = (("authorization", f"Bearer dev.{county}.county_official.demo"),)
    errors = []
    ch = zx_grpc.channel(grpc, f"{host}:{consumption.grpc_port}")
    call = caller_class(grpc, cpb_grpc.ConsumptionServiceStub(ch), official, timeout)

    def ok(method, request, metadata=None):
        resp, err = call(method, request, metadata)
        if err is not None:
            errors.append(f"{request.request_id}: {describe(err)}")
        return resp

    rid = lambda what: f"demo-c-{code[:6]}-{what}"  # noqa: E731
    year = datetime.date.today().year
    try:
        supplier = ok("UpsertSupplier", cpb.UpsertSupplierRequest(
            request_id=rid("supplier"), supplier=cpb.Supplier(
                name="喀什红枣合作社 (synthetic)", kind=cpb.SUPPLIER_KIND_COOPERATIVE,
                division_code=county[:6] + "101000")))
        if supplier is None:
            return None, [], errors
        product = ok("UpsertProduct", cpb.UpsertProductRequest(
            request_id=rid("product"), product=cpb.Product(
                supplier_id=supplier.supplier_id, name="骏枣", category="干果",
                origin_county_code=county, unit="kg", price_fen=3_000, stock=1_000_000,
                traceability_ref=f"溯源-{county[:6]}-jujube", annual_sales_fen=50_000_000)))
        if product is None:
            return None, [], errors
        certify_and_partner(cpb, ok, rid, product.product_id, code, year)
        lines = [f"{prefecture.instance}: partner catalogue — 骏枣 {product.product_id} "
                 f"(30 yuan/kg); Shandong ({SHANDONG}) orders through the federation "
                 f"gateway (clients/python)"]
        return product.product_id, lines, errors
    finally:
        ch.close()
