// Storage of alerts (0008_alerts.sql). Store functions run inside the
// caller's transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "zx/monitoring/v1/alerts.pb.h"

namespace zx::monitoring {

// Inserts `alert` (alert_id unset) unless an alert with `dedupe_key` exists.
// Takes the alerts lock first (a transaction-level advisory lock held until
// commit), so alert ids become visible in id order. Returns the alert with
// its id when it was inserted, nullopt when the key existed. With
// `take_lock` false the caller holds the lock already.
std::optional<v1::Alert> InsertAlert(pqxx::transaction_base& tx, v1::Alert alert,
                                     const std::string& dedupe_key, bool take_lock = true);

// Takes the alerts lock (see InsertAlert) without inserting: counts read
// after it see every alert and object of transactions that held it before.
void LockAlerts(pqxx::transaction_base& tx);

// Alerts whose division_code starts with `prefix`, with alert_id > after_id,
// of `kinds` (every kind when empty), ascending, at most `limit`.
std::vector<v1::Alert> ListAlerts(pqxx::transaction_base& tx, const std::string& prefix,
                                  const std::vector<int>& kinds, int64_t after_id, int limit);

// The largest alert_id (0 when there is none).
int64_t MaxAlertId(pqxx::transaction_base& tx);

// NEW_RED alerts of villages under `prefix` raised at or after `since`.
int64_t CountNewRed(pqxx::transaction_base& tx, const std::string& prefix, absl::Time since);
// Monitoring objects of villages under `prefix` created at or after `since`.
int64_t CountNewObjects(pqxx::transaction_base& tx, const std::string& prefix, absl::Time since);
// When the last scale warning of each of `division_codes` for each metric
// was raised: (division, metric) -> time, for those that have one.
std::map<std::pair<std::string, v1::ScaleMetric>, absl::Time> LastScaleWarnings(
    pqxx::transaction_base& tx, const std::vector<std::string>& division_codes);

}  // namespace zx::monitoring
