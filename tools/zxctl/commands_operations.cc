// status and audit verify: what an operator asks first.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/zxctl/zxctl.h"
#include "zx/common/v1/audit.grpc.pb.h"
#include "zx/common/v1/types.grpc.pb.h"

namespace zx::zxctl {
namespace {

namespace health = grpc::health::v1;
namespace common = zx::common::v1;

std::string Number(std::optional<double> v) {
  return v.has_value() ? absl::StrCat(static_cast<int64_t>(*v)) : "-";
}

// Every service of the chosen instance (or of all when none was chosen):
// health, version, outbox depth, consumer lag, federation backlog.
int Status(Session& s) {
  Table table({"instance 实例", "division 区划", "service 服务", "health 状态", "version 版本",
               "outbox 发件箱", "consumer lag 消费滞后", "federation backlog 联邦积压"});
  google::protobuf::ListValue json;
  bool all_serving = true;
  for (const Instance& inst : s.instances()) {
    if (s.instance_chosen() && &inst != &s.instance()) continue;
    for (const std::string& service : inst.service_order) {
      auto channel = s.Channel(inst, service);
      health::HealthCheckResponse h;
      auto hctx = s.Context("operator", &inst);
      hctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      const grpc::Status hs =
          health::Health::NewStub(channel)->Check(hctx.get(), health::HealthCheckRequest(), &h);
      const std::string state =
          hs.ok() ? health::HealthCheckResponse::ServingStatus_Name(h.status()) : "UNREACHABLE";
      all_serving = all_serving && state == "SERVING";
      common::GetServiceInfoResponse info;
      bool have_info = false;
      if (hs.ok()) {
        auto ictx = s.Context("operator", &inst);
        have_info = common::ServiceInfo::NewStub(channel)
                        ->GetServiceInfo(ictx.get(), common::GetServiceInfoRequest(), &info)
                        .ok();
      }
      const std::string metrics = FetchMetrics(s.host(), inst.services.at(service).metrics);
      const auto lag = SumMetric(metrics, "zx_events_consumer_lag");
      const auto backlog = SumMetric(metrics, "zx_federation_backlog");
      table.Add({inst.name, absl::StrCat(inst.division, " ", inst.name_zh), service, state,
                 have_info ? info.version() : "-",
                 have_info ? absl::StrCat(info.outbox_depth()) : "-", Number(lag),
                 service == "federation" ? Number(backlog) : "-"});
      auto& row = *json.add_values()->mutable_struct_value()->mutable_fields();
      row["instance"].set_string_value(inst.name);
      row["division_code"].set_string_value(inst.division);
      row["level"].set_string_value(inst.level);
      row["service"].set_string_value(service);
      row["health"].set_string_value(state);
      row["version"].set_string_value(have_info ? info.version() : "");
      if (have_info) row["outbox_depth"].set_number_value(static_cast<double>(info.outbox_depth()));
      if (lag) row["consumer_lag"].set_number_value(*lag);
      if (backlog) row["federation_backlog"].set_number_value(*backlog);
    }
  }
  if (s.format() == Format::kJson) {
    PrintJson(json, std::cout);
  } else {
    table.Print(s.format(), std::cout);
  }
  if (!all_serving) std::cerr << "zxctl: not every service is SERVING\n";
  return all_serving ? kOk : kCheckFailed;
}

// The tamper-evident audit chain of each service of the instance (§17).
int AuditVerify(Session& s, const std::vector<std::string>& only) {
  Table table({"service 服务", "intact 完好", "entries 条目", "head 链头", "problem 问题"});
  for (const std::string& name : only) {
    if (!s.instance().services.contains(name)) {
      std::cerr << "zxctl: " << s.instance().name << " has no service \"" << name << "\"\n";
      return kUsage;
    }
  }
  google::protobuf::ListValue json;
  bool intact = true;
  for (const std::string& service : s.instance().service_order) {
    if (!only.empty() && std::find(only.begin(), only.end(), service) == only.end()) continue;
    common::VerifyAuditChainResponse r;
    auto stub = common::AuditService::NewStub(s.Channel(service));
    const auto verify = [&](auto* c) {
      return stub->VerifyAuditChain(c, common::VerifyAuditChainRequest(), &r);
    };
    if (int rc = Call(s, "VerifyAuditChain on " + service, verify, "auditor")) return rc;
    intact = intact && r.ok();
    table.Add({service, r.ok() ? "yes 是" : "NO 否", absl::StrCat(r.entries_checked()),
               absl::StrCat(r.head_seq()),
               r.ok() ? "" : absl::StrCat("seq ", r.first_broken_seq(), ": ", r.problem())});
    auto& row = *json.add_values()->mutable_struct_value()->mutable_fields();
    row["service"].set_string_value(service);
    *row["result"].mutable_struct_value() = ToValue(r).struct_value();
  }
  if (s.format() == Format::kJson) {
    PrintJson(json, std::cout);
  } else {
    table.Print(s.format(), std::cout);
  }
  return intact ? kOk : kCheckFailed;
}

}  // namespace

void AddOperationsCommands(CLI::App& app, Session& session, int& exit_code) {
  app.add_subcommand("status",
                     "Every service's health, version, outbox, consumer lag and "
                     "federation backlog (all instances unless --instance)")
      ->callback(Run(session, exit_code, [&session] { return Status(session); }));

  auto* audit = app.add_subcommand("audit", "The services' tamper-evident audit logs");
  audit->require_subcommand(1);
  auto only = std::make_shared<std::vector<std::string>>();
  auto* verify = audit->add_subcommand("verify", "Verify each service's audit hash chain");
  verify->add_option("--service", *only, "Only these services");
  verify->callback(
      Run(session, exit_code, [&session, only] { return AuditVerify(session, *only); }));
}

}  // namespace zx::zxctl
