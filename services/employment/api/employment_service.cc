#include "services/employment/api/employment_service.h"

#include <sodium.h>

#include <atomic>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/time/time.h"
#include "services/employment/api/event_handlers.h"
#include "services/employment/domain/employment.h"
#include "services/employment/domain/matching.h"
#include "services/employment/domain/requests.h"
#include "services/employment/store/employment_store.h"
#include "zx/employment/v1/employment.grpc.pb.h"

namespace zx::migrations {
const std::vector<MigrationFile>& EmploymentMigrations();
}

namespace zx::employment {
namespace {

using Reactor = grpc::ServerUnaryReactor;
using Ctx = grpc::CallbackServerContext;
using server::NewId;
using server::Stamp;
using server::StoredDivision;

std::atomic<time::Clock*> g_clock{nullptr};

// Today in the process's local time zone (deployments run with TZ set to the
// instance's zone), by the injected clock if any.
absl::CivilDay Today() {
  time::Clock* clock = g_clock.load();
  return absl::ToCivilDay(clock != nullptr ? clock->Now() : time::SystemClock().Now(),
                          absl::LocalTimeZone());
}

// An optional date field of a request: empty means today; otherwise it must
// be a date like 2026-11-02 (a violation on `field`, and nullopt).
std::optional<absl::CivilDay> DateOrToday(const std::string& text, const std::string& field,
                                          errors::Validator& v) {
  if (text.empty()) return Today();
  auto d = ParseDate(text);
  if (!d) v.Add(field, "must be a date like 2026-11-02");
  return d;
}

// An `as_of` that rules count up to (months in work, the end of a post's
// agreement, a wage's pay day): empty means today, and a day after today is
// refused — a subsidy earned, a post ended or a wage overdue by a date ahead
// of the server's clock has not happened yet.
std::optional<absl::CivilDay> PastDateOrToday(const std::string& text, const std::string& field,
                                              errors::Validator& v) {
  auto d = DateOrToday(text, field, v);
  if (d && *d > Today()) {
    v.Add(field, absl::StrCat("must not be later than today (", FormatDate(Today()), ")"));
    return std::nullopt;
  }
  return d;
}

// A `month` field that work is recorded for: not after the current month by
// the same clock (days on duty ahead of the server's clock have not happened).
void PastMonthOrCurrent(const std::string& text, const std::string& field, errors::Validator& v) {
  if (const auto month = ParseMonth(text)) CheckMonthBegun(*month, Today(), field, v);
}

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// A purpose, when given, must fit the audit entry (200 bytes). Whether the
// answer may carry the full birth date is auth::MaySeePersonalData, as for
// monitoring's persons.
void ValidatePurpose(const std::string& purpose, errors::Validator& v) {
  if (purpose.size() > 200) v.Add("purpose", "must be at most 200 bytes");
}

Policy PolicyFor(pqxx::transaction_base& tx, const division::Code& division) {
  auto p = LoadPolicyFor(tx, division);
  return p ? PolicyFromProto(*p) : Policy{};
}

absl::Status Emit(pqxx::transaction_base& tx, const server::Runtime& rt, std::string type,
                  const std::string& division, const std::string& aggregate,
                  const google::protobuf::Message& payload, const std::string& request_id) {
  auto id = events::Append(tx, rt.config.instance,
                           {.type = std::move(type),
                            .division_code = division,
                            .aggregate_id = aggregate,
                            .payload = &payload,
                            .causation_id = request_id});
  return id.status();
}

absl::Status EmitPlacement(pqxx::transaction_base& tx, const server::Runtime& rt,
                           const v1::Placement& p, const std::string& division,
                           const std::string& date, const std::string& request_id) {
  v1::PlacementChanged changed;
  changed.set_placement_id(p.placement_id());
  changed.set_worker_id(p.worker_id());
  changed.set_household_id(p.household_id());
  changed.set_person_id(p.person_id());
  changed.set_job_id(p.job_id());
  changed.set_status(p.status());
  changed.set_end_reason(p.end_reason());
  changed.set_date(date);
  return Emit(tx, rt,
              p.status() == v1::PLACEMENT_STATUS_ENDED ? "employment.placement_ended"
                                                       : "employment.placement_started",
              division, p.placement_id(), changed, request_id);
}

// A 64-bit number of a 12-digit division code.
int64_t CodeNumber(const std::string& code) { return std::stoll(code); }

// ---- Matching input from records -------------------------------------------------------

struct Interner {
  std::map<std::string, uint32_t> ids;
  std::vector<std::string> names;
  std::vector<uint32_t> Of(const google::protobuf::RepeatedPtrField<std::string>& a,
                           const google::protobuf::RepeatedPtrField<std::string>* b = nullptr) {
    std::vector<uint32_t> out;
    const auto add = [&](const std::string& s) {
      auto [it, fresh] = ids.emplace(s, static_cast<uint32_t>(names.size()));
      if (fresh) names.push_back(s);
      out.push_back(it->second);
    };
    for (const auto& s : a) add(s);
    if (b) {
      for (const auto& s : *b) add(s);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

std::string SnapshotId(const MatchingData& data) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  const auto feed = [&](const std::string& s) {
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(s.data()),
                              s.size() + 1);  // the NUL separates fields
  };
  for (size_t i = 0; i < data.workers.size(); ++i) {
    feed(data.workers[i].worker_id());
    feed(data.worker_stamps[i]);
  }
  for (const auto& j : data.jobs) feed(absl::StrCat(j.job_id(), "/", j.slots(), "/", j.filled()));
  for (const auto& h : data.covered_households) feed(h);
  unsigned char out[16];
  crypto_generichash_final(&state, out, sizeof out);
  return "ss-" +
         absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

class EmploymentServiceImpl final : public v1::EmploymentService::CallbackService {
 public:
  explicit EmploymentServiceImpl(server::Runtime& runtime) : rt_(runtime) {}

  Reactor* UpsertWorker(Ctx* ctx, const v1::UpsertWorkerRequest* req, v1::Worker* resp) override;
  Reactor* GetWorker(Ctx* ctx, const v1::GetWorkerRequest* req, v1::Worker* resp) override;
  Reactor* ListWorkers(Ctx* ctx, const v1::ListWorkersRequest* req,
                       v1::ListWorkersResponse* resp) override;
  Reactor* UpsertEmployer(Ctx* ctx, const v1::UpsertEmployerRequest* req,
                          v1::Employer* resp) override;
  Reactor* UpsertJob(Ctx* ctx, const v1::UpsertJobRequest* req, v1::Job* resp) override;
  Reactor* GetJob(Ctx* ctx, const v1::GetJobRequest* req, v1::Job* resp) override;
  Reactor* RunMatching(Ctx* ctx, const v1::RunMatchingRequest* req, v1::MatchingRun* resp) override;
  Reactor* GetMatchingRun(Ctx* ctx, const v1::GetMatchingRunRequest* req,
                          v1::MatchingRun* resp) override;
  Reactor* AcceptPlacement(Ctx* ctx, const v1::AcceptPlacementRequest* req,
                           v1::Placement* resp) override;
  Reactor* StartPlacement(Ctx* ctx, const v1::StartPlacementRequest* req,
                          v1::Placement* resp) override;
  Reactor* EndPlacement(Ctx* ctx, const v1::EndPlacementRequest* req, v1::Placement* resp) override;
  Reactor* GetPlacement(Ctx* ctx, const v1::GetPlacementRequest* req, v1::Placement* resp) override;
  Reactor* RecordWage(Ctx* ctx, const v1::RecordWageRequest* req, v1::WageRecord* resp) override;
  Reactor* CheckOverdueWages(Ctx* ctx, const v1::CheckOverdueWagesRequest* req,
                             v1::CheckOverdueWagesResponse* resp) override;
  Reactor* AppointPublicWelfarePost(Ctx* ctx, const v1::AppointPublicWelfarePostRequest* req,
                                    v1::Placement* resp) override;
  Reactor* RecordAttendance(Ctx* ctx, const v1::RecordAttendanceRequest* req,
                            v1::Attendance* resp) override;
  Reactor* PayPostSubsidy(Ctx* ctx, const v1::PayPostSubsidyRequest* req,
                          v1::WageRecord* resp) override;
  Reactor* ReviewPostExit(Ctx* ctx, const v1::ReviewPostExitRequest* req,
                          v1::PostExitDecision* resp) override;
  Reactor* GrantTransportSubsidy(Ctx* ctx, const v1::GrantTransportSubsidyRequest* req,
                                 v1::TransportSubsidy* resp) override;
  Reactor* PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                         v1::EmploymentPolicy* resp) override;
  Reactor* GetEffectivePolicy(Ctx* ctx, const v1::GetEffectivePolicyRequest* req,
                              v1::EmploymentPolicy* resp) override;
  Reactor* GetEmploymentRollup(Ctx* ctx, const v1::GetEmploymentRollupRequest* req,
                               v1::EmploymentRollup* resp) override;

 private:
  // A division field that must lie inside the instance.
  std::optional<division::Code> InsideDivision(const std::string& code, const std::string& field,
                                               errors::Validator& v) const {
    return employment::InsideDivision(rt_.division, code, field, v);
  }
  // What the request checks of domain/requests.h depend on besides the request.
  RequestEnv Env() const { return {.instance = rt_.division}; }

  struct Loaded {
    v1::Placement placement;
    v1::Worker worker;
    division::Code division;
  };
  // Loads (and locks) the placement and its worker, authorizes `action` on
  // the worker's division.
  absl::StatusOr<Loaded> LoadPlacement(pqxx::transaction_base& tx, const server::CallContext& call,
                                       std::string_view action, const std::string& id) {
    auto p = FindPlacement(tx, id, true);
    if (!p) return absl::NotFoundError("placement " + id + " not found");
    auto w = FindWorker(tx, p->worker_id());
    if (!w) return absl::InternalError("the placement's worker is missing");
    auto d = StoredDivision(w->division_code());
    if (!d.ok()) return d.status();
    if (auto s = call.Authorize(action, *d); !s.ok()) return s;
    return Loaded{std::move(*p), std::move(*w), *d};
  }

  server::Runtime& rt_;
};

// ---- Workers, employers, jobs ---------------------------------------------------------------

Reactor* EmploymentServiceImpl::UpsertWorker(Ctx* ctx, const v1::UpsertWorkerRequest* req,
                                             v1::Worker* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto division = division::Code::Parse(req->worker().division_code());  // checked
    if (auto s = call.Authorize("employment.worker.upsert", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(
          tx, "employment.UpsertWorker", req->request_id(), *req, *resp, [&]() -> absl::Status {
            v1::Worker w = req->worker();
            w.clear_personal_data_masked();  // output only
            if (w.worker_id().empty()) {
              w.set_worker_id(NewId("wk"));
            } else {
              auto before = FindWorker(tx, w.worker_id());
              if (!before) return absl::NotFoundError("worker " + w.worker_id() + " not found");
              auto d = StoredDivision(before->division_code());
              if (!d.ok()) return d.status();
              if (auto s = call.Authorize("employment.worker.upsert", *d); !s.ok()) return s;
            }
            // Flags fed by monitoring's events come from the recorded
            // household status, not from the caller (before 2026-11-25 a
            // caller's flag overwrote what the events set, and a worker
            // created after the household's confirmation was not monitored).
            ApplyHouseholdStatus(w, HouseholdMonitored(tx, w.household_id()));
            // Nor under another county's household (before 2026-11-25 any
            // household id, which could block that household's post).
            if (auto s = CheckHouseholdCounty(w, HouseholdVillage(tx, w.household_id())); !s.ok()) {
              return s;
            }
            *w.mutable_updated() = Stamp(call.principal);
            employment::UpsertWorker(tx, w);  // in full: the E2 age rule needs it
            // Answered, and stored for replays, with the birth year only.
            MaskPersonalData(w);
            *resp = std::move(w);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::GetWorker(Ctx* ctx, const v1::GetWorkerRequest* req,
                                          v1::Worker* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    if (!IsId(req->worker_id(), "wk")) v.Add("worker_id", "must look like wk- and 20 hex digits");
    ValidatePurpose(req->purpose(), v);
    if (!v.ok()) return v.ToStatus();
    auto s = pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto w = FindWorker(tx, req->worker_id());
      if (!w) return absl::NotFoundError("worker " + req->worker_id() + " not found");
      auto d = StoredDivision(w->division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("employment.worker.get", *d); !s.ok()) return s;
      *resp = std::move(*w);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (auth::MaySeePersonalData(call.principal, req->purpose())) {
      resp->set_personal_data_masked(false);
      // Answered only once the audit entry is durable (server::Handle).
      call.AuditPersonalDataRead(resp->worker_id(), req->purpose());
    } else {
      MaskPersonalData(*resp);
    }
    return absl::OkStatus();
  });
}

Reactor* EmploymentServiceImpl::ListWorkers(Ctx* ctx, const v1::ListWorkersRequest* req,
                                            v1::ListWorkersResponse* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    auto division = auth::ListScope(call.principal, req->division_code());
    v.Check("division_code", division.status());
    if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
      v.Add("page_size", absl::StrCat("must be 0..", kMaxPageSize));
    }
    if (!req->page_token().empty() && !IsId(req->page_token(), "wk")) {
      v.Add("page_token", "is not a token this service returned");
    }
    ValidatePurpose(req->purpose(), v);
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("employment.worker.list", *division); !s.ok()) return s;
    const int page_size = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
    const bool clear = auth::MaySeePersonalData(call.principal, req->purpose());
    auto s = pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto workers = employment::ListWorkers(tx, *division, req->page_token(), page_size + 1);
      resp->Clear();
      for (int i = 0; i < static_cast<int>(workers.size()) && i < page_size; ++i) {
        v1::Worker& w = workers[i];
        if (clear) {
          w.set_personal_data_masked(false);
        } else {
          MaskPersonalData(w);
        }
        *resp->add_workers() = std::move(w);
      }
      if (static_cast<int>(workers.size()) > page_size) {
        resp->set_next_page_token(resp->workers(page_size - 1).worker_id());
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (clear && resp->workers_size() > 0) {
      // Answered only once the audit entry is durable (server::Handle); the
      // resource is the division listed.
      call.AuditPersonalDataRead(division->str(), req->purpose());
      call.audit.note = absl::StrCat(resp->workers_size(), " workers in clear");
    }
    return absl::OkStatus();
  });
}

Reactor* EmploymentServiceImpl::UpsertEmployer(Ctx* ctx, const v1::UpsertEmployerRequest* req,
                                               v1::Employer* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto division = division::Code::Parse(req->employer().division_code());  // checked
    if (auto s = call.Authorize("employment.employer.upsert", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(
          tx, "employment.UpsertEmployer", req->request_id(), *req, *resp, [&]() -> absl::Status {
            v1::Employer e = req->employer();
            if (e.employer_id().empty()) {
              e.set_employer_id(NewId("em"));
            } else {
              auto before = FindEmployer(tx, e.employer_id());
              if (!before) return absl::NotFoundError("employer " + e.employer_id() + " not found");
              auto d = StoredDivision(before->division_code());
              if (!d.ok()) return d.status();
              if (auto s = call.Authorize("employment.employer.upsert", *d); !s.ok()) return s;
            }
            e.set_certified(WorkshopCertified(e));
            *e.mutable_updated() = Stamp(call.principal);
            employment::UpsertEmployer(tx, e);
            *resp = std::move(e);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::UpsertJob(Ctx* ctx, const v1::UpsertJobRequest* req,
                                          v1::Job* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto employer = FindEmployer(tx, req->job().employer_id());
      if (!employer) {
        return absl::FailedPreconditionError("employer " + req->job().employer_id() +
                                             " does not exist");
      }
      auto d = StoredDivision(employer->division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("employment.job.upsert", *d); !s.ok()) return s;
      if (req->job().partner_province() !=
          (employer->kind() == v1::EMPLOYER_KIND_PARTNER_PROVINCE)) {
        return errors::InvalidField("job.partner_province",
                                    "is set exactly for the jobs of partner-province employers");
      }
      // An employer a partner registered at its own province offers regular
      // jobs in that province only (they reach every county's matching).
      if (!rt_.division.IsAncestorOrSelfOf(*d)) {
        if (req->job().location_division_code() != employer->division_code()) {
          return errors::InvalidField(
              "job.location_division_code",
              "a partner's job lies in its province " + employer->division_code());
        }
        if (req->job().kind() != v1::JOB_KIND_REGULAR) {
          return errors::InvalidField("job.kind", "a partner posts regular jobs only");
        }
      }
      return idempotency::Run(
          tx, "employment.UpsertJob", req->request_id(), *req, *resp, [&]() -> absl::Status {
            v1::Job j = req->job();
            if (j.job_id().empty()) {
              j.set_job_id(NewId("jb"));
            } else {
              auto before = FindJob(tx, j.job_id(), true);
              if (!before) return absl::NotFoundError("job " + j.job_id() + " not found");
              if (before->employer_id() != j.employer_id()) {
                return errors::InvalidField("job.employer_id", "a job keeps its employer");
              }
            }
            *j.mutable_updated() = Stamp(call.principal);
            employment::UpsertJob(tx, j, employer->division_code());
            auto stored = FindJob(tx, j.job_id(), false);
            *resp = std::move(*stored);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::GetJob(Ctx* ctx, const v1::GetJobRequest* req, v1::Job* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->job_id(), "jb")) {
      return errors::InvalidField("job_id", "must look like jb- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto j = FindJob(tx, req->job_id(), false);
      if (!j) return absl::NotFoundError("job " + req->job_id() + " not found");
      auto employer = FindEmployer(tx, j->employer_id());
      if (!employer) return absl::InternalError("the job's employer is missing");
      auto d = StoredDivision(employer->division_code());
      if (!d.ok()) return d.status();
      // A job a partner province posted is offered to everyone here: any
      // reader may see it, wherever their jurisdiction.
      if (!rt_.division.IsAncestorOrSelfOf(*d)) d = call.principal.division;
      if (auto s = call.Authorize("employment.job.get", *d); !s.ok()) return s;
      *resp = std::move(*j);
      return absl::OkStatus();
    });
  });
}

// ---- Matching -----------------------------------------------------------------------------

Reactor* EmploymentServiceImpl::RunMatching(Ctx* ctx, const v1::RunMatchingRequest* req,
                                            v1::MatchingRun* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    const auto division = InsideDivision(req->division_code(), "division_code", v);
    if (req->options().max_proposals() < 0) v.Add("options.max_proposals", "must not be negative");
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("employment.matching.run", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(
          tx, "employment.RunMatching", req->request_id(), *req, *resp, [&]() -> absl::Status {
            const Policy policy = PolicyFor(tx, *division);
            MatchingData data = LoadMatchingData(tx, *division);
            if (req->options().exclude_partner_jobs()) {
              std::erase_if(data.jobs, [](const v1::Job& j) { return j.partner_province(); });
            }
            // Records to the compact matching form.
            Interner skills;
            std::map<std::string, int32_t> households;
            const auto household = [&](const std::string& id) {
              return households.emplace(id, static_cast<int32_t>(households.size())).first->second;
            };
            MatchingInput in;
            for (const auto& w : data.workers) {
              in.workers.push_back(MatchWorker{
                  .household = household(w.household_id()),
                  .division = CodeNumber(w.division_code()),
                  .willingness = w.willingness(),
                  .capacity = w.labour_capacity(),
                  .language_level = w.language_level(),
                  .flags = static_cast<uint8_t>((w.flags().monitored_household() ? kMonitored : 0) |
                                                (w.flags().lifted_household() ? kLifted : 0) |
                                                (w.flags().yulu_graduate() ? kYulu : 0) |
                                                (w.flags().relocated_household() ? kRelocated : 0)),
                  .skills = skills.Of(w.skills(), &w.certificates())});
            }
            for (const auto& h : data.covered_households) household(h);
            in.households = static_cast<int32_t>(households.size());
            in.household_covered.assign(in.households, false);
            for (const auto& h : data.covered_households)
              in.household_covered[households[h]] = true;
            for (const auto& j : data.jobs) {
              in.jobs.push_back(MatchJob{.location = CodeNumber(j.location_division_code()),
                                         .partner_province = j.partner_province(),
                                         .light_work = j.light_work(),
                                         .wage_fen = j.monthly_wage_fen(),
                                         .free_slots = std::max(0, j.slots() - j.filled()),
                                         .min_language_level = j.min_language_level(),
                                         .required = skills.Of(j.required_skills()),
                                         .preferred = skills.Of(j.preferred_skills())});
            }
            const absl::Time started = absl::Now();
            in.candidates = CandidatesByReach(in);
            in.candidates_given = true;
            auto result = SolveMatching(in, policy.weights);
            if (!result.ok()) return result.status();
            v1::MatchingRun run;
            run.set_run_id(NewId("mr"));
            run.set_division_code(division->str());
            run.set_snapshot_id(SnapshotId(data));
            run.set_objective(result->objective);
            run.set_workers_considered(static_cast<int32_t>(in.workers.size()));
            int32_t slots = 0;
            for (const auto& j : in.jobs) slots += j.free_slots;
            run.set_slots_considered(slots);
            run.set_candidate_edges(result->edges);
            run.set_households_total(result->households_total);
            run.set_households_covered_before(result->covered_before);
            run.set_households_covered_after(result->covered_after);
            run.set_solve_seconds(absl::ToDoubleSeconds(absl::Now() - started));
            *run.mutable_created() = Stamp(call.principal);
            // Coverage proposals first, so a cap keeps them.
            std::stable_sort(result->proposals.begin(), result->proposals.end(),
                             [](const MatchProposal& a, const MatchProposal& b) {
                               return a.covers_household > b.covers_household;
                             });
            const int cap = req->options().max_proposals();
            std::vector<v1::Placement> placements;
            std::vector<std::string> divisions;
            for (const auto& p : result->proposals) {
              if (cap > 0 && static_cast<int>(placements.size()) >= cap) break;
              const auto& w = data.workers[p.worker];
              const auto& j = data.jobs[p.job];
              v1::Placement pl;
              pl.set_placement_id(NewId("pl"));
              pl.set_worker_id(w.worker_id());
              pl.set_household_id(w.household_id());
              pl.set_person_id(w.person_id());
              pl.set_job_id(j.job_id());
              pl.set_run_id(run.run_id());
              pl.set_status(v1::PLACEMENT_STATUS_PROPOSED);
              pl.set_job_kind(j.kind());
              for (auto& r : ExplainProposal(in.workers[p.worker], in.jobs[p.job], p,
                                             policy.weights, skills.names)) {
                *pl.add_reasons() = std::move(r);
              }
              *pl.mutable_updated() = run.created();
              auto* out = run.add_proposals();
              out->set_placement_id(pl.placement_id());
              out->set_worker_id(pl.worker_id());
              out->set_household_id(pl.household_id());
              out->set_job_id(pl.job_id());
              out->set_cost(p.cost);
              *out->mutable_reasons() = pl.reasons();
              divisions.push_back(w.division_code());
              placements.push_back(std::move(pl));
            }
            InsertPlacements(tx, placements, divisions);
            InsertRun(tx, run);
            *resp = std::move(run);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::GetMatchingRun(Ctx* ctx, const v1::GetMatchingRunRequest* req,
                                               v1::MatchingRun* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->run_id(), "mr")) {
      return errors::InvalidField("run_id", "must look like mr- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto run = FindRun(tx, req->run_id());
      if (!run) return absl::NotFoundError("matching run " + req->run_id() + " not found");
      auto d = StoredDivision(run->division_code());
      if (!d.ok()) return d.status();
      if (auto s = call.Authorize("employment.matching.get", *d); !s.ok()) return s;
      *resp = std::move(*run);
      return absl::OkStatus();
    });
  });
}

// ---- Placements ----------------------------------------------------------------------------

Reactor* EmploymentServiceImpl::AcceptPlacement(Ctx* ctx, const v1::AcceptPlacementRequest* req,
                                                v1::Placement* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.placement.accept", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.AcceptPlacement", req->request_id(), *req, *resp, [&]() -> absl::Status {
            auto& p = loaded->placement;
            if (auto s = CheckPlacementTransition(p.status(), v1::PLACEMENT_STATUS_ACCEPTED);
                !s.ok()) {
              return s;
            }
            // E1 one job: the worker's row is locked first, so a concurrent
            // accept or appointment for the same worker waits and then sees
            // this placement.
            if (!LockWorker(tx, p.worker_id())) {
              return absl::InternalError("the placement's worker is missing");
            }
            if (auto s = CheckOneJob(ActivePlacementsOfWorker(tx, p.worker_id()), p.placement_id(),
                                     false);
                !s.ok()) {
              return s;
            }
            auto job = FindJob(tx, p.job_id(), true);
            if (!job) return absl::InternalError("the placement's job is missing");
            if (job->filled() >= job->slots()) {
              return absl::FailedPreconditionError("E1.slots: the job's slots are all taken");
            }
            p.set_status(v1::PLACEMENT_STATUS_ACCEPTED);
            p.set_consent_ref(req->consent_ref());
            p.set_accepted_on(FormatDate(Today()));  // the start may not be earlier
            *p.mutable_updated() = Stamp(call.principal);
            UpdatePlacement(tx, p);
            *resp = p;
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::StartPlacement(Ctx* ctx, const v1::StartPlacementRequest* req,
                                               v1::Placement* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.placement.start", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.StartPlacement", req->request_id(), *req, *resp, [&]() -> absl::Status {
            auto& p = loaded->placement;
            if (auto s = CheckPlacementTransition(p.status(), v1::PLACEMENT_STATUS_ON_DUTY);
                !s.ok()) {
              return s;
            }
            // The start decides months in work (E4) and wages owed: not
            // after today, not before the acceptance (before 2026-11-25 any
            // date: months back earned the transport subsidy at once).
            errors::Validator dates;
            CheckStartDate(*ParseDate(req->start_date()), ParseDate(p.accepted_on()), Today(),
                           dates);
            if (!dates.ok()) return dates.ToStatus();
            p.set_status(v1::PLACEMENT_STATUS_ON_DUTY);
            p.set_start_date(req->start_date());
            *p.mutable_updated() = Stamp(call.principal);
            UpdatePlacement(tx, p);
            if (auto s = EmitPlacement(tx, rt_, p, loaded->worker.division_code(),
                                       req->start_date(), req->request_id());
                !s.ok()) {
              return s;
            }
            *resp = p;
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::EndPlacement(Ctx* ctx, const v1::EndPlacementRequest* req,
                                             v1::Placement* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.placement.end", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.EndPlacement", req->request_id(), *req, *resp, [&]() -> absl::Status {
            auto& p = loaded->placement;
            if (auto s = CheckPlacementTransition(p.status(), v1::PLACEMENT_STATUS_ENDED);
                !s.ok()) {
              return s;
            }
            if (!p.start_date().empty() && req->end_date() < p.start_date()) {
              return errors::InvalidField("end_date", "must not be before the start date");
            }
            const bool was_on_duty = p.status() == v1::PLACEMENT_STATUS_ON_DUTY;
            p.set_status(v1::PLACEMENT_STATUS_ENDED);
            p.set_end_reason(req->reason());
            p.set_end_date(req->end_date());
            *p.mutable_updated() = Stamp(call.principal);
            UpdatePlacement(tx, p);
            if (was_on_duty) {
              if (auto s = EmitPlacement(tx, rt_, p, loaded->worker.division_code(),
                                         req->end_date(), req->request_id());
                  !s.ok()) {
                return s;
              }
            }
            *resp = p;
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::GetPlacement(Ctx* ctx, const v1::GetPlacementRequest* req,
                                             v1::Placement* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    if (!IsId(req->placement_id(), "pl")) {
      return errors::InvalidField("placement_id", "must look like pl- and 20 hex digits");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.placement.get", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      *resp = std::move(loaded->placement);
      return absl::OkStatus();
    });
  });
}

// ---- Wages ------------------------------------------------------------------------------

absl::Status PayWage(pqxx::transaction_base& tx, const server::Runtime& rt,
                     const server::CallContext& call, const v1::Placement& p,
                     const v1::Worker& worker, const std::string& month, money::Fen amount,
                     const std::string& paid_on, bool subsidy, const std::string& request_id,
                     v1::WageRecord& out) {
  out.set_wage_id(NewId("wg"));
  out.set_placement_id(p.placement_id());
  out.set_month(month);
  out.set_amount_fen(amount);
  out.set_paid_on(paid_on);
  out.set_subsidy(subsidy);
  *out.mutable_recorded() = Stamp(call.principal);
  v1::WagePaid paid;
  paid.set_placement_id(p.placement_id());
  paid.set_household_id(p.household_id());
  paid.set_person_id(p.person_id());
  paid.set_month(month);
  paid.set_amount_fen(amount);
  paid.set_worker_id(p.worker_id());
  paid.set_wage_id(out.wage_id());
  // Monitoring books the wage only to a household inside the worker's
  // division (the one UpsertWorker authorized), whatever household it names.
  paid.set_division_code(worker.division_code());
  auto event = events::Append(tx, rt.config.instance,
                              {.type = "employment.wage_paid",
                               .division_code = worker.division_code(),
                               .aggregate_id = p.placement_id(),
                               .payload = &paid,
                               .causation_id = request_id});
  if (!event.ok()) return event.status();
  out.set_event_id(*event);
  InsertWage(tx, out);  // a second wage of one month is ALREADY_EXISTS
  return absl::OkStatus();
}

Reactor* EmploymentServiceImpl::RecordWage(Ctx* ctx, const v1::RecordWageRequest* req,
                                           v1::WageRecord* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    // A wage paid on a day ahead of the clock has not been paid (monitoring
    // would book income that has not arrived).
    if (ParseDate(req->paid_on())) PastDateOrToday(req->paid_on(), "paid_on", v);
    // Nor is a wage for a month that has not begun (work not yet done).
    PastMonthOrCurrent(req->month(), "month", v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.wage.record", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.RecordWage", req->request_id(), *req, *resp, [&]() -> absl::Status {
            const auto& p = loaded->placement;
            if (auto s = CheckPaidAsWage(p); !s.ok()) return s;
            if (p.status() != v1::PLACEMENT_STATUS_ON_DUTY &&
                p.status() != v1::PLACEMENT_STATUS_ENDED) {
              return absl::FailedPreconditionError("wages are paid for a placement once on duty");
            }
            if (auto s = CheckWageMonth(p, *ParseMonth(req->month())); !s.ok()) return s;
            return PayWage(tx, rt_, call, p, loaded->worker, req->month(), req->amount_fen(),
                           req->paid_on(), false, req->request_id(), *resp);
          });
    });
  });
}

Reactor* EmploymentServiceImpl::CheckOverdueWages(Ctx* ctx, const v1::CheckOverdueWagesRequest* req,
                                                  v1::CheckOverdueWagesResponse* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    const auto division = InsideDivision(req->division_code(), "division_code", v);
    // A future as_of would raise alerts before the pay day.
    const auto as_of = PastDateOrToday(req->as_of(), "as_of", v);
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("employment.wage.check_overdue", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      const Policy policy = PolicyFor(tx, *division);
      resp->Clear();
      resp->set_overdue_day(policy.overdue_wage_day);
      // One alert per (placement, month), recorded once (RecordAlert): a
      // later check lists arrears still unpaid as they were first raised
      // (raised_on), not as new alerts.
      const auto raise = [&](const v1::Placement& p, absl::CivilMonth month) {
        auto job = FindJob(tx, p.job_id(), false);
        v1::OverdueWageAlert alert;
        alert.set_placement_id(p.placement_id());
        alert.set_worker_id(p.worker_id());
        alert.set_household_id(p.household_id());
        alert.set_employer_id(job ? job->employer_id() : "");
        alert.set_month(FormatMonth(month));
        alert.set_raised_on(FormatDate(*as_of));
        alert.set_rule(absl::StrCat("两不拖欠: wage of ", FormatMonth(month), " unpaid on day ",
                                    policy.overdue_wage_day));
        if (RecordAlert(tx, alert)) resp->set_new_alerts(resp->new_alerts() + 1);
        *resp->add_alerts() = std::move(alert);
      };
      if (const auto due = WageDueMonth(*as_of, policy)) {
        for (const auto& p : OnDutyPlacements(tx, *division)) {
          const auto start = ParseDate(p.start_date());
          if (!start || !WageOverdue(*start, *due, PaidMonths(tx, p.placement_id()))) continue;
          raise(p, *due);
        }
      }
      // An ended placement owes every unpaid month from its start to its end
      // month, once that month's pay day has passed: its last months fall
      // due after it left the on-duty list above. One with every month paid
      // is marked settled and not read again (the sweep reads only the
      // unsettled, through their index).
      const absl::CivilMonth last_due = LastDueMonth(*as_of, policy);
      for (const auto& p :
           EndedPlacements(tx, *division, FormatDate(absl::CivilDay(last_due + 1)))) {
        const auto start = ParseDate(p.start_date());
        const auto end = ParseDate(p.end_date());
        if (!start || !end) continue;
        const auto paid = PaidMonths(tx, p.placement_id());
        if (WagesSettled(*start, *end, paid)) {
          MarkWagesSettled(tx, p.placement_id());
          continue;
        }
        for (const auto month : UnpaidMonthsOfEnded(*start, *end, last_due, paid)) raise(p, month);
      }
      return absl::OkStatus();
    });
  });
}

// ---- Public-welfare posts ---------------------------------------------------------------------

Reactor* EmploymentServiceImpl::AppointPublicWelfarePost(
    Ctx* ctx, const v1::AppointPublicWelfarePostRequest* req, v1::Placement* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (!v.ok()) return v.ToStatus();
    const auto start = ParseDate(req->agreement_start());  // checked by Validate
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto job = FindJob(tx, req->job_id(), true);
      if (!job) return absl::NotFoundError("job " + req->job_id() + " not found");
      auto location = StoredDivision(job->location_division_code());
      if (!location.ok()) return location.status();
      if (auto s = call.Authorize("employment.post.appoint", *location); !s.ok()) return s;
      auto worker = FindWorker(tx, req->worker_id());
      if (!worker) return absl::NotFoundError("worker " + req->worker_id() + " not found");
      auto wd = StoredDivision(worker->division_code());
      if (!wd.ok()) return wd.status();
      if (auto s = call.Authorize("employment.post.appoint", *wd); !s.ok()) return s;
      return idempotency::Run(
          tx, "employment.AppointPublicWelfarePost", req->request_id(), *req, *resp,
          [&]() -> absl::Status {
            // The age rule is checked on it and the subsidy starts with it:
            // near today (before 2026-11-25 any date, back-paying months long
            // past). Inside Run: a retry replays whatever today is now.
            errors::Validator near_today;
            CheckAgreementStart(*start, Today(), near_today);
            if (!near_today.ok()) return near_today.ToStatus();
            const Policy policy = PolicyFor(tx, *location);
            if (auto s = CheckPostAppointment(*worker, *job, policy, *start,
                                              HouseholdHoldsPost(tx, worker->household_id()));
                !s.ok()) {
              return s;
            }
            // E1 one job, E2 orderly exit; locked as in AcceptPlacement.
            LockWorker(tx, worker->worker_id());
            if (auto s = CheckOneJob(ActivePlacementsOfWorker(tx, worker->worker_id()), "", true);
                !s.ok()) {
              return s;
            }
            if (!job->open() || job->filled() >= job->slots()) {
              return absl::FailedPreconditionError("E2.post: the post has no free place");
            }
            v1::Placement p;
            p.set_placement_id(NewId("pl"));
            p.set_worker_id(worker->worker_id());
            p.set_household_id(worker->household_id());
            p.set_person_id(worker->person_id());
            p.set_job_id(job->job_id());
            p.set_status(v1::PLACEMENT_STATUS_ON_DUTY);
            p.set_consent_ref(req->consent_ref());
            p.set_start_date(req->agreement_start());
            p.set_agreement_start(req->agreement_start());
            p.set_agreement_end(req->agreement_end());
            p.set_job_kind(v1::JOB_KIND_PUBLIC_WELFARE);
            v1::Reason r;
            r.set_rule("E2.appointment");
            r.set_detail(
                "以岗聘任: local registration, age, not a cadre or cadre's family, first "
                "post of the household");
            *p.add_reasons() = r;
            *p.mutable_updated() = Stamp(call.principal);
            InsertPlacement(tx, p, worker->division_code());
            if (auto s = EmitPlacement(tx, rt_, p, worker->division_code(), p.start_date(),
                                       req->request_id());
                !s.ok()) {
              return s;
            }
            *resp = std::move(p);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::RecordAttendance(Ctx* ctx, const v1::RecordAttendanceRequest* req,
                                                 v1::Attendance* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    PastMonthOrCurrent(req->month(), "month", v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.attendance.record", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.RecordAttendance", req->request_id(), *req, *resp, [&]() -> absl::Status {
            if (loaded->placement.status() != v1::PLACEMENT_STATUS_ON_DUTY) {
              return absl::FailedPreconditionError("attendance is recorded for a post on duty");
            }
            if (auto s = CheckPostMonth(loaded->placement, *ParseMonth(req->month()));  // checked
                !s.ok()) {
              return s;
            }
            // The attendance a paid subsidy rests on is kept (before
            // 2026-11-25 it could be rewritten to 0 days after payment).
            if (auto s = CheckAttendanceRewrite(DaysOnDuty(tx, req->placement_id(), req->month()),
                                                MonthPaid(tx, req->placement_id(), req->month()),
                                                req->days_on_duty(), req->month());
                !s.ok()) {
              return s;
            }
            v1::Attendance a;
            a.set_placement_id(req->placement_id());
            a.set_month(req->month());
            a.set_days_on_duty(req->days_on_duty());
            *a.mutable_recorded() = Stamp(call.principal);
            UpsertAttendance(tx, a);
            *resp = std::move(a);
            return absl::OkStatus();
          });
    });
  });
}

Reactor* EmploymentServiceImpl::PayPostSubsidy(Ctx* ctx, const v1::PayPostSubsidyRequest* req,
                                               v1::WageRecord* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    Validate(*req, Env(), v);
    if (ParseDate(req->paid_on())) PastDateOrToday(req->paid_on(), "paid_on", v);  // as wages
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.post.subsidy", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.PayPostSubsidy", req->request_id(), *req, *resp, [&]() -> absl::Status {
            const auto& p = loaded->placement;
            if (p.job_kind() != v1::JOB_KIND_PUBLIC_WELFARE) {
              return absl::FailedPreconditionError("E2.post: not a public-welfare post");
            }
            if (auto s = CheckPostMonth(p, *ParseMonth(req->month())); !s.ok()) return s;
            if (auto s = CheckNoRegularJobInMonth(p, RegularJobsOfWorker(tx, p.worker_id()),
                                                  *ParseMonth(req->month()));
                !s.ok()) {
              return s;
            }
            if (auto s =
                    CheckPostSubsidy(DaysOnDuty(tx, p.placement_id(), req->month()), req->month());
                !s.ok()) {
              return s;
            }
            auto job = FindJob(tx, p.job_id(), false);
            if (!job) return absl::InternalError("the placement's job is missing");
            return PayWage(tx, rt_, call, p, loaded->worker, req->month(), job->monthly_wage_fen(),
                           req->paid_on(), true, req->request_id(), *resp);
          });
    });
  });
}

Reactor* EmploymentServiceImpl::ReviewPostExit(Ctx* ctx, const v1::ReviewPostExitRequest* req,
                                               v1::PostExitDecision* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    v.CheckId("placement_id", req->placement_id(), "pl");
    std::optional<absl::CivilDay> eliminated;
    if (!req->risk_eliminated_on().empty()) {
      eliminated = ParseDate(req->risk_eliminated_on());
      if (!eliminated) v.Add("risk_eliminated_on", "must be a date like 2026-11-02");
    }
    // A future as_of would end the post before its agreement has (M9b).
    const auto as_of = PastDateOrToday(req->as_of(), "as_of", v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.post.review_exit", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.ReviewPostExit", req->request_id(), *req, *resp, [&]() -> absl::Status {
            auto& p = loaded->placement;
            if (p.job_kind() != v1::JOB_KIND_PUBLIC_WELFARE ||
                p.status() != v1::PLACEMENT_STATUS_ON_DUTY) {
              return absl::FailedPreconditionError("E2.orderly_exit: not a post on duty");
            }
            const auto end = ParseDate(p.agreement_end());
            if (!end) return absl::InternalError("the post has no agreement end");
            if (!eliminated) {  // else what the monitoring events recorded
              if (const auto recorded = RiskEliminatedOn(tx, p.household_id())) {
                eliminated = ParseDate(*recorded);
              }
            }
            const auto d =
                DecidePostExit(*end, eliminated, WorkerHoldsRegularJob(tx, p.worker_id()), *as_of);
            resp->set_exit(d.exit);
            resp->set_reason(d.reason);
            resp->set_rule(d.rule);
            resp->set_detail(d.detail);
            if (d.exit) {
              p.set_status(v1::PLACEMENT_STATUS_ENDED);
              p.set_end_reason(d.reason);
              p.set_end_date(FormatDate(*as_of));
              *p.mutable_updated() = Stamp(call.principal);
              UpdatePlacement(tx, p);
              if (auto s = EmitPlacement(tx, rt_, p, loaded->worker.division_code(), p.end_date(),
                                         req->request_id());
                  !s.ok()) {
                return s;
              }
            }
            *resp->mutable_placement() = p;
            return absl::OkStatus();
          });
    });
  });
}

// ---- Transport subsidy ---------------------------------------------------------------------

Reactor* EmploymentServiceImpl::GrantTransportSubsidy(Ctx* ctx,
                                                      const v1::GrantTransportSubsidyRequest* req,
                                                      v1::TransportSubsidy* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    v.CheckId("placement_id", req->placement_id(), "pl");
    const auto as_of = PastDateOrToday(req->as_of(), "as_of", v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loaded = LoadPlacement(tx, call, "employment.transport.grant", req->placement_id());
      if (!loaded.ok()) return loaded.status();
      return idempotency::Run(
          tx, "employment.GrantTransportSubsidy", req->request_id(), *req, *resp,
          [&]() -> absl::Status {
            const auto& p = loaded->placement;
            const auto start = ParseDate(p.start_date());
            // On duty, or ended after being on duty: the months it worked
            // count up to its end (an ended placement earned the subsidy if
            // it ran three months; before 2026-11-25 only one on duty now).
            const bool ended = p.status() == v1::PLACEMENT_STATUS_ENDED;
            if ((p.status() != v1::PLACEMENT_STATUS_ON_DUTY && !ended) || !start) {
              return absl::FailedPreconditionError(
                  "E4.months_in_work: the placement was never on duty");
            }
            const auto end = ended ? ParseDate(p.end_date()) : std::nullopt;
            auto job = FindJob(tx, p.job_id(), false);
            if (!job) return absl::InternalError("the placement's job is missing");
            const auto& w = loaded->worker;
            const auto destination = DestinationOf(w.division_code(), job->location_division_code(),
                                                   job->partner_province());
            const int months = MonthsInWork(*start, end, *as_of);
            // The flags are kept from the monitoring registry (lifted / monitored).
            const bool priority = w.flags().monitored_household() || w.flags().lifted_household();
            auto amount =
                TransportSubsidy(destination, months, priority, PolicyFor(tx, loaded->division));
            if (!amount.ok()) return amount.status();
            v1::TransportSubsidy s;
            s.set_subsidy_id(NewId("ts"));
            s.set_placement_id(p.placement_id());
            s.set_destination(destination);
            s.set_months_in_work(months);
            s.set_amount_fen(*amount);
            s.set_quarter(QuarterOf(*as_of));
            *s.mutable_recorded() = Stamp(call.principal);
            // E4 paid quarterly: once per person a quarter, over all their
            // placements (before 2026-11-25 once per placement only). The
            // worker's row is locked first, so a concurrent grant of another
            // placement waits and is refused by the check; the unique index
            // of migration 0006 stays as a backstop.
            (void)LockWorker(tx, w.worker_id());
            if (auto st = CheckTransportOncePerQuarter(
                    TransportSubsidiesOfWorker(tx, w.worker_id()), p.placement_id(), s.quarter());
                !st.ok()) {
              return st;
            }
            // One-time per placement: a second is ALREADY_EXISTS.
            InsertTransportSubsidy(tx, s, w.worker_id());
            *resp = std::move(s);
            return absl::OkStatus();
          });
    });
  });
}

// ---- Policy and roll-ups -------------------------------------------------------------------

Reactor* EmploymentServiceImpl::PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                                              v1::EmploymentPolicy* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
    auto owner = division::Code::Parse(req->policy().owner_division_code());
    if (!owner.ok()) v.Add("policy.owner_division_code", std::string(owner.status().message()));
    ValidatePolicy(req->policy(), v);
    if (!v.ok()) return v.ToStatus();
    if (auto s = call.Authorize("employment.policy.publish", *owner); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(tx, "employment.PublishPolicy", req->request_id(), *req, *resp, [&] {
        // Stored complete: what the published fields resolve to.
        v1::EmploymentPolicy out = PolicyToProto(PolicyFromProto(req->policy()));
        out.set_owner_division_code(owner->str());
        *out.mutable_published() = Stamp(call.principal);
        InsertPolicy(tx, out);
        *resp = std::move(out);
        return absl::OkStatus();
      });
    });
  });
}

Reactor* EmploymentServiceImpl::GetEffectivePolicy(Ctx* ctx,
                                                   const v1::GetEffectivePolicyRequest* req,
                                                   v1::EmploymentPolicy* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok()) {
      return errors::InvalidField("division_code", std::string(division.status().message()));
    }
    if (auto s = call.Authorize("employment.policy.get", *division); !s.ok()) return s;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto p = LoadPolicyFor(tx, *division);
      *resp = p ? *p : PolicyToProto(Policy{});
      return absl::OkStatus();
    });
  });
}

Reactor* EmploymentServiceImpl::GetEmploymentRollup(Ctx* ctx,
                                                    const v1::GetEmploymentRollupRequest* req,
                                                    v1::EmploymentRollup* resp) {
  return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
    auto division = division::Code::Parse(req->division_code());
    if (!division.ok()) {
      return errors::InvalidField("division_code", std::string(division.status().message()));
    }
    if (auto s = call.Authorize("employment.rollup.get", *division); !s.ok()) return s;
    pg::TxOptions options = call.tx();
    options.isolation = pg::Isolation::kRepeatableRead;  // every figure from one snapshot
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      *resp = LoadRollup(tx, *division);
      return absl::OkStatus();
    });
  });
}

// For alerts and dashboards (deploy/prometheus, deploy/grafana): coverage
// of 一户一就业 and the overdue-wage alerts ("两不拖欠") by county.
std::vector<server::StateGauge> StateGauges(const division::Code& instance) {
  const auto counties = server::InstanceCounties(instance);
  return {
      {"zx_employment_households",
       "Households with an able worker, by county: covered (a member on duty) or uncovered",
       {"county", "coverage"},
       "SELECT county, coverage, count(*) FROM ("
       "  SELECT substr(min(w.division_code), 1, 6) || '000000' AS county,"
       "    CASE WHEN w.household_id IN (SELECT household_id FROM placements WHERE status = 3)"
       "         THEN 'covered' ELSE 'uncovered' END AS coverage"
       "  FROM workers w WHERE w.able GROUP BY w.household_id) h "
       "GROUP BY 1, 2",
       server::CountiesWith(counties, {"covered", "uncovered"})},
      {"zx_employment_wage_alerts",
       "Overdue-wage alerts raised so far (they are records: the count only grows), by county",
       {"county"},
       "SELECT substr(p.division_code, 1, 6) || '000000', count(*) "
       "FROM wage_alerts a JOIN placements p USING (placement_id) GROUP BY 1",
       server::CountiesWith(counties, {})},
  };
}

}  // namespace

void SetEmploymentClockForTesting(time::Clock* clock) { g_clock.store(clock); }

server::ServiceSpec EmploymentSpec() {
  return server::ServiceSpec{.name = "employment",
                             .grpc_service_name = "zx.employment.v1.EmploymentService",
                             .migrations = &migrations::EmploymentMigrations(),
                             .make_services = [](server::Runtime& rt) {
                               std::vector<std::unique_ptr<grpc::Service>> services;
                               services.push_back(std::make_unique<EmploymentServiceImpl>(rt));
                               rt.AddConsumer("monitoring", &HandleMonitoringEvent);
                               rt.state_gauges = StateGauges(rt.division);
                               return services;
                             }};
}

}  // namespace zx::employment
