#!/usr/bin/python3
"""Writes the seed corpus of every fuzz target to tests/fuzz/corpus/<target>/.

Seeds are small, valid (and a few nearly valid) inputs, so the fuzzer starts
deep inside each check instead of at "does it parse". Requests are built from
the generated Python stubs (build/python, the target zx_python_protos).
Re-running rewrites the seed files (named seed-*) and leaves other files,
such as merged fuzzer finds and crash reproducers, alone.

  /usr/bin/python3 tests/fuzz/make_corpus.py [build dir]
"""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
sys.path.append(os.path.join(BUILD, "python"))

from google.protobuf import timestamp_pb2  # noqa: E402
from zx.assets.v1 import assets_pb2 as a  # noqa: E402
from zx.common.v1 import event_pb2, types_pb2  # noqa: E402
from zx.consumption.v1 import consumption_pb2 as c  # noqa: E402
from zx.employment.v1 import employment_pb2 as e  # noqa: E402
from zx.monitoring.v1 import lifecycle_pb2 as lc  # noqa: E402
from zx.monitoring.v1 import monitoring_pb2 as m  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
COUNTY, TOWNSHIP, VILLAGE = "653121000000", "653121100000", "653121100201"
HH = "hh-0123456789abcdef0123"


def id_number(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith("seed-"):
            os.remove(os.path.join(d, old))
    for seed in seeds:
        data = seed if isinstance(seed, bytes) else seed.encode()
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def sel(n, msg):
    return bytes([n]) + msg.SerializeToString()


def common_targets():
    write("division", [COUNTY, "65", "6531", "653121", TOWNSHIP[:9], VILLAGE, "650001000000",
                       "000000000000", "65312110020", "6531x1", "", COUNTY + "," + VILLAGE,
                       "code,level,name_zh,name_en,parent_code\n650000000000,region,新疆,Xinjiang,\n"
                       "653100000000,prefecture,喀什地区,Kashgar,650000000000\n", "village"])
    valid = id_number("65312119900101123")
    write("id_card", [valid, valid[:17] + "x", id_number("11010519491231002"), "653121199002301234",
                      "65312119900101", "6531211990010112345", "", "ABCDEFGHIJKLMNOPQR",
                      id_number("65312120991231001")])
    write("money", ["0", "0.00", "1234.56", "-0.05", "1,234,567.89", "9223372036854775807",
                    "92233720368547758.07", "-92233720368547758.08", "92233720368547758.08", ".5",
                    "5.", "1.234", "--1", "1,23",
                    (2**63 - 1).to_bytes(8, "little") + (2).to_bytes(8, "little"),
                    (2**62).to_bytes(8, "little") + (2**62).to_bytes(8, "little", signed=True)])
    claims = types_pb2.TokenClaims(user_id="u1", role="county_official", division_code=COUNTY,
                                   audience="shufu", issued_at_unix=1794000000,
                                   expires_at_unix=1796000000)
    expired = types_pb2.TokenClaims(user_id="u1", role="village_cadre", division_code=VILLAGE,
                                    audience="shufu", expires_at_unix=1)
    write("auth_token", [b"\x00dev.653121000000.county_official.alice", b"\x00dev.65.operator.x.y",
                         b"\x00dev.653121000000.nobody.alice", b"\x01aGVsbG8", b"\x01aGVsbG9",
                         b"\x01", b"\x02zx1.k1.AAAA.BBBB", b"\x02zx1.k2..", b"\x02dev.1.2.3",
                         b"\x03" + claims.SerializeToString(), b"\x03" + expired.SerializeToString(),
                         b"\x03" + types_pb2.TokenClaims(user_id="u", role="partner",
                                                         division_code="44", audience="shufu",
                                                         expires_at_unix=2**62,
                                                         partner_province="440000000000"
                                                         ).SerializeToString()])
    write("text_limits", ["", "hello", "振兴乡村", "\u00e9", b"\xc0\xaf", b"\xed\xa0\x80",
                          b"\xf4\x90\x80\x80", b"\xe4\xb8", b"\xff", b"\x10" + b"a" * 40,
                          "\U0001F600"])


def assets_target():
    line = a.FundingLine(source=a.FUNDING_SOURCE_CENTRAL_LINKING, amount_fen=100000)
    project = a.Project(name="光伏电站", year=2025, division_code=TOWNSHIP,
                        category=a.PROJECT_CATEGORY_INDUSTRY, implementing_unit="乡政府",
                        funding_lines=[line])
    owner = a.Ownership(level=a.OWNER_LEVEL_VILLAGE_COLLECTIVE, owner_id=VILLAGE,
                        owner_name="村集体", owner_division_code=VILLAGE,
                        registration_system=a.REGISTRATION_SYSTEM_RURAL_THREE_ASSETS,
                        registration_ref="SZ-2025-1")
    asset = a.Asset(project_id="pj-0123456789abcdef0123", name="光伏电站",
                    asset_class=a.ASSET_CLASS_OPERATING, asset_type=a.ASSET_TYPE_PHOTOVOLTAIC_STATION,
                    original_value_fen=100000, location_division_code=VILLAGE, funding=[line],
                    ownership=owner)
    aid = "as-0123456789abcdef0123"
    distribute = a.DistributeIncomeRequest(
        request_id="r", asset_id=aid, period="2026-10", amount_fen=100001, decided_by="村民大会",
        shares=[a.DistributionShare(use=a.DISTRIBUTION_USE_HOUSEHOLDS, share_bp=6000),
                a.DistributionShare(use=a.DISTRIBUTION_USE_PUBLIC_WELFARE_POST_WAGES, share_bp=4000)],
        households=[a.HouseholdShare(household_id=HH, village_code=VILLAGE, weight=3),
                    a.HouseholdShare(household_id="hh-0123456789abcdef0124", village_code=VILLAGE,
                                     weight=2**31 - 1)])
    policy = a.AssetsPolicy(owner_division_code=COUNTY, year=2026, version="v1",
                            industry_share_of_linking_bp=6000,
                            dual_binding_share_of_integrated_bp=1000,
                            prefecture_disposal_threshold_fen=100000000,
                            village_collective_income_min_fen=5000000,
                            township_collective_income_avg_min_fen=2**62)
    write("assets_requests", [
        sel(0, a.CreateProjectRequest(request_id="r", project=project)),
        sel(0, a.CreateProjectRequest(project=a.Project(
            name="x", year=2025, division_code=COUNTY, category=a.PROJECT_CATEGORY_INDUSTRY,
            implementing_unit="u", funding_lines=[a.FundingLine(
                source=a.FUNDING_SOURCE_CENTRAL_LINKING, amount_fen=2**62)] * 2))),
        sel(1, a.AdvanceProjectRequest(project_id="pj-0123456789abcdef0123",
                                       to_status=a.PROJECT_STATUS_APPROVED, reason="ok")),
        sel(2, a.RegisterAssetRequest(request_id="r", asset=asset)),
        sel(3, a.ConfirmOwnershipRequest(asset_id=aid, ownership=owner)),
        sel(4, a.TransferAssetRequest(asset_id=aid, custodian="村委会", reason="移交")),
        sel(5, a.SetOperatingStateRequest(asset_id=aid, state=a.ASSET_STATE_IN_OPERATION)),
        sel(6, a.RecordIncomeRequest(asset_id=aid, period="2026-10", kind=a.INCOME_KIND_RENT,
                                     amount_fen=5000, note="租金")),
        sel(7, distribute),
        sel(8, a.RequestDisposalRequest(asset_id=aid, method=a.DISPOSAL_METHOD_SCRAPPING,
                                        trigger=a.DISPOSAL_TRIGGER_DISASTER, reason="损毁")),
        sel(9, a.ApproveDisposalStepRequest(disposal_id="dp-0123456789abcdef0123",
                                            step=a.APPROVAL_STEP_VILLAGE_MEETING,
                                            approved=True, reference="会议纪要1")),
        sel(10, a.RecordInspectionRequest(inspection=a.Inspection(
            asset_id=aid, result=a.INSPECTION_RESULT_FOUND, photo_ref="p.jpg", inspector="张三",
            inspected_on="2026-11-01"))),
        sel(11, a.RecordCertificateRequest(certificate=a.Certificate(
            asset_id=aid, kind="不动产权证", number="N1", issued_by="县自然资源局",
            issued_on="2026-01-02"))),
        sel(12, a.RecordCollectiveIncomeRequest(income=a.CollectiveIncome(
            village_code=VILLAGE, year=2026, source="租金", amount_fen=1))),
        sel(13, a.PublishPolicyRequest(policy=policy)),
    ])


def employment_target():
    worker = e.Worker(division_code=VILLAGE, birth_date="1990-05-01", skills=["welding"],
                      education_years=9, language_level=3, willingness=e.WILLINGNESS_OUT_OF_REGION,
                      available=True, labour_capacity=e.LABOUR_CAPACITY_FULL,
                      local_registration=True, household_id=HH)
    job = e.Job(employer_id="em-0123456789abcdef0123", title="焊工", kind=e.JOB_KIND_PUBLIC_WELFARE,
                public_welfare_kind=1, location_division_code=VILLAGE, monthly_wage_fen=300000,
                slots=2, required_skills=["welding"], open=True, need_ref="需求1")
    pl = "pl-0123456789abcdef0123"
    policy = e.EmploymentPolicy(owner_division_code=COUNTY, overdue_wage_day=15, post_min_age=16,
                                post_max_age=65, transport_min_months=3,
                                transport_other_county_fen=20000,
                                transport_other_prefecture_fen=30000,
                                transport_other_province_fen=2**62)
    write("employment_requests", [
        sel(0, e.UpsertWorkerRequest(request_id="r", worker=worker)),
        sel(1, e.UpsertEmployerRequest(employer=e.Employer(
            name="扶贫车间", kind=e.EMPLOYER_KIND_ASSISTANCE_WORKSHOP, division_code=TOWNSHIP, lifted_workers=5))),
        sel(2, e.UpsertJobRequest(job=job)),
        sel(2, e.UpsertJobRequest(job=e.Job(title="t", kind=e.JOB_KIND_REGULAR,
                                            location_division_code="440000000000",
                                            partner_province=True, monthly_wage_fen=1, slots=1))),
        sel(3, e.AcceptPlacementRequest(placement_id=pl, consent_ref="同意书")),
        sel(4, e.StartPlacementRequest(placement_id=pl, start_date="2026-11-02")),
        sel(5, e.EndPlacementRequest(placement_id=pl, reason=1, end_date="2026-12-31")),
        sel(6, e.RecordWageRequest(placement_id=pl, month="2026-10", amount_fen=300000,
                                   paid_on="2026-11-05")),
        sel(7, e.AppointPublicWelfarePostRequest(worker_id="wk-0123456789abcdef0123",
                                                 job_id="jb-0123456789abcdef0123",
                                                 agreement_start="2026-01-01",
                                                 agreement_end="2026-12-31", consent_ref="c")),
        sel(8, e.RecordAttendanceRequest(placement_id=pl, month="2026-10", days_on_duty=20)),
        sel(9, e.PayPostSubsidyRequest(placement_id=pl, month="2026-10", paid_on="2026-11-01")),
        sel(10, e.PublishPolicyRequest(policy=policy)),
        b"\x0b2026-11-02", b"\x0b2026-02-30", b"\x0b2026-11", b"\x0bwk-0123456789abcdef0123",
    ])


def consumption_target():
    sp, bd = "sp-0123456789abcdef0123", "bd-0123456789abcdef0123"
    binding = c.Binding(supplier_id=sp, household_id=HH, village_code=VILLAGE,
                        rule=c.BINDING_RULE_REVENUE_SHARE, share_bp=150, valid_from="2026-01-01")
    premium = c.Binding(binding_id=bd, supplier_id=sp, household_id=HH, village_code=VILLAGE,
                        rule=c.BINDING_RULE_PURCHASE_PREMIUM, share_bp=5000, fen_per_unit=30,
                        valid_from="2026-01-01", valid_to="2026-12-31")
    product = c.Product(supplier_id=sp, name="纸皮核桃", category="干果", origin_county_code=COUNTY,
                        unit="kg", price_fen=2345, stock=1000, traceability_ref="t",
                        annual_sales_fen=60000000,
                        certification=c.Certification(status=c.CERTIFICATION_STATUS_PUBLICISED,
                                                      publicity_from="2026-11-01"))
    shares = [c.Binding(binding_id=f"bd-0123456789abcdef{i:04d}", supplier_id=sp, household_id=HH,
                        village_code=VILLAGE, rule=c.BINDING_RULE_REVENUE_SHARE, share_bp=150,
                        valid_from="2026-01-01") for i in range(20)]
    write("consumption_requests", [
        sel(0, binding), sel(0, premium), sel(0, c.Binding(share_bp=10001, valid_from="2026-02-30")),
        sel(1, product), sel(1, c.Product(price_fen=-5, origin_county_code=VILLAGE)),
        sel(2, c.Buyer(name="县教育局", kind=c.BUYER_KIND_BUDGET_UNIT, division_code=COUNTY,
                       has_canteen=True, canteen_food_budget_fen=10000000)),
        sel(2, c.Buyer(name="青岛某公司", kind=c.BUYER_KIND_PARTNER_COMPANY,
                       division_code="370200000000")),
        sel(2, c.Buyer(name="工会", kind=c.BUYER_KIND_TRADE_UNION, division_code=COUNTY,
                       counts_toward_buyer_id="by-0123456789abcdef0123")),
        sel(3, c.Partnership(partner_province_code="370000000000", origin_division_code=COUNTY,
                             valid_from="2026-01-01")),
        sel(4, c.ConsumptionPolicy(canteen_share_bp=3000, union_min_purchases=2)),
        sel(5, c.OrderLineTrace(line=c.OrderLine(quantity=37, unit_price_fen=2345),
                                bindings=shares + [premium])),
        sel(5, c.OrderLineTrace(line=c.OrderLine(quantity=100000000, unit_price_fen=100000),
                                bindings=[c.Binding(binding_id=bd, supplier_id=sp, household_id=HH,
                                                    village_code=VILLAGE,
                                                    rule=c.BINDING_RULE_PIECE_WAGE, share_bp=10000,
                                                    fen_per_unit=100000000000,
                                                    valid_from="2026-01-01")])),
    ])


def monitoring_target():
    household = m.Household(village_code=VILLAGE, category=1, member_count=3)
    person = m.Person(household_id=HH, id_number=id_number("65312119900101123"), name="阿依古丽",
                      relation=1, labour_capacity=1, health=1)
    ts = timestamp_pb2.Timestamp(seconds=1795000000)
    far = timestamp_pb2.Timestamp(seconds=253402300799, nanos=999999999)
    rows = [m.SurveyRow(row_number=1, id_number=person.id_number, month="2026-10",
                        source=1, wage_fen=300000, medical_fen=2000),
            m.SurveyRow(row_number=2, id_number="x", month="2026-13")]

    def two(n, k, msg):
        return bytes([n, k]) + msg.SerializeToString()

    seeds = [
        two(0, 0, m.CreateHouseholdRequest(request_id="r", household=household)),
        two(1, 0, m.UpdateHouseholdRequest(household=household, update_mask={"paths": ["category"]})),
        two(1, 0, m.UpdateHouseholdRequest(household=household,
                                           update_mask={"paths": ["synthetic", "x"]})),
        two(2, 0, m.AddPersonRequest(person=person)),
        two(3, 0, m.UpdatePersonRequest(person=person, update_mask={"paths": ["name", "health"]})),
        two(4, 0, m.ListHouseholdsRequest(division_code=COUNTY, page_size=10,
                                          page_token=VILLAGE + "." + HH)),
        two(5, 0, m.IngestSurveyRequest(batch_id="b", rows=rows)),
        two(6, 8, lc.TransitionRequest(household_id=HH, reason="审定", decision=1, object_type=1,
                                       risk_types=[1, 2])),
        two(6, 12, lc.TransitionRequest(household_id=HH, reason="回头看", follow_up_due=far)),
        two(6, 5, lc.TransitionRequest(household_id=HH, reason="异议", objection_id=1,
                                       objection_outcome=1)),
        two(6, 8, lc.TransitionRequest(household_id=HH, reason="x", decision=1, object_type=1,
                                       risk_types=list(range(1, 9)) * 6)),
        two(7, 0, lc.RaiseClueRequest(household_id=HH, way=1, description="因病", found_at=ts)),
        two(8, 0, lc.AddAssistanceMeasureRequest(measure=lc.AssistanceMeasure(
            household_id=HH, kind=1, description="产业帮扶"))),
        b"\x09\x00unstable_lifted", b"\x09\x00illness", b"\x09\x00clue",
        b"\x09\x00members=3;red=1", b"\x09\x00households=1;members=4;colour_red=1",
    ]
    write("monitoring_requests", seeds)


def events_target():
    wage = e.WagePaid(placement_id="pl-0123456789abcdef0123", household_id=HH, month="2026-10",
                      amount_fen=300000)
    dividend = a.DividendPaid(distribution_id="dl-1", asset_id="as-1", household_id=HH,
                              village_code=VILLAGE, month="2026-10", amount_fen=5000)
    attributed = c.IncomeAttributed(order_line_id="ol-1", binding_id="bd-1", binding_kind=1,
                                    household_id=HH, village_code=VILLAGE, month="2026-10",
                                    amount_fen=-100, refunded_order_line_id="ol-0")
    confirmed = lc.ObjectConfirmed(household_id=HH, object_id="ob-1", village_code=VILLAGE,
                                   object_type=1, risk_types=[1])
    eliminated = lc.RiskEliminated(household_id=HH, object_id="ob-1", village_code=VILLAGE,
                                   eliminated_at=timestamp_pb2.Timestamp(seconds=1795000000))
    huge = lc.RiskEliminated(household_id=HH,
                             eliminated_at=timestamp_pb2.Timestamp(seconds=2**62))
    envelope = event_pb2.Event(id="e1", type="employment.wage_paid", version=1,
                               division_code=VILLAGE, aggregate_id="pl-1", instance="shufu")
    envelope.payload.Pack(wage)
    write("event_payloads", [
        b"\x00" + wage.SerializeToString(), b"\x01" + dividend.SerializeToString(),
        b"\x02" + attributed.SerializeToString(), b"\x03" + confirmed.SerializeToString(),
        b"\x04" + eliminated.SerializeToString(), b"\x04" + huge.SerializeToString(),
        b"\x05" + envelope.SerializeToString(), b"\x05", b"\x00\xff\xff",
    ])


if __name__ == "__main__":
    common_targets()
    assets_target()
    employment_target()
    consumption_target()
    monitoring_target()
    events_target()
    total = sum(len(fs) for _, _, fs in os.walk(CORPUS))
    print(f"make_corpus: {total} files under {CORPUS}")
