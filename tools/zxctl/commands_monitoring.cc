// The monitoring service (防返贫动态监测): households, their colour and
// history, clues and lifecycle steps, alerts, roll-ups, re-assessment.
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/money/money.h"
#include "tools/zxctl/zxctl.h"
#include "zx/monitoring/v1/alerts.grpc.pb.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::zxctl {
namespace {

namespace mon = zx::monitoring::v1;

// The colour marker of a household: "未评 NONE" when it has not been
// assessed, "?" when the colour could not be read — then the first failure
// is printed and its exit code kept in `failed`, so a household is never
// shown as unassessed because a call failed.
std::string ColourOf(Session& s, mon::MonitoringService::Stub& stub, const std::string& household,
                     int& failed) {
  mon::ExplainAssessmentRequest req;
  req.set_household_id(household);
  mon::Explanation e;
  auto ctx = s.Context("");
  const grpc::Status st = stub.ExplainAssessment(ctx.get(), req, &e);
  if (st.ok()) return ColourMarker(e.colour(), s.colour());
  if (st.error_code() == grpc::StatusCode::NOT_FOUND ||
      st.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return ColourMarker(0, s.colour());
  }
  if (failed == kOk) failed = Fail(st, "ExplainAssessment " + household);
  return "?";
}

std::string Category(int category) {
  return category == mon::HOUSEHOLD_CATEGORY_LIFTED     ? "脱贫户 lifted"
         : category == mon::HOUSEHOLD_CATEGORY_ORDINARY ? "一般农户 ordinary"
                                                        : "-";
}

int HouseholdGet(Session& s, const std::string& id) {
  auto stub = mon::MonitoringService::NewStub(s.Channel("monitoring"));
  mon::GetHouseholdRequest req;
  req.set_household_id(id);
  mon::Household h;
  if (int rc = Call(s, "GetHousehold", [&](auto* c) { return stub->GetHousehold(c, req, &h); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(h, std::cout);
    return kOk;
  }
  int failed = kOk;
  PrintFields({{"household 户", h.household_id()},
               {"village 村", h.village_code()},
               {"category 类别", Category(h.category())},
               {"members 人口", absl::StrCat(h.member_count())},
               {"relocated 易地搬迁", h.relocated() ? "yes 是" : "no 否"},
               {"colour 风险", ColourOf(s, *stub, id, failed)},
               {"registered 登记", Time(h.created_at())}},
              s.format(), std::cout);
  return failed;
}

struct ListArgs {
  std::string division;
  int page_size = 20;
  std::string page_token;
  bool all = false;
};

int HouseholdList(Session& s, const ListArgs& a) {
  auto stub = mon::MonitoringService::NewStub(s.Channel("monitoring"));
  mon::ListHouseholdsRequest req;
  req.set_division_code(a.division);
  req.set_page_size(a.page_size);
  req.set_page_token(a.page_token);
  mon::ListHouseholdsResponse all;
  int failed = kOk;
  Table table({"household 户", "village 村", "category 类别", "members 人口", "colour 风险"});
  for (;;) {
    mon::ListHouseholdsResponse page;
    if (int rc = Call(s, "ListHouseholds",
                      [&](auto* c) { return stub->ListHouseholds(c, req, &page); })) {
      return rc;
    }
    for (const auto& h : page.households()) {
      *all.add_households() = h;
      if (s.format() != Format::kJson) {
        table.Add({h.household_id(), h.village_code(), Category(h.category()),
                   absl::StrCat(h.member_count()), ColourOf(s, *stub, h.household_id(), failed)});
      }
    }
    all.set_next_page_token(page.next_page_token());
    if (!a.all || page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (s.format() == Format::kJson) {
    PrintJson(all, std::cout);
  } else {
    table.Print(s.format(), std::cout);
    if (!all.next_page_token().empty()) {
      std::cerr << "more: --page-token " << all.next_page_token() << " (or --all)\n";
    }
  }
  return failed;
}

int HouseholdHistory(Session& s, const std::string& id) {
  auto stub = mon::MonitoringObjectService::NewStub(s.Channel("monitoring"));
  mon::GetHouseholdHistoryRequest req;
  req.set_household_id(id);
  mon::GetHouseholdHistoryResponse r;
  if (int rc = Call(s, "GetHouseholdHistory",
                    [&](auto* c) { return stub->GetHouseholdHistory(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return kOk;
  }
  Table table({"object 对象", "#", "step 环节", "from 原状态", "to 新状态", "by 经办", "at 时间",
               "reason 依据"});
  const auto* actions = mon::LifecycleAction_descriptor();
  const auto* states = mon::MonitoringObjectState_descriptor();
  for (const auto& step : r.steps()) {
    table.Add({step.object_id(), absl::StrCat(step.sequence()),
               EnumLabel(actions, step.action()) + (step.rejected() ? " (rejected 退回)" : ""),
               EnumLabel(states, step.from_state()), EnumLabel(states, step.to_state()),
               absl::StrCat(step.actor().role(), "@", step.actor().division_code()),
               Time(step.actor().at()), step.reason()});
  }
  table.Print(s.format(), std::cout);
  if (r.steps().empty()) std::cerr << "no monitoring object steps for " << id << "\n";
  return kOk;
}

int HouseholdExplain(Session& s, const std::string& id, const std::string& language) {
  auto stub = mon::MonitoringService::NewStub(s.Channel("monitoring"));
  mon::ExplainAssessmentRequest req;
  req.set_household_id(id);
  req.set_language(language);
  mon::Explanation e;
  if (int rc = Call(s, "ExplainAssessment",
                    [&](auto* c) { return stub->ExplainAssessment(c, req, &e); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(e, std::cout);
    return kOk;
  }
  if (s.format() == Format::kCsv) {
    Table t({"household", "colour", "summary", "reason"});
    for (const auto& r : e.reasons()) {
      t.Add({id, EnumLabel(mon::Colour_descriptor(), e.colour()), e.summary(), r});
    }
    t.Print(Format::kCsv, std::cout);
    return kOk;
  }
  std::cout << ColourMarker(e.colour(), s.colour()) << "  " << e.summary() << "\n";
  for (const auto& r : e.reasons()) std::cout << "  - " << r << "\n";
  return kOk;
}

struct ReassessArgs {
  std::string division;
  std::string request_id;
};

int HouseholdReassess(Session& s, const ReassessArgs& a) {
  auto stub = mon::MonitoringService::NewStub(s.Channel("monitoring"));
  mon::ReassessAllRequest req;
  req.set_request_id(a.request_id.empty() ? NewRequestId() : a.request_id);
  req.set_division_code(a.division);
  mon::ReassessmentJob job;
  {
    if (int rc = Call(s, "ReassessAll", [&](auto* c) { return stub->ReassessAll(c, req, &job); })) {
      return rc;
    }
  }
  Progress progress("re-assessing 重新评估", job.households_total());
  while (job.state() == mon::JOB_STATE_RUNNING) {
    progress.Update(job.households_done(), job.households_total());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    mon::GetReassessmentJobRequest get;
    get.set_job_id(job.job_id());
    auto ctx = s.Context("");
    if (auto st = stub->GetReassessmentJob(ctx.get(), get, &job); !st.ok()) {
      progress.Finish();
      return Fail(st, "GetReassessmentJob");
    }
  }
  progress.Update(job.households_done(), job.households_total());
  progress.Finish();
  if (s.format() == Format::kJson) {
    PrintJson(job, std::cout);
  } else {
    PrintFields(
        {{"job 任务", job.job_id()},
         {"division 区划", job.division_code()},
         {"state 状态", EnumLabel(mon::JobState_descriptor(), job.state())},
         {"households 户数", absl::StrCat(job.households_done(), "/", job.households_total())},
         {"error 错误", job.error()}},
        s.format(), std::cout);
  }
  return job.state() == mon::JOB_STATE_DONE ? kOk : kCheckFailed;
}

struct ClueArgs {
  std::string household;
  std::string way = "cadre_visit";
  std::string description;
  std::string request_id;
};

int ClueRaise(Session& s, const ClueArgs& a) {
  auto way = ParseEnum(mon::ClueWay_descriptor(), a.way);
  if (!way) {
    std::cerr << "zxctl: --way must be " << EnumChoices(mon::ClueWay_descriptor()) << "\n";
    return kUsage;
  }
  mon::RaiseClueRequest req;
  req.set_request_id(a.request_id.empty() ? NewRequestId() : a.request_id);
  req.set_household_id(a.household);
  req.set_way(static_cast<mon::ClueWay>(*way));
  req.set_description(a.description);
  mon::Clue clue;
  auto stub = mon::MonitoringObjectService::NewStub(s.Channel("monitoring"));
  if (int rc = Call(s, "RaiseClue", [&](auto* c) { return stub->RaiseClue(c, req, &clue); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(clue, std::cout);
  } else {
    PrintFields({{"clue 线索", clue.clue_id()},
                 {"object 监测对象", clue.object_id()},
                 {"household 户", clue.household_id()},
                 {"way 途径", EnumLabel(mon::ClueWay_descriptor(), clue.way())}},
                s.format(), std::cout);
  }
  return kOk;
}

using Transition = grpc::Status (mon::MonitoringObjectService::StubInterface::*)(
    grpc::ClientContext*, const mon::TransitionRequest&, mon::MonitoringObject*);

// The steps `object advance --step` knows, in lifecycle order (RULES M7/M9).
const std::vector<std::pair<std::string, Transition>>& Steps() {
  using S = mon::MonitoringObjectService::StubInterface;
  static const std::vector<std::pair<std::string, Transition>> kSteps = {
      {"home_verification", &S::RecordHomeVerification},
      {"data_comparison", &S::RecordDataComparison},
      {"village_assess", &S::VillageAssess},
      {"start_publicity", &S::StartPublicity},
      {"record_objection", &S::RecordObjection},
      {"end_publicity", &S::EndPublicity},
      {"township_review", &S::TownshipReview},
      {"county_confirm", &S::CountyConfirm},
      {"propose_elimination", &S::ProposeElimination},
      {"confirm_elimination", &S::ConfirmElimination},
      {"schedule_follow_up", &S::ScheduleFollowUp},
      {"reject", &S::RejectStep},
      {"close_clue", &S::CloseClue},
  };
  return kSteps;
}

std::string StepNames() {
  std::string out;
  for (const auto& [name, _] : Steps()) absl::StrAppend(&out, out.empty() ? "" : "|", name);
  return out;
}

struct AdvanceArgs {
  std::string household;
  std::string step;
  std::string reason;
  bool consent = false;
  std::string decision;
  std::string object_type;
  std::vector<std::string> risks;
  std::string request_id;
};

void PrintObject(Session& s, const mon::MonitoringObject& o) {
  if (s.format() == Format::kJson) {
    PrintJson(o, std::cout);
    return;
  }
  std::vector<std::string> risks;
  for (int r : o.risk_types()) risks.push_back(EnumLabel(mon::RiskType_descriptor(), r));
  PrintFields(
      {{"object 监测对象", o.object_id()},
       {"household 户", o.household_id()},
       {"state 状态", o.state_label().empty()
                          ? EnumLabel(mon::MonitoringObjectState_descriptor(), o.state())
                          : o.state_label()},
       {"type 类型", o.object_type() == 0
                         ? ""
                         : EnumLabel(mon::MonitoringObjectType_descriptor(), o.object_type())},
       {"risks 风险类型", absl::StrJoin(risks, ", ")},
       {"confirmed 审定", Time(o.confirmed_at())},
       {"steps 步骤数", absl::StrCat(o.step_count())}},
      s.format(), std::cout);
}

int ObjectAdvance(Session& s, const AdvanceArgs& a) {
  const auto step = std::find_if(Steps().begin(), Steps().end(),
                                 [&](const auto& p) { return p.first == a.step; });
  if (step == Steps().end()) {
    std::cerr << "zxctl: --step must be " << StepNames() << "\n";
    return kUsage;
  }
  mon::TransitionRequest req;
  req.set_request_id(a.request_id.empty() ? NewRequestId() : a.request_id);
  req.set_household_id(a.household);
  req.set_reason(a.reason);
  req.set_household_consent(a.consent);
  if (!a.decision.empty()) {
    auto d = ParseEnum(mon::Decision_descriptor(), a.decision);
    if (!d) {
      std::cerr << "zxctl: --decision must be " << EnumChoices(mon::Decision_descriptor()) << "\n";
      return kUsage;
    }
    req.set_decision(static_cast<mon::Decision>(*d));
  }
  if (!a.object_type.empty()) {
    auto t = ParseEnum(mon::MonitoringObjectType_descriptor(), a.object_type);
    if (!t) {
      std::cerr << "zxctl: --type must be " << EnumChoices(mon::MonitoringObjectType_descriptor())
                << "\n";
      return kUsage;
    }
    req.set_object_type(static_cast<mon::MonitoringObjectType>(*t));
  }
  for (const std::string& risk : a.risks) {
    auto r = ParseEnum(mon::RiskType_descriptor(), risk);
    if (!r) {
      std::cerr << "zxctl: --risk must be " << EnumChoices(mon::RiskType_descriptor()) << "\n";
      return kUsage;
    }
    req.add_risk_types(static_cast<mon::RiskType>(*r));
  }
  auto stub = mon::MonitoringObjectService::NewStub(s.Channel("monitoring"));
  mon::MonitoringObject o;
  if (int rc = Call(s, a.step, [&](auto* c) { return ((*stub).*(step->second))(c, req, &o); })) {
    return rc;
  }
  PrintObject(s, o);
  return kOk;
}

int ObjectGet(Session& s, const std::string& household) {
  auto stub = mon::MonitoringObjectService::NewStub(s.Channel("monitoring"));
  mon::GetMonitoringObjectRequest req;
  req.set_household_id(household);
  mon::MonitoringObject o;
  if (int rc = Call(s, "GetMonitoringObject",
                    [&](auto* c) { return stub->GetMonitoringObject(c, req, &o); })) {
    return rc;
  }
  PrintObject(s, o);
  return kOk;
}

struct AlertArgs {
  std::string division;
  std::vector<std::string> kinds;
  int page_size = 50;
  std::string page_token;
  int64_t after = 0;
  int max_alerts = 0;  // watch: stop after this many (0: until interrupted or --seconds)
  double seconds = 0;  // watch: stop after this long (0: no limit)
};

bool AddKinds(const std::vector<std::string>& kinds, google::protobuf::RepeatedField<int>* out) {
  for (const std::string& k : kinds) {
    auto v = ParseEnum(mon::AlertKind_descriptor(), k);
    if (!v) {
      std::cerr << "zxctl: --kind must be " << EnumChoices(mon::AlertKind_descriptor()) << "\n";
      return false;
    }
    out->Add(*v);
  }
  return true;
}

std::vector<std::string> AlertHeaders() {
  return {"id", "kind 类型", "division 区划", "household 户", "raised 时间", "detail 说明"};
}
std::vector<std::string> AlertRow(const mon::Alert& a) {
  return {absl::StrCat(a.alert_id()), EnumLabel(mon::AlertKind_descriptor(), a.kind()),
          a.division_code(),          a.household_id(),
          Time(a.raised_at()),        a.detail_zh()};
}

int AlertsList(Session& s, const AlertArgs& a) {
  mon::ListAlertsRequest req;
  req.set_division_code(a.division);
  req.set_page_size(a.page_size);
  req.set_page_token(a.page_token);
  if (!AddKinds(a.kinds, req.mutable_kinds())) return kUsage;
  mon::ListAlertsResponse r;
  auto stub = mon::AlertService::NewStub(s.Channel("monitoring"));
  if (int rc = Call(s, "ListAlerts", [&](auto* c) { return stub->ListAlerts(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return kOk;
  }
  Table t(AlertHeaders());
  for (const auto& alert : r.alerts()) t.Add(AlertRow(alert));
  t.Print(s.format(), std::cout);
  if (!r.next_page_token().empty())
    std::cerr << "more: --page-token " << r.next_page_token() << "\n";
  return kOk;
}

// Streams alerts as they are raised: one line each (JSON lines with -o json).
int AlertsWatch(Session& s, const AlertArgs& a) {
  mon::WatchAlertsRequest req;
  req.set_division_code(a.division);
  req.set_after_alert_id(a.after);
  if (!AddKinds(a.kinds, req.mutable_kinds())) return kUsage;
  auto ctx = s.Context("");
  // A watch lasts as long as asked, not the per-call timeout.
  ctx->set_deadline(a.seconds > 0
                        ? std::chrono::system_clock::now() +
                              std::chrono::milliseconds(static_cast<int64_t>(a.seconds * 1000))
                        : std::chrono::system_clock::time_point::max());
  auto stub = mon::AlertService::NewStub(s.Channel("monitoring"));
  auto reader = stub->WatchAlerts(ctx.get(), req);
  mon::Alert alert;
  int seen = 0;
  if (s.format() == Format::kCsv) Table(AlertHeaders()).Print(Format::kCsv, std::cout);
  while (reader->Read(&alert)) {
    ++seen;
    if (s.format() == Format::kJson) {
      std::cout << ToJson(alert, false) << "\n";
    } else {
      std::vector<std::string> row = AlertRow(alert);
      if (s.format() == Format::kCsv) {
        Table t(row);  // one line, no header
        std::ostringstream line;
        t.Print(Format::kCsv, line);
        std::cout << line.str();
      } else {
        std::cout << absl::StrJoin(row, "  ") << "\n";
      }
    }
    std::cout.flush();
    if (a.max_alerts > 0 && seen >= a.max_alerts) {
      ctx->TryCancel();
      break;
    }
  }
  const grpc::Status st = reader->Finish();
  const bool ended_as_asked =
      (a.max_alerts > 0 && seen >= a.max_alerts) ||
      (a.seconds > 0 && st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  if (!st.ok() && !ended_as_asked) return Fail(st, "WatchAlerts");
  return kOk;
}

int Rollup(Session& s, const std::string& division, const std::string& as_of) {
  mon::GetRollupRequest req;
  req.set_division_code(division.empty() ? s.instance().division : division);
  req.set_as_of(as_of);
  mon::Rollup r;
  auto stub = mon::MonitoringService::NewStub(s.Channel("monitoring"));
  if (int rc = Call(s, "GetRollup", [&](auto* c) { return stub->GetRollup(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return kOk;
  }
  const auto& c = r.household_colours();
  Fields f = {
      {"division 区划", r.division_code()},
      {"as of 截至", r.live() ? "live 实时" : r.as_of()},
      {"households 户数", absl::StrCat(r.households())},
      {"members 人口", absl::StrCat(r.members())},
      {"lifted 脱贫户", absl::StrCat(r.lifted_households())},
      {"ordinary 一般农户", absl::StrCat(r.ordinary_households())},
      {ColourMarker(1, s.colour()), absl::StrCat(c.red())},
      {ColourMarker(2, s.colour()), absl::StrCat(c.orange())},
      {ColourMarker(3, s.colour()), absl::StrCat(c.yellow())},
      {ColourMarker(4, s.colour()), absl::StrCat(c.green())},
      {"unassessed 未评", absl::StrCat(c.unassessed())},
      {"monitored objects 监测对象", absl::StrCat(r.monitored_objects())},
      {"eliminated 风险消除", absl::StrCat(r.eliminated_objects())},
      {"mean income 人均纯收入均值 (yuan)", money::FormatYuan(r.mean_per_capita_net_income_fen())},
      {"median income 中位数 (yuan)", money::FormatYuan(r.median_per_capita_net_income_fen())}};
  for (const auto& n : r.objects_by_state()) {
    f.push_back({"objects " + n.name(), absl::StrCat(n.count())});
  }
  PrintFields(f, s.format(), std::cout);
  return kOk;
}

}  // namespace

void AddMonitoringCommands(CLI::App& app, Session& session, int& exit_code) {
  auto* household = app.add_subcommand("household", "Households (户): get, list, history, explain");
  household->require_subcommand(1);
  {
    auto id = std::make_shared<std::string>();
    auto* c = household->add_subcommand("get", "One household with its current colour");
    c->add_option("household_id", *id)->required();
    c->callback(Run(session, exit_code, [&session, id] { return HouseholdGet(session, *id); }));
  }
  {
    auto a = std::make_shared<ListArgs>();
    auto* c = household->add_subcommand("list", "Households of a division, with colour markers");
    c->add_option("--division", a->division, "Any level (default: your whole jurisdiction)");
    c->add_option("--page-size", a->page_size, "Households per page")->check(CLI::Range(1, 1000));
    c->add_option("--page-token", a->page_token, "Continue from a previous page");
    c->add_flag("--all", a->all, "Every page");
    c->callback(Run(session, exit_code, [&session, a] { return HouseholdList(session, *a); }));
  }
  {
    auto id = std::make_shared<std::string>();
    auto* c = household->add_subcommand("history", "Every lifecycle step of the household");
    c->add_option("household_id", *id)->required();
    c->callback(Run(session, exit_code, [&session, id] { return HouseholdHistory(session, *id); }));
  }
  {
    auto id = std::make_shared<std::string>();
    auto lang = std::make_shared<std::string>("zh");
    auto* c = household->add_subcommand("explain", "Why the household has its colour");
    c->add_option("household_id", *id)->required();
    c->add_option("--lang", *lang, "zh or en")->check(CLI::IsMember({"zh", "en"}));
    c->callback(Run(session, exit_code,
                    [&session, id, lang] { return HouseholdExplain(session, *id, *lang); }));
  }
  {
    auto a = std::make_shared<ReassessArgs>();
    auto* c = household->add_subcommand("reassess",
                                        "Re-assess every household of a division "
                                        "(progress bar on a terminal)");
    c->add_option("--division", a->division, "Any level inside the instance")->required();
    c->add_option("--request-id", a->request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, a] { return HouseholdReassess(session, *a); }));
  }

  auto* clue = app.add_subcommand("clue", "Clues (线索) of possible return to poverty");
  clue->require_subcommand(1);
  {
    auto a = std::make_shared<ClueArgs>();
    auto* c = clue->add_subcommand("raise", "Record a clue; opens a monitoring object");
    c->add_option("household_id", a->household)->required();
    c->add_option("--way", a->way, EnumChoices(mon::ClueWay_descriptor()));
    c->add_option("--description", a->description, "What was found")->required();
    c->add_option("--request-id", a->request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, a] { return ClueRaise(session, *a); }));
  }

  auto* object = app.add_subcommand("object", "Monitoring objects (监测对象): lifecycle steps");
  object->require_subcommand(1);
  {
    auto a = std::make_shared<AdvanceArgs>();
    auto* c = object->add_subcommand("advance",
                                     "Take one lifecycle step for the household's "
                                     "open monitoring object");
    c->add_option("household_id", a->household)->required();
    c->add_option("--step", a->step, StepNames())->required();
    c->add_option("--reason", a->reason, "The basis of the step, as the official states it")
        ->required();
    c->add_flag("--consent", a->consent, "home_verification: the household signed its consent");
    c->add_option("--decision", a->decision, "township_review, county_confirm: approve|reject");
    c->add_option("--type", a->object_type,
                  "county_confirm: " + EnumChoices(mon::MonitoringObjectType_descriptor()));
    c->add_option("--risk", a->risks,
                  "county_confirm (repeatable): " + EnumChoices(mon::RiskType_descriptor()));
    c->add_option("--request-id", a->request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, a] { return ObjectAdvance(session, *a); }));
  }
  {
    auto id = std::make_shared<std::string>();
    auto* c = object->add_subcommand("get", "The household's current monitoring object");
    c->add_option("household_id", *id)->required();
    c->callback(Run(session, exit_code, [&session, id] { return ObjectGet(session, *id); }));
  }

  auto* alerts = app.add_subcommand("alerts", "Alerts (预警): list or watch as they are raised");
  alerts->require_subcommand(1);
  for (const bool watch : {false, true}) {
    auto a = std::make_shared<AlertArgs>();
    auto* c =
        alerts->add_subcommand(watch ? "watch" : "list",
                               watch ? "Print alerts as they are raised" : "Alerts raised so far");
    c->add_option("--division", a->division, "Any level (default: your jurisdiction)");
    c->add_option("--kind", a->kinds, EnumChoices(mon::AlertKind_descriptor()) + " (repeatable)");
    if (watch) {
      c->add_option("--after", a->after, "Only alerts after this id (default: from the first)");
      c->add_option("--max", a->max_alerts, "Stop after this many alerts");
      c->add_option("--seconds", a->seconds, "Stop after this many seconds");
      c->callback(Run(session, exit_code, [&session, a] { return AlertsWatch(session, *a); }));
    } else {
      c->add_option("--page-size", a->page_size)->check(CLI::Range(1, 500));
      c->add_option("--page-token", a->page_token);
      c->callback(Run(session, exit_code, [&session, a] { return AlertsList(session, *a); }));
    }
  }

  auto division = std::make_shared<std::string>();
  auto as_of = std::make_shared<std::string>();
  auto* rollup = app.add_subcommand("rollup",
                                    "Counts of a division (汇总): households by colour, "
                                    "monitoring objects, income");
  rollup->add_option("--division", *division, "Default: the instance's own division");
  rollup->add_option("--as-of", *as_of, "A past day YYYY-MM-DD (default: live)");
  rollup->callback(Run(session, exit_code,
                       [&session, division, as_of] { return Rollup(session, *division, *as_of); }));
}

}  // namespace zx::zxctl
