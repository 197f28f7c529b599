// Alerts of the monitoring service (zx.monitoring.v1.AlertService): raising
// them inside the caller's transaction (assessment, new monitoring object,
// deadline scheduler), listing them, and streaming them (WatchAlerts). The
// rules are in domain/alerts.h, the SQL in store/alert_store.h.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/division/division.h"
#include "common/server/server.h"
#include "services/monitoring/domain/policy.h"
#include "zx/monitoring/v1/alerts.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// Raises `alert` (alert_id unset) inside the caller's transaction: inserted
// unless an alert with `dedupe_key` exists, and only then emitted as
// monitoring.alert_raised (payload: the Alert) through the outbox. Returns
// the alert with its id when newly raised, nullopt when it existed already.
// Takes the alerts lock until commit (see store/alert_store.h): call it after
// the transaction's other row locks, to keep lock order the same everywhere.
class DeferredEffects;
absl::StatusOr<std::optional<v1::Alert>> RaiseAlert(pqxx::transaction_base& tx,
                                                    const server::Runtime& rt, v1::Alert alert,
                                                    const std::string& dedupe_key,
                                                    const std::string& causation_id,
                                                    DeferredEffects* deferred = nullptr);

// What the colour changes of a batch of households (one transaction) share
// and do once: the M12 checks, made once per township and once per county at
// the batch's end (one by one, each would count the same window again); the
// published policies, read once; the alerts lock, taken once; and the
// events of the batch's clues and alerts, appended in one COPY.
class DeferredEffects {
 public:
  void Add(const division::Code& village, bool new_red, const std::string& trigger);
  // Appends the deferred events (in the order deferred), then makes the
  // checks.
  absl::Status Run(pqxx::transaction_base& tx, const server::Runtime& rt,
                   const std::string& causation_id);
  const std::vector<MonitoringPolicy>& Published(pqxx::transaction_base& tx);
  // Takes the alerts lock unless this batch holds it already (it is held
  // until the transaction ends).
  void LockAlertsOnce(pqxx::transaction_base& tx);
  // An event for Run to append with the others, in the order given.
  void DeferEvent(std::string type, std::string division_code, std::string aggregate_id,
                  std::unique_ptr<google::protobuf::Message> payload, std::string causation_id);

 private:
  absl::Status AppendEvents(pqxx::transaction_base& tx, const server::Runtime& rt);

  struct Event {
    std::string type, division_code, aggregate_id, causation_id;
    std::unique_ptr<google::protobuf::Message> payload;
  };
  // (new_red, township) -> a village in it and the latest trigger
  std::map<std::pair<bool, std::string>, std::pair<division::Code, std::string>> pending_;
  std::optional<std::vector<MonitoringPolicy>> published_;
  bool alerts_locked_ = false;
  std::vector<Event> events_;
};

// The household turned RED (AssessAndStore): NEW_RED, then the M12 check of
// new RED households in its township and county — at once, or added to
// `deferred`.
absl::Status RaiseNewRed(pqxx::transaction_base& tx, const server::Runtime& rt,
                         const v1::Household& household, const v1::Assessment& assessment,
                         const std::string& causation_id, DeferredEffects* deferred = nullptr);

// A monitoring object was created in `village` (RecordClue): the M12 check of
// new monitoring objects in its township and county.
absl::Status CheckNewObjectScale(pqxx::transaction_base& tx, const server::Runtime& rt,
                                 const division::Code& village, const std::string& object_id,
                                 const std::string& causation_id);

// One round of the deadline scheduler at `now`: locks up to `batch` objects
// with next_due_at < now (SKIP LOCKED, so replicas share the work), raises
// OVERDUE_STEP / PLAN_MISSING for each passed deadline (de-duplicated per
// object, deadline kind and due time) and moves next_due_at to the earliest
// deadline not yet passed (NULL when none), so an alerted deadline is not
// scanned again. Returns how many objects it looked at.
absl::StatusOr<int> ScanDeadlines(server::Runtime& rt, absl::Time now, int batch);

// The scheduler: ScanDeadlines on the lifecycle clock about every second
// (at once again while batches come back full), until `stop`.
void RunDeadlineScheduler(server::Runtime& rt, const std::atomic<bool>& stop);

// The AlertService for MonitoringSpec(). It owns the thread that wakes
// watchers (WatchAlerts) about every 200 ms.
std::unique_ptr<grpc::Service> MakeAlertService(server::Runtime& runtime);

// Raises CREDIT_OVERDUE once per overdue micro-credit instalment (as of the
// day of `now`); returns how many were new. The deadline scheduler runs it
// once a minute.
absl::StatusOr<int> ScanOverdueCredit(server::Runtime& rt, absl::Time now);

}  // namespace zx::monitoring
