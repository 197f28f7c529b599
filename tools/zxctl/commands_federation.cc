// The federation gateway (§19): directives between levels and the monthly
// reports a county submits and its prefecture approves.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tools/zxctl/zxctl.h"
#include "zx/federation/v1/federation.grpc.pb.h"

namespace zx::zxctl {
namespace {

namespace fed = zx::federation::v1;

std::unique_ptr<fed::FederationService::Stub> Stub(Session& s) {
  return fed::FederationService::NewStub(s.Channel("federation"));
}

int DirectiveList(Session& s, const std::string& direction, const std::string& status) {
  fed::ListDirectivesRequest req;
  req.set_direction(direction);
  if (!status.empty()) {
    auto v = ParseEnum(fed::DirectiveStatus_descriptor(), status);
    if (!v) {
      std::cerr << "zxctl: --status must be " << EnumChoices(fed::DirectiveStatus_descriptor())
                << "\n";
      return kUsage;
    }
    req.set_status(static_cast<fed::DirectiveStatus>(*v));
  }
  fed::ListDirectivesResponse r;
  if (int rc =
          Call(s, "ListDirectives", [&](auto* c) { return Stub(s)->ListDirectives(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return kOk;
  }
  Table t({"directive 督办", "from 发文", "to 承办", "subject 事项", "title 标题", "deadline 期限",
           "status 状态", "items 清单"});
  for (const auto& d : r.directives()) {
    t.Add({d.directive_id(), d.issuer_division_code(), d.target_division_code(), d.subject(),
           d.title(), d.deadline(),
           EnumLabel(fed::DirectiveStatus_descriptor(), d.status()) +
               (d.completed_late() ? " (late 逾期)" : ""),
           absl::StrCat(d.items_size())});
  }
  t.Print(s.format(), std::cout);
  return kOk;
}

int DirectiveAdvance(Session& s, const std::string& id, fed::DirectiveStep step,
                     const std::string& note, const std::string& request_id) {
  fed::AdvanceDirectiveRequest req;
  req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
  req.set_directive_id(id);
  req.set_step(step);
  req.set_note(note);
  fed::Directive d;
  if (int rc = Call(s, "AdvanceDirective",
                    [&](auto* c) { return Stub(s)->AdvanceDirective(c, req, &d); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(d, std::cout);
  } else {
    PrintFields({{"directive 督办", d.directive_id()},
                 {"status 状态", EnumLabel(fed::DirectiveStatus_descriptor(), d.status())},
                 {"deadline 期限", d.deadline()},
                 {"late 逾期", d.completed_late() ? "yes 是" : "no 否"}},
                s.format(), std::cout);
  }
  return kOk;
}

void PrintReport(Session& s, const fed::Report& r) {
  const auto& c = r.monitoring().household_colours();
  PrintFields({{"division 区划", r.division_code()},
               {"period 期间", r.period()},
               {"revision 版本", absl::StrCat(r.revision())},
               {"approval 审核", EnumLabel(fed::ApprovalState_descriptor(), r.approval())},
               {"households 户数", absl::StrCat(r.monitoring().households())},
               {ColourMarker(1, s.colour()), absl::StrCat(c.red())},
               {ColourMarker(2, s.colour()), absl::StrCat(c.orange())},
               {"built 生成", Time(r.built_at())}},
              s.format(), std::cout);
}

int ReportSubmit(Session& s, const std::string& period, const std::string& request_id) {
  fed::SubmitReportRequest req;
  req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
  req.set_period(period);
  fed::Report r;
  if (int rc =
          Call(s, "SubmitReport", [&](auto* c) { return Stub(s)->SubmitReport(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
  } else {
    PrintReport(s, r);
  }
  return kOk;
}

void PrintChildren(Session& s, const fed::ChildrenReport& r) {
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return;
  }
  Table t({"county 下级", "revision 版本", "approval 审核", "households 户数", "red 红",
           "orange 橙", "approved by 审核人"});
  for (const auto& c : r.children()) {
    t.Add({c.division_code(), absl::StrCat(c.revision()),
           EnumLabel(fed::ApprovalState_descriptor(), c.approval()),
           absl::StrCat(c.monitoring().households()),
           absl::StrCat(c.monitoring().household_colours().red()),
           absl::StrCat(c.monitoring().household_colours().orange()), c.approved_by()});
  }
  t.Print(s.format(), std::cout);
  if (s.format() == Format::kTable) {
    std::cout << "period " << r.period() << ": "
              << (r.all_approved() ? "all approved 全部审核" : "not all approved 未全部审核")
              << "\n";
  }
}

int ReportApprove(Session& s, const std::string& period, const std::string& request_id) {
  fed::ApprovePeriodRequest req;
  req.set_request_id(request_id.empty() ? NewRequestId() : request_id);
  req.set_period(period);
  fed::ChildrenReport r;
  if (int rc =
          Call(s, "ApprovePeriod", [&](auto* c) { return Stub(s)->ApprovePeriod(c, req, &r); })) {
    return rc;
  }
  PrintChildren(s, r);
  return kOk;
}

int ReportChildren(Session& s, const std::string& period) {
  fed::GetChildrenReportRequest req;
  req.set_period(period);
  fed::ChildrenReport r;
  if (int rc = Call(s, "GetChildrenReport",
                    [&](auto* c) { return Stub(s)->GetChildrenReport(c, req, &r); })) {
    return rc;
  }
  PrintChildren(s, r);
  return kOk;
}

// This instance's peers and, per peer, what waits for delivery.
int FederationStatus(Session& s) {
  fed::FederationStatus r;
  if (int rc = Call(s, "GetFederationStatus", [&](auto* c) {
        return Stub(s)->GetFederationStatus(c, fed::GetFederationStatusRequest(), &r);
      })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return kOk;
  }
  Table t({"peer 对端", "relation 关系", "name 名称", "address 地址", "backlog 积压",
           "attempts 重试", "last delivered 最近送达", "last error 最近错误"});
  bool stuck = false;
  for (const auto& p : r.peers()) {
    stuck = stuck || p.attempts() > 0;
    t.Add({p.division_code(), p.relation(), p.name(), p.address(), absl::StrCat(p.backlog()),
           absl::StrCat(p.attempts()), Time(p.last_delivered_at()), p.last_error()});
  }
  t.Print(s.format(), std::cout);
  return stuck ? kCheckFailed : kOk;
}

}  // namespace

void AddFederationCommands(CLI::App& app, Session& session, int& exit_code) {
  auto* federation = app.add_subcommand("federation", "The federation gateway (§19)");
  federation->require_subcommand(1);
  federation
      ->add_subcommand("status",
                       "Peers and their delivery backlog; exit 1 while a peer is "
                       "failing")
      ->callback(Run(session, exit_code, [&session] { return FederationStatus(session); }));

  auto* directive = app.add_subcommand("directive", "Directives (督办) between levels");
  directive->require_subcommand(1);
  {
    auto direction = std::make_shared<std::string>("received");
    auto status = std::make_shared<std::string>();
    auto* c = directive->add_subcommand("list", "Directives received or sent");
    c->add_option("--direction", *direction, "received or sent")
        ->check(CLI::IsMember({"received", "sent"}));
    c->add_option("--status", *status, EnumChoices(fed::DirectiveStatus_descriptor()));
    c->callback(Run(session, exit_code, [&session, direction, status] {
      return DirectiveList(session, *direction, *status);
    }));
  }
  for (const auto& [name, step, help] :
       std::vector<std::tuple<std::string, fed::DirectiveStep, std::string>>{
           {"ack", fed::DIRECTIVE_STEP_ACKNOWLEDGE, "Acknowledge a received directive (签收)"},
           {"start", fed::DIRECTIVE_STEP_START, "Start work on it (办理中)"},
           {"complete", fed::DIRECTIVE_STEP_COMPLETE, "Report it done (办结)"}}) {
    auto id = std::make_shared<std::string>();
    auto note = std::make_shared<std::string>();
    auto request_id = std::make_shared<std::string>();
    auto* c = directive->add_subcommand(name, help);
    c->add_option("directive_id", *id)->required();
    c->add_option("--note", *note, "What was done");
    c->add_option("--request-id", *request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, id, note, request_id, step = step] {
      return DirectiveAdvance(session, *id, step, *note, *request_id);
    }));
  }

  auto* report = app.add_subcommand("report",
                                    "Monthly reports: a county submits, its "
                                    "prefecture approves");
  report->require_subcommand(1);
  {
    auto period = std::make_shared<std::string>();
    auto request_id = std::make_shared<std::string>();
    auto* c = report->add_subcommand("submit", "Submit this instance's report to its parent");
    c->add_option("--period", *period, "YYYY-MM")->required();
    c->add_option("--request-id", *request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, period, request_id] {
      return ReportSubmit(session, *period, *request_id);
    }));
  }
  {
    auto period = std::make_shared<std::string>();
    auto request_id = std::make_shared<std::string>();
    auto* c = report->add_subcommand("approve", "Approve the children's reports of a period");
    c->add_option("--period", *period, "YYYY-MM")->required();
    c->add_option("--request-id", *request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, period, request_id] {
      return ReportApprove(session, *period, *request_id);
    }));
  }
  {
    auto period = std::make_shared<std::string>();
    auto* c = report->add_subcommand("children", "The children's reports of a period");
    c->add_option("--period", *period, "YYYY-MM")->required();
    c->callback(
        Run(session, exit_code, [&session, period] { return ReportChildren(session, *period); }));
  }
}

}  // namespace zx::zxctl
