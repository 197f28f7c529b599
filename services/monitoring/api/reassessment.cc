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
  job.set_reason(static_cast<v1::ReassessReason>(row[9].as<int>()));
  return job;
}

constexpr char kJobColumns[] =
    "job_id, division_code, state, households_total, households_done, cause, error, "
    "(EXTRACT(EPOCH FROM created_at) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM finished_at) * 1000000)::bigint, reason";

using time::Today;

}  // namespace

namespace {

// A household with the inputs its assessment is made from.
struct ToAssess {
  const v1::Household* household = nullptr;
  RiskInputs in;
  NetIncome net;
  const std::string* causation_id = nullptr;
};

// Policies resolved once per village within a batch.
class PolicyCache {
 public:
  PolicyCache(pqxx::transaction_base& tx, absl::CivilDay today)
      : published_(LoadPublishedPolicies(tx)), today_(today) {}
  const absl::StatusOr<MonitoringPolicy>& For(const std::string& village_code) {
    auto it = by_village_.find(village_code);
    if (it == by_village_.end()) {
      it = by_village_
               .emplace(village_code, ResolveFromPublished(
                                          published_, *division::Code::Parse(village_code), today_))
               .first;
    }
    return it->second;
  }

 private:
  std::vector<MonitoringPolicy> published_;
  absl::CivilDay today_;
  std::map<std::string, absl::StatusOr<MonitoringPolicy>> by_village_;
};

// The net income an assessment reports, as far as its stored inputs keep it.
NetIncome NetIncomeOf(const RiskInputs& in) {
  NetIncome net;
  net.window = IncomeWindow(absl::CivilMonth(in.today));
  net.total_income = in.total_income;
  net.rigid_spending = in.rigid_spending;
  net.per_capita_net_income = in.per_capita_net_income;
  return net;
}

struct BatchTimes {
  absl::Duration assess, save, rollup, effects;
};

// The rules for each household, then writes for those whose result differs
// from their stored one (the same result records nothing), the roll-up of
// those whose colour or income figures moved, and the effects of each
// change of colour.
absl::Status AssessAndRecord(pqxx::transaction_base& tx, const server::Runtime& rt,
                             std::vector<ToAssess>& batch, PolicyCache& policies,
                             bool skip_without_policy, int* changed_count, int* recoloured_count,
                             BatchTimes* times) {
  const absl::Time t1 = absl::Now();
  std::vector<std::string> ids;
  for (const auto& b : batch) ids.push_back(b.household->household_id());
  auto current = LoadColoursBatch(tx, ids);
  std::vector<v1::Assessment> changed;
  std::vector<std::string> changed_inputs;
  struct Recoloured {
    const v1::Household* household;
    v1::Colour previous;
    const std::string* causation_id;
  };
  std::vector<Recoloured> recoloured;
  std::vector<std::string> rollup_ids;
  std::vector<std::string> restore_ids, restore_inputs;
  for (ToAssess& b : batch) {
    const v1::Household& h = *b.household;
    const auto& policy = policies.For(h.village_code());
    if (!policy.ok()) {
      if (skip_without_policy && absl::IsFailedPrecondition(policy.status())) {
        // As ReassessIfPolicyPublished: the job publishing a policy starts
        // will assess the household.
        logging::Warn("assessment_skipped", {{"household_id", h.household_id()},
                                             {"reason", std::string(policy.status().message())}});
        continue;
      }
      return policy.status();
    }
    auto assessed = Assess(b.in, *policy);
    if (!assessed.ok()) return assessed.status();
    v1::Assessment a = MakeAssessment(h, b.in, b.net, *assessed);
    const CurrentColour& before = current[h.household_id()];
    if (before.fingerprint == AssessmentFingerprint(a)) {  // the same result
      if (!before.inputs_stored) {
        restore_ids.push_back(h.household_id());
        restore_inputs.push_back(EncodeInputs(b.in));
      }
      continue;
    }
    if (before.colour != a.colour()) {
      recoloured.push_back({&h, before.colour, b.causation_id});
    }
    const bool same_previous =
        a.has_previous_per_capita_net_income_fen()
            ? before.previous_per_capita_fen.value_or(-1) == a.previous_per_capita_net_income_fen()
            : !before.previous_per_capita_fen.has_value();
    if (before.colour != a.colour() || before.per_capita_fen != a.per_capita_net_income_fen() ||
        !same_previous) {
      rollup_ids.push_back(h.household_id());
    }
    changed_inputs.push_back(EncodeInputs(b.in));
    changed.push_back(std::move(a));
  }
  const absl::Time t2 = absl::Now();
  SaveAssessments(tx, changed, changed_inputs);
  RestoreStoredInputs(tx, restore_ids, restore_inputs);
  const absl::Time t3 = absl::Now();
  std::map<std::string, const v1::Assessment*> by_id;
  for (const auto& a : changed) by_id[a.household_id()] = &a;
  if (auto s = RefreshRollup(tx, rollup_ids); !s.ok()) return s;
  const absl::Time t4 = absl::Now();
  DeferredEffects deferred_effects;
  for (const Recoloured& r : recoloured) {
    if (auto s = AssessmentEffects(tx, rt, *r.household, *by_id[r.household->household_id()],
                                   r.previous, *r.causation_id, &deferred_effects);
        !s.ok()) {
      return s;
    }
  }
  if (!recoloured.empty()) {
    // The events in one COPY, then the M12 checks: last, as everywhere, so
    // the alerts lock comes after every row lock.
    if (auto s = deferred_effects.Run(tx, rt, *recoloured.back().causation_id); !s.ok()) return s;
  }
  *changed_count = static_cast<int>(changed.size());
  *recoloured_count = static_cast<int>(recoloured.size());
  times->assess = t2 - t1;
  times->save = t3 - t2;
  times->rollup = t4 - t3;
  times->effects = absl::Now() - t4;
  return absl::OkStatus();
}

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); }

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
  auto sudden = LoadLastSuddenEventsBatch(tx, ids, today);
  std::map<std::string, CreditOverdue> credit;
  for (const auto& row : tx.exec_params("SELECT household_id FROM loans WHERE settled_on IS NULL "
                                        "AND household_id = ANY($1::text[])",
                                        pg::ArrayLiteral(ids))) {
    const std::string id = row[0].as<std::string>();
    auto overdue = HouseholdCreditOverdue(tx, id, today);
    if (!overdue.ok()) return overdue.status();
    credit[id] = *overdue;
  }
  std::vector<ToAssess> batch;
  batch.reserve(households.size());
  for (size_t i = 0; i < households.size(); ++i) {
    const v1::Household& h = households[i];
    HouseholdInputs loaded;
    loaded.records = std::move(records[h.household_id()]);
    if (auto g = guarantees.find(h.household_id()); g != guarantees.end()) {
      loaded.guarantees = g->second;
    }
    loaded.labour = labour[h.household_id()];
    loaded.credit = credit[h.household_id()];
    if (auto e = sudden.find(h.household_id()); e != sudden.end()) {
      loaded.last_sudden_event = e->second;
    }
    ToAssess b{.household = &h, .causation_id = &causation_ids[i]};
    auto in = RiskInputsFrom(h, loaded, today, &b.net);
    if (!in.ok()) return in.status();
    b.in = *std::move(in);
    batch.push_back(std::move(b));
  }
  PolicyCache policies(tx, today);
  int changed = 0, recoloured = 0;
  BatchTimes times;
  const absl::Duration load = absl::Now() - t0;
  if (auto s = AssessAndRecord(tx, rt, batch, policies, skip_without_policy, &changed, &recoloured,
                               &times);
      !s.ok()) {
    return s;
  }
  logging::Debug("reassessment_batch", {{"households", std::to_string(households.size())},
                                        {"changed", std::to_string(changed)},
                                        {"recoloured", std::to_string(recoloured)},
                                        {"load_ms", Ms(load)},
                                        {"assess_ms", Ms(times.assess)},
                                        {"save_ms", Ms(times.save)},
                                        {"rollup_ms", Ms(times.rollup)},
                                        {"effects_ms", Ms(times.effects)}});
  return absl::OkStatus();
}

namespace {

constexpr int kPolicyBatch = 5000;

// A batch of a job for new policy figures: each household's stored inputs
// are run through the rules without loading its records, when they are of
// this income window and the household has no active loan (its overdue
// instalments change by the day). Households whose result changes are
// locked; those whose inputs changed meanwhile, or had none usable, are
// re-assessed from their records. Returns the last household id seen ("" at
// the end) and how many were seen.
absl::StatusOr<std::pair<std::string, int>> PolicyBatch(pqxx::transaction_base& tx,
                                                        const server::Runtime& rt,
                                                        const std::string& prefix,
                                                        const std::string& after,
                                                        const std::string& job_id) {
  const absl::Time t0 = absl::Now();
  const absl::CivilDay today = Today();
  // The planner's custom plans for a cursor near the start scan far more than
  // a batch (measured: 5x slower); the generic plan walks both indexes.
  tx.exec("SET LOCAL plan_cache_mode = force_generic_plan");
  std::vector<HouseholdWithAssessment> rows =
      HouseholdsWithAssessmentAfter(tx, prefix, after, kPolicyBatch);
  if (rows.empty()) return std::make_pair(std::string(), 0);
  const absl::Time t1 = absl::Now();
  PolicyCache policies(tx, today);
  std::vector<const HouseholdWithAssessment*> candidates;  // may change
  std::map<std::string, RiskInputs> decoded;
  for (const HouseholdWithAssessment& row : rows) {
    std::optional<RiskInputs> in = DecodeInputs(row.inputs);
    const bool usable = in.has_value() && !row.active_loan &&
                        absl::CivilMonth(in->today) == absl::CivilMonth(today);
    if (!usable) {
      candidates.push_back(&row);
      continue;
    }
    in->today = today;  // same window; days since a sudden event count from today
    const auto& policy = policies.For(row.household.village_code());
    if (!policy.ok()) return policy.status();
    auto assessed = Assess(*in, *policy);
    if (!assessed.ok()) {
      // Stored inputs the rules refuse (a damaged row): recompute the
      // household from its records rather than fail the whole batch.
      candidates.push_back(&row);
      continue;
    }
    const v1::Assessment a = MakeAssessment(row.household, *in, NetIncomeOf(*in), *assessed,
                                            /*with_explanations=*/false);
    if (AssessmentFingerprint(a) == row.fingerprint) continue;
    decoded[row.household.household_id()] = *std::move(in);
    candidates.push_back(&row);
  }
  const absl::Time t2 = absl::Now();
  std::vector<std::string> ids;
  for (const auto* c : candidates) ids.push_back(c->household.household_id());
  const std::map<std::string, std::string> locked = LockHouseholdsWithInputs(tx, ids);
  std::vector<v1::Household> from_records;
  std::vector<ToAssess> from_inputs;
  for (const auto* c : candidates) {
    const std::string& id = c->household.household_id();
    auto l = locked.find(id);
    if (l == locked.end()) continue;  // deleted meanwhile
    auto d = decoded.find(id);
    if (d != decoded.end() && l->second == c->inputs) {
      from_inputs.push_back({.household = &c->household,
                             .in = d->second,
                             .net = NetIncomeOf(d->second),
                             .causation_id = &job_id});
    } else {
      from_records.push_back(c->household);
    }
  }
  int changed = 0, recoloured = 0;
  BatchTimes times;
  if (auto s = AssessAndRecord(tx, rt, from_inputs, policies, /*skip_without_policy=*/false,
                               &changed, &recoloured, &times);
      !s.ok()) {
    return s;
  }
  if (!from_records.empty()) {
    if (auto s = ReassessBatch(tx, rt, from_records,
                               std::vector<std::string>(from_records.size(), job_id),
                               /*skip_without_policy=*/false);
        !s.ok()) {
      return s;
    }
  }
  logging::Debug("reassessment_policy_batch",
                 {{"households", std::to_string(rows.size())},
                  {"from_inputs_changed", std::to_string(changed)},
                  {"recoloured", std::to_string(recoloured)},
                  {"from_records", std::to_string(from_records.size())},
                  {"scan_ms", Ms(t1 - t0)},
                  {"rules_ms", Ms(t2 - t1)},
                  {"save_ms", Ms(times.save)},
                  {"rollup_ms", Ms(times.rollup)},
                  {"effects_ms", Ms(times.effects)},
                  {"total_ms", Ms(absl::Now() - t0)}});
  return std::make_pair(rows.back().household.household_id(), static_cast<int>(rows.size()));
}

// The next kPolicyPartitions batches of a POLICY job side by side, each in
// its own transaction on its own thread (a batch is one thread of rules and
// one PostgreSQL backend; two use both cores). A batch that committed
// before its sibling failed is simply done again on the retry: re-applying
// the same figures records nothing. Returns the last household id and how
// many were seen.
constexpr int kPolicyPartitions = 2;

absl::StatusOr<std::pair<std::string, int>> PolicyBatches(const server::Runtime& rt,
                                                          const std::string& prefix,
                                                          const std::string& cursor,
                                                          const std::string& job_id) {
  // Where each partition starts: every kPolicyBatch-th household after the cursor.
  std::vector<std::string> starts = {cursor};
  auto bounds = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
    starts.resize(1);
    for (const auto& row : tx.exec_params(
             "SELECT household_id FROM (SELECT household_id, row_number() OVER (ORDER BY "
             "household_id) AS n FROM (SELECT household_id FROM households WHERE household_id > "
             "$1 AND village_code LIKE $2 || '%' ORDER BY household_id LIMIT $3) AS firsts) AS "
             "numbered WHERE n % $4 = 0 ORDER BY household_id",
             cursor, prefix, kPolicyBatch * (kPolicyPartitions - 1), kPolicyBatch)) {
      starts.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!bounds.ok()) return bounds;
  std::vector<absl::StatusOr<std::pair<std::string, int>>> results(starts.size(),
                                                                   absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t p = 0; p < starts.size(); ++p) {
    threads.emplace_back([&, p] {
      try {
        std::pair<std::string, int> seen;
        absl::Status s = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
          auto r = PolicyBatch(tx, rt, prefix, starts[p], job_id);
          if (!r.ok()) return r.status();
          seen = *r;
          return absl::OkStatus();
        });
        results[p] = s.ok() ? absl::StatusOr<std::pair<std::string, int>>(seen) : s;
      } catch (const std::exception& e) {
        results[p] = pg::StatusFromException(e);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::pair<std::string, int> total{"", 0};
  for (const auto& r : results) {
    if (!r.ok()) return r.status();
    if (!r->first.empty()) total.first = r->first;
    total.second += r->second;
  }
  return total;
}

}  // namespace

namespace {

// One batch of the oldest running job; false when there was nothing to do.
bool WorkOneBatch(server::Runtime& rt) {
  bool worked = false;
  std::string job_id;  // the job this batch worked on, for the failure path
  const absl::Status status = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
    auto jobs = tx.exec_params(
        "SELECT job_id, village_prefix, cursor_household, reason FROM reassessment_jobs "
        "WHERE state = $1 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        static_cast<int>(v1::JOB_STATE_RUNNING));
    if (jobs.empty()) return absl::OkStatus();
    worked = true;
    job_id = jobs[0][0].as<std::string>();
    const std::string prefix = jobs[0][1].as<std::string>();
    const std::string cursor = jobs[0][2].as<std::string>();
    std::string last;
    bool finished = false;
    int64_t done = 0;
    if (jobs[0][3].as<int>() == v1::REASSESS_REASON_POLICY) {
      auto seen = PolicyBatches(rt, prefix, cursor, job_id);
      if (!seen.ok()) return seen.status();
      last = seen->first;
      done = seen->second;
      finished = done < kPolicyBatch * kPolicyPartitions;
    } else {
      // Locked like AssessAndStore locks one household, in id order.
      std::vector<v1::Household> households = LockHouseholdsAfter(tx, prefix, cursor, kBatch);
      if (auto s =
              ReassessBatch(tx, rt, households, std::vector<std::string>(households.size(), job_id),
                            /*skip_without_policy=*/false);
          !s.ok()) {
        // The batch rolls back; the job records why it stopped.
        return s;
      }
      last = households.empty() ? "" : households.back().household_id();
      done = static_cast<int64_t>(households.size());
      finished = done < kBatch;
    }
    tx.exec_params(
        "UPDATE reassessment_jobs SET households_done = households_done + $2, "
        "cursor_household = CASE WHEN $3 = '' THEN cursor_household ELSE $3 END, "
        "state = $4, finished_at = CASE WHEN $5 THEN now() END WHERE job_id = $1",
        job_id, done, last, static_cast<int>(finished ? v1::JOB_STATE_DONE : v1::JOB_STATE_RUNNING),
        finished);
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
                                                          const std::string& cause,
                                                          v1::ReassessReason reason) {
  if (reason == v1::REASSESS_REASON_UNSPECIFIED) reason = v1::REASSESS_REASON_RECORDS;
  const std::string prefix = VillagePrefix(division);
  const int64_t total =
      tx.exec_params1("SELECT count(*) FROM households WHERE village_code LIKE $1 || '%'",
                      prefix)[0]
          .as<int64_t>();
  auto row = tx.exec_params1(
      absl::StrCat("INSERT INTO reassessment_jobs (job_id, division_code, village_prefix, state, "
                   "households_total, cause, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                   "RETURNING ",
                   kJobColumns),
      NewId("rj"), division.str(), prefix, static_cast<int>(v1::JOB_STATE_RUNNING), total, cause,
      static_cast<int>(reason));
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
    // Drain what is queued, then look again every 200 ms (one indexed
    // query): a job published by an official starts at once.
    if (!WorkOneBatch(rt)) {
      for (int i = 0; i < 2 && !stop; ++i)
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
    if (!v1::ReassessReason_IsValid(request->reason())) {
      v.Add("reason", "must be REASSESS_REASON_RECORDS or REASSESS_REASON_POLICY");
    }
    if (!v.ok()) return v.ToStatus();
    if (auto a = call.Authorize("monitoring.reassess.run", *division); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      return idempotency::Run(tx, "monitoring.ReassessAll", request->request_id(), *request,
                              *response, [&]() -> absl::Status {
                                auto job = CreateReassessmentJob(
                                    tx, *division,
                                    absl::StrCat("requested by ", call.principal.ToString()),
                                    request->reason());
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
