// Records (income, expenses), guarantees, policy and the four-colour
// assessment: validation and authorization here, rules in domain/, SQL in
// store/record_store.
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/money/money.h"
#include "common/time/time.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/api/assessment.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/income.h"
#include "services/monitoring/domain/policy.h"
#include "services/monitoring/domain/risk.h"
#include "services/monitoring/store/credit_store.h"
#include "services/monitoring/store/household_store.h"
#include "services/monitoring/store/record_store.h"
#include "services/monitoring/store/rollup_store.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace zx::monitoring {
namespace {

using money::kMaxAmountFen;

using time::Today;

// "YYYY-MM" not after the current month.
void CheckMonth(const std::string& field, const std::string& month, errors::Validator& v) {
  absl::CivilMonth m;
  if (month.size() != 7 || !absl::ParseCivilTime(month, &m)) {
    v.Add(field, "must be a month like 2026-10");
  } else if (m > absl::CivilMonth(Today())) {
    v.Add(field, "must not be in the future");
  }
}

void CheckAmount(const std::string& field, int64_t amount, errors::Validator& v) {
  if (amount < 0 || amount > kMaxAmountFen) {
    v.Add(field, "must be between 0 and 1,000,000,000,000 fen");
  }
}

v1::Colour ToProto(Colour c) {
  switch (c) {
    case Colour::kRed:
      return v1::COLOUR_RED;
    case Colour::kOrange:
      return v1::COLOUR_ORANGE;
    case Colour::kYellow:
      return v1::COLOUR_YELLOW;
    case Colour::kGreen:
      return v1::COLOUR_GREEN;
  }
  return v1::COLOUR_UNSPECIFIED;
}

v1::Explanation ToProto(const Explanation& e, Colour colour) {
  v1::Explanation out;
  out.set_colour(ToProto(colour));
  out.set_summary(e.headline);
  for (const auto& f : e.factors) out.add_reasons(f);
  return out;
}

// Proto policy -> domain policy; unset (0) figures keep those of `base`
// (the policy the publisher inherits), or the national defaults.
absl::StatusOr<MonitoringPolicy> PolicyFromProto(const v1::MonitoringPolicy& p,
                                                 const MonitoringPolicy* base = nullptr) {
  errors::Validator v;
  auto owner = division::Code::Parse(p.owner_division_code());
  v.Check("policy.owner_division_code", owner.status());
  absl::CivilDay from;
  if (!absl::ParseCivilTime(p.effective_from(), &from)) {
    v.Add("policy.effective_from", "must be a date like 2026-01-01");
  }
  if (p.version().empty() || p.version().size() > 64) {
    v.Add("policy.version", "must be 1-64 characters");
  }
  if (p.year() < 2020 || p.year() > 2100) v.Add("policy.year", "must be between 2020 and 2100");
  if (!v.ok()) return v.ToStatus();
  MonitoringPolicy d = DefaultPolicy(*owner, p.year());
  if (base != nullptr) {
    const MonitoringPolicy defaults = d;
    d = *base;
    d.owner = defaults.owner;
    d.year = defaults.year;
  }
  d.version = p.version();
  d.effective_from = from;
  auto set = [](auto& target, auto value) {
    if (value != 0) target = value;
  };
  set(d.monitoring_line_fen, p.monitoring_line_fen());
  set(d.orange_line_permille, p.orange_line_permille());
  set(d.yellow_line_permille, p.yellow_line_permille());
  set(d.orange_income_drop_permille, p.orange_income_drop_permille());
  set(d.yellow_income_drop_permille, p.yellow_income_drop_permille());
  set(d.heavy_rigid_spending_permille, p.heavy_rigid_spending_permille());
  set(d.sudden_event_days, p.sudden_event_days());
  set(d.stable_months_required, p.stable_months_for_elimination());
  set(d.publicity_min_days, p.publicity_min_days());
  set(d.identification_limit_days, p.identification_limit_days());
  set(d.scale_window_days, p.scale_window_days());
  set(d.scale_township_new_red, p.scale_township_new_red());
  set(d.scale_county_new_red, p.scale_county_new_red());
  set(d.scale_township_new_objects, p.scale_township_new_objects());
  set(d.scale_county_new_objects, p.scale_county_new_objects());
  set(d.follow_up_days, p.follow_up_days());
  if (auto s = Validate(d); !s.ok()) return errors::Annotate(s, "policy");
  return d;
}

v1::MonitoringPolicy PolicyToProto(const MonitoringPolicy& d) {
  v1::MonitoringPolicy p;
  p.set_version(d.version);
  p.set_owner_division_code(d.owner.str());
  p.set_year(d.year);
  p.set_effective_from(absl::FormatCivilTime(d.effective_from));
  p.set_monitoring_line_fen(d.monitoring_line_fen);
  p.set_orange_line_permille(d.orange_line_permille);
  p.set_yellow_line_permille(d.yellow_line_permille);
  p.set_orange_income_drop_permille(d.orange_income_drop_permille);
  p.set_yellow_income_drop_permille(d.yellow_income_drop_permille);
  p.set_heavy_rigid_spending_permille(d.heavy_rigid_spending_permille);
  p.set_sudden_event_days(d.sudden_event_days);
  p.set_stable_months_for_elimination(d.stable_months_required);
  p.set_publicity_min_days(d.publicity_min_days);
  p.set_identification_limit_days(d.identification_limit_days);
  p.set_scale_window_days(d.scale_window_days);
  p.set_scale_township_new_red(d.scale_township_new_red);
  p.set_scale_county_new_red(d.scale_county_new_red);
  p.set_scale_township_new_objects(d.scale_township_new_objects);
  p.set_scale_county_new_objects(d.scale_county_new_objects);
  p.set_follow_up_days(d.follow_up_days);
  return p;
}

}  // namespace

std::vector<MonitoringPolicy> LoadPublishedPolicies(pqxx::transaction_base& tx) {
  std::vector<MonitoringPolicy> published;
  for (const auto& p : LoadPolicies(tx)) {
    auto d = PolicyFromProto(p);
    if (d.ok()) published.push_back(std::move(*d));
  }
  return published;
}

absl::StatusOr<MonitoringPolicy> ResolveFromPublished(
    const std::vector<MonitoringPolicy>& published, const division::Code& division,
    absl::CivilDay date) {
  auto policy =
      ResolvePolicy(published, division, static_cast<int>(absl::CivilYear(date).year()), date);
  if (absl::IsNotFound(policy.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no monitoring policy is in effect for ", division.str(), " on ",
        absl::FormatCivilTime(date), ": publish one (PublishPolicy) for this year first"));
  }
  return policy;
}

absl::StatusOr<MonitoringPolicy> ResolvePublishedPolicy(pqxx::transaction_base& tx,
                                                        const division::Code& division,
                                                        absl::CivilDay date) {
  return ResolveFromPublished(LoadPublishedPolicies(tx), division, date);
}

absl::StatusOr<RiskInputs> RiskInputsFrom(const v1::Household& household,
                                          const HouseholdInputs& loaded, absl::CivilDay today,
                                          NetIncome* net) {
  // M4: the 12 months before this month; the window before it for the drop.
  const time::MonthWindow window = IncomeWindow(absl::CivilMonth(today));
  const time::MonthWindow previous = PreviousWindow(window);
  const HouseholdRecords& records = loaded.records;
  auto current = ComputeNetIncome(records.income, records.costs, records.rigid, window,
                                  household.member_count());
  if (!current.ok()) return current.status();
  RiskInputs in;
  in.per_capita_net_income = current->per_capita_net_income;
  // The household totals too: the income drop is compared on them exactly.
  in.current_net = HouseholdNet{.net_income = current->net_income, .members = current->members};
  in.total_income = current->total_income;
  in.rigid_spending = current->rigid_spending;
  const bool has_previous =
      std::any_of(records.income.begin(), records.income.end(),
                  [&](const IncomeRecord& r) { return r.month <= previous.last; });
  if (has_previous) {
    auto before = ComputeNetIncome(records.income, records.costs, records.rigid, previous,
                                   household.member_count());
    if (!before.ok()) return before.status();
    in.previous_window_per_capita = before->per_capita_net_income;
    in.previous_net = HouseholdNet{.net_income = before->net_income, .members = before->members};
  }
  const v1::Guarantees g = loaded.guarantees.value_or(v1::Guarantees());
  // Not yet checked counts as unmet: a forgotten check must not hide a risk.
  in.food_clothing_ok = g.food_clothing() == v1::GUARANTEE_STATUS_MET;
  in.education_ok = g.compulsory_education() == v1::GUARANTEE_STATUS_MET;
  in.medical_ok = g.basic_medical() == v1::GUARANTEE_STATUS_MET;
  in.housing_ok = g.safe_housing() == v1::GUARANTEE_STATUS_MET;
  in.water_ok = g.safe_water() == v1::GUARANTEE_STATUS_MET;
  in.today = today;
  in.able_workers = loaded.labour.able_workers;
  in.employed_members = loaded.labour.employed;
  // 扶贫小额信贷: overdue instalments of the household's active loan today.
  in.overdue_credit_instalments = loaded.credit.instalments;
  in.overdue_credit_fen = loaded.credit.unpaid_fen;
  in.last_sudden_event = loaded.last_sudden_event;
  *net = *current;
  return in;
}

absl::StatusOr<RiskInputs> CurrentRiskInputs(pqxx::transaction_base& tx,
                                             const v1::Household& household, absl::CivilDay today,
                                             NetIncome* net) {
  const time::MonthWindow window = IncomeWindow(absl::CivilMonth(today));
  HouseholdInputs loaded;
  loaded.records =
      LoadRecords(tx, household.household_id(), PreviousWindow(window).first, window.last);
  loaded.guarantees = LoadGuarantees(tx, household.household_id());
  loaded.labour = LoadLabourSummary(tx, household.household_id());
  loaded.last_sudden_event = LoadLastSuddenEvent(tx, household.household_id(), today);
  auto credit = HouseholdCreditOverdue(tx, household.household_id(), today);
  if (!credit.ok()) return credit.status();
  loaded.credit = *credit;
  return RiskInputsFrom(household, loaded, today, net);
}

v1::Assessment MakeAssessment(const v1::Household& household, const RiskInputs& in,
                              const NetIncome& net, const Assessment& assessed,
                              bool with_explanations) {
  v1::Assessment a;
  a.set_household_id(household.household_id());
  a.set_colour(ToProto(assessed.colour));
  a.set_policy_version(assessed.policy_version);
  a.set_policy_year(assessed.policy_year);
  for (const Factor& f : assessed.fired) {
    auto* pf = a.add_factors();
    pf->set_kind(std::string(FactorKindName(f.kind)));
    pf->set_colour(ToProto(f.colour));
    pf->set_value(f.value);
    pf->set_threshold(f.threshold);
    pf->set_detail(f.detail);
  }
  *a.mutable_assessed_at() = time::ToProto(absl::Now());
  a.set_per_capita_net_income_fen(net.per_capita_net_income);
  a.set_rigid_spending_fen(net.rigid_spending);
  if (in.previous_window_per_capita) {
    a.set_previous_per_capita_net_income_fen(*in.previous_window_per_capita);
  }
  a.set_income_window_first_month(absl::FormatCivilTime(net.window.first));
  a.set_income_window_last_month(absl::FormatCivilTime(net.window.last));
  if (with_explanations) {
    *a.mutable_explanation_zh() = ToProto(Explain(assessed, Language::kZh), assessed.colour);
    *a.mutable_explanation_en() = ToProto(Explain(assessed, Language::kEn), assessed.colour);
  }
  return a;
}

absl::Status AssessmentEffects(pqxx::transaction_base& tx, const server::Runtime& rt,
                               const v1::Household& household, const v1::Assessment& a,
                               v1::Colour previous_colour, const std::string& causation_id,
                               DeferredEffects* deferred) {
  const auto village = *division::Code::Parse(household.village_code());
  // 监测平台分析 (RULES M6): turning RED or ORANGE raises a clue by itself.
  auto alarming = [](v1::Colour c) { return c == v1::COLOUR_RED || c == v1::COLOUR_ORANGE; };
  if (alarming(a.colour()) && !alarming(previous_colour)) {
    // Found now on the lifecycle's clock, as every step of the object: a
    // step dated by another clock could fall before or after its neighbours
    // (the wall clock and the lifecycle's are one in production).
    const absl::Time found_at = LifecycleNow();
    zx::common::v1::AuditStamp platform;
    platform.set_user_id("monitoring-platform");
    platform.set_role("system");
    platform.set_division_code(rt.division.str());
    *platform.mutable_at() = time::ToProto(found_at);
    auto clue =
        RecordClue(tx, rt, village, household.household_id(), v1::CLUE_WAY_PLATFORM_ANALYSIS,
                   a.explanation_zh().summary(), found_at, platform, causation_id, deferred);
    if (!clue.ok()) return clue.status();
  }
  if (a.colour() == v1::COLOUR_RED && previous_colour != v1::COLOUR_RED) {
    // NEW_RED and the M12 check; after the clue, so the alerts lock comes
    // after the object's row lock, as everywhere.
    if (auto s = RaiseNewRed(tx, rt, household, a, causation_id, deferred); !s.ok()) {
      return s;
    }
  }
  if (previous_colour != a.colour()) {
    auto changed = std::make_unique<v1::HouseholdColorChanged>();
    changed->set_household_id(a.household_id());
    changed->set_village_code(household.village_code());
    changed->set_previous(previous_colour);
    changed->set_current(a.colour());
    *changed->mutable_assessment() = a;
    if (deferred != nullptr) {
      deferred->DeferEvent("monitoring.household_color_changed", household.village_code(),
                           a.household_id(), std::move(changed), causation_id);
      return absl::OkStatus();
    }
    auto event = events::Append(tx, rt.config.instance,
                                {.type = "monitoring.household_color_changed",
                                 .division_code = household.village_code(),
                                 .aggregate_id = a.household_id(),
                                 .payload = changed.get(),
                                 .causation_id = causation_id});
    if (!event.ok()) return event.status();
  }
  return absl::OkStatus();
}

namespace {

// A household's assessment from its records on `today` under the policy
// published for its village (FAILED_PRECONDITION when none is in effect).
struct FromRecords {
  RiskInputs inputs;
  NetIncome net;
  Assessment assessed;
};
absl::StatusOr<FromRecords> AssessFromRecords(pqxx::transaction_base& tx,
                                              const v1::Household& household,
                                              absl::CivilDay today) {
  auto policy = ResolvePublishedPolicy(tx, *division::Code::Parse(household.village_code()), today);
  if (!policy.ok()) return policy.status();
  FromRecords r;
  auto inputs = CurrentRiskInputs(tx, household, today, &r.net);
  if (!inputs.ok()) return inputs.status();
  auto assessed = Assess(*inputs, *policy);
  if (!assessed.ok()) return assessed.status();
  r.inputs = *std::move(inputs);
  r.assessed = *std::move(assessed);
  return r;
}

}  // namespace

absl::StatusOr<v1::Assessment> AssessAndStore(pqxx::transaction_base& tx, const server::Runtime& rt,
                                              const v1::Household& household,
                                              const std::string& causation_id) {
  // One assessment of a household at a time: inputs, colour and events stay
  // consistent when an RPC and a wage event assess it together.
  tx.exec_params("SELECT 1 FROM households WHERE household_id = $1 FOR UPDATE",
                 household.household_id());
  auto r = AssessFromRecords(tx, household, Today());
  if (!r.ok()) return r.status();
  const v1::Assessment a = MakeAssessment(household, r->inputs, r->net, r->assessed);
  const v1::Colour previous_colour = SaveAssessment(tx, a, EncodeInputs(r->inputs));
  if (auto s = RefreshRollup(tx, household.household_id()); !s.ok()) return s;
  if (auto s = AssessmentEffects(tx, rt, household, a, previous_colour, causation_id); !s.ok()) {
    return s;
  }
  return a;
}

absl::StatusOr<std::optional<std::vector<FactorKind>>> FiredFactorKinds(
    pqxx::transaction_base& tx, const v1::Household& household, absl::CivilDay today) {
  auto r = AssessFromRecords(tx, household, today);
  // No policy in effect: nothing to assess with, so nothing is on record
  // (identification itself never waits for a policy).
  if (absl::IsFailedPrecondition(r.status())) return std::nullopt;
  if (!r.ok()) return r.status();
  std::vector<FactorKind> kinds;
  for (const Factor& f : r->assessed.fired) kinds.push_back(f.kind);
  return std::optional<std::vector<FactorKind>>(std::move(kinds));
}

absl::Status EliminationCheck(pqxx::transaction_base& tx, const v1::Household& household,
                              absl::CivilDay today,
                              const std::optional<std::vector<FactorKind>>& triggering_factors) {
  const auto village = *division::Code::Parse(household.village_code());
  auto policy = ResolvePublishedPolicy(tx, village, today);
  if (!policy.ok()) return policy.status();
  EliminationInputs inputs;
  inputs.proposal_month = absl::CivilMonth(today);
  inputs.triggering_factors = triggering_factors;
  NetIncome ignored;
  auto current = CurrentRiskInputs(tx, household, today, &ignored);
  if (!current.ok()) return current.status();
  inputs.current = *current;
  // 兜底: a social-security-floor measure (低保/特困) in the household's plan.
  inputs.current.social_assistance_floor =
      tx.exec_params1(
            "SELECT EXISTS (SELECT 1 FROM assistance_measures "
            "WHERE household_id = $1 AND kind = $2)",
            household.household_id(), static_cast<int>(v1::MEASURE_KIND_SOCIAL_SECURITY_FLOOR))[0]
          .as<bool>();
  // M9: each of the last `stable_months_required` complete months, judged by
  // its own 12-month window.
  const absl::CivilMonth last = inputs.proposal_month - 1;
  const absl::CivilMonth first = last - (policy->stable_months_required - 1);
  const HouseholdRecords records =
      LoadRecords(tx, household.household_id(), WindowEndingWith(first).first, last);
  for (absl::CivilMonth m = first; m <= last; ++m) {
    auto net = ComputeNetIncome(records.income, records.costs, records.rigid, WindowEndingWith(m),
                                household.member_count());
    if (!net.ok()) return net.status();
    inputs.per_capita_by_month.push_back({m, net->per_capita_net_income});
  }
  return CheckElimination(inputs, *policy);
}

namespace {

// What RecordIncome and RecordExpense share: the checks of a record from a
// caller (the kind is checked by each), then one transaction that
// authorizes, de-duplicates by request_id and inserts.
template <typename Request, typename Record>
absl::Status RecordFromCaller(
    server::Runtime& rt, const server::CallContext& call, const Request& request, Record& response,
    errors::Validator& v, std::string_view method, std::string_view id_prefix,
    const std::function<void(pqxx::transaction_base&, const Record&)>& insert) {
  const Record& r = request.record();
  v.Check("request_id", idempotency::ValidateRequestId(request.request_id()));
  if (!r.record_id().empty()) v.Add("record.record_id", "is assigned by the server");
  if (!IsHouseholdId(r.household_id())) v.Add("record.household_id", "is not a household id");
  if (r.source() == v1::RECORD_SOURCE_EVENT) {
    v.Add("record.source", "EVENT records come only from other services' events");
  } else if (!v1::RecordSource_IsValid(r.source()) || r.source() == v1::RECORD_SOURCE_UNSPECIFIED) {
    v.Add("record.source", "must be DECLARATION, SURVEY or DEPARTMENT");
  }
  CheckMonth("record.month", r.month(), v);
  CheckAmount("record.amount_fen", r.amount_fen(), v);
  if (!v.ok()) return v.ToStatus();
  return pg::WithTransaction(*rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
    auto household = AuthorizedHousehold(tx, call, "monitoring.record.write", r.household_id());
    if (!household.ok()) return household.status();
    return idempotency::Run(tx, method, request.request_id(), request, response, [&] {
      response = r;
      response.set_record_id(NewId(id_prefix));
      insert(tx, response);
      // Assessed when the caller asks (AssessHousehold) or a job runs; a
      // POLICY job must not apply new figures to the inputs from before.
      ForgetStoredInputs(tx, response.household_id());
      return absl::OkStatus();
    });
  });
}

}  // namespace

grpc::ServerUnaryReactor* MonitoringServiceImpl::RecordIncome(
    grpc::CallbackServerContext* ctx, const v1::RecordIncomeRequest* request,
    v1::IncomeRecord* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    const v1::IncomeKind kind = request->record().kind();
    if (!v1::IncomeKind_IsValid(kind) || kind == v1::INCOME_KIND_UNSPECIFIED) {
      v.Add("record.kind", "must be WAGE, OPERATING, PROPERTY or TRANSFER");
    }
    return RecordFromCaller<v1::RecordIncomeRequest, v1::IncomeRecord>(
        rt_, call, *request, *response, v, "monitoring.RecordIncome", "in",
        [](pqxx::transaction_base& tx, const v1::IncomeRecord& r) { InsertIncome(tx, r); });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::RecordExpense(
    grpc::CallbackServerContext* ctx, const v1::RecordExpenseRequest* request,
    v1::ExpenseRecord* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    const v1::ExpenseKind kind = request->record().kind();
    if (!v1::ExpenseKind_IsValid(kind) || kind == v1::EXPENSE_KIND_UNSPECIFIED) {
      v.Add("record.kind", "must be PRODUCTION_COST, MEDICAL, EDUCATION or DISASTER");
    }
    return RecordFromCaller<v1::RecordExpenseRequest, v1::ExpenseRecord>(
        rt_, call, *request, *response, v, "monitoring.RecordExpense", "ex", InsertExpense);
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::SetGuarantees(
    grpc::CallbackServerContext* ctx, const v1::SetGuaranteesRequest* request,
    v1::Guarantees* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    if (!IsHouseholdId(request->household_id())) v.Add("household_id", "is not a household id");
    const v1::Guarantees& g = request->guarantees();
    const std::pair<const char*, v1::GuaranteeStatus> fields[] = {
        {"guarantees.food_clothing", g.food_clothing()},
        {"guarantees.compulsory_education", g.compulsory_education()},
        {"guarantees.basic_medical", g.basic_medical()},
        {"guarantees.safe_housing", g.safe_housing()},
        {"guarantees.safe_water", g.safe_water()}};
    for (const auto& [field, status] : fields) {
      if (!v1::GuaranteeStatus_IsValid(status)) v.Add(field, "must be MET, UNMET or UNSPECIFIED");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.guarantees.set", request->household_id());
      if (!household.ok()) return household.status();
      return idempotency::Run(tx, "monitoring.SetGuarantees", request->request_id(), *request,
                              *response, [&] {
                                UpsertGuarantees(tx, request->household_id(), g);
                                ForgetStoredInputs(tx, request->household_id());
                                *response = g;
                                return absl::OkStatus();
                              });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::RecordSuddenEvent(
    grpc::CallbackServerContext* ctx, const v1::RecordSuddenEventRequest* request,
    v1::SuddenEvent* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    const v1::SuddenEvent& e = request->event();
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    if (!e.event_id().empty()) v.Add("event.event_id", "is assigned by the server");
    if (!IsHouseholdId(e.household_id())) v.Add("event.household_id", "is not a household id");
    if (!v1::SuddenEventKind_IsValid(e.kind()) || e.kind() == v1::SUDDEN_EVENT_KIND_UNSPECIFIED) {
      v.Add("event.kind", "must be SERIOUS_ILLNESS, ACCIDENT, NATURAL_DISASTER or OTHER");
    }
    const auto day = time::ParseDate(e.occurred_on());
    if (!day) {
      v.Add("event.occurred_on", "must be a date like 2026-10-15");
    } else if (*day > Today()) {
      v.Add("event.occurred_on", "must not be in the future");
    }
    if (e.kind() == v1::SUDDEN_EVENT_KIND_OTHER && e.note().empty()) {
      v.Add("event.note", "must say what happened when the kind is OTHER");
    }
    v.CheckText("event.note", e.note(), 2000);
    if (e.has_recorded_at()) v.Add("event.recorded_at", "is set by the server");
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household = AuthorizedHousehold(tx, call, "monitoring.record.write", e.household_id());
      if (!household.ok()) return household.status();
      return idempotency::Run(
          tx, "monitoring.RecordSuddenEvent", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            *response = e;
            response->set_event_id(NewId("se"));
            *response->mutable_recorded_at() = time::ToProto(absl::Now());
            InsertSuddenEvent(tx, *response);
            ForgetStoredInputs(tx, household->household_id());  // when no policy is in effect
            // The colour (and a platform clue) follow at once: an official
            // recording a disaster expects to see the household flagged.
            return ReassessIfPolicyPublished(tx, rt_, *household, request->request_id());
          });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::PublishPolicy(
    grpc::CallbackServerContext* ctx, const v1::PublishPolicyRequest* request,
    v1::MonitoringPolicy* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    auto policy = PolicyFromProto(request->policy());
    if (!policy.ok()) {
      for (auto& f : errors::FieldViolationsOf(policy.status())) v.Add(f.field, f.description);
      if (errors::FieldViolationsOf(policy.status()).empty()) {
        v.Add("policy", std::string(policy.status().message()));
      }
    }
    if (!v.ok()) return v.ToStatus();
    // Only policies that govern this instance's divisions: its own, its
    // ancestors' (arriving from above), or those of divisions inside it.
    if (!policy->owner.IsAncestorOrSelfOf(rt_.division) &&
        !rt_.division.IsAncestorOrSelfOf(policy->owner)) {
      return errors::InvalidField(
          "policy.owner_division_code",
          absl::StrCat("does not govern this instance (", rt_.division.str(), ")"));
    }
    if (auto a = call.Authorize("monitoring.policy.publish", policy->owner); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(
          tx, "monitoring.PublishPolicy", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            // Figures the publisher leaves unset are inherited from the policy
            // above it (in effect on the same day), not reset to defaults; and
            // a lower level may raise the line but never lower it.
            if (auto parent = policy->owner.Parent()) {
              auto inherited = ResolvePublishedPolicy(tx, *parent, policy->effective_from);
              if (inherited.ok()) {
                auto merged = PolicyFromProto(request->policy(), &*inherited);
                if (!merged.ok()) return merged.status();
                *policy = *std::move(merged);
                if (policy->monitoring_line_fen < inherited->monitoring_line_fen) {
                  return errors::InvalidField(
                      "policy.monitoring_line_fen",
                      absl::StrCat("must not be below the line of ", inherited->owner.str(), " (",
                                   money::FormatYuan(inherited->monitoring_line_fen), " yuan)"));
                }
              } else if (!absl::IsFailedPrecondition(inherited.status())) {
                return inherited.status();
              }
            }
            *response = PolicyToProto(*policy);
            if (!InsertPolicy(tx, *response)) {
              return absl::AlreadyExistsError(absl::StrCat(
                  "a policy of ", policy->owner.str(), " with version ", policy->version,
                  " or taking effect on ", absl::FormatCivilTime(policy->effective_from),
                  " is already published; policies are never edited, publish a new version "
                  "with a later effective date"));
            }
            // Every household the policy governs here is re-assessed (M11):
            // now when it is already in effect, else when its day comes.
            if (policy->effective_from <= Today()) {
              auto job = ApplyPolicy(tx, rt_, policy->owner, policy->version, "");
              if (!job.ok()) return job.status();
            } else {
              tx.exec_params(
                  "UPDATE policies SET applied = false WHERE owner_division_code = $1 "
                  "AND version = $2",
                  policy->owner.str(), policy->version);
            }
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.policy_published",
                                         .division_code = policy->owner.str(),
                                         .aggregate_id = policy->version,
                                         .payload = response,
                                         .causation_id = request->request_id()});
            return event.status();
          });
    });
  });
}

absl::StatusOr<v1::ReassessmentJob> ApplyPolicy(pqxx::transaction_base& tx,
                                                const server::Runtime& rt,
                                                const division::Code& owner,
                                                const std::string& version,
                                                const std::string& why) {
  const division::Code scope = rt.division.IsAncestorOrSelfOf(owner) ? owner : rt.division;
  tx.exec_params(
      "UPDATE policies SET applied = true WHERE owner_division_code = $1 AND version = $2",
      owner.str(), version);
  return CreateReassessmentJob(tx, scope, absl::StrCat("policy ", owner.str(), "/", version, why),
                               v1::REASSESS_REASON_POLICY);
}

absl::StatusOr<int> ApplyPoliciesTakingEffect(server::Runtime& rt, absl::CivilDay today) {
  int applied = 0;
  const absl::Status status = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
    applied = 0;
    for (const auto& row :
         tx.exec_params("SELECT owner_division_code, version FROM policies "
                        "WHERE NOT applied AND effective_from <= $1::date ORDER BY effective_from "
                        "FOR UPDATE SKIP LOCKED",
                        absl::FormatCivilTime(today))) {
      auto owner = division::Code::Parse(row[0].as<std::string>());
      if (!owner.ok()) return owner.status();
      auto job = ApplyPolicy(tx, rt, *owner, row[1].as<std::string>(), " took effect");
      if (!job.ok()) return job.status();
      ++applied;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::GetEffectivePolicy(
    grpc::CallbackServerContext* ctx, const v1::GetEffectivePolicyRequest* request,
    v1::MonitoringPolicy* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    auto division = division::Code::Parse(request->division_code());
    v.Check("division_code", division.status());
    absl::CivilDay date = Today();
    if (!request->date().empty() && !absl::ParseCivilTime(request->date(), &date)) {
      v.Add("date", "must be a date like 2026-11-23");
    }
    if (!v.ok()) return v.ToStatus();
    if (auto a = call.Authorize("monitoring.policy.get", *division); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto policy = ResolvePublishedPolicy(tx, *division, date);
      if (!policy.ok()) return policy.status();
      *response = PolicyToProto(*policy);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::AssessHousehold(
    grpc::CallbackServerContext* ctx, const v1::AssessHouseholdRequest* request,
    v1::Assessment* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    if (!IsHouseholdId(request->household_id())) {
      return errors::InvalidField("household_id", "is not a household id");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.assessment.run", request->household_id());
      if (!household.ok()) return household.status();
      auto assessed = AssessAndStore(tx, rt_, *household, call.request_id);
      if (!assessed.ok()) return assessed.status();
      *response = std::move(*assessed);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::ExplainAssessment(
    grpc::CallbackServerContext* ctx, const v1::ExplainAssessmentRequest* request,
    v1::Explanation* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    if (!IsHouseholdId(request->household_id())) v.Add("household_id", "is not a household id");
    if (!request->language().empty() && request->language() != "zh" &&
        request->language() != "en") {
      v.Add("language", "must be \"zh\" or \"en\"");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.assessment.explain", request->household_id());
      if (!household.ok()) return household.status();
      auto latest = LatestAssessment(tx, request->household_id());
      if (!latest) {
        return absl::NotFoundError("household " + request->household_id() +
                                   " has not been assessed yet (AssessHousehold)");
      }
      *response = request->language() == "en" ? latest->explanation_en() : latest->explanation_zh();
      return absl::OkStatus();
    });
  });
}

}  // namespace zx::monitoring
