#include "services/monitoring/api/alerts.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/events/events.h"
#include "common/logging/logging.h"
#include "common/money/money.h"
#include "common/time/time.h"
#include "services/monitoring/api/assessment.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/domain/alerts.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/alert_store.h"
#include "services/monitoring/store/credit_store.h"
#include "services/monitoring/store/object_store.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 500;
constexpr int kWatchBatch = 100;                                 // alerts per poll
constexpr auto kWatchInterval = std::chrono::milliseconds(200);  // hub wake-up
constexpr absl::Duration kCreditScanInterval = absl::Minutes(1);
constexpr int kSchedulerBatch = 100;  // objects per transaction

v1::AlertKind ToProto(alerts::AlertKind kind) {
  return static_cast<v1::AlertKind>(static_cast<int>(kind) + 1);
}
v1::ScaleMetric ToProto(alerts::ScaleMetric metric) {
  return static_cast<v1::ScaleMetric>(static_cast<int>(metric) + 1);
}

// What a batch of M12 checks (DeferredEffects::Run) reads once for all
// its divisions, under the alerts lock.
struct ScaleRound {
  const std::vector<MonitoringPolicy>* published = nullptr;
  std::map<std::pair<std::string, v1::ScaleMetric>, absl::Time> last_warning;
  std::set<std::string> checked[2];  // by metric: divisions already checked
};

// The M12 check of one metric for the township and county of `village`, after
// the event `trigger` was recorded in this transaction, with what `round`
// read under the alerts lock (DeferredEffects::Run). The lock serializes the
// counts of concurrent transactions: each sees the ones before it, and no
// count is skipped on the way to the threshold. Divisions the round has
// checked are skipped: a batch counts each division once, after all its
// events.
absl::Status CheckScale(pqxx::transaction_base& tx, const server::Runtime& rt,
                        const division::Code& village, alerts::ScaleMetric metric,
                        const std::string& trigger, const std::string& causation_id,
                        ScaleRound& round) {
  const absl::Time now = LifecycleNow();
  auto policy = EffectiveLifecyclePolicyFrom(*round.published, village, now);
  if (!policy.ok()) return policy.status();
  const absl::Time since = alerts::ScaleWindowStart(now, policy->scale_window_days);
  for (const division::Level level : {division::Level::kTownship, division::Level::kCounty}) {
    const division::Code division = village.AncestorAt(level);
    if (!round.checked[static_cast<int>(metric)].insert(division.str()).second) continue;
    std::optional<absl::Time> last;
    auto found = round.last_warning.find({division.str(), ToProto(metric)});
    if (found != round.last_warning.end()) last = found->second;
    const int threshold = alerts::ScaleThreshold(*policy, metric, level);
    if (!alerts::ScaleCountNeeded(threshold, last, now, policy->scale_window_days)) continue;
    const std::string prefix = VillagePrefix(division);
    const int64_t count = metric == alerts::ScaleMetric::kNewRed
                              ? CountNewRed(tx, prefix, since)
                              : CountNewObjects(tx, prefix, since);
    if (!alerts::ShouldRaiseScaleWarning(count, threshold, last, now, policy->scale_window_days)) {
      continue;
    }
    v1::Alert alert;
    alert.set_kind(v1::ALERT_KIND_SCALE_WARNING);
    alert.set_division_code(division.str());
    auto* figures = alert.mutable_figures();
    figures->set_metric(ToProto(metric));
    figures->set_count(count);
    figures->set_threshold(threshold);
    figures->set_window_days(policy->scale_window_days);
    const alerts::Detail detail =
        alerts::DescribeScale(metric, division, count, threshold, policy->scale_window_days);
    alert.set_detail_zh(detail.zh);
    alert.set_detail_en(detail.en);
    *alert.mutable_raised_at() = time::ToProto(now);
    auto raised =
        RaiseAlert(tx, rt, alert, alerts::ScaleKey(metric, division, trigger), causation_id);
    if (!raised.ok()) return raised.status();
  }
  return absl::OkStatus();
}

// ---- ListAlerts / WatchAlerts request checks ---------------------------------------

struct Scope {
  division::Code division;
  std::vector<int> kinds;
};

void CheckKinds(errors::Validator& v, const google::protobuf::RepeatedField<int>& kinds,
                std::vector<int>* out) {
  for (int i = 0; i < kinds.size(); ++i) {
    const std::string field = absl::StrCat("kinds[", i, "]");
    const int k = kinds.Get(i);
    if (k == v1::ALERT_KIND_UNSPECIFIED || !v1::AlertKind_IsValid(k)) {
      v.Add(field, "is not a known alert kind");
      continue;
    }
    bool repeated = false;
    for (int j = 0; j < i && !repeated; ++j) repeated = kinds.Get(j) == k;
    if (repeated) {
      v.Add(field, "repeats an earlier kind");
    } else {
      out->push_back(k);
    }
  }
}

absl::StatusOr<division::Code> CheckDivision(errors::Validator& v, const std::string& code,
                                             const auth::Principal& principal) {
  auto division = auth::ListScope(principal, code);
  v.Check("division_code", division.status());
  return division;
}

// ---- WatchAlerts -------------------------------------------------------------------------

class AlertHub;

// One WatchAlerts stream. Its state is guarded by mu_; the database is read
// on the worker pool (Poll), never on a gRPC callback thread. At most one
// poll or write is under way at a time. Kept alive by `self_` until OnDone,
// and by the tasks and the hub that hold it.
class Watch final : public grpc::ServerWriteReactor<v1::Alert>,
                    public std::enable_shared_from_this<Watch> {
 public:
  Watch(grpc::CallbackServerContext* ctx, server::Runtime& rt, AlertHub& hub,
        v1::WatchAlertsRequest request)
      : ctx_(ctx), rt_(rt), hub_(hub), request_(std::move(request)) {}

  void Start() {
    std::lock_guard lock(mu_);
    self_ = shared_from_this();
    cursor_ = request_.after_alert_id();
    SubmitPollLocked();
  }

  // Called by the hub every interval with the largest committed alert id:
  // polls when an alert newer than the last poll exists and nothing is under
  // way.
  void Wake(int64_t max_alert_id) {
    std::lock_guard lock(mu_);
    if (finishing_ || busy_ || max_alert_id <= polled_through_) return;
    SubmitPollLocked();
  }

  void End(absl::Status status) {
    std::lock_guard lock(mu_);
    FinishLocked(status);
  }

  bool Ended() {
    std::lock_guard lock(mu_);
    return finishing_;
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(absl::CancelledError("the stream broke"));
      return;
    }
    cursor_ = pending_.front().alert_id();
    pending_.pop_front();
    if (finishing_) {
      SendFinishLocked();
      return;
    }
    if (!pending_.empty()) {
      writing_ = true;
      StartWrite(&pending_.front());
    } else if (more_) {
      SubmitPollLocked();  // the batch was full: read on at once
    } else {
      busy_ = false;
    }
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    FinishLocked(absl::CancelledError("the client cancelled the call"));
  }

  void OnDone() override {
    std::shared_ptr<Watch> keep;
    {
      std::lock_guard lock(mu_);
      keep = std::move(self_);
    }
  }

 private:
  void SubmitPollLocked();
  void Poll();
  absl::Status FirstPoll();

  void FinishLocked(const absl::Status& status) {
    if (finishing_) return;
    finishing_ = true;
    final_status_ = status;
    if (!writing_) SendFinishLocked();  // else after the write completes
  }

  void SendFinishLocked() {
    if (finish_sent_) return;
    finish_sent_ = true;
    if (!final_status_.ok() && !absl::IsCancelled(final_status_)) {
      logging::Debug("watch_alerts_end",
                     {{"code", std::string(absl::StatusCodeToString(final_status_.code()))},
                      {"error", AsStd(final_status_.message())}});
    }
    Finish(errors::ToGrpcStatus(final_status_));
  }

  grpc::CallbackServerContext* const ctx_;
  server::Runtime& rt_;
  AlertHub& hub_;
  const v1::WatchAlertsRequest request_;

  std::mutex mu_;
  std::shared_ptr<Watch> self_;
  bool started_ = false;        // authenticated, validated, authorized, registered
  std::string prefix_;          // VillagePrefix of the division
  std::vector<int> kinds_;      // empty = all
  int64_t cursor_ = 0;          // the last alert id written (or after_alert_id)
  int64_t polled_through_ = 0;  // every alert id up to this was read by a poll
  bool busy_ = false;           // a poll or a write is under way
  bool writing_ = false;
  bool more_ = false;  // the last poll returned a full batch
  bool finishing_ = false;
  bool finish_sent_ = false;
  absl::Status final_status_;
  std::deque<v1::Alert> pending_;
};

// Wakes every open Watch about every 200 ms, after one cheap query (the
// largest alert id), so idle watchers cost no database round trip. Ends
// every stream with UNAVAILABLE once the server is shutting down.
class AlertHub {
 public:
  explicit AlertHub(server::Runtime& rt) : rt_(rt), thread_([this] { Loop(); }) {}
  ~AlertHub() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    for (auto& weak : watches_) {
      if (auto w = weak.lock()) w->End(absl::UnavailableError("the server is shutting down"));
    }
  }

  // False when the server is stopping (the caller ends the stream).
  bool Add(const std::shared_ptr<Watch>& watch) {
    std::lock_guard lock(mu_);
    if (stop_ || rt_.stopping) return false;
    watches_.push_back(watch);
    return true;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, kWatchInterval, [this] { return stop_; });
      if (stop_) break;
      std::vector<std::shared_ptr<Watch>> live;
      for (auto& weak : watches_) {
        if (auto w = weak.lock(); w != nullptr && !w->Ended()) live.push_back(std::move(w));
      }
      watches_.assign(live.begin(), live.end());
      if (live.empty()) continue;
      lock.unlock();
      if (rt_.stopping) {
        for (auto& w : live) w->End(absl::UnavailableError("the server is shutting down"));
      } else {
        int64_t max_id = -1;
        absl::Status read;
        try {
          read = pg::WithTransaction(*rt_.pool,
                                     pg::TxOptions{.deadline = absl::Now() + absl::Seconds(2)},
                                     [&](pqxx::transaction_base& tx) {
                                       max_id = MaxAlertId(tx);
                                       return absl::OkStatus();
                                     });
        } catch (const std::exception& e) {
          read = pg::StatusFromException(e);
        }
        if (!read.ok()) {
          max_id = -1;
          logging::Warn("alert_hub_poll_failed", {{"error", AsStd(read.message())}});
        }
        if (max_id >= 0) {
          for (auto& w : live) w->Wake(max_id);
        }
      }
      live.clear();
      lock.lock();
    }
  }

  server::Runtime& rt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::weak_ptr<Watch>> watches_;
  std::thread thread_;
};

void Watch::SubmitPollLocked() {
  busy_ = true;
  more_ = false;
  auto self = shared_from_this();
  if (!rt_.workers->TrySubmit([self] { self->Poll(); })) {
    busy_ = false;
    FinishLocked(rt_.stopping
                     ? absl::UnavailableError("the server is shutting down")
                     : absl::ResourceExhaustedError("server is at capacity; retry with backoff"));
  }
}

absl::Status Watch::FirstPoll() {
  auto principal = server::Authenticate(*ctx_, rt_);
  if (!principal.ok()) {  // a refusal: audited (on this worker) before the stream ends
    return server::AuditCall(rt_, *ctx_, server::RequestIdOf(*ctx_), nullptr, {},
                             principal.status());
  }
  errors::Validator v;
  auto division = CheckDivision(v, request_.division_code(), *principal);
  if (request_.after_alert_id() < 0) v.Add("after_alert_id", "must not be negative");
  std::vector<int> kinds;
  CheckKinds(v, request_.kinds(), &kinds);
  if (!v.ok()) return v.ToStatus();
  if (auto a = auth::Authorize(*principal, "monitoring.alert.watch", *division); !a.ok()) {
    server::CallAudit audit;
    audit.Record("monitoring.alert.watch", *division, a);
    return server::AuditCall(rt_, *ctx_, server::RequestIdOf(*ctx_), &*principal, audit, a);
  }
  std::lock_guard lock(mu_);
  prefix_ = VillagePrefix(*division);
  kinds_ = std::move(kinds);
  started_ = true;
  return absl::OkStatus();
}

void Watch::Poll() {
  bool started;
  int64_t cursor;
  {
    std::lock_guard lock(mu_);
    if (finishing_) return;
    started = started_;
    cursor = cursor_;
  }
  if (!started) {
    absl::Status s;
    try {
      s = FirstPoll();
    } catch (const std::exception& e) {
      s = pg::StatusFromException(e);
    }
    if (s.ok() && !hub_.Add(shared_from_this())) {
      s = absl::UnavailableError("the server is shutting down");
    }
    if (!s.ok()) {
      End(s);
      return;
    }
  }
  std::vector<v1::Alert> rows;
  int64_t max_id = 0;
  const absl::Status read = [&] {
    try {
      return pg::WithTransaction(*rt_.pool,
                                 pg::TxOptions{.deadline = absl::Now() + absl::Seconds(10)},
                                 [&](pqxx::transaction_base& tx) {
                                   // The largest id first: every alert up to it has committed (ids
                                   // are commit-ordered), so the list below sees all of them.
                                   max_id = MaxAlertId(tx);
                                   rows = ListAlerts(tx, prefix_, kinds_, cursor, kWatchBatch);
                                   return absl::OkStatus();
                                 });
    } catch (const std::exception& e) {
      return pg::StatusFromException(e);
    }
  }();
  std::lock_guard lock(mu_);
  if (finishing_) return;
  if (!read.ok()) {
    FinishLocked(read);
    return;
  }
  more_ = static_cast<int>(rows.size()) == kWatchBatch;
  if (!more_) polled_through_ = std::max(polled_through_, max_id);
  if (rows.empty()) {
    busy_ = false;
    return;
  }
  for (auto& r : rows) pending_.push_back(std::move(r));
  writing_ = true;
  StartWrite(&pending_.front());
}

class AlertServiceImpl final : public v1::AlertService::CallbackService {
 public:
  explicit AlertServiceImpl(server::Runtime& rt) : rt_(rt), hub_(rt) {}

  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* ctx,
                                       const v1::ListAlertsRequest* request,
                                       v1::ListAlertsResponse* response) override {
    return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
      errors::Validator v;
      auto division = CheckDivision(v, request->division_code(), call.principal);
      std::vector<int> kinds;
      CheckKinds(v, request->kinds(), &kinds);
      int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
      if (page_size < 1 || page_size > kMaxPageSize) {
        v.Add("page_size", absl::StrCat("must be between 1 and ", kMaxPageSize, " (0 means ",
                                        kDefaultPageSize, ")"));
      }
      int64_t after = 0;
      if (!request->page_token().empty() &&
          (!absl::SimpleAtoi(request->page_token(), &after) || after < 1)) {
        v.Add("page_token", "must be a next_page_token returned by ListAlerts");
      }
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("monitoring.alert.list", *division); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        response->Clear();
        auto rows =
            zx::monitoring::ListAlerts(tx, VillagePrefix(*division), kinds, after, page_size + 1);
        if (static_cast<int>(rows.size()) > page_size) {
          rows.pop_back();
          response->set_next_page_token(absl::StrCat(rows.back().alert_id()));
        }
        for (auto& a : rows) *response->add_alerts() = std::move(a);
        return absl::OkStatus();
      });
    });
  }

  grpc::ServerWriteReactor<v1::Alert>* WatchAlerts(grpc::CallbackServerContext* ctx,
                                                   const v1::WatchAlertsRequest* request) override {
    auto watch = std::make_shared<Watch>(ctx, rt_, hub_, *request);
    watch->Start();
    return watch.get();
  }

 private:
  server::Runtime& rt_;
  AlertHub hub_;
};

}  // namespace

absl::StatusOr<std::optional<v1::Alert>> RaiseAlert(pqxx::transaction_base& tx,
                                                    const server::Runtime& rt, v1::Alert alert,
                                                    const std::string& dedupe_key,
                                                    const std::string& causation_id,
                                                    DeferredEffects* deferred) {
  if (deferred != nullptr) deferred->LockAlertsOnce(tx);
  auto inserted = InsertAlert(tx, std::move(alert), dedupe_key, /*take_lock=*/deferred == nullptr);
  if (!inserted.has_value()) return std::optional<v1::Alert>();
  const std::string aggregate =
      inserted->household_id().empty() ? inserted->division_code() : inserted->household_id();
  if (deferred != nullptr) {
    deferred->DeferEvent("monitoring.alert_raised", inserted->division_code(), aggregate,
                         std::make_unique<v1::Alert>(*inserted), causation_id);
    return inserted;
  }
  auto event = events::Append(tx, rt.config.instance,
                              {.type = "monitoring.alert_raised",
                               .division_code = inserted->division_code(),
                               .aggregate_id = aggregate,
                               .payload = &*inserted,
                               .causation_id = causation_id});
  if (!event.ok()) return event.status();
  return inserted;
}

void DeferredEffects::LockAlertsOnce(pqxx::transaction_base& tx) {
  if (alerts_locked_) return;
  LockAlerts(tx);
  alerts_locked_ = true;
}

void DeferredEffects::DeferEvent(std::string type, std::string division_code,
                                 std::string aggregate_id,
                                 std::unique_ptr<google::protobuf::Message> payload,
                                 std::string causation_id) {
  events_.push_back({.type = std::move(type),
                     .division_code = std::move(division_code),
                     .aggregate_id = std::move(aggregate_id),
                     .causation_id = std::move(causation_id),
                     .payload = std::move(payload)});
}

absl::Status DeferredEffects::AppendEvents(pqxx::transaction_base& tx, const server::Runtime& rt) {
  if (events_.empty()) return absl::OkStatus();
  std::vector<events::NewEvent> batch;
  batch.reserve(events_.size());
  for (const Event& e : events_) {
    batch.push_back({.type = e.type,
                     .division_code = e.division_code,
                     .aggregate_id = e.aggregate_id,
                     .payload = e.payload.get(),
                     .causation_id = e.causation_id});
  }
  auto appended = events::AppendMany(tx, rt.config.instance, batch);
  if (!appended.ok()) return appended.status();
  events_.clear();
  return absl::OkStatus();
}

void DeferredEffects::Add(const division::Code& village, bool new_red, const std::string& trigger) {
  pending_.insert_or_assign({new_red, village.AncestorAt(division::Level::kTownship).str()},
                            std::make_pair(village, trigger));
}

const std::vector<MonitoringPolicy>& DeferredEffects::Published(pqxx::transaction_base& tx) {
  if (!published_) published_ = LoadPublishedPolicies(tx);
  return *published_;
}

absl::Status DeferredEffects::Run(pqxx::transaction_base& tx, const server::Runtime& rt,
                                  const std::string& causation_id) {
  // Whatever is still deferred goes before the warnings, as it would have
  // one by one.
  if (auto s = AppendEvents(tx, rt); !s.ok()) return s;
  if (pending_.empty()) return absl::OkStatus();
  // A policy batch spans every township of the prefecture: the policies and
  // the last warnings of all its divisions are read once, under the lock.
  LockAlertsOnce(tx);
  ScaleRound round;
  round.published = &Published(tx);
  std::set<std::string> divisions;
  for (const auto& [key, entry] : pending_) {
    divisions.insert(key.second);
    divisions.insert(entry.first.AncestorAt(division::Level::kCounty).str());
  }
  round.last_warning =
      LastScaleWarnings(tx, std::vector<std::string>(divisions.begin(), divisions.end()));
  for (const auto& [key, entry] : pending_) {
    if (auto s =
            CheckScale(tx, rt, entry.first,
                       key.first ? alerts::ScaleMetric::kNewRed : alerts::ScaleMetric::kNewObjects,
                       entry.second, causation_id, round);
        !s.ok()) {
      return s;
    }
  }
  pending_.clear();
  return absl::OkStatus();
}

absl::Status RaiseNewRed(pqxx::transaction_base& tx, const server::Runtime& rt,
                         const v1::Household& household, const v1::Assessment& assessment,
                         const std::string& causation_id, DeferredEffects* deferred) {
  auto village = division::Code::Parse(household.village_code());
  if (!village.ok()) return absl::InternalError("stored village code is invalid");
  v1::Alert alert;
  alert.set_kind(v1::ALERT_KIND_NEW_RED);
  alert.set_division_code(village->str());
  alert.set_household_id(household.household_id());
  const alerts::Detail detail =
      alerts::DescribeNewRed(household.household_id(), assessment.explanation_zh().summary());
  alert.set_detail_zh(detail.zh);
  alert.set_detail_en(assessment.explanation_en().summary().empty()
                          ? detail.en
                          : absl::StrCat(detail.en, ": ", assessment.explanation_en().summary()));
  *alert.mutable_raised_at() = time::ToProto(LifecycleNow());
  auto raised = RaiseAlert(
      tx, rt, alert,
      alerts::NewRedKey(household.household_id(), time::FromProto(assessment.assessed_at())),
      causation_id, deferred);
  if (!raised.ok()) return raised.status();
  if (!raised->has_value()) return absl::OkStatus();  // already alerted
  const std::string trigger = absl::StrCat("alert-", (*raised)->alert_id());
  if (deferred != nullptr) {
    deferred->Add(*village, /*new_red=*/true, trigger);
    return absl::OkStatus();
  }
  DeferredEffects now;
  now.Add(*village, /*new_red=*/true, trigger);
  return now.Run(tx, rt, causation_id);
}

absl::Status CheckNewObjectScale(pqxx::transaction_base& tx, const server::Runtime& rt,
                                 const division::Code& village, const std::string& object_id,
                                 const std::string& causation_id) {
  DeferredEffects now;
  now.Add(village, /*new_red=*/false, object_id);
  return now.Run(tx, rt, causation_id);
}

absl::StatusOr<int> ScanDeadlines(server::Runtime& rt, absl::Time now, int batch) {
  int seen = 0;
  auto status = pg::WithTransaction(
      *rt.pool, pg::TxOptions{.deadline = absl::Now() + absl::Seconds(30)},
      [&](pqxx::transaction_base& tx) -> absl::Status {
        seen = 0;
        auto rows = tx.exec_params(
            "SELECT object_id, village_code, snapshot FROM monitoring_objects "
            "WHERE next_due_at < ('epoch'::timestamptz + $1 * interval '1 microsecond') "
            "ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            absl::ToUnixMicros(now), batch);
        for (const auto& row : rows) {
          ++seen;
          const std::string object_id = row[0].as<std::string>();
          auto village = division::Code::Parse(row[1].as<std::string>());
          v1::MonitoringObjectSnapshot snapshot;
          const pqxx::binarystring bytes(row[2]);
          if (!village.ok() ||
              !snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            return absl::InternalError(absl::StrCat("object ", object_id, " cannot be read"));
          }
          auto object = FromSnapshot(snapshot);
          if (!object.ok()) return object.status();
          auto policy = EffectiveLifecyclePolicy(tx, *village, now);
          if (!policy.ok()) return policy.status();
          const auto deadlines = lc::DueDeadlines(*object, now, LimitsFromPolicy(*policy));
          for (const alerts::DeadlineAlert& due : alerts::OverdueAlerts(deadlines)) {
            v1::Alert alert;
            alert.set_kind(ToProto(due.kind));
            alert.set_division_code(village->str());
            alert.set_household_id(object->household_id);
            alert.set_object_id(object_id);
            alert.set_deadline_kind(ToProto(due.deadline.kind));
            *alert.mutable_due_at() = time::ToProto(due.deadline.due_at);
            const alerts::Detail detail = alerts::DescribeDeadline(due, object->household_id);
            alert.set_detail_zh(detail.zh);
            alert.set_detail_en(detail.en);
            *alert.mutable_raised_at() = time::ToProto(now);
            auto raised =
                RaiseAlert(tx, rt, alert,
                           alerts::DeadlineKey(object_id, due.deadline.kind, due.deadline.due_at),
                           absl::StrCat("deadline-scheduler-", object_id));
            if (!raised.ok()) return raised.status();
          }
          // Look again only when a deadline not yet passed comes due: a
          // passed one was alerted above (once, by its key).
          const auto next = alerts::NextScanAt(deadlines);
          tx.exec_params(
              "UPDATE monitoring_objects SET next_due_at = "
              "'epoch'::timestamptz + $2 * interval '1 microsecond' WHERE object_id = $1",
              object_id, next ? std::optional<int64_t>(absl::ToUnixMicros(*next)) : std::nullopt);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return seen;
}

absl::StatusOr<int> ScanOverdueCredit(server::Runtime& rt, absl::Time now) {
  int raised_count = 0;
  auto status = pg::WithTransaction(
      *rt.pool, pg::TxOptions{.deadline = absl::Now() + absl::Seconds(30)},
      [&](pqxx::transaction_base& tx) -> absl::Status {
        raised_count = 0;
        const absl::CivilDay today = absl::ToCivilDay(now, absl::LocalTimeZone());
        auto overdue = FindOverdueInstalments(tx, today, 1000);
        if (!overdue.ok()) return overdue.status();
        for (const OverdueInstalment& o : *overdue) {
          v1::Alert alert;
          alert.set_kind(v1::ALERT_KIND_CREDIT_OVERDUE);
          alert.set_division_code(o.village_code);
          alert.set_household_id(o.household_id);
          *alert.mutable_due_at() = time::ToProto(absl::FromCivil(o.due_on, absl::LocalTimeZone()));
          alert.set_detail_zh(absl::StrCat("扶贫小额信贷 ", o.loan_id, " 第", o.number, "期逾期 ",
                                           o.days_overdue, " 天，未还 ",
                                           money::FormatYuan(o.unpaid_fen), " 元"));
          alert.set_detail_en(absl::StrCat("micro-credit ", o.loan_id, " instalment ", o.number,
                                           " is ", o.days_overdue, " days overdue, ",
                                           money::FormatYuan(o.unpaid_fen), " yuan unpaid"));
          *alert.mutable_raised_at() = time::ToProto(now);
          // Once per instalment, however long it stays overdue.
          auto raised = RaiseAlert(tx, rt, alert, absl::StrCat("credit:", o.loan_id, ":", o.number),
                                   absl::StrCat("credit-scheduler-", o.loan_id));
          if (!raised.ok()) return raised.status();
          if (raised->has_value()) ++raised_count;
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return raised_count;
}

void RunDeadlineScheduler(server::Runtime& rt, const std::atomic<bool>& stop) {
  // Overdue micro-credit is looked for once a minute: it changes by the day.
  absl::Time next_credit_scan = absl::InfinitePast();
  while (!stop) {
    if (absl::Now() >= next_credit_scan) {
      next_credit_scan = absl::Now() + kCreditScanInterval;
      try {
        auto raised = ScanOverdueCredit(rt, LifecycleNow());
        if (!raised.ok()) {
          logging::Warn("credit_scan_failed", {{"error", AsStd(raised.status().message())}});
        }
      } catch (const std::exception& e) {
        logging::Warn("credit_scan_failed", {{"error", e.what()}});
      }
    }
    int seen = 0;
    try {
      auto scanned = ScanDeadlines(rt, LifecycleNow(), kSchedulerBatch);
      if (scanned.ok()) {
        seen = *scanned;
      } else {
        logging::Warn("deadline_scan_failed", {{"error", AsStd(scanned.status().message())}});
      }
    } catch (const std::exception& e) {
      logging::Warn("deadline_scan_failed", {{"error", e.what()}});
    }
    if (seen < kSchedulerBatch) {
      for (int i = 0; i < 10 && !stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

std::unique_ptr<grpc::Service> MakeAlertService(server::Runtime& runtime) {
  return std::make_unique<AlertServiceImpl>(runtime);
}

}  // namespace zx::monitoring
