#!/usr/bin/python3
"""Loads a small synthetic prefecture into the county instances' monitoring services
(then consumption: zx_demo_consumption.py, and federation: zx_demo_federation.py).

    zx_demo.py [--instances-file deploy/local/instances.tsv] [--host 127.0.0.1]

Everything loaded is synthetic. For every county instance:

  policy      the region's monitoring policy "xj-<year>-demo" (owner 650000000000,
              published by a region official, in effect from <year>-01-01) with the
              monitoring line at 8,000 yuan per person and year (RULES M3, the
              Kashgar plan's figure) and the default colour bands (orange below
              9,600, yellow below 12,000);
  households  3 townships (township digits 101..103) x 4 villages (village digits
              201..204) x 8 households, synthetic=true; category, member count and
              relocation drawn from a generator seeded by the household's request
              id "demo-<village_code>-<n>";
  persons     member_count persons per household (head, spouse, children, parents)
              with fake names ("示例户主17-1") and valid 18-digit ID numbers: the
              county's 6-digit region code, a birth date fitting the relation, the
              sequence <household index in county> x 8 + <slot> (unique in the
              county; odd slots men, even slots women, as GB 11643 reads the 17th
              digit) and the GB 11643 check digit. Mostly healthy, some chronic
              illness or disability (grade 1-4). No labour capacity under 18, for
              pupils and students, parents, anyone 65 or over, and the seriously
              ill or disabled (grades 1-2); partial from 55 or with a health
              condition; about 60% of those able to work are employed (the main
              earner far more often than the others);
  guarantees  两不愁三保障 and safe water: all met for about 92% of households,
              otherwise safe housing (about 5%) or safe water (about 3%) unmet;
  income      survey records (RECORD_SOURCE_SURVEY), one per kind and month, for the
              income window (the 12 months before this month, RULES M4): wages when
              someone is employed, operating income for about half of the households
              (all of it when nobody is employed), transfers for lifted households
              and pensioners (60 and over). Per-capita net income is drawn first,
              in bands fixed by a seeded shuffle of each county's households: below
              8,000 yuan for 5% of them, 8,000-12,000 for 15%, above for the rest;
              a month's amount depends only on the household, the kind and the
              calendar month, so any 12 consecutive months add up to the same year;
  expenses    compliant medical spending (EXPENSE_KIND_MEDICAL) of 55-110% of the
              year's income for about 3% of households (heavy rigid spending), in
              the same calendar month(s) every year;
  assessment  AssessHousehold for every household, every run; then a table per
              county of households by colour, persons and the factors that fired.

Every mutating call carries a deterministic request id ("demo-p-<household
request id>-<i>", "demo-i-<household request id>-<kind>-<YYYY-MM>", ...), so
re-running writes nothing twice; a run in a later month adds only that month's
records. Changing the generator changes request bodies: the server then refuses
the old request ids (INVALID_ARGUMENT), so load changed data into fresh
databases (./zx down --purge).
"""
import argparse
import collections
import concurrent.futures
import datetime
import os
import random
import signal
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zx_demo_consumption  # noqa: E402
import zx_demo_federation  # noqa: E402
import zx_grpc  # noqa: E402
import zx_instances  # noqa: E402

TOWNSHIPS = [101, 102, 103]
VILLAGES = [201, 202, 203, 204]
HOUSEHOLDS_PER_VILLAGE = 8
PERSON_SLOTS = 8  # ID sequence numbers per household: <household index> * 8 + slot
RETRYABLE = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "RESOURCE_EXHAUSTED")
WORKERS = 8  # households loaded in parallel per county
MAX_ERRORS_SHOWN = 20  # per county

REGION_CODE = "650000000000"  # 新疆维吾尔自治区
REGION_TOKEN = f"Bearer dev.{REGION_CODE}.region_official.demo"
MONITORING_LINE_FEN = 800_000  # 8,000 yuan (RULES M3, Kashgar)
# Ages, schooling and labour capacity are judged as of this year, not today, so
# that a person's AddPerson request stays the same whenever the demo is re-run.
AGE_YEAR = 2026

COLOURS = [("COLOUR_RED", "红 RED"), ("COLOUR_ORANGE", "橙 ORANGE"),
           ("COLOUR_YELLOW", "黄 YELLOW"), ("COLOUR_GREEN", "绿 GREEN")]

assert len(TOWNSHIPS) * len(VILLAGES) * HOUSEHOLDS_PER_VILLAGE * PERSON_SLOTS <= 1000


# ---- calls -------------------------------------------------------------------

class Caller:
    """One county's channel: unary calls with the retry loop, thread-safe."""

    def __init__(self, grpc, stub, metadata, timeout):
        self.grpc, self.stub, self.md, self.timeout = grpc, stub, metadata, timeout

    def __call__(self, method, request, metadata=None):
        """Returns (response, None) or (None, grpc.RpcError) after retrying transient codes."""
        fn = getattr(self.stub, method)
        for attempt in range(5):
            try:
                return fn(request, timeout=self.timeout, metadata=metadata or self.md), None
            except self.grpc.RpcError as e:
                if e.code().name in RETRYABLE and attempt < 4:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                return None, e


def describe(err):
    return f"{err.code().name}: {err.details()}"


# ---- what is generated ---------------------------------------------------------

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


def check_digit(first17):
    """GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def id_number(county6, birth, sequence):
    first17 = f"{county6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def random_birth(rng, first_year, last_year):
    """A day from first_year-01-01 to last_year-12-31."""
    first = datetime.date(first_year, 1, 1)
    days = (datetime.date(last_year, 12, 31) - first).days + 1
    return first + datetime.timedelta(days=rng.randrange(days))


RELATION_ZH = {"HEAD": "户主", "SPOUSE": "配偶", "CHILD": "子女", "PARENT": "父母"}


def family_for(rid, member_count):
    """[(relation, birth date, male)] for the household: head first."""
    rng = random.Random(rid + "/family")
    head_birth = random_birth(rng, 1960, 1995)
    head_male = rng.random() < 0.85
    family = [("HEAD", head_birth, head_male)]
    spouse = member_count >= 2 and rng.random() < 0.9
    if spouse:
        y = min(max(head_birth.year + rng.randint(-5, 5), 1958), 1998)
        family.append(("SPOUSE", random_birth(rng, y, y), not head_male))
    rest = member_count - len(family)
    parents = min(rest - 1, rng.choice([1, 2])) if rest >= 2 and rng.random() < 0.4 else 0
    for _ in range(parents):
        last = min(1960, head_birth.year - 18)
        family.append(("PARENT", random_birth(rng, min(1940, last), last), rng.random() < 0.5))
    for _ in range(member_count - len(family)):
        first = min(max(2005, head_birth.year + 20), 2020)
        family.append(("CHILD", random_birth(rng, first, 2020), rng.random() < 0.5))
    return family


def person_slots(family):
    """An ID sequence slot (0..7) per member whose parity is the member's sex
    (odd = male); with more than 4 of one sex, the last members switch sex."""
    free = {True: [1, 3, 5, 7], False: [0, 2, 4, 6]}
    slots = []
    for i, (relation, birth, male) in enumerate(family):
        if not free[male]:
            male = not male
            family[i] = (relation, birth, male)
        slots.append(free[male].pop(0))
    return slots


def person_for(pb, rng, relation, birth):
    """A Person message without id number, name, household and employment."""
    age = AGE_YEAR - birth.year
    elderly = relation == "PARENT" or age >= 65
    health_weights = ((60, 28, 3, 9) if elderly else (96, 2, 0, 2) if age < 18 else (88, 6, 1, 5))
    health = rng.choices(["HEALTHY", "CHRONIC_ILLNESS", "SERIOUS_ILLNESS", "DISABILITY"],
                         weights=health_weights)[0]
    grade = rng.randint(1, 4) if health == "DISABILITY" else 0
    in_school = (6 <= age <= 15) or (16 <= age <= 18 and rng.random() < 0.8) or (
        19 <= age <= 22 and relation == "CHILD" and rng.random() < 0.35)
    if age < 18 or elderly or in_school or health == "SERIOUS_ILLNESS" or 1 <= grade <= 2:
        labour = "NONE"
    elif health != "HEALTHY" or age >= 55:
        labour = "PARTIAL"
    else:
        labour = "FULL"
    return pb.Person(
        relation=pb.Relation.Value("RELATION_" + relation),
        labour_capacity=pb.LabourCapacity.Value("LABOUR_CAPACITY_" + labour),
        health=pb.HealthStatus.Value("HEALTH_STATUS_" + health),
        disability_grade=grade,
        in_school=in_school,
        medical_insured=rng.random() < 0.985)


def set_employment(pb, rng, persons):
    """The household's first member able to work (usually the head) has work
    with 88% (full capacity) or 75% (partial: often a public-welfare post);
    every other able member 35% (about 60% of all able members)."""
    main_earner = True
    for p in persons:
        if p.labour_capacity == pb.LABOUR_CAPACITY_NONE:
            continue
        full = p.labour_capacity == pb.LABOUR_CAPACITY_FULL
        p.employed = rng.random() < ((0.88 if full else 0.75) if main_earner else 0.35)
        main_earner = False


def persons_for(pb, rid, hh, county6, hh_index):
    """[(request id, Person)] for the household's members."""
    family = family_for(rid, hh.member_count)
    slots = person_slots(family)
    rng = random.Random(rid + "/persons")
    out = []
    for i, ((relation, birth, _male), slot) in enumerate(zip(family, slots)):
        p = person_for(pb, rng, relation, birth)
        p.id_number = id_number(county6, birth, hh_index * PERSON_SLOTS + slot)
        p.name = f"示例{RELATION_ZH[relation]}{hh_index + 1}-{i + 1}"
        out.append((f"demo-p-{rid}-{i + 1}", p))
    set_employment(pb, rng, [p for _, p in out])
    return out


def guarantees_for(pb, rid):
    rng = random.Random(rid + "/guarantees")
    met, unmet = pb.GUARANTEE_STATUS_MET, pb.GUARANTEE_STATUS_UNMET
    g = pb.Guarantees(food_clothing=met, compulsory_education=met, basic_medical=met,
                      safe_housing=met, safe_water=met)
    u = rng.random()
    if u >= 0.968:
        g.safe_water = unmet
    elif u >= 0.92:
        g.safe_housing = unmet
    return g


def seasonal(rng, base):
    """Factors for calendar months 1..12 (index 0 = January) summing to 12."""
    w = [b * rng.uniform(0.8, 1.2) for b in base]
    total = sum(w)
    return [12 * x / total for x in w]


FLAT = [1.0] * 12
FARMING = [0.4, 0.4, 0.5, 0.7, 0.9, 1.0, 1.1, 1.3, 1.6, 1.8, 1.4, 0.9]  # harvest in autumn


def income_band(county6, hh_index, count):
    """"low" (below the 8,000 line), "near" (8,000-12,000) or "above" for the
    household at hh_index of count: a fixed shuffle of the county's households
    gives exactly 5% low and 15% near in every county."""
    order = list(range(count))
    random.Random(f"demo-bands-{county6}").shuffle(order)
    position = order.index(hh_index)
    return "low" if position < round(0.05 * count) else (
        "near" if position < round(0.20 * count) else "above")


def yearly_plan(pb, rid, hh, persons, band):
    """The household's year: {kind: (annual fen, seasonal factors)}, medical
    {calendar month: fen} and the per-capita net income drawn (fen)."""
    rng = random.Random(rid + "/income")
    if band == "low":
        per_capita_yuan = rng.uniform(4_800, 7_800)
    elif band == "near":
        per_capita_yuan = rng.uniform(8_150, 11_850)
    else:
        per_capita_yuan = min(12_150 + rng.expovariate(1 / 5_500), 45_000)
    total = int(per_capita_yuan * 100) * hh.member_count

    lifted = hh.category == pb.HOUSEHOLD_CATEGORY_LIFTED
    pensioners = sum(1 for p in persons if AGE_YEAR - int(p.id_number[6:10]) >= 60)
    disabled = sum(1 for p in persons if p.disability_grade)
    transfer = 100 * (pensioners * 2_160 + disabled * 1_200 +
                      (rng.randint(1_200, 3_600) if lifted else 0))
    transfer = min(transfer, total // 2)
    rest = total - transfer
    employed = sum(1 for p in persons if p.employed)
    if not employed:
        operating = rest
    elif rng.random() < 0.5:
        operating = int(rest * rng.uniform(0.15, 0.45))
    else:
        operating = 0
    wage = rest - operating

    plan = {}
    for kind, annual, base in (("WAGE", wage, FLAT), ("OPERATING", operating, FARMING),
                               ("TRANSFER", transfer, FLAT)):
        if annual > 0:
            plan[kind] = (annual, FLAT if kind == "TRANSFER" else seasonal(rng, base))

    medical = {}
    if rng.random() < 0.03:
        months = rng.sample(range(1, 13), rng.randint(1, 3))
        spend = int(total * rng.uniform(0.55, 1.1))
        for m in months:
            medical[m] = spend // len(months)
    return plan, medical, total // hh.member_count


def window_months(today):
    """The income window (RULES M4): the 12 months before today's month, oldest first."""
    y, m = today.year, today.month
    out = []
    for _ in range(12):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{y:04d}-{m:02d}")
    return out[::-1]


def records_for(pb, rid, hh, persons, band, months):
    """[(method, request)] of the window's income and expense records."""
    plan, medical, _ = yearly_plan(pb, rid, hh, persons, band)
    survey = pb.RECORD_SOURCE_SURVEY
    calls = []
    for month in months:
        cal = int(month[5:]) - 1
        for kind, (annual, factors) in plan.items():
            amount = round(annual * factors[cal] / 12)
            if amount <= 0:
                continue
            calls.append(("RecordIncome", pb.RecordIncomeRequest(
                request_id=f"demo-i-{rid}-{kind.lower()}-{month}",
                record=pb.IncomeRecord(
                    household_id=hh.household_id, kind=pb.IncomeKind.Value("INCOME_KIND_" + kind),
                    source=survey, month=month, amount_fen=amount,
                    source_ref=f"demo-survey-{month}", note="synthetic"))))
        if cal + 1 in medical:
            calls.append(("RecordExpense", pb.RecordExpenseRequest(
                request_id=f"demo-e-{rid}-medical-{month}",
                record=pb.ExpenseRecord(
                    household_id=hh.household_id, kind=pb.EXPENSE_KIND_MEDICAL, source=survey,
                    month=month, amount_fen=medical[cal + 1],
                    note="synthetic: compliant out-of-pocket medical spending"))))
    return calls


# ---- loading -------------------------------------------------------------------

def publish_policy(pb, call, year):
    """Publishes the region's demo policy through this instance; True when it is there."""
    version = f"xj-{year}-demo"
    req = pb.PublishPolicyRequest(
        request_id=f"demo-policy-{REGION_CODE}-{version}",
        policy=pb.MonitoringPolicy(version=version, owner_division_code=REGION_CODE, year=year,
                                   effective_from=f"{year}-01-01",
                                   monitoring_line_fen=MONITORING_LINE_FEN))
    _, err = call("PublishPolicy", req, metadata=(("authorization", REGION_TOKEN),))
    if err is None or err.code().name == "ALREADY_EXISTS":
        return True
    print(f"zx_demo: policy {version}: {describe(err)}", file=sys.stderr)
    return False


def create_household(pb, call, rid, hh, started):
    """CreateHousehold; returns (household with id or None, "created" | "present" | error)."""
    resp, err = call("CreateHousehold", pb.CreateHouseholdRequest(request_id=rid, household=hh))
    if err is not None:
        return None, f"{rid}: {describe(err)}"
    old = (resp.HasField("created_at")
           and resp.created_at.ToDatetime(datetime.timezone.utc) < started)
    return resp, "present" if old else "created"


def load_household(pb, call, county6, hh_index, rid, hh, band, months, started, policy_ok):
    """Everything for one household; returns a dict of what happened."""
    out = {"errors": [], "persons": 0, "records": 0, "colour": None, "factors": []}
    household, status = create_household(pb, call, rid, hh, started)
    if household is None:
        out["errors"].append(status)
        return out
    out["status"] = status

    persons = persons_for(pb, rid, household, county6, hh_index)
    for prid, person in persons:
        person.household_id = household.household_id
        _, err = call("AddPerson", pb.AddPersonRequest(request_id=prid, person=person))
        if err is None:
            out["persons"] += 1
        else:
            out["errors"].append(f"{prid}: {describe(err)}")

    _, err = call("SetGuarantees", pb.SetGuaranteesRequest(
        request_id=f"demo-g-{rid}", household_id=household.household_id,
        guarantees=guarantees_for(pb, rid)))
    if err is not None:
        out["errors"].append(f"demo-g-{rid}: {describe(err)}")

    for method, req in records_for(pb, rid, household, [p for _, p in persons], band, months):
        _, err = call(method, req)
        if err is None:
            out["records"] += 1
        else:
            out["errors"].append(f"{req.request_id}: {describe(err)}")

    if policy_ok:
        a, err = call("AssessHousehold", pb.AssessHouseholdRequest(
            household_id=household.household_id))
        if err is None:
            out["colour"] = pb.Colour.Name(a.colour)
            out["factors"] = sorted({f.kind for f in a.factors})
        else:
            out["errors"].append(f"assess {household.household_id}: {describe(err)}")
    return out


def county_households(pb, county6):
    """[(index in county, request id, Household, income band)] in township,
    village, n order."""
    out = []
    for t in TOWNSHIPS:
        for v in VILLAGES:
            village_code = f"{county6}{t:03d}{v:03d}"
            for n in range(1, HOUSEHOLDS_PER_VILLAGE + 1):
                out.append((len(out), *household_for(pb, village_code, n)))
    return [(i, rid, hh, income_band(county6, i, len(out))) for i, rid, hh in out]


def load_county(grpc, pb, pb_grpc, c, args, months, started):
    county6 = c.division_code[:6]
    md = (("authorization", f"Bearer dev.{c.division_code}.county_official.demo"),)
    ch = zx_grpc.channel(grpc, f"{args.host}:{c.grpc_port}")
    call = Caller(grpc, pb_grpc.MonitoringServiceStub(ch), md, args.timeout)
    policy_ok = publish_policy(pb, call, datetime.date.today().year)
    if not args.quiet:
        for t in TOWNSHIPS:
            print(f"  {c.instance}: township {county6}{t}000 {township_name(c.name_zh, t)}")
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(
            lambda h: load_household(pb, call, county6, *h, months, started, policy_ok),
            county_households(pb, county6)))
    ch.close()
    errors = [e for r in results for e in r["errors"]]
    for e in errors[:MAX_ERRORS_SHOWN]:
        print(f"zx_demo: {c.instance} {e}", file=sys.stderr)
    if len(errors) > MAX_ERRORS_SHOWN:
        print(f"zx_demo: {c.instance}: {len(errors) - MAX_ERRORS_SHOWN} more failed calls",
              file=sys.stderr)
    return results, 0 if policy_ok else 1


# ---- report --------------------------------------------------------------------

def width(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def cell(s, w, right=True):
    pad = " " * max(0, w - width(str(s)))
    return pad + str(s) if right else str(s) + pad


def print_table(per_county):
    """per_county: [(label, results)]."""
    head = ["county", "households"] + [zh for _, zh in COLOURS] + ["persons"]
    widths = ([max(16, *(width(label) for label, _ in per_county))]
              + [max(10, width(h)) for h in head[1:]])
    print("  ".join(cell(h, w, i > 0) for i, (h, w) in enumerate(zip(head, widths))))
    totals = [0] * (len(head) - 1)
    rows = []
    for label, results in per_county:
        colours = collections.Counter(r["colour"] for r in results)
        row = [sum(1 for r in results if "status" in r)] + [colours[c] for c, _ in COLOURS] + [
            sum(r["persons"] for r in results)]
        totals = [a + b for a, b in zip(totals, row)]
        rows.append([label] + row)
    if len(per_county) > 1:
        rows.append(["total"] + totals)
    for row in rows:
        print("  ".join(cell(x, w, i > 0) for i, (x, w) in enumerate(zip(row, widths))))
    factors = collections.Counter(
        f for _, results in per_county for r in results for f in r["factors"])
    if factors:
        print("factors fired (households): " +
              ", ".join(f"{k} {n}" for k, n in sorted(factors.items(), key=lambda kv: -kv[1])))


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

    t0 = time.monotonic()
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    months = window_months(datetime.date.today())
    per_county = []
    failures = 0
    for c in counties:
        results, policy_failures = load_county(grpc, pb, pb_grpc, c, args, months, started)
        failures += policy_failures + sum(len(r["errors"]) for r in results)
        per_county.append((f"{c.instance} {c.name_zh}", results))
        status = collections.Counter(r.get("status") for r in results)
        print(f"{c.instance} ({c.division_code} {c.name_zh}): {status['created']} households "
              f"created, {status['present']} already present; "
              f"{sum(r['persons'] for r in results)} persons, "
              f"{sum(r['records'] for r in results)} income/expense records "
              f"({months[0]}..{months[-1]})")
    rows = zx_instances.load(args.instances_file)
    for c in counties:
        consumption = next((r for r in rows if r.instance == c.instance
                            and r.service == "consumption"), None)
        if consumption is None:
            continue
        lines, errors = zx_demo_consumption.load_county(grpc, Caller, describe, c, consumption,
                                                        args.host, args.timeout)
        failures += len(errors)
        for e in errors[:MAX_ERRORS_SHOWN]:
            print(f"zx_demo: {c.instance} {e}", file=sys.stderr)
        print("\n".join(lines))
    for p in (r for r in rows if r.level == "prefecture" and r.service == "consumption"):
        _, lines, errors = zx_demo_consumption.load_prefecture(grpc, Caller, describe, p, p,
                                                               args.host, args.timeout)
        failures += len(errors)
        for e in errors[:MAX_ERRORS_SHOWN]:
            print(f"zx_demo: {p.instance} {e}", file=sys.stderr)
        print("\n".join(lines))
    lines, errors = zx_demo_federation.load(grpc, Caller, describe, rows, args.host,
                                            args.timeout)
    failures += len(errors)
    for e in errors[:MAX_ERRORS_SHOWN]:
        print(f"zx_demo: federation {e}", file=sys.stderr)
    print("\n".join(lines))
    print(f"\ndemo data: monitoring line {MONITORING_LINE_FEN // 100:,} yuan (xj-"
          f"{datetime.date.today().year}-demo), {failures} failed calls, "
          f"{time.monotonic() - t0:.1f}s")
    print_table(per_county)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
