#include "services/assets/api/assets_service.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/server/write_batcher.h"
#include "common/time/time.h"
#include "services/assets/domain/assets.h"
#include "services/assets/domain/requests.h"
#include "services/assets/store/asset_store.h"
#include "zx/assets/v1/assets.grpc.pb.h"

namespace zx::migrations {
const std::vector<MigrationFile>& AssetsMigrations();
}

namespace zx::assets {
namespace {

using Reactor = grpc::ServerUnaryReactor;
using Ctx = grpc::CallbackServerContext;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

using server::NewId;
using server::Stamp;
using server::StoredDivision;

// The policy in effect for `division` in `year`: the region's (else RULES'
// defaults), tightened by each lower level that published one (ResolvePolicy).
Policy PolicyFor(pqxx::transaction_base& tx, const division::Code& division, int year) {
  return ResolvePolicy(LoadPoliciesFor(tx, division), division, year);
}

int ThisYear() {
  return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::LocalTimeZone()).year());
}

// Authorizes `action` on every division of `divisions` (WriteDivisions,
// KeeperDivisions, ApprovalDivisions): the one shared check, once per
// division.
absl::Status AuthorizeAll(const server::CallContext& call, std::string_view action,
                          const std::vector<std::string>& divisions) {
  for (const auto& code : divisions) {
    auto d = StoredDivision(code);
    if (!d.ok()) return d.status();
    if (auto s = call.Authorize(action, *d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Authorizes `action` on the first of `divisions` the caller holds; the
// first refusal when none.
absl::Status AuthorizeAny(const server::CallContext& call, std::string_view action,
                          const std::vector<std::string>& divisions) {
  absl::Status first = absl::PermissionDeniedError("no division to authorize on");
  for (size_t i = 0; i < divisions.size(); ++i) {
    auto d = StoredDivision(divisions[i]);
    if (!d.ok()) return d.status();
    absl::Status s = call.Authorize(action, *d);
    if (s.ok()) return s;
    if (i == 0) first = s;
  }
  return first;
}

constexpr char kRegisterMethod[] = "assets.RegisterAsset";

absl::Status ProjectMissing(const std::string& project_id) {
  return absl::FailedPreconditionError(absl::StrCat(
      "project ", project_id, " does not exist: an asset is formed by a project in the library"));
}

// A registered asset as the request describes it: new id, state registered,
// no external registration until ownership is confirmed.
v1::Asset NewAsset(const v1::Asset& requested) {
  v1::Asset a = requested;
  a.set_asset_id(NewId("as"));
  a.set_state(v1::ASSET_STATE_REGISTERED);
  a.mutable_ownership()->clear_registration_system();
  a.mutable_ownership()->clear_registration_ref();
  return a;
}

// A validated, authorized RegisterAsset waiting for its group commit.
struct PendingRegistration {
  const v1::RegisterAssetRequest* request;
  v1::Asset* response;
  zx::common::v1::AuditStamp actor;
  division::Level actor_level;
  absl::Time deadline;
  absl::Status status;
  // The call's audit entry for an OK answer, written in the registration's
  // own transaction; `audited` once that committed.
  audit::Entry audit_entry;
  bool audited = false;
};

// The audit entries of the registrations that will answer OK, each naming
// its asset, for AppendInTransaction (fresh copies: chaining numbers them).
std::vector<audit::Entry> OkEntries(std::span<PendingRegistration* const> registrations) {
  std::vector<audit::Entry> entries;
  for (const PendingRegistration* r : registrations) {
    entries.push_back(r->audit_entry);
    entries.back().resource_id = r->response->asset_id();
  }
  return entries;
}

class AssetsServiceImpl final : public v1::AssetsService::CallbackService {
 public:
  explicit AssetsServiceImpl(server::Runtime& runtime)
      : rt_(runtime), registrations_({}, [this](std::span<PendingRegistration* const> batch) {
          RegisterBatch(batch);
        }) {}

  Reactor* CreateProject(Ctx* ctx, const v1::CreateProjectRequest* req, v1::Project* resp) override;
  Reactor* GetProject(Ctx* ctx, const v1::GetProjectRequest* req, v1::Project* resp) override;
  Reactor* AdvanceProject(Ctx* ctx, const v1::AdvanceProjectRequest* req,
                          v1::Project* resp) override;
  Reactor* GetFundingReport(Ctx* ctx, const v1::GetFundingReportRequest* req,
                            v1::FundingReport* resp) override;
  Reactor* RegisterAsset(Ctx* ctx, const v1::RegisterAssetRequest* req, v1::Asset* resp) override;
  Reactor* GetAsset(Ctx* ctx, const v1::GetAssetRequest* req, v1::Asset* resp) override;
  Reactor* ConfirmOwnership(Ctx* ctx, const v1::ConfirmOwnershipRequest* req,
                            v1::Asset* resp) override;
  Reactor* TransferAsset(Ctx* ctx, const v1::TransferAssetRequest* req, v1::Asset* resp) override;
  Reactor* SetOperatingState(Ctx* ctx, const v1::SetOperatingStateRequest* req,
                             v1::Asset* resp) override;
  Reactor* GetAssetHistory(Ctx* ctx, const v1::GetAssetHistoryRequest* req,
                           v1::AssetHistory* resp) override;
  Reactor* GetLedger(Ctx* ctx, const v1::GetLedgerRequest* req, v1::Ledger* resp) override;
  Reactor* Reconcile(Ctx* ctx, const v1::ReconcileRequest* req, v1::Reconciliation* resp) override;
  Reactor* RecordIncome(Ctx* ctx, const v1::RecordIncomeRequest* req,
                        v1::IncomeRecord* resp) override;
  Reactor* DistributeIncome(Ctx* ctx, const v1::DistributeIncomeRequest* req,
                            v1::Distribution* resp) override;
  Reactor* RequestDisposal(Ctx* ctx, const v1::RequestDisposalRequest* req,
                           v1::Disposal* resp) override;
  Reactor* ApproveDisposalStep(Ctx* ctx, const v1::ApproveDisposalStepRequest* req,
                               v1::Disposal* resp) override;
  Reactor* CompleteDisposal(Ctx* ctx, const v1::CompleteDisposalRequest* req,
                            v1::Disposal* resp) override;
  Reactor* GetDisposal(Ctx* ctx, const v1::GetDisposalRequest* req, v1::Disposal* resp) override;
  Reactor* RecordInspection(Ctx* ctx, const v1::RecordInspectionRequest* req,
                            v1::Inspection* resp) override;
  Reactor* RecordCertificate(Ctx* ctx, const v1::RecordCertificateRequest* req,
                             v1::Certificate* resp) override;
  Reactor* GetBookCheckReport(Ctx* ctx, const v1::GetBookCheckReportRequest* req,
                              v1::BookCheckReport* resp) override;
  Reactor* GetAssetRollup(Ctx* ctx, const v1::GetAssetRollupRequest* req,
                          v1::AssetRollup* resp) override;
  Reactor* RecordCollectiveIncome(Ctx* ctx, const v1::RecordCollectiveIncomeRequest* req,
                                  v1::CollectiveIncome* resp) override;
  Reactor* GetCollectiveEconomy(Ctx* ctx, const v1::GetCollectiveEconomyRequest* req,
                                v1::CollectiveEconomyReport* resp) override;
  Reactor* PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                         v1::AssetsPolicy* resp) override;
  Reactor* GetEffectivePolicy(Ctx* ctx, const v1::GetEffectivePolicyRequest* req,
                              v1::AssetsPolicy* resp) override;

 private:
  // What the request checks of domain/requests.h depend on besides the request.
  RequestEnv Env() const {
    return {.instance = rt_.division,
            .today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())};
  }

  // Loads and locks the asset, authorizes `action` on its owner's division
  // (KeeperDivisions), and runs
  // `change(after)` under the request's idempotency key; journals the change
  // unless `change` leaves `journal` false.
  absl::Status MutateAsset(
      server::CallContext& call, const std::string& method, std::string_view action,
      const std::string& asset_id, const std::string& request_id, const std::string& reason,
      const google::protobuf::Message& request, v1::Asset& response,
      const std::string& journal_action,
      const std::function<absl::Status(pqxx::transaction_base&, v1::Asset&)>& change);

  // Registrations arriving together share one transaction and commit.
  void RegisterBatch(std::span<PendingRegistration* const> batch);
  absl::Status RegisterOne(PendingRegistration& registration);

  server::Runtime& rt_;
  server::WriteBatcher<PendingRegistration> registrations_;
};

// ---- Projects ------------------------------------------------------------------------

Reactor* AssetsServiceImpl::CreateProject(Ctx* ctx, const v1::CreateProjectRequest* req,
                                          v1::Project* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    const v1::Project& p = req->project();
    if (!req->has_project()) {
      v.Add("project", "is required");
      return v.ToStatus();
    }
    const money::Fen total = ValidateNewProject(p, rt_.division, v);
    if (!v.ok()) return v.ToStatus();
    const auto division = *division::Code::Parse(p.division_code());
    if (auto s = call.Authorize("assets.project.create", division); !s.ok()) return s;
    const absl::Status created =
        pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
          return idempotency::Run(tx, "assets.CreateProject", req->request_id(), *req, *resp, [&] {
            v1::Project out = p;
            out.set_project_id(NewId("pj"));
            out.set_status(v1::PROJECT_STATUS_PLANNED);
            out.set_total_fen(total);
            *out.mutable_created() = Stamp(call.principal);
            *out.mutable_updated() = out.created();
            InsertProject(tx, out);
            *resp = std::move(out);
            return absl::OkStatus();
          });
        });
    if (created.ok()) call.audit_resource = resp->project_id();  // the audit entry names it
    return created;
  });
}

Reactor* AssetsServiceImpl::GetProject(Ctx* ctx, const v1::GetProjectRequest* req,
                                       v1::Project* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->project_id(), "pj")) {
      return errors::InvalidField("project_id", "must look like pj- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto p = FindProject(tx, req->project_id(), false);
      if (!p) return absl::NotFoundError("project " + req->project_id() + " not found");
      auto d = StoredDivision(p->division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("assets.project.get", *d); !s.ok()) return s;
      *resp = std::move(*p);
      for (auto& c : LoadProjectHistory(tx, req->project_id())) *resp->add_history() = std::move(c);
      return absl::OkStatus();
    });
  });
}

Reactor* AssetsServiceImpl::AdvanceProject(Ctx* ctx, const v1::AdvanceProjectRequest* req,
                                           v1::Project* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto p = FindProject(tx, req->project_id(), true);
      if (!p) return absl::NotFoundError("project " + req->project_id() + " not found");
      auto d = StoredDivision(p->division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("assets.project.advance", *d); !s.ok()) return s;
      return idempotency::Run(tx, "assets.AdvanceProject", req->request_id(), *req, *resp, [&] {
        const auto from = p->status();
        if (auto s = CheckProjectTransition(from, req->to_status()); !s.ok()) return s;
        p->set_status(req->to_status());
        *p->mutable_updated() = Stamp(call.principal);
        UpdateProjectStatus(tx, *p, from, req->reason(), req->request_id());
        *resp = std::move(*p);
        return absl::OkStatus();
      });
    });
  });
}

Reactor* AssetsServiceImpl::GetFundingReport(Ctx* ctx, const v1::GetFundingReportRequest* req,
                                             v1::FundingReport* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    auto division = division::Code::Parse(req->division_code());
    v.Check("division_code", division.status());
    if (req->year() < 2013 || req->year() > 2100) v.Add("year", "must be 2013..2100");
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("assets.funding_report.get", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      *resp = BuildFundingReport(LoadProjectFunding(tx, *division, req->year()),
                                 PolicyFor(tx, *division, req->year()));
      resp->set_division_code(division->str());
      resp->set_year(req->year());
      return absl::OkStatus();
    });
  });
}

// ---- Assets ------------------------------------------------------------------------

absl::Status AssetsServiceImpl::MutateAsset(
    server::CallContext& call, const std::string& method, std::string_view action,
    const std::string& asset_id, const std::string& request_id, const std::string& reason,
    const google::protobuf::Message& request, v1::Asset& response,
    const std::string& journal_action,
    const std::function<absl::Status(pqxx::transaction_base&, v1::Asset&)>& change) {
  return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
    auto before = FindAsset(tx, asset_id, true);
    if (!before) return absl::NotFoundError("asset " + asset_id + " not found");
    if (auto s = AuthorizeAll(call, action, KeeperDivisions(*before)); !s.ok()) return s;
    return idempotency::Run(tx, method, request_id, request, response, [&]() -> absl::Status {
      v1::Asset after = *before;
      if (auto s = change(tx, after); !s.ok()) return s;
      WriteAssetChange(tx, &*before, after, journal_action, Stamp(call.principal),
                       call.principal.division.level(), reason, request_id);
      response = std::move(after);
      return absl::OkStatus();
    });
  });
}

Reactor* AssetsServiceImpl::RegisterAsset(Ctx* ctx, const v1::RegisterAssetRequest* req,
                                          v1::Asset* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    // Location and owner: both parsed by Validate above.
    for (const auto& code : WriteDivisions(req->asset())) {
      if (auto s = call.Authorize("assets.asset.register", *division::Code::Parse(code)); !s.ok()) {
        return s;
      }
    }
    PendingRegistration pending{.request = req,
                                .response = resp,
                                .actor = Stamp(call.principal),
                                .actor_level = call.principal.division.level(),
                                .deadline = call.deadline,
                                .audit_entry = call.OkAuditEntry()};
    registrations_.Submit(pending);
    call.audit.ok_entry_committed = pending.audited;
    if (pending.status.ok()) call.audit_resource = resp->asset_id();  // the audit entry names it
    return pending.status;
  });
}

absl::Status AssetsServiceImpl::RegisterOne(PendingRegistration& r) {
  const absl::Status s =
      pg::WithTransaction(*rt_.pool, {.deadline = r.deadline}, [&](pqxx::transaction_base& tx) {
        const absl::Status registered = idempotency::Run(
            tx, kRegisterMethod, r.request->request_id(), *r.request, *r.response,
            [&]() -> absl::Status {
              const auto project = FindProject(tx, r.request->asset().project_id(), false);
              if (!project) {
                return ProjectMissing(r.request->asset().project_id());
              }
              if (auto s = CheckProjectCoversLocation(*project,
                                                      r.request->asset().location_division_code());
                  !s.ok()) {
                return s;
              }
              *r.response = NewAsset(r.request->asset());
              WriteAssetChange(tx, nullptr, *r.response, "register", r.actor, r.actor_level, "",
                               r.request->request_id());
              return absl::OkStatus();
            });
        if (!registered.ok()) return registered;
        PendingRegistration* const self = &r;
        std::vector<audit::Entry> entries = OkEntries({&self, 1});
        audit::AppendInTransaction(tx, entries);
        return absl::OkStatus();
      });
  r.audited = s.ok();
  return s;
}

void AssetsServiceImpl::RegisterBatch(std::span<PendingRegistration* const> batch) {
  const absl::Time start = absl::Now();
  if (batch.size() == 1) {
    batch[0]->status = RegisterOne(*batch[0]);
    return;
  }
  absl::Time deadline = absl::InfinitePast();
  for (const PendingRegistration* r : batch) deadline = std::max(deadline, r->deadline);
  std::vector<PendingRegistration*> claimed, repeats, answered_ok;
  const absl::Status s =
      pg::WithTransaction(*rt_.pool, {.deadline = deadline}, [&](pqxx::transaction_base& tx) {
        claimed.clear();
        repeats.clear();
        std::vector<std::string> project_ids;
        for (const PendingRegistration* r : batch) {
          project_ids.push_back(r->request->asset().project_id());
        }
        const auto projects = FindProjects(tx, project_ids);
        std::vector<idempotency::BatchEntry> entries;
        for (PendingRegistration* r : batch) {
          const std::string& project_id = r->request->asset().project_id();
          const auto project = projects.find(project_id);
          r->status = project == projects.end()
                          ? ProjectMissing(project_id)
                          : CheckProjectCoversLocation(
                                project->second, r->request->asset().location_division_code());
          if (!r->status.ok()) continue;
          claimed.push_back(r);
          entries.push_back({.request_id = r->request->request_id(),
                             .request = r->request,
                             .response = r->response});
        }
        idempotency::Lookup(tx, kRegisterMethod, entries);
        std::vector<Registration> registrations;
        answered_ok.clear();
        for (size_t i = 0; i < entries.size(); ++i) {
          PendingRegistration& r = *claimed[i];
          switch (entries[i].state) {
            case idempotency::BatchEntry::State::kNew:
              *r.response = NewAsset(r.request->asset());
              registrations.push_back(
                  {r.response, &r.actor, r.actor_level, r.request->request_id()});
              answered_ok.push_back(&r);
              break;
            case idempotency::BatchEntry::State::kReplayed:
              answered_ok.push_back(&r);
              break;
            case idempotency::BatchEntry::State::kRefused:
              r.status = entries[i].status;
              break;
            case idempotency::BatchEntry::State::kRepeatInBatch:
              repeats.push_back(&r);
              break;
          }
        }
        // Stamps the responses before they are stored.
        WriteRegistrations(tx, registrations);
        if (auto s = idempotency::Record(tx, kRegisterMethod, entries); !s.ok()) return s;
        // Last: it holds the audit head until the commit.
        std::vector<audit::Entry> audited = OkEntries(answered_ok);
        audit::AppendInTransaction(tx, audited);
        return absl::OkStatus();
      });
  if (!s.ok()) {
    // One bad request must not fail its neighbours: each runs on its own.
    logging::Info("register_batch_split", {{"size", std::to_string(batch.size())},
                                           {"error", std::string(AsStd(s.message()))}});
    for (PendingRegistration* r : batch) r->status = RegisterOne(*r);
    return;
  }
  for (PendingRegistration* r : answered_ok) r->audited = true;
  // A repeated request_id replays what its first copy stored.
  for (PendingRegistration* r : repeats) r->status = RegisterOne(*r);
  logging::Debug("register_batch_done",
                 {{"size", std::to_string(batch.size())},
                  {"ms", absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start))}});
}

Reactor* AssetsServiceImpl::GetAsset(Ctx* ctx, const v1::GetAssetRequest* req, v1::Asset* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->asset_id(), "as")) {
      return errors::InvalidField("asset_id", "must look like as- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto a = FindAsset(tx, req->asset_id(), false);
      if (!a) return absl::NotFoundError("asset " + req->asset_id() + " not found");
      auto d = StoredDivision(a->location_division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("assets.asset.get", *d); !s.ok()) return s;
      *resp = std::move(*a);
      return absl::OkStatus();
    });
  });
}

Reactor* AssetsServiceImpl::ConfirmOwnership(Ctx* ctx, const v1::ConfirmOwnershipRequest* req,
                                             v1::Asset* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return MutateAsset(
        call, "assets.ConfirmOwnership", "assets.asset.confirm_ownership", req->asset_id(),
        req->request_id(), req->reason(), *req, *resp, "confirm_ownership",
        [&](pqxx::transaction_base&, v1::Asset& a) -> absl::Status {
          if (auto s = CheckAssetTransition(a.state(), v1::ASSET_STATE_OWNERSHIP_CONFIRMED);
              !s.ok()) {
            return s;
          }
          errors::Validator ov;
          ValidateOwnership(a.asset_class(), req->ownership(), rt_.division, /*confirming=*/true,
                            "ownership.", ov);
          if (!ov.ok()) return ov.ToStatus();
          // The confirmed owner is inside the caller's jurisdiction too.
          if (auto s = AuthorizeAll(call, "assets.asset.confirm_ownership",
                                    {req->ownership().owner_division_code()});
              !s.ok()) {
            return s;
          }
          *a.mutable_ownership() = req->ownership();
          a.set_state(v1::ASSET_STATE_OWNERSHIP_CONFIRMED);
          return absl::OkStatus();
        });
  });
}

Reactor* AssetsServiceImpl::TransferAsset(Ctx* ctx, const v1::TransferAssetRequest* req,
                                          v1::Asset* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return MutateAsset(call, "assets.TransferAsset", "assets.asset.transfer", req->asset_id(),
                       req->request_id(), req->reason(), *req, *resp, "transfer",
                       [&](pqxx::transaction_base& tx, v1::Asset& a) -> absl::Status {
                         if (auto s = CheckAssetTransition(a.state(), v1::ASSET_STATE_TRANSFERRED);
                             !s.ok()) {
                           return s;
                         }
                         auto project = FindProject(tx, a.project_id(), false);
                         if (!project) {
                           return absl::FailedPreconditionError("the asset's project is missing");
                         }
                         if (auto s = CheckProjectAllowsTransfer(project->status()); !s.ok()) {
                           return s;
                         }
                         if (!req->custodian().empty()) a.set_custodian(req->custodian());
                         a.set_state(v1::ASSET_STATE_TRANSFERRED);
                         return absl::OkStatus();
                       });
  });
}

Reactor* AssetsServiceImpl::SetOperatingState(Ctx* ctx, const v1::SetOperatingStateRequest* req,
                                              v1::Asset* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return MutateAsset(call, "assets.SetOperatingState", "assets.asset.set_state", req->asset_id(),
                       req->request_id(), req->reason(), *req, *resp,
                       req->state() == v1::ASSET_STATE_IDLE ? "set_idle" : "set_in_operation",
                       [&](pqxx::transaction_base&, v1::Asset& a) -> absl::Status {
                         if (auto s = CheckAssetTransition(a.state(), req->state()); !s.ok()) {
                           return s;
                         }
                         if (!req->operator_().empty()) a.set_operator_(req->operator_());
                         a.set_state(req->state());
                         return absl::OkStatus();
                       });
  });
}

Reactor* AssetsServiceImpl::GetAssetHistory(Ctx* ctx, const v1::GetAssetHistoryRequest* req,
                                            v1::AssetHistory* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->asset_id(), "as")) {
      return errors::InvalidField("asset_id", "must look like as- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto a = FindAsset(tx, req->asset_id(), false);
      if (!a) return absl::NotFoundError("asset " + req->asset_id() + " not found");
      auto d = StoredDivision(a->location_division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("assets.history.get", *d); !s.ok()) return s;
      resp->Clear();
      for (auto& e : LoadJournal(tx, req->asset_id())) *resp->add_entries() = std::move(e);
      return absl::OkStatus();
    });
  });
}

// ---- Ledgers ------------------------------------------------------------------------

Reactor* AssetsServiceImpl::GetLedger(Ctx* ctx, const v1::GetLedgerRequest* req, v1::Ledger* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    auto division = division::Code::Parse(req->division_code());
    v.Check("division_code", division.status());
    if (req->kind() == v1::LEDGER_KIND_UNSPECIFIED || !v1::LedgerKind_IsValid(req->kind())) {
      v.Add("kind", "must be MASTER, DEPARTMENT, TOWNSHIP, VILLAGE or HOUSEHOLD");
    }
    if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
      v.Add("page_size", absl::StrCat("must be 0..", kMaxPageSize));
    }
    if (!req->page_token().empty() && !IsId(req->page_token(), "as")) {
      v.Add("page_token", "is not a token this service returned");
    }
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("assets.ledger.get", *division); !s.ok()) return s;
    const int page_size = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
    pg::TxOptions options = call.tx();
    options.isolation = pg::Isolation::kRepeatableRead;  // totals and page from one snapshot
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      resp->Clear();
      resp->set_division_code(division->str());
      resp->set_kind(req->kind());
      if (req->has_as_of()) {
        *resp->mutable_as_of() = req->as_of();
        LoadLedgerAsOf(tx, *division, req->kind(), time::FromProto(req->as_of()), req->page_token(),
                       page_size, *resp);
      } else {
        *resp->mutable_as_of() = time::ToProto(absl::Now());
        LoadLedgerNow(tx, *division, req->kind(), req->page_token(), page_size, *resp);
      }
      return absl::OkStatus();
    });
  });
}

Reactor* AssetsServiceImpl::Reconcile(Ctx* ctx, const v1::ReconcileRequest* req,
                                      v1::Reconciliation* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok()) {
      return errors::InvalidField("division_code", std::string(division.status().message()));
    }
    if (auto s = call.Authorize("assets.ledger.reconcile", *division); !s.ok()) return s;
    pg::TxOptions options = call.tx();
    options.isolation = pg::Isolation::kRepeatableRead;  // all three views from one snapshot
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      const auto rows = LoadReconcileRows(tx, *division);
      *resp = CompareLedgers(rows.master, rows.subledgers, rows.journal);
      resp->set_division_code(division->str());
      *resp->mutable_at() = time::ToProto(absl::Now());
      return absl::OkStatus();
    });
  });
}

// ---- Income and distribution --------------------------------------------------------------

Reactor* AssetsServiceImpl::RecordIncome(Ctx* ctx, const v1::RecordIncomeRequest* req,
                                         v1::IncomeRecord* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto a = FindAsset(tx, req->asset_id(), false);
      if (!a) return absl::NotFoundError("asset " + req->asset_id() + " not found");
      if (auto s = AuthorizeAll(call, "assets.income.record", KeeperDivisions(*a)); !s.ok()) {
        return s;
      }
      return idempotency::Run(
          tx, "assets.RecordIncome", req->request_id(), *req, *resp, [&]() -> absl::Status {
            if (a->asset_class() != v1::ASSET_CLASS_OPERATING) {
              return absl::FailedPreconditionError(
                  "income is recorded for operating assets (经营性资产) only");
            }
            if (a->state() != v1::ASSET_STATE_IN_OPERATION && a->state() != v1::ASSET_STATE_IDLE) {
              return absl::FailedPreconditionError(
                  "income is recorded once the asset is transferred and in operation");
            }
            v1::IncomeRecord r;
            r.set_income_id(NewId("ic"));
            r.set_asset_id(req->asset_id());
            r.set_period(req->period());
            r.set_kind(req->kind());
            r.set_amount_fen(req->amount_fen());
            r.set_note(req->note());
            *r.mutable_recorded() = Stamp(call.principal);
            InsertIncome(tx, r);
            *resp = std::move(r);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* AssetsServiceImpl::DistributeIncome(Ctx* ctx, const v1::DistributeIncomeRequest* req,
                                             v1::Distribution* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    auto planned = PlanDistribution(req->amount_fen(), req->shares(), req->households());
    if (!planned.ok()) return planned.status();
    for (int i = 0; i < req->households_size(); ++i) {
      const auto village = *division::Code::Parse(req->households(i).village_code());
      if (!rt_.division.IsAncestorOrSelfOf(village)) {
        return errors::InvalidField(absl::StrCat("households[", i, "].village_code"),
                                    absl::StrCat("must lie inside ", rt_.division.str()));
      }
      if (auto s = call.Authorize("assets.distribution.create", village); !s.ok()) return s;
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto a = FindAsset(tx, req->asset_id(), true);
      if (!a) return absl::NotFoundError("asset " + req->asset_id() + " not found");
      if (auto s = AuthorizeAll(call, "assets.distribution.create", KeeperDivisions(*a)); !s.ok()) {
        return s;
      }
      return idempotency::Run(
          tx, "assets.DistributeIncome", req->request_id(), *req, *resp, [&]() -> absl::Status {
            const money::Fen available = UndistributedIncome(tx, req->asset_id(), req->period());
            if (req->amount_fen() > available) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "amount_fen ", money::FormatYuan(req->amount_fen()), " yuan exceeds the ",
                  money::FormatYuan(available), " yuan of ", req->period(), " income of asset ",
                  req->asset_id(), " not yet distributed"));
            }
            v1::Distribution dist;
            dist.set_distribution_id(NewId("ds"));
            dist.set_asset_id(req->asset_id());
            dist.set_period(req->period());
            dist.set_amount_fen(req->amount_fen());
            *dist.mutable_shares() = req->shares();
            dist.set_decided_by(req->decided_by());
            *dist.mutable_recorded() = Stamp(call.principal);
            for (const auto& p : *planned) {
              auto* line = dist.add_lines();
              line->set_line_id(NewId("dl"));
              line->set_use(p.use);
              line->set_household_id(p.household_id);
              line->set_village_code(p.village_code);
              line->set_amount_fen(p.amount_fen);
            }
            InsertDistribution(tx, dist);
            for (const auto& line : dist.lines()) {
              if (line.use() != v1::DISTRIBUTION_USE_HOUSEHOLDS) continue;
              v1::DividendPaid paid;
              paid.set_distribution_id(line.line_id());
              paid.set_asset_id(req->asset_id());
              paid.set_household_id(line.household_id());
              paid.set_village_code(line.village_code());
              paid.set_month(req->period());
              paid.set_amount_fen(line.amount_fen());
              auto event = events::Append(tx, rt_.config.instance,
                                          {.type = "assets.dividend_paid",
                                           .division_code = line.village_code(),
                                           .aggregate_id = req->asset_id(),
                                           .payload = &paid,
                                           .causation_id = req->request_id()});
              if (!event.ok()) return event.status();
            }
            *resp = std::move(dist);
            return absl::OkStatus();
          });
    });
  });
}

// ---- Disposal -----------------------------------------------------------------------

// Each approval step is its own action in the permission table (RULES A6).
std::string_view ApproveAction(v1::ApprovalStep step) {
  switch (step) {
    case v1::APPROVAL_STEP_VILLAGE_MEETING:
      return "assets.disposal.approve.village_meeting";
    case v1::APPROVAL_STEP_TOWNSHIP:
      return "assets.disposal.approve.township";
    case v1::APPROVAL_STEP_COUNTY_DEPARTMENT:
      return "assets.disposal.approve.county_department";
    case v1::APPROVAL_STEP_COUNTY_FINANCE:
      return "assets.disposal.approve.county_finance";
    case v1::APPROVAL_STEP_PREFECTURE:
      return "assets.disposal.approve.prefecture";
    default:
      return "assets.disposal.approve.unknown";  // undeclared: refused
  }
}

absl::Status CheckDisposalRequest(const std::string& request_id, const std::string& disposal_id,
                                  errors::Validator& v) {
  v.Check("request_id", idempotency::ValidateRequestId(request_id));
  if (!IsId(disposal_id, "dp")) v.Add("disposal_id", "must look like dp- and 20 hex digits");
  return v.ToStatus();
}

std::vector<v1::ApprovalStep> ApprovedSteps(const v1::Disposal& d) {
  std::vector<v1::ApprovalStep> out;
  for (const auto& a : d.approvals()) {
    if (a.approved()) out.push_back(a.step());
  }
  return out;
}

std::vector<v1::ApprovalStep> RequiredOf(const v1::Disposal& d) {
  std::vector<v1::ApprovalStep> out;
  for (int s : d.required_steps()) out.push_back(static_cast<v1::ApprovalStep>(s));
  return out;
}

Reactor* AssetsServiceImpl::RequestDisposal(Ctx* ctx, const v1::RequestDisposalRequest* req,
                                            v1::Disposal* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto a = FindAsset(tx, req->asset_id(), true);
      if (!a) return absl::NotFoundError("asset " + req->asset_id() + " not found");
      if (auto s = AuthorizeAll(call, "assets.disposal.request", KeeperDivisions(*a)); !s.ok()) {
        return s;
      }
      auto d = StoredDivision(a->location_division_code());
      if (!d.ok()) return d.status();
      return idempotency::Run(
          tx, "assets.RequestDisposal", req->request_id(), *req, *resp, [&]() -> absl::Status {
            if (auto s = CheckAssetTransition(a->state(), v1::ASSET_STATE_DISPOSED); !s.ok()) {
              return s;
            }
            if (auto open = FindOpenDisposal(tx, a->asset_id())) {
              return absl::FailedPreconditionError(
                  absl::StrCat("asset ", a->asset_id(), " already has disposal ", *open,
                               " under way: approve, reject or complete it first"));
            }
            v1::Disposal dp;
            dp.set_disposal_id(NewId("dp"));
            dp.set_asset_id(a->asset_id());
            dp.set_method(req->method());
            dp.set_trigger(req->trigger());
            dp.set_reason(req->reason());
            dp.set_asset_value_fen(a->original_value_fen());
            for (auto step : RequiredSteps(a->ownership().level(), a->original_value_fen(),
                                           PolicyFor(tx, *d, ThisYear()))) {
              dp.add_required_steps(step);
            }
            dp.set_status(v1::DISPOSAL_STATUS_PENDING_APPROVAL);
            *dp.mutable_requested() = Stamp(call.principal);
            InsertDisposal(tx, dp);
            // The asset's journal tells the disposal too (its state is unchanged).
            const v1::Asset before = *a;
            WriteAssetChange(
                tx, &before, *a, "disposal_requested", dp.requested(),
                call.principal.division.level(),
                absl::StrCat("disposal ", dp.disposal_id(), " (",
                             v1::DisposalMethod_Name(dp.method()), ", ",
                             v1::DisposalTrigger_Name(dp.trigger()), "): ", dp.reason()),
                req->request_id());
            *resp = std::move(dp);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* AssetsServiceImpl::ApproveDisposalStep(Ctx* ctx, const v1::ApproveDisposalStepRequest* req,
                                                v1::Disposal* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    Validate(*req, Env(), v);
    if (auto s = CheckDisposalRequest(req->request_id(), req->disposal_id(), v); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto dp = FindDisposal(tx, req->disposal_id(), true);
      if (!dp) return absl::NotFoundError("disposal " + req->disposal_id() + " not found");
      auto a = FindAsset(tx, dp->asset_id(), true);
      if (!a) return absl::InternalError("the disposal's asset is missing");
      if (auto s =
              AuthorizeAll(call, ApproveAction(req->step()), ApprovalDivisions(req->step(), *a));
          !s.ok()) {
        return s;
      }
      if (auto s = CheckApprover(req->step(), call.principal.division.level(),
                                 auth::RoleName(call.principal.role), call.principal.department);
          !s.ok()) {
        return s;
      }
      return idempotency::Run(
          tx, "assets.ApproveDisposalStep", req->request_id(), *req, *resp, [&]() -> absl::Status {
            if (dp->status() != v1::DISPOSAL_STATUS_PENDING_APPROVAL &&
                dp->status() != v1::DISPOSAL_STATUS_PENDING_PREFECTURE) {
              return absl::FailedPreconditionError(
                  absl::StrCat("disposal ", dp->disposal_id(), " is ",
                               v1::DisposalStatus_Name(dp->status()), ": nothing to approve"));
            }
            if (auto s = CheckApproverIsNew(*dp, req->step(), call.principal.user_id); !s.ok()) {
              return s;
            }
            const auto required = RequiredOf(*dp);
            const auto next = NextStep(required, ApprovedSteps(*dp));
            if (!next || *next != req->step()) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "the next step of disposal ", dp->disposal_id(), " is ",
                  next ? v1::ApprovalStep_Name(*next) : std::string("none"), ", not ",
                  v1::ApprovalStep_Name(req->step()),
                  " (RULES A6: village meeting -> township -> county department and finance)"));
            }
            auto* approval = dp->add_approvals();
            approval->set_step(req->step());
            approval->set_approved(req->approved());
            approval->set_reference(req->reference());
            *approval->mutable_by() = Stamp(call.principal);
            dp->set_status(req->approved() ? DisposalStatusAfter(required, ApprovedSteps(*dp))
                                           : v1::DISPOSAL_STATUS_REJECTED);
            UpdateDisposal(tx, *dp);
            const v1::Asset before = *a;
            WriteAssetChange(
                tx, &before, *a, "disposal_step", approval->by(), call.principal.division.level(),
                absl::StrCat(
                    "disposal ", dp->disposal_id(), ": ", v1::ApprovalStep_Name(req->step()),
                    req->approved() ? " approved" : " rejected", " (", req->reference(), ")"),
                req->request_id());
            *resp = std::move(*dp);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* AssetsServiceImpl::CompleteDisposal(Ctx* ctx, const v1::CompleteDisposalRequest* req,
                                             v1::Disposal* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    Validate(*req, Env(), v);
    if (auto s = CheckDisposalRequest(req->request_id(), req->disposal_id(), v); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto dp = FindDisposal(tx, req->disposal_id(), true);
      if (!dp) return absl::NotFoundError("disposal " + req->disposal_id() + " not found");
      auto a = FindAsset(tx, dp->asset_id(), true);
      if (!a) return absl::InternalError("the disposal's asset is missing");
      if (auto s = AuthorizeAll(call, "assets.disposal.complete", KeeperDivisions(*a)); !s.ok()) {
        return s;
      }
      return idempotency::Run(
          tx, "assets.CompleteDisposal", req->request_id(), *req, *resp, [&]() -> absl::Status {
            if (dp->status() != v1::DISPOSAL_STATUS_APPROVED) {
              std::string missing;
              const auto approved = ApprovedSteps(*dp);
              for (auto step : RequiredOf(*dp)) {
                if (std::find(approved.begin(), approved.end(), step) == approved.end()) {
                  absl::StrAppend(&missing, missing.empty() ? "" : ", ",
                                  v1::ApprovalStep_Name(step));
                }
              }
              return absl::FailedPreconditionError(absl::StrCat(
                  "disposal ", dp->disposal_id(), " is ", v1::DisposalStatus_Name(dp->status()),
                  missing.empty() ? "" : absl::StrCat(": still needs ", missing),
                  " (RULES A6 approval chain)"));
            }
            v1::Asset before = *a;
            if (auto s = CheckAssetTransition(a->state(), v1::ASSET_STATE_DISPOSED); !s.ok()) {
              return s;
            }
            a->set_state(v1::ASSET_STATE_DISPOSED);
            WriteAssetChange(tx, &before, *a, "dispose", Stamp(call.principal),
                             call.principal.division.level(),
                             absl::StrCat("disposal ", dp->disposal_id(), ": ", dp->reason()),
                             req->request_id());
            dp->set_status(v1::DISPOSAL_STATUS_COMPLETED);
            dp->set_proceeds_fen(req->proceeds_fen());
            if (a->ownership().level() == v1::OWNER_LEVEL_VILLAGE_COLLECTIVE) {
              // RULES A6: proceeds of collective assets stay with the village.
              dp->set_proceeds_village_code(a->ownership().owner_division_code());
              CreditVillage(tx, dp->disposal_id(), dp->proceeds_village_code(),
                            req->proceeds_fen());
            }
            UpdateDisposal(tx, *dp);
            *resp = std::move(*dp);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* AssetsServiceImpl::GetDisposal(Ctx* ctx, const v1::GetDisposalRequest* req,
                                        v1::Disposal* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->disposal_id(), "dp")) {
      return errors::InvalidField("disposal_id", "must look like dp- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto dp = FindDisposal(tx, req->disposal_id(), false);
      if (!dp) return absl::NotFoundError("disposal " + req->disposal_id() + " not found");
      auto a = FindAsset(tx, dp->asset_id(), false);
      if (!a) return absl::InternalError("the disposal's asset is missing");
      auto d = StoredDivision(a->location_division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("assets.disposal.get", *d); !s.ok()) return s;
      *resp = std::move(*dp);
      return absl::OkStatus();
    });
  });
}

// ---- Inspections and certificates --------------------------------------------------

// Loads the asset, checks it is live and the caller may `action` on it (its
// location or its owner: whoever answers for the place or the asset checks
// it, e.g. a village cadre inspecting a township-owned road in the village).
absl::Status AuthorizedLiveAsset(pqxx::transaction_base& tx, const server::CallContext& call,
                                 std::string_view action, const std::string& asset_id) {
  auto a = FindAsset(tx, asset_id, false);
  if (!a) return absl::NotFoundError("asset " + asset_id + " not found");
  if (auto s = AuthorizeAny(call, action, WriteDivisions(*a)); !s.ok()) return s;
  if (a->state() == v1::ASSET_STATE_DISPOSED) {
    return absl::FailedPreconditionError("asset " + asset_id + " is disposed");
  }
  return absl::OkStatus();
}

Reactor* AssetsServiceImpl::RecordInspection(Ctx* ctx, const v1::RecordInspectionRequest* req,
                                             v1::Inspection* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto& in = req->inspection();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      if (auto s = AuthorizedLiveAsset(tx, call, "assets.inspection.record", in.asset_id());
          !s.ok()) {
        return s;
      }
      return idempotency::Run(tx, "assets.RecordInspection", req->request_id(), *req, *resp, [&] {
        v1::Inspection out = in;
        out.set_inspection_id(NewId("in"));
        *out.mutable_recorded() = Stamp(call.principal);
        InsertInspection(tx, out);
        *resp = std::move(out);
        return absl::OkStatus();
      });
    });
  });
}

Reactor* AssetsServiceImpl::RecordCertificate(Ctx* ctx, const v1::RecordCertificateRequest* req,
                                              v1::Certificate* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto& c = req->certificate();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      if (auto s = AuthorizedLiveAsset(tx, call, "assets.certificate.record", c.asset_id());
          !s.ok()) {
        return s;
      }
      return idempotency::Run(tx, "assets.RecordCertificate", req->request_id(), *req, *resp, [&] {
        v1::Certificate out = c;
        out.set_certificate_id(NewId("ce"));
        *out.mutable_recorded() = Stamp(call.principal);
        InsertCertificate(tx, out);
        *resp = std::move(out);
        return absl::OkStatus();
      });
    });
  });
}

Reactor* AssetsServiceImpl::GetBookCheckReport(Ctx* ctx, const v1::GetBookCheckReportRequest* req,
                                               v1::BookCheckReport* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok()) {
      return errors::InvalidField("division_code", std::string(division.status().message()));
    }
    if (auto s = call.Authorize("assets.book_check.get", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      *resp = LoadBookCheckReport(tx, *division);
      return absl::OkStatus();
    });
  });
}

// ---- Roll-ups and collective economy -----------------------------------------------------

Reactor* AssetsServiceImpl::GetAssetRollup(Ctx* ctx, const v1::GetAssetRollupRequest* req,
                                           v1::AssetRollup* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok()) {
      return errors::InvalidField("division_code", std::string(division.status().message()));
    }
    if (auto s = call.Authorize("assets.rollup.get", *division); !s.ok()) return s;
    static constexpr int kChildDigits[] = {0, 4, 6, 9, 12, 0};
    const int child_digits = kChildDigits[static_cast<int>(division->level())];
    pg::TxOptions options = call.tx();
    options.isolation = pg::Isolation::kRepeatableRead;
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      *resp = LoadRollup(tx, *division, child_digits);
      return absl::OkStatus();
    });
  });
}

Reactor* AssetsServiceImpl::RecordCollectiveIncome(Ctx* ctx,
                                                   const v1::RecordCollectiveIncomeRequest* req,
                                                   v1::CollectiveIncome* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto& in = req->income();
    const auto village = *division::Code::Parse(in.village_code());  // checked above
    if (auto s = call.Authorize("assets.collective_income.record", village); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(tx, "assets.RecordCollectiveIncome", req->request_id(), *req, *resp,
                              [&] {
                                v1::CollectiveIncome out = in;
                                out.set_income_id(NewId("ci"));
                                *out.mutable_recorded() = Stamp(call.principal);
                                InsertCollectiveIncome(tx, out);
                                *resp = std::move(out);
                                return absl::OkStatus();
                              });
    });
  });
}

Reactor* AssetsServiceImpl::GetCollectiveEconomy(Ctx* ctx,
                                                 const v1::GetCollectiveEconomyRequest* req,
                                                 v1::CollectiveEconomyReport* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok() || division->level() == division::Level::kVillage) {
      v.Add("division_code", "must be a township, county or a level above");
    }
    if (req->year() < 2013 || req->year() > 2100) v.Add("year", "must be 2013..2100");
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("assets.collective_economy.get", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      // Every village of the division is listed, with or without income:
      // those with income, those owning or hosting an asset here, and those
      // the division registry knows.
      std::vector<std::string> known = LoadAssetVillages(tx, *division);
      for (const auto* k : division::AllKnown()) {
        if (k->level == division::Level::kVillage && division->IsAncestorOrSelfOf(k->code)) {
          known.push_back(k->code.str());
        }
      }
      auto villages = WithEveryVillage(LoadVillageIncomes(tx, *division, req->year()), known);
      *resp = EvaluateCollectiveEconomy(std::move(villages), PolicyFor(tx, *division, req->year()));
      resp->set_division_code(division->str());
      resp->set_year(req->year());
      return absl::OkStatus();
    });
  });
}

// ---- Policy ---------------------------------------------------------------------------

Reactor* AssetsServiceImpl::PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                                          v1::AssetsPolicy* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    auto owner = division::Code::Parse(req->policy().owner_division_code());
    if (!owner.ok()) {
      v.Add("policy.owner_division_code", std::string(owner.status().message()));
    }
    ValidatePolicy(req->policy(), v);
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("assets.policy.publish", *owner); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(tx, "assets.PublishPolicy", req->request_id(), *req, *resp, [&] {
        v1::AssetsPolicy out = req->policy();
        out.set_owner_division_code(owner->str());
        *out.mutable_published() = Stamp(call.principal);
        InsertPolicy(tx, out);  // a repeated (owner, year, version) is ALREADY_EXISTS
        *resp = std::move(out);
        return absl::OkStatus();
      });
    });
  });
}

Reactor* AssetsServiceImpl::GetEffectivePolicy(Ctx* ctx, const v1::GetEffectivePolicyRequest* req,
                                               v1::AssetsPolicy* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    auto division = division::Code::Parse(req->division_code());
    v.Check("division_code", division.status());
    if (req->year() < 2013 || req->year() > 2100) v.Add("year", "must be 2013..2100");
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("assets.policy.get", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      const auto published = LoadPoliciesFor(tx, *division);
      const PublishedPolicy* chosen = ChoosePolicy(published, *division, req->year());
      *resp = PolicyToProto(ResolvePolicy(published, *division, req->year()));
      if (chosen) {  // owner and year stay empty for the defaults
        resp->set_owner_division_code(chosen->owner.str());
        resp->set_year(chosen->year);
      }
      return absl::OkStatus();
    });
  });
}

// Folds the master-ledger total deltas every second.
void RunTotalsCompactor(server::Runtime& rt, const std::atomic<bool>& stop) {
  while (!stop) {
    int64_t folded = 0;
    const auto s = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
      folded = CompactLedgerTotals(tx);
      return absl::OkStatus();
    });
    if (!s.ok()) logging::Warn("ledger_totals_compaction_failed", {{"error", s.ToString()}});
    if (s.ok() && folded >= 100'000) continue;  // more waiting
    for (int i = 0; i < 10 && !stop; ++i) absl::SleepFor(absl::Milliseconds(100));
  }
}

}  // namespace

server::ServiceSpec AssetsSpec() {
  return server::ServiceSpec{.name = "assets",
                             .grpc_service_name = "zx.assets.v1.AssetsService",
                             .migrations = &migrations::AssetsMigrations(),
                             .make_services = [](server::Runtime& rt) {
                               std::vector<std::unique_ptr<grpc::Service>> services;
                               services.push_back(std::make_unique<AssetsServiceImpl>(rt));
                               rt.background_tasks.push_back([&rt](const std::atomic<bool>& stop) {
                                 RunTotalsCompactor(rt, stop);
                               });
                               return services;
                             }};
}

}  // namespace zx::assets
