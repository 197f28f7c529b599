// Bulk re-assessment: a job per request (or per published policy), worked
// through in batches by a background worker with a cursor, so it resumes
// after a restart and replicas share the work (SKIP LOCKED on the job row).
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/time/time.h"
#include "services/monitoring/api/assessment.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/household_store.h"
#include "services/monitoring/store/rollup_store.h"

namespace zx::monitoring {
namespace {

constexpr int kBatch = 1000;

v1::ReassessmentJob JobFromRow(const pqxx::row& row) {
  v1::ReassessmentJob job;
  job.set_job_id(row[0].as<std::string>());
  job.set_division_code(row[1].as<std::string>());
  job.set_state(static_cast<v1::JobState>(row[2].as<int>()));
  job.set_households_total(row[3].as<int64_t>());
  job.set_households_done(row[4].as<int64_t>());
  job.set_cause(row[5].as<std::string>());
  job.set_error(row[6].as<std::string>());
  *job.mutable_created_at() = time::ToProto(absl::FromUnixMicros(row[7].as<int64_t>()));
  if (!row[8].is_null()) {
    *job.mutable_finished_at() = time::ToProto(absl::FromUnixMicros(row[8].as<int64_t>()));
  }
  return job;
}

constexpr char kJobColumns[] =
    "job_id, division_code, state, households_total, households_done, cause, error, "
    "(EXTRACT(EPOCH FROM created_at) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM finished_at) * 1000000)::bigint";

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()); }

}  // namespace

absl::Status ReassessBatch(pqxx::transaction_base& tx, const server::Runtime& rt,
                           const std::vector<v1::Household>& households,
                           const std::vector<std::string>& causation_ids,
                           bool skip_without_policy) {
  const absl::Time t0 = absl::Now();
  std::vector<std::string> ids;
  for (const auto& h : households) ids.push_back(h.household_id());
  const absl::CivilDay today = Today();
  const time::MonthWindow window = IncomeWindow(absl::CivilMonth(today));
  auto records = LoadRecordsBatch(tx, ids, PreviousWindow(window).first, window.last);
  auto guarantees = LoadGuaranteesBatch(tx, ids);
  auto labour = LoadLabourBatch(tx, ids);
  auto current = LoadColoursBatch(tx, ids);
  std::map<std::string, CreditOverdue> credit;
  for (const auto& row : tx.exec_params("SELECT household_id FROM loans WHERE settled_on IS NULL "
                                        "AND household_id = ANY($1::text[])",
                                        pg::ArrayLiteral(ids))) {
    const std::string id = row[0].as<std::string>();
    auto overdue = HouseholdCreditOverdue(tx, id, today);
    if (!overdue.ok()) return overdue.status();
    credit[id] = *overdue;
  }
  const std::vector<MonitoringPolicy> published = LoadPublishedPolicies(tx);
  std::map<std::string, absl::StatusOr<MonitoringPolicy>> policy_of_village;

  const absl::Time t1 = absl::Now();
  std::vector<v1::Assessment> changed;
  struct Recoloured {
    const v1::Household* household;
    v1::Colour previous;
    const std::string* causation_id;
  };
  std::vector<Recoloured> recoloured;
  for (size_t i = 0; i < households.size(); ++i) {
    const v1::Household& h = households[i];
    auto it = policy_of_village.find(h.village_code());
    if (it == policy_of_village.end()) {
      it = policy_of_village
               .emplace(
                   h.village_code(),
                   ResolveFromPublished(published, *division::Code::Parse(h.village_code()), today))
               .first;
    }
    if (!it->second.ok()) {
      if (skip_without_policy && absl::IsFailedPrecondition(it->second.status())) {
        // As ReassessIfPolicyPublished: the job publishing a policy starts
        // will assess the household.
        logging::Warn("assessment_skipped",
                      {{"household_id", h.household_id()},
                       {"reason", std::string(it->second.status().message())}});
        continue;
      }
      return it->second.status();
    }
    HouseholdInputs loaded;
    loaded.records = std::move(records[h.household_id()]);
    if (auto g = guarantees.find(h.household_id()); g != guarantees.end()) {
      loaded.guarantees = g->second;
    }
    loaded.labour = labour[h.household_id()];
    loaded.credit = credit[h.household_id()];
    NetIncome net;
    auto in = RiskInputsFrom(h, loaded, today, &net);
    if (!in.ok()) return in.status();
    auto assessed = Assess(*in, *it->second);
    if (!assessed.ok()) return assessed.status();
    v1::Assessment a = MakeAssessment(h, *in, net, *assessed);
    const CurrentColour& before = current[h.household_id()];
    if (before.fingerprint == AssessmentFingerprint(a)) continue;  // the same result
    if (before.colour != a.colour()) {
      recoloured.push_back({&h, before.colour, &causation_ids[i]});
    }
    changed.push_back(std::move(a));
  }
  const absl::Time t2 = absl::Now();
  SaveAssessments(tx, changed);
  const absl::Time t3 = absl::Now();
  std::vector<std::string> changed_ids;
  std::map<std::string, const v1::Assessment*> by_id;
  for (const auto& a : changed) {
    changed_ids.push_back(a.household_id());
    by_id[a.household_id()] = &a;
  }
  if (auto s = RefreshRollup(tx, changed_ids); !s.ok()) return s;
  const absl::Time t4 = absl::Now();
  std::vector<v1::HouseholdColorChanged> colour_changes;
  std::vector<std::string> change_causes;
  for (const Recoloured& r : recoloured) {
    if (auto s = AssessmentEffects(tx, rt, *r.household, *by_id[r.household->household_id()],
                                   r.previous, *r.causation_id, &colour_changes);
        !s.ok()) {
      return s;
    }
    change_causes.resize(colour_changes.size(), *r.causation_id);
  }
  if (auto s = AppendColourChanges(tx, rt, colour_changes, change_causes); !s.ok()) return s;
  auto ms = [](absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); };
  logging::Debug("reassessment_batch", {{"households", std::to_string(households.size())},
                                        {"changed", std::to_string(changed.size())},
                                        {"recoloured", std::to_string(recoloured.size())},
                                        {"load_ms", ms(t1 - t0)},
                                        {"assess_ms", ms(t2 - t1)},
                                        {"save_ms", ms(t3 - t2)},
                                        {"rollup_ms", ms(t4 - t3)},
                                        {"effects_ms", ms(absl::Now() - t4)}});
  return absl::OkStatus();
}

namespace {

// One batch of the oldest running job; false when there was nothing to do.
bool WorkOneBatch(server::Runtime& rt) {
  bool worked = false;
  std::string job_id;  // the job this batch worked on, for the failure path
  const absl::Status status = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
    auto jobs = tx.exec_params(
        "SELECT job_id, village_prefix, cursor_household FROM reassessment_jobs "
        "WHERE state = $1 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        static_cast<int>(v1::JOB_STATE_RUNNING));
    if (jobs.empty()) return absl::OkStatus();
    worked = true;
    job_id = jobs[0][0].as<std::string>();
    const std::string prefix = jobs[0][1].as<std::string>();
    // Locked like AssessAndStore locks one household, in id order.
    std::vector<v1::Household> households =
        LockHouseholdsAfter(tx, prefix, jobs[0][2].as<std::string>(), kBatch);
    if (auto s =
            ReassessBatch(tx, rt, households, std::vector<std::string>(households.size(), job_id),
                          /*skip_without_policy=*/false);
        !s.ok()) {
      // The batch rolls back; the job records why it stopped.
      return s;
    }
    const std::string last = households.empty() ? "" : households.back().household_id();
    const bool finished = static_cast<int>(households.size()) < kBatch;
    tx.exec_params(
        "UPDATE reassessment_jobs SET households_done = households_done + $2, "
        "cursor_household = CASE WHEN $3 = '' THEN cursor_household ELSE $3 END, "
        "state = $4, finished_at = CASE WHEN $5 THEN now() END WHERE job_id = $1",
        job_id, static_cast<int64_t>(households.size()), last,
        static_cast<int>(finished ? v1::JOB_STATE_DONE : v1::JOB_STATE_RUNNING), finished);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    logging::Error("reassessment_failed", {{"job_id", job_id}, {"error", status.ToString()}});
    const bool transient = absl::IsUnavailable(status) || absl::IsAborted(status) ||
                           absl::IsResourceExhausted(status) || absl::IsDeadlineExceeded(status);
    if (transient || job_id.empty()) return false;  // the job stays running: retried later
    // A household that cannot be assessed (e.g. no policy in effect for it)
    // stops this job, with the reason, rather than looping on it.
    (void)pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
      tx.exec_params(
          "UPDATE reassessment_jobs SET state = $1, error = $2, finished_at = now() "
          "WHERE job_id = $3 AND state = $4",
          static_cast<int>(v1::JOB_STATE_FAILED), std::string(status.message()), job_id,
          static_cast<int>(v1::JOB_STATE_RUNNING));
      return absl::OkStatus();
    });
  }
  return worked;
}

}  // namespace

absl::StatusOr<v1::ReassessmentJob> CreateReassessmentJob(pqxx::transaction_base& tx,
                                                          const division::Code& division,
                                                          const std::string& cause) {
  const std::string prefix = VillagePrefix(division);
  const int64_t total =
      tx.exec_params1("SELECT count(*) FROM households WHERE village_code LIKE $1 || '%'",
                      prefix)[0]
          .as<int64_t>();
  auto row = tx.exec_params1(
      absl::StrCat("INSERT INTO reassessment_jobs (job_id, division_code, village_prefix, state, "
                   "households_total, cause) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                   kJobColumns),
      NewId("rj"), division.str(), prefix, static_cast<int>(v1::JOB_STATE_RUNNING), total, cause);
  return JobFromRow(row);
}

void RunReassessmentWorker(server::Runtime& rt, const std::atomic<bool>& stop) {
  absl::Time next_policy_check = absl::InfinitePast();
  while (!stop) {
    // Policies published ahead of their day: looked for once a minute.
    if (absl::Now() >= next_policy_check) {
      next_policy_check = absl::Now() + absl::Minutes(1);
      auto applied = ApplyPoliciesTakingEffect(rt, Today());
      if (!applied.ok()) {
        logging::Error("policy_activation_failed", {{"error", applied.status().ToString()}});
      }
    }
    // Drain what is queued, then look again every second.
    if (!WorkOneBatch(rt)) {
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::ReassessAll(grpc::CallbackServerContext* ctx,
                                                             const v1::ReassessAllRequest* request,
                                                             v1::ReassessmentJob* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    auto division = division::Code::Parse(request->division_code());
    v.Check("division_code", division.status());
    if (division.ok() && !rt_.division.IsAncestorOrSelfOf(*division)) {
      v.Add("division_code",
            absl::StrCat("is not kept by this instance (", rt_.division.str(), ")"));
    }
    if (!v.ok()) return v.ToStatus();
    if (auto a = call.Authorize("monitoring.reassess.run", *division); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(tx, "monitoring.ReassessAll", request->request_id(), *request,
                              *response, [&]() -> absl::Status {
                                auto job = CreateReassessmentJob(
                                    tx, *division,
                                    absl::StrCat("requested by ", call.principal.ToString()));
                                if (!job.ok()) return job.status();
                                *response = *std::move(job);
                                return absl::OkStatus();
                              });
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::GetReassessmentJob(
    grpc::CallbackServerContext* ctx, const v1::GetReassessmentJobRequest* request,
    v1::ReassessmentJob* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    if (request->job_id().empty() || request->job_id().size() > 64) {
      return errors::InvalidField("job_id", "must be a job id returned by ReassessAll");
    }
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto rows = tx.exec_params(
          absl::StrCat("SELECT ", kJobColumns, " FROM reassessment_jobs WHERE job_id = $1"),
          request->job_id());
      if (rows.empty()) return absl::NotFoundError("job " + request->job_id() + " not found");
      v1::ReassessmentJob job = JobFromRow(rows[0]);
      auto division = division::Code::Parse(job.division_code());
      if (!division.ok()) return absl::InternalError("stored division code is invalid");
      if (auto a = call.Authorize("monitoring.reassess.get", *division); !a.ok()) return a;
      *response = std::move(job);
      return absl::OkStatus();
    });
  });
}

}  // namespace zx::monitoring
