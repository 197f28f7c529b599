#include "services/monitoring/store/household_store.h"

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"

#include "common/time/time.h"

namespace zx::monitoring {
namespace {

constexpr char kColumns[] =
    "household_id, village_code, category, relocated, member_count, synthetic, "
    "(EXTRACT(EPOCH FROM created_at) * 1000000)::bigint";  // exact microseconds

zx::monitoring::v1::Household FromRow(const pqxx::row& row) {
  zx::monitoring::v1::Household h;
  h.set_household_id(row[0].as<std::string>());
  h.set_village_code(row[1].as<std::string>());
  h.set_category(static_cast<zx::monitoring::v1::HouseholdCategory>(row[2].as<int>()));
  h.set_relocated(row[3].as<bool>());
  h.set_member_count(row[4].as<int>());
  h.set_synthetic(row[5].as<bool>());
  *h.mutable_created_at() = time::ToProto(absl::FromUnixMicros(row[6].as<int64_t>()));
  return h;
}

}  // namespace

void InsertHousehold(pqxx::transaction_base& tx, const zx::monitoring::v1::Household& h) {
  tx.exec_params(
      "INSERT INTO households (household_id, village_code, category, relocated, member_count, "
      "synthetic, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
      "'epoch'::timestamptz + $7 * interval '1 microsecond')",
      h.household_id(), h.village_code(), static_cast<int>(h.category()), h.relocated(),
      h.member_count(), h.synthetic(), absl::ToUnixMicros(time::FromProto(h.created_at())));
}

std::optional<zx::monitoring::v1::Household> FindHousehold(pqxx::transaction_base& tx,
                                                           const std::string& household_id) {
  static const std::string sql =
      std::string("SELECT ") + kColumns + " FROM households WHERE household_id = $1";
  auto rows = pg::ExecPrepared(tx, "monitoring_find_household", sql, household_id);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

std::optional<zx::monitoring::v1::Household> LockHousehold(pqxx::transaction_base& tx,
                                                           const std::string& household_id) {
  auto rows = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM households WHERE household_id = $1 FOR UPDATE",
      household_id);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

std::map<std::string, zx::monitoring::v1::Household> LockHouseholdsInOrder(
    pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  std::map<std::string, zx::monitoring::v1::Household> locked;
  if (ids.empty()) return locked;
  for (const auto& row : pg::ExecPrepared(tx, "monitoring_lock_households_in_order",
                                          std::string("SELECT ") + kColumns +
                                              " FROM households WHERE household_id = "
                                              "ANY($1::text[]) ORDER BY household_id FOR UPDATE",
                                          pg::ArrayLiteral(ids))) {
    auto household = FromRow(row);
    locked.emplace(household.household_id(), std::move(household));
  }
  return locked;
}

int64_t SaveHouseholdFacts(pqxx::transaction_base& tx, const zx::monitoring::v1::Household& h) {
  return tx
      .exec_params1(
          "UPDATE households SET village_code = $2, category = $3, relocated = $4, "
          "member_count = $5 WHERE household_id = $1 RETURNING version",
          h.household_id(), h.village_code(), static_cast<int>(h.category()), h.relocated(),
          h.member_count())[0]
      .as<int64_t>();
}

void ForEachHouseholdWrittenSince(
    pqxx::transaction_base& tx, std::optional<int64_t> since_txid,
    const std::function<void(const zx::monitoring::v1::Household&, int64_t version)>& fn) {
  // The number is ours (a snapshot's xmin), not a caller's text.
  tx.exec(absl::StrCat("DECLARE households_written NO SCROLL CURSOR FOR SELECT ", kColumns,
                       ", version FROM households",
                       since_txid ? absl::StrCat(" WHERE changed_txid >= ", *since_txid) : ""));
  while (true) {
    const pqxx::result rows = tx.exec("FETCH 10000 FROM households_written");
    for (const auto& row : rows) fn(FromRow(row), row[7].as<int64_t>());
    if (rows.size() < 10000) break;
  }
  tx.exec("CLOSE households_written");
}

std::optional<std::string> OpenObjectState(pqxx::transaction_base& tx,
                                           const std::string& household_id) {
  auto rows = tx.exec_params(
      "SELECT state FROM monitoring_objects WHERE household_id = $1 AND state <> 'closed_no_risk' "
      "LIMIT 1",
      household_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::vector<zx::monitoring::v1::Household> ListHouseholds(pqxx::transaction_base& tx,
                                                          const std::string& village_prefix,
                                                          const PageCursor& after, int limit) {
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 " FROM households WHERE village_code LIKE $1 || '%' "
                                 "AND (village_code, household_id) > ($2, $3) "
                                 "ORDER BY village_code, household_id LIMIT $4",
                             village_prefix, after.village_code, after.household_id, limit);
  std::vector<zx::monitoring::v1::Household> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(FromRow(row));
  return out;
}

std::vector<zx::monitoring::v1::Household> LockHouseholdsAfter(pqxx::transaction_base& tx,
                                                               const std::string& village_prefix,
                                                               const std::string& after_id,
                                                               int limit) {
  std::vector<zx::monitoring::v1::Household> out;
  for (const auto& row : tx.exec_params(
           std::string("SELECT ") + kColumns +
               " FROM households WHERE household_id > $1 AND village_code LIKE $2 || '%' "
               "ORDER BY household_id LIMIT $3 FOR UPDATE",
           after_id, village_prefix, limit)) {
    out.push_back(FromRow(row));
  }
  return out;
}

std::vector<HouseholdWithAssessment> HouseholdsWithAssessmentAfter(
    pqxx::transaction_base& tx, const std::string& village_prefix, const std::string& after_id,
    int limit) {
  std::vector<HouseholdWithAssessment> out;
  out.reserve(limit);
  static const std::string sql =
      "SELECT h.household_id, h.village_code, h.category, h.relocated, h.member_count, "
      "h.synthetic, (EXTRACT(EPOCH FROM h.created_at) * 1000000)::bigint, "
      "COALESCE(c.colour, 0), COALESCE(c.fingerprint, ''), COALESCE(c.inputs, '') "
      // The bound on c too: else the merge join walks the colours from the
      // first household on every batch.
      "FROM households h LEFT JOIN household_colours c "
      "ON c.household_id = h.household_id AND c.household_id > $1 "
      "WHERE h.household_id > $1 AND h.village_code LIKE $2 || '%' "
      "ORDER BY h.household_id LIMIT $3";
  for (const auto& row : pg::ExecPrepared(tx, "monitoring_households_with_assessment", sql,
                                          after_id, village_prefix, limit)) {
    HouseholdWithAssessment h;
    h.household = FromRow(row);
    h.colour = static_cast<zx::monitoring::v1::Colour>(row[7].as<int>());
    h.fingerprint = row[8].as<std::string>();
    h.inputs = row[9].as<std::string>();
    out.push_back(std::move(h));
  }
  if (out.empty()) return out;
  // Few households have a loan: one range query rather than a probe per row.
  std::map<std::string_view, HouseholdWithAssessment*> by_id;
  for (auto& h : out) by_id[h.household.household_id()] = &h;
  for (const auto& row :
       tx.exec_params("SELECT DISTINCT household_id FROM loans WHERE settled_on IS NULL "
                      "AND household_id > $1 AND household_id <= $2",
                      after_id, out.back().household.household_id())) {
    const std::string id = row[0].as<std::string>();
    if (auto it = by_id.find(id); it != by_id.end()) it->second->active_loan = true;
  }
  return out;
}

std::map<std::string, std::string> LockHouseholdsWithInputs(pqxx::transaction_base& tx,
                                                            const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  const std::string array = pg::ArrayLiteral(ids);
  for (const auto& row : tx.exec_params("SELECT household_id FROM households "
                                        "WHERE household_id = ANY($1::text[]) "
                                        "ORDER BY household_id FOR UPDATE",
                                        array)) {
    out[row[0].as<std::string>()] = "";
  }
  // Read after the lock, in a statement of its own: a writer that held the
  // household (RecordIncome clearing the inputs) has committed by now, and
  // a join in the locking statement would still show the inputs from before.
  for (const auto& row :
       tx.exec_params("SELECT household_id, COALESCE(inputs, '') FROM household_colours "
                      "WHERE household_id = ANY($1::text[])",
                      array)) {
    if (auto it = out.find(row[0].as<std::string>()); it != out.end()) {
      it->second = row[1].as<std::string>();
    }
  }
  return out;
}

}  // namespace zx::monitoring
