// Issue 8, criteria 1 and 2: every RPC of every service, as every role (and
// every department kind), inside and outside its jurisdiction, against real
// services on a real PostgreSQL and Redis. The expected outcome of each call
// comes from the permission table alone:
//   allowed  = the role holds the case's action (auth::Holds) and, for
//              resource actions, the caller's division contains the resource;
//   observed = the call did not end in PERMISSION_DENIED / UNAUTHENTICATED.
// Every response (and error message) to a caller without the personal-data
// privilege is scanned for the seeded ID number and name.
// The seeded worker's full birth date (cases_employment.cc) is scanned for
// too: employment answers it only to the privileged who state a purpose.
// Writes var/reports/authz-matrix.json.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/pg/pg.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "services/assets/api/assets_service.h"
#include "services/consumption/api/consumption_service.h"
#include "services/employment/api/employment_service.h"
#include "services/federation/api/federation_service.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "tests/security/matrix.h"
#include "zx/federation/v1/federation.pb.h"

namespace zx::security {
namespace {

namespace pb = google::protobuf;

// The birth date of the worker cases_employment.cc seeds.
constexpr char kSeededWorkerBirthDate[] = "1990-05-01";

struct Caller {
  std::string label;  // "department:water"
  auth::Principal inside;
  auth::Principal outside;
};

auth::Principal MakePrincipal(auth::Role role, const std::string& division,
                              const std::string& department = "") {
  return auth::Principal{"matrix", role, *division::Code::Parse(division), department, ""};
}

std::string DevToken(const auth::Principal& p) {
  std::string role(auth::RoleName(p.role));
  if (!p.department.empty()) role += ":" + p.department;
  return absl::StrCat("dev.", p.division.str(), ".", role, ".", p.user_id);
}

// Every role at its natural level in the home branch, and the same level in
// a branch outside it. A partner's division is its own province; it has no
// jurisdiction here either way.
std::vector<Caller> Callers() {
  using auth::Role;
  std::vector<Caller> out = {
      {"village_cadre", MakePrincipal(Role::kVillageCadre, kVillage),
       MakePrincipal(Role::kVillageCadre, "653121102201")},
      {"township_official", MakePrincipal(Role::kTownshipOfficial, kTownship),
       MakePrincipal(Role::kTownshipOfficial, "653121102000")},
      {"county_official", MakePrincipal(Role::kCountyOfficial, kCounty),
       MakePrincipal(Role::kCountyOfficial, "653122000000")},
      {"prefecture_official", MakePrincipal(Role::kPrefectureOfficial, kPrefecture),
       MakePrincipal(Role::kPrefectureOfficial, "652900000000")},
      {"region_official", MakePrincipal(Role::kRegionOfficial, kRegion),
       MakePrincipal(Role::kRegionOfficial, "540000000000")},
      {"partner", MakePrincipal(Role::kPartner, "370000000000"),
       MakePrincipal(Role::kPartner, "320000000000")},
      {"auditor", MakePrincipal(Role::kAuditor, kCounty),
       MakePrincipal(Role::kAuditor, "653122000000")},
      {"operator", MakePrincipal(Role::kOperator, kCounty),
       MakePrincipal(Role::kOperator, "653122000000")},
  };
  for (std::string_view kind : auth::DepartmentKinds()) {
    const std::string d(kind);
    out.push_back({"department:" + d, MakePrincipal(Role::kDepartment, kCounty, d),
                   MakePrincipal(Role::kDepartment, "653122000000", d)});
  }
  return out;
}

struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;
  std::string response_bytes;  // every response message, concatenated
};

// Calls any RPC by name with serialized bytes, whatever its streaming kind:
// one request message, half-close, read every response.
class GenericCaller {
 public:
  explicit GenericCaller(std::shared_ptr<grpc::Channel> channel) : stub_(std::move(channel)) {}

  Outcome Call(const std::string& rpc, const std::string& request, const std::string& token,
               std::chrono::milliseconds deadline) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    grpc::CompletionQueue cq;
    auto call = stub_.PrepareCall(&ctx, rpc, &cq);
    void* tag;
    bool ok;
    auto step = [&](auto&& start) {
      start();
      return cq.Next(&tag, &ok) && ok;
    };
    Outcome out;
    if (step([&] { call->StartCall(Tag(1)); })) {
      grpc::Slice slice(request);
      grpc::ByteBuffer buffer(&slice, 1);
      if (step([&] { call->Write(buffer, Tag(2)); })) {
        step([&] { call->WritesDone(Tag(3)); });
      }
      grpc::ByteBuffer response;
      while (step([&] { call->Read(&response, Tag(4)); })) {
        std::vector<grpc::Slice> slices;
        (void)response.Dump(&slices);
        for (const auto& s : slices) {
          out.response_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
    }
    grpc::Status status;
    call->Finish(&status, Tag(5));
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    out.code = status.error_code();
    out.message = status.error_message();
    return out;
  }

 private:
  static void* Tag(intptr_t i) { return reinterpret_cast<void*>(i); }
  grpc::GenericStub stub_;
};

const pb::MethodDescriptor* FindMethod(const std::string& rpc) {
  // "/pkg.Service/Method"
  std::vector<std::string> parts = absl::StrSplit(rpc.substr(1), '/');
  if (parts.size() != 2) return nullptr;
  const auto* service = pb::DescriptorPool::generated_pool()->FindServiceByName(parts[0]);
  return service == nullptr ? nullptr : service->FindMethodByName(parts[1]);
}

// Reads "a.b[0].c" from a message; empty when absent.
std::string FieldPath(const pb::Message& root, const std::string& path) {
  const pb::Message* m = &root;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = parts[i];
    int index = -1;
    if (auto open = name.find('['); open != std::string::npos) {
      index = std::stoi(name.substr(open + 1));
      name = name.substr(0, open);
    }
    const auto* field = m->GetDescriptor()->FindFieldByName(name);
    if (field == nullptr) return "";
    const auto* refl = m->GetReflection();
    const bool last = i + 1 == parts.size();
    if (field->is_repeated()) {
      if (index < 0 || index >= refl->FieldSize(*m, field)) return "";
      if (last) {
        return field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING
                   ? refl->GetRepeatedString(*m, field, index)
                   : "";
      }
      m = &refl->GetRepeatedMessage(*m, field, index);
    } else if (last) {
      if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
        return refl->GetString(*m, field);
      }
      if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
        return std::to_string(refl->GetInt64(*m, field));
      }
      return "";
    } else {
      m = &refl->GetMessage(*m, field);
    }
  }
  return "";
}

class AuthzMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Publicity must run for days: the lifecycle reads this clock.
    monitoring::SetLifecycleClockForTesting(&clock_);
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("authz_matrix");
    const std::string ns = "zx:it-authz-matrix";
    Start(monitoring::MonitoringSpec(), "monitoring", stack, ns);
    Start(assets::AssetsSpec(), "assets", stack, ns);
    Start(employment::EmploymentSpec(), "employment", stack, ns);
    Start(consumption::ConsumptionSpec(), "consumption", stack, ns);
    StartFederation(stack, ns);
  }

  // The prefecture's federation gateway, its home county a child and the
  // region its parent, both unreachable; a directive received from the
  // region about the home village, seeded in its table (only a parent
  // instance can send one).
  void StartFederation(zx::testing::Stack& stack, const std::string& ns) {
    pki_ = std::filesystem::temp_directory_path() / absl::StrCat("zx-matrix-pki-", getpid());
    const std::string zxca = absl::StrCat(ZX_SOURCE_DIR, "/tools/zxca/zxca");
    for (const std::string& args :
         {absl::StrCat("init ", pki_.string()),
          absl::StrCat("issue ", pki_.string(), " prefecture ", kPrefecture, " --name fed")}) {
      const std::string cmd = absl::StrCat(zxca, " ", args, " >/dev/null 2>&1");
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    const std::string path = (pki_ / "federation.txtpb").string();
    std::ofstream(path) << "level: LEVEL_PREFECTURE\n"
                        << "parent { division_code: '" << kRegion
                        << "' level: LEVEL_REGION address: '127.0.0.1:1' }\n"
                        << "children { division_code: '" << kCounty
                        << "' level: LEVEL_COUNTY address: '127.0.0.1:1' }\n"
                        << "local_services { name: 'monitoring' address: '127.0.0.1:"
                        << monitoring_port_ << "' }\n"
                        << "delivery_deadline_ms: 500\n";
    Start(federation::FederationSpec(), "federation", stack, ns, [&](config::ServiceConfig& c) {
      c.division_code = kPrefecture;
      c.tls_cert = (pki_ / "fed.crt").string();
      c.tls_key = (pki_ / "fed.key").string();
      c.tls_ca = (pki_ / "ca.crt").string();
      c.federation_config = path;
    });
    federation::v1::Directive d;
    d.set_directive_id(kSeededDirectiveId);
    d.set_issuer_division_code(kRegion);
    d.set_target_division_code(kVillage);
    d.set_subject("verify_households");
    d.set_deadline("2026-12-31");
    d.set_status(federation::v1::DIRECTIVE_STATUS_ISSUED);
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO federation.directives (directive_id, direction, status, deadline, body) "
        "VALUES ($1, 'received', 1, '2026-12-31', $2)",
        d.directive_id(), pg::MessageBytes(d));
    federation::v1::Escalation e;
    e.set_escalation_id(kSeededEscalationId);
    e.set_raiser_division_code(kCounty);
    e.set_kind("asset_disposal");
    e.set_subject_division_code(kVillage);
    e.set_title("报废抽水泵");
    e.set_status(federation::v1::ESCALATION_STATUS_RAISED);
    tx.exec_params(
        "INSERT INTO federation.escalations (escalation_id, direction, status, body) "
        "VALUES ($1, 'received', 1, $2)",
        e.escalation_id(), pg::MessageBytes(e));
    tx.commit();
  }
  void TearDown() override {
    for (auto& s : servers_) s->Shutdown(absl::Seconds(1));
    if (!pki_.empty()) std::filesystem::remove_all(pki_);
    monitoring::SetLifecycleClockForTesting(nullptr);
  }

  void Start(server::ServiceSpec spec, const std::string& name, zx::testing::Stack& stack,
             const std::string& ns,
             const std::function<void(config::ServiceConfig&)>& adjust = {}) {
    auto config = stack.ServiceConfig(name, db_);
    config.redis_namespace = ns;
    if (adjust) adjust(config);
    auto server = server::Server::Start(std::move(spec), config);
    ASSERT_TRUE(server.ok()) << server.status();
    callers_[name] = std::make_unique<GenericCaller>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string((*server)->grpc_port()), grpc::InsecureChannelCredentials()));
    if (name == "monitoring") monitoring_port_ = (*server)->grpc_port();
    servers_.push_back(std::move(*server));
  }

  GenericCaller& CallerFor(const std::string& rpc) {
    for (const char* svc : {"monitoring", "assets", "employment", "consumption", "federation"}) {
      if (rpc.starts_with(absl::StrCat("/zx.", svc, "."))) return *callers_[svc];
    }
    return *callers_["monitoring"];  // zx.common.v1.ServiceInfo
  }

  std::string Expand(const std::string& text) {
    std::string out = text;
    for (size_t at; (at = out.find("${RID}")) != std::string::npos;) {
      out.replace(at, 6, absl::StrCat("matrix-", ++request_counter_));
    }
    std::vector<std::pair<std::string, std::string>> subs;
    for (const auto& [k, v] : values_) subs.emplace_back(absl::StrCat("${", k, "}"), v);
    out = absl::StrReplaceAll(out, subs);
    EXPECT_EQ(out.find("${"), std::string::npos) << "unknown placeholder in: " << out;
    return out;
  }

  // Parses the text request for `rpc`; fails the test on a bad template.
  std::string Serialize(const std::string& rpc, const std::string& text) {
    const auto* method = FindMethod(rpc);
    EXPECT_NE(method, nullptr) << rpc;
    if (method == nullptr) return "";
    std::unique_ptr<pb::Message> request(
        pb::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(Expand(text), request.get()))
        << rpc << ": " << text;
    return request->SerializeAsString();
  }

  void Seed(const std::vector<SeedStep>& steps) {
    const std::string county_token = DevToken(MakePrincipal(auth::Role::kCountyOfficial, kCounty));
    for (const SeedStep& step : steps) {
      if (step.rpc == kAdvanceDays) {
        clock_.Advance(absl::Hours(24 * std::stoi(step.request)));
        continue;
      }
      clock_.Advance(absl::Minutes(1));
      const std::string bytes = Serialize(step.rpc, step.request);
      Outcome out =
          CallerFor(step.rpc).Call(step.rpc, bytes, step.token.empty() ? county_token : step.token,
                                   std::chrono::seconds(20));
      ASSERT_EQ(out.code, grpc::StatusCode::OK)
          << "seed " << step.rpc << ": " << out.message << "\n"
          << step.request;
      const auto* method = FindMethod(step.rpc);
      std::unique_ptr<pb::Message> response(
          pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
      ASSERT_TRUE(response->ParseFromString(out.response_bytes)) << step.rpc;
      for (const auto& [name, path] : step.captures) {
        values_[name] = FieldPath(*response, path);
        ASSERT_FALSE(values_[name].empty())
            << step.rpc << ": nothing at " << path << " in " << response->ShortDebugString();
      }
    }
  }

  // Ahead of the wall clock, which stamps clues; moved on a minute a step.
  time::FakeClock clock_{absl::Now() + absl::Hours(1)};
  std::string db_;
  int monitoring_port_ = 0;
  std::filesystem::path pki_;
  std::vector<std::unique_ptr<server::Server>> servers_;
  std::map<std::string, std::unique_ptr<GenericCaller>> callers_;
  std::map<std::string, std::string> values_;
  int request_counter_ = 0;
};

bool Denied(grpc::StatusCode code) {
  return code == grpc::StatusCode::PERMISSION_DENIED || code == grpc::StatusCode::UNAUTHENTICATED;
}

TEST_F(AuthzMatrixTest, EveryRpcAsEveryRoleMatchesThePermissionTable) {
  Seed(MonitoringSeeds());
  Seed(AssetsSeeds());
  Seed(EmploymentSeeds());
  Seed(ConsumptionSeeds());
  ASSERT_FALSE(HasFatalFailure());

  std::vector<MatrixCase> cases = MonitoringCases();
  for (auto more : {AssetsCases(), EmploymentCases(), ConsumptionCases(), FederationCases()}) {
    cases.insert(cases.end(), more.begin(), more.end());
  }
  cases.push_back({"/zx.common.v1.ServiceInfo/GetServiceInfo", "service.info.get", ""});
  // The audit log of the monitoring instance (county 653121), after all the
  // writes above have been audited: its answers must not carry personal data.
  const std::string audit = "/zx.common.v1.AuditService/";
  const std::string county_filter = absl::StrCat("filter { division_code: '", kCounty, "' }");
  cases.push_back({audit + "VerifyAuditChain", "audit.chain.verify", "", kCounty});
  cases.push_back({audit + "ListAuditEntries", "audit.entry.list", county_filter + " page_size: 50",
                   kCounty, "", true, "HH"});
  cases.push_back({audit + "ExportAuditEntries", "audit.entry.export",
                   county_filter + " max_entries: 200", kCounty, "", true, "HH"});

  // Every RPC of every served service has a case, and each case's action is
  // the table's for its RPC.
  std::set<std::string> rpcs_with_cases;
  for (const MatrixCase& c : cases) {
    ASSERT_NE(auth::FindPermission(c.action), nullptr) << c.action;
    bool row_found = false;
    for (const auth::Permission& p : auth::PermissionTable()) {
      row_found |= p.action == c.action && p.rpc == c.rpc;
    }
    EXPECT_TRUE(row_found) << "the table has no row " << c.rpc << " -> " << c.action;
    rpcs_with_cases.insert(c.rpc);
  }
  std::set<std::string> declared_rpcs;
  for (const auth::Permission& p : auth::PermissionTable()) {
    declared_rpcs.insert(std::string(p.rpc));
  }
  std::map<std::string, int> rpcs_by_service;  // "zx.consumption.v1.ConsumptionService" -> 22
  for (const std::string& rpc : declared_rpcs) {
    ++rpcs_by_service[rpc.substr(1, rpc.rfind('/') - 1)];
  }
  for (const std::string& rpc : declared_rpcs) {
    EXPECT_TRUE(rpcs_with_cases.contains(rpc)) << "no matrix case calls " << rpc;
  }

  const std::vector<Caller> callers = Callers();
  int calls = 0, unexpected_allow = 0, unexpected_deny = 0, pii_leaks = 0, invalid = 0;
  int clear_for_privileged = 0;        // shows the scan would see a leak
  std::map<int, int> allowed_by_code;  // what allowed calls went on to answer
  std::map<std::string, int> shown;    // case rpc -> answers holding its `shows` value
  for (const MatrixCase& c : cases) {
    const auth::Permission& permission = *auth::FindPermission(c.action);
    const auto* method = FindMethod(c.rpc);
    // A watch stays open while allowed: a short deadline ends it. A bulk
    // stream (IngestSurvey, ImportPlatformOrders) ends when the client
    // half-closes, and gets the time of a unary call.
    const auto deadline = method->server_streaming() && !method->client_streaming()
                              ? std::chrono::milliseconds(700)
                              : std::chrono::milliseconds(20000);
    for (const Caller& caller : callers) {
      for (const bool inside : {true, false}) {
        const auth::Principal& who = inside ? caller.inside : caller.outside;
        const bool holds = auth::Holds(who, permission);
        const auto resource =
            division::Code::Parse(c.division.empty() ? std::string(kVillage) : c.division);
        ASSERT_TRUE(resource.ok()) << c.rpc << " division " << c.division;
        const bool expect_allowed = !c.certificate_only && holds &&
                                    (permission.access == auth::Access::kOperate ||
                                     who.division.IsAncestorOrSelfOf(*resource));
        const std::string bytes = Serialize(c.rpc, c.request);
        Outcome out = CallerFor(c.rpc).Call(c.rpc, bytes, DevToken(who), deadline);
        ++calls;
        const bool allowed =
            !Denied(out.code) && (c.denied_marker.empty() ||
                                  out.response_bytes.find(c.denied_marker) == std::string::npos);
        if (allowed) ++allowed_by_code[out.code];
        if (!c.shows.empty() && out.response_bytes.find(values_[c.shows]) != std::string::npos) {
          ++shown[c.rpc];
        }
        const std::string where =
            absl::StrCat(c.rpc, " [", c.action, "] as ", caller.label,
                         inside ? " inside" : " outside", ": ", out.code, " ", out.message);
        if (allowed && !expect_allowed) {
          ++unexpected_allow;
          ADD_FAILURE() << "unexpected allow: " << where;
        } else if (!allowed && expect_allowed) {
          ++unexpected_deny;
          ADD_FAILURE() << "unexpected deny: " << where;
        } else if (allowed && out.code == grpc::StatusCode::INVALID_ARGUMENT) {
          ++invalid;
          ADD_FAILURE() << "the case's request is invalid: " << where;
        }
        if (auth::HoldsPersonalDataPrivilege(who.role) && !c.never_personal) {
          clear_for_privileged += out.response_bytes.find(kSeededIdNumber) != std::string::npos;
        } else {
          for (const std::string& secret : {std::string(kSeededIdNumber), std::string(kSeededName),
                                            std::string(kSeededWorkerBirthDate)}) {
            if (out.response_bytes.find(secret) != std::string::npos ||
                out.message.find(secret) != std::string::npos) {
              ++pii_leaks;
              ADD_FAILURE() << "personal data " << secret << " reached " << where;
            }
          }
        }
      }
    }
  }

  for (const MatrixCase& c : cases) {
    if (!c.shows.empty()) {
      EXPECT_GT(shown[c.rpc], 0) << c.rpc << " never showed " << c.shows
                                 << ": its personal-data scan proved nothing";
    }
  }
  const int roles = static_cast<int>(callers.size());
  std::string by_code;
  for (const auto& [code, n] : allowed_by_code) {
    absl::StrAppend(&by_code, by_code.empty() ? "" : ", ", "\"", code, "\": ", n);
  }
  std::string by_service;
  for (const auto& [service, n] : rpcs_by_service) {
    absl::StrAppend(&by_service, by_service.empty() ? "" : ", ", "\"", service, "\": ", n);
  }
  const std::string json = absl::StrCat(
      "{\"rpcs\": ", declared_rpcs.size(), ", \"rpcs_by_service\": {", by_service, "}",
      ", \"cases\": ", cases.size(), ", \"roles\": ", roles, ", \"calls\": ", calls,
      ", \"unexpected_allow\": ", unexpected_allow, ", \"unexpected_deny\": ", unexpected_deny,
      ", \"pii_leaks\": ", pii_leaks, ", \"invalid_requests\": ", invalid,
      ", \"allowed_by_code\": {", by_code, "}}\n");
  std::cout << "authz matrix: " << json;
  std::filesystem::create_directories(ZX_REPORTS_DIR);
  std::ofstream(std::string(ZX_REPORTS_DIR) + "/authz-matrix.json") << json;
  EXPECT_EQ(unexpected_allow, 0);
  EXPECT_EQ(unexpected_deny, 0);
  EXPECT_EQ(pii_leaks, 0);
  EXPECT_GT(clear_for_privileged, 0) << "no privileged caller stating a purpose saw the seeded "
                                        "ID number: the scan proves nothing";
}

// A list that names no division covers the caller's jurisdiction: the home
// county sees the seeded households, another county none of them.
TEST_F(AuthzMatrixTest, ListsWithoutADivisionAreScopedToTheJurisdiction) {
  Seed(MonitoringSeeds());
  ASSERT_FALSE(HasFatalFailure());
  const std::string rpc = "/zx.monitoring.v1.MonitoringService/ListHouseholds";
  const auto list = [&](const auth::Principal& who) {
    Outcome out = CallerFor(rpc).Call(rpc, Serialize(rpc, "page_size: 100"), DevToken(who),
                                      std::chrono::seconds(10));
    EXPECT_EQ(out.code, grpc::StatusCode::OK) << out.message;
    return out.response_bytes;
  };
  const std::string home = list(MakePrincipal(auth::Role::kCountyOfficial, kCounty));
  const std::string other = list(MakePrincipal(auth::Role::kCountyOfficial, "653122000000"));
  for (const char* name : {"HH", "HH2", "HH3"}) {
    EXPECT_NE(home.find(values_[name]), std::string::npos) << name;
    EXPECT_EQ(other.find(values_[name]), std::string::npos) << name;
  }
  EXPECT_TRUE(other.empty()) << "another county's list holds something";
}

// Criterion 5 against a running server that holds key "k2" only (k1 was
// rotated out): an expired token, one for another instance, a tampered one
// and one signed with the rotated-out key are all refused.
TEST_F(AuthzMatrixTest, BadTokensAreRefusedByARunningServer) {
  const auth::KeyPair old_key = auth::GenerateKeyPair();
  const auth::KeyPair new_key = auth::GenerateKeyPair();
  const std::string key_file =
      (std::filesystem::temp_directory_path() / absl::StrCat("zx-matrix-keys-", getpid())).string();
  std::ofstream(key_file) << "# k1 rotated out on 2026-11-01\nk2 "
                          << auth::Base64UrlEncode(new_key.public_key) << "\n";
  auto& stack = zx::testing::Stack::Get();
  auto config = stack.ServiceConfig("monitoring", db_);
  config.redis_namespace = "zx:it-authz-tokens";
  config.token_keys_file = key_file;
  config.allow_dev_tokens = false;  // as in production
  auto server = server::Server::Start(monitoring::MonitoringSpec(), config);
  ASSERT_TRUE(server.ok()) << server.status();
  GenericCaller caller(grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->grpc_port()),
                                           grpc::InsecureChannelCredentials()));
  const std::string rpc = "/zx.common.v1.ServiceInfo/GetServiceInfo";
  const auto call = [&](const std::string& token) {
    return caller.Call(rpc, "", token, std::chrono::seconds(10));
  };
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  zx::common::v1::TokenClaims claims;
  claims.set_user_id("auditor-1");
  claims.set_role("auditor");
  claims.set_division_code(kCounty);
  claims.set_audience(config.instance);
  claims.set_issued_at_unix(now - 60);
  claims.set_expires_at_unix(now + 600);
  const std::string good = auth::SignToken(claims, "k2", new_key.secret_key);
  EXPECT_EQ(call(good).code, grpc::StatusCode::OK) << call(good).message;

  struct Bad {
    std::string what;
    std::string token;
  };
  std::vector<Bad> bad;
  auto expired = claims;
  expired.set_issued_at_unix(now - 7200);
  expired.set_expires_at_unix(now - 60);
  bad.push_back({"expired", auth::SignToken(expired, "k2", new_key.secret_key)});
  auto foreign = claims;
  foreign.set_audience("another-instance");
  bad.push_back({"for another instance", auth::SignToken(foreign, "k2", new_key.secret_key)});
  std::string tampered = good;
  tampered[tampered.find('.', 4) + 5] ^= 0x01;  // one bit of the claims
  bad.push_back({"tampered", tampered});
  bad.push_back({"rotated-out key", auth::SignToken(claims, "k1", old_key.secret_key)});
  bad.push_back({"development token on a keyed server", "dev.653121000000.auditor.a1"});
  for (const Bad& b : bad) {
    const Outcome out = call(b.token);
    EXPECT_EQ(out.code, grpc::StatusCode::UNAUTHENTICATED) << b.what << ": " << out.message;
    std::cout << "token " << b.what << ": " << out.code << " " << out.message << "\n";
  }
  (*server)->Shutdown(absl::Seconds(1));
  std::filesystem::remove(key_file);
}

}  // namespace
}  // namespace zx::security
