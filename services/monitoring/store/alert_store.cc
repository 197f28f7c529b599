#include "services/monitoring/store/alert_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/pg/pg.h"

namespace zx::monitoring {
namespace {

constexpr char kColumns[] = "alert_id, alert";

v1::Alert FromRow(const pqxx::row& row) {
  v1::Alert a;
  const pqxx::binarystring bytes(row[1]);
  a.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  a.set_alert_id(row[0].as<int64_t>());
  return a;
}

std::string AtMicros(int param) {
  return absl::StrCat("('epoch'::timestamptz + $", param, " * interval '1 microsecond')");
}

}  // namespace

void LockAlerts(pqxx::transaction_base& tx) {
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('zx.alerts.' || current_schema()))");
}

std::optional<v1::Alert> InsertAlert(pqxx::transaction_base& tx, v1::Alert alert,
                                     const std::string& dedupe_key, bool take_lock) {
  if (take_lock) LockAlerts(tx);
  alert.clear_alert_id();
  const std::string bytes = alert.SerializeAsString();
  const int64_t raised_micros =
      alert.raised_at().seconds() * 1000000 + alert.raised_at().nanos() / 1000;
  auto rows = tx.exec_params(
      absl::StrCat("INSERT INTO alerts (kind, division_code, household_id, object_id, dedupe_key, "
                   "scale_metric, raised_at, alert) VALUES ($1, $2, $3, $4, $5, $6, ",
                   AtMicros(7), ", $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING alert_id"),
      static_cast<int>(alert.kind()), alert.division_code(), alert.household_id(),
      alert.object_id(), dedupe_key, static_cast<int>(alert.figures().metric()), raised_micros,
      pqxx::binarystring(bytes.data(), bytes.size()));
  if (rows.empty()) return std::nullopt;
  alert.set_alert_id(rows[0][0].as<int64_t>());
  return alert;
}

std::vector<v1::Alert> ListAlerts(pqxx::transaction_base& tx, const std::string& prefix,
                                  const std::vector<int>& kinds, int64_t after_id, int limit) {
  std::string sql = absl::StrCat("SELECT ", kColumns,
                                 " FROM alerts WHERE division_code LIKE $1 || '%' "
                                 "AND alert_id > $2");
  if (!kinds.empty()) {
    absl::StrAppend(&sql, " AND kind IN (", absl::StrJoin(kinds, ","), ")");
  }
  absl::StrAppend(&sql, " ORDER BY alert_id LIMIT $3");
  std::vector<v1::Alert> out;
  for (const auto& row : tx.exec_params(sql, prefix, after_id, limit)) {
    out.push_back(FromRow(row));
  }
  return out;
}

int64_t MaxAlertId(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT coalesce(max(alert_id), 0) FROM alerts")[0].as<int64_t>();
}

int64_t CountNewRed(pqxx::transaction_base& tx, const std::string& prefix, absl::Time since) {
  return tx
      .exec_params1(absl::StrCat("SELECT count(*) FROM alerts WHERE kind = $1 AND "
                                 "division_code LIKE $2 || '%' AND raised_at >= ",
                                 AtMicros(3)),
                    static_cast<int>(v1::ALERT_KIND_NEW_RED), prefix, absl::ToUnixMicros(since))[0]
      .as<int64_t>();
}

int64_t CountNewObjects(pqxx::transaction_base& tx, const std::string& prefix, absl::Time since) {
  return tx
      .exec_params1(absl::StrCat("SELECT count(*) FROM monitoring_objects WHERE "
                                 "village_code LIKE $1 || '%' AND created_at >= ",
                                 AtMicros(2)),
                    prefix, absl::ToUnixMicros(since))[0]
      .as<int64_t>();
}

std::map<std::pair<std::string, v1::ScaleMetric>, absl::Time> LastScaleWarnings(
    pqxx::transaction_base& tx, const std::vector<std::string>& division_codes) {
  std::map<std::pair<std::string, v1::ScaleMetric>, absl::Time> out;
  if (division_codes.empty()) return out;
  for (const auto& row : tx.exec_params(
           "SELECT division_code, scale_metric, "
           "(EXTRACT(EPOCH FROM max(raised_at)) * 1000000)::bigint FROM alerts "
           "WHERE kind = $1 AND division_code = ANY($2::text[]) GROUP BY 1, 2",
           static_cast<int>(v1::ALERT_KIND_SCALE_WARNING), pg::ArrayLiteral(division_codes))) {
    out[{row[0].as<std::string>(), static_cast<v1::ScaleMetric>(row[1].as<int>())}] =
        absl::FromUnixMicros(row[2].as<int64_t>());
  }
  return out;
}

}  // namespace zx::monitoring
