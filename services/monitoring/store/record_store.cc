#include "services/monitoring/store/record_store.h"

#include "absl/strings/str_cat.h"

namespace zx::monitoring {

namespace v1 = zx::monitoring::v1;

namespace {

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

std::string FirstDay(const std::string& month) { return month + "-01"; }

absl::CivilMonth MonthOf(const std::string& yyyy_mm) {
  absl::CivilMonth m;
  (void)absl::ParseCivilTime(yyyy_mm, &m);  // stored values are valid by construction
  return m;
}

}  // namespace

bool InsertIncome(pqxx::transaction_base& tx, const v1::IncomeRecord& r) {
  auto result = tx.exec_params(
      "INSERT INTO income_records (record_id, household_id, kind, source, month, amount_fen, "
      "source_ref, note) VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8) ON CONFLICT DO NOTHING",
      r.record_id(), r.household_id(), static_cast<int>(r.kind()), static_cast<int>(r.source()),
      FirstDay(r.month()), r.amount_fen(), r.source_ref(), r.note());
  return result.affected_rows() == 1;
}

void InsertExpense(pqxx::transaction_base& tx, const v1::ExpenseRecord& r) {
  tx.exec_params(
      "INSERT INTO expense_records (record_id, household_id, kind, source, month, amount_fen, "
      "note) VALUES ($1, $2, $3, $4, $5::date, $6, $7)",
      r.record_id(), r.household_id(), static_cast<int>(r.kind()), static_cast<int>(r.source()),
      FirstDay(r.month()), r.amount_fen(), r.note());
}

HouseholdRecords LoadRecords(pqxx::transaction_base& tx, const std::string& household_id,
                             absl::CivilMonth first, absl::CivilMonth last) {
  HouseholdRecords out;
  const std::string from = absl::StrCat(absl::FormatCivilTime(first), "-01");
  const std::string to = absl::StrCat(absl::FormatCivilTime(last), "-01");
  for (const auto& row : tx.exec_params(
           "SELECT kind, source, to_char(month, 'YYYY-MM'), amount_fen FROM income_records "
           "WHERE household_id = $1 AND month BETWEEN $2::date AND $3::date",
           household_id, from, to)) {
    IncomeRecord r;
    // Proto enums are the domain enums + 1 (0 is UNSPECIFIED in protos).
    r.kind = static_cast<IncomeKind>(row[0].as<int>() - 1);
    r.source = static_cast<IncomeSource>(row[1].as<int>() - 1);
    r.month = MonthOf(row[2].as<std::string>());
    r.amount = row[3].as<int64_t>();
    out.income.push_back(r);
  }
  for (const auto& row :
       tx.exec_params("SELECT kind, to_char(month, 'YYYY-MM'), amount_fen FROM expense_records "
                      "WHERE household_id = $1 AND month BETWEEN $2::date AND $3::date",
                      household_id, from, to)) {
    const auto kind = static_cast<v1::ExpenseKind>(row[0].as<int>());
    const absl::CivilMonth month = MonthOf(row[1].as<std::string>());
    const int64_t amount = row[2].as<int64_t>();
    switch (kind) {
      case v1::EXPENSE_KIND_PRODUCTION_COST:
        out.costs.push_back({month, amount});
        break;
      case v1::EXPENSE_KIND_MEDICAL:
        out.rigid.push_back({RigidSpendingKind::kMedical, month, amount});
        break;
      case v1::EXPENSE_KIND_EDUCATION:
        out.rigid.push_back({RigidSpendingKind::kEducation, month, amount});
        break;
      case v1::EXPENSE_KIND_DISASTER:
        out.rigid.push_back({RigidSpendingKind::kDisaster, month, amount});
        break;
      default:
        break;
    }
  }
  return out;
}

void UpsertGuarantees(pqxx::transaction_base& tx, const std::string& household_id,
                      const v1::Guarantees& g) {
  tx.exec_params(
      "INSERT INTO guarantees (household_id, food_clothing, compulsory_education, basic_medical, "
      "safe_housing, safe_water) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (household_id) DO "
      "UPDATE SET food_clothing = $2, compulsory_education = $3, basic_medical = $4, "
      "safe_housing = $5, safe_water = $6, updated_at = now()",
      household_id, static_cast<int>(g.food_clothing()), static_cast<int>(g.compulsory_education()),
      static_cast<int>(g.basic_medical()), static_cast<int>(g.safe_housing()),
      static_cast<int>(g.safe_water()));
}

std::optional<v1::Guarantees> LoadGuarantees(pqxx::transaction_base& tx,
                                             const std::string& household_id) {
  auto rows = tx.exec_params(
      "SELECT food_clothing, compulsory_education, basic_medical, safe_housing, safe_water "
      "FROM guarantees WHERE household_id = $1",
      household_id);
  if (rows.empty()) return std::nullopt;
  v1::Guarantees g;
  g.set_food_clothing(static_cast<v1::GuaranteeStatus>(rows[0][0].as<int>()));
  g.set_compulsory_education(static_cast<v1::GuaranteeStatus>(rows[0][1].as<int>()));
  g.set_basic_medical(static_cast<v1::GuaranteeStatus>(rows[0][2].as<int>()));
  g.set_safe_housing(static_cast<v1::GuaranteeStatus>(rows[0][3].as<int>()));
  g.set_safe_water(static_cast<v1::GuaranteeStatus>(rows[0][4].as<int>()));
  return g;
}

LabourSummary LoadLabourSummary(pqxx::transaction_base& tx, const std::string& household_id) {
  auto row = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE labour_capacity IN ($2, $3)), "
      "count(*) FILTER (WHERE employed) FROM persons WHERE household_id = $1",
      household_id, static_cast<int>(v1::LABOUR_CAPACITY_FULL),
      static_cast<int>(v1::LABOUR_CAPACITY_PARTIAL));
  return {row[0].as<int>(), row[1].as<int>()};
}

bool InsertPolicy(pqxx::transaction_base& tx, const v1::MonitoringPolicy& p) {
  auto r = tx.exec_params(
      "INSERT INTO policies (owner_division_code, version, year, effective_from, body) "
      "VALUES ($1, $2, $3, $4::date, $5) ON CONFLICT DO NOTHING",
      p.owner_division_code(), p.version(), p.year(), p.effective_from(),
      Bytes(p.SerializeAsString()));
  return r.affected_rows() == 1;
}

std::vector<v1::MonitoringPolicy> LoadPolicies(pqxx::transaction_base& tx) {
  std::vector<v1::MonitoringPolicy> out;
  for (const auto& row : tx.exec("SELECT body FROM policies ORDER BY published_at")) {
    v1::MonitoringPolicy p;
    if (p.ParseFromString(pqxx::binarystring(row[0]).str())) out.push_back(std::move(p));
  }
  return out;
}

v1::Colour SaveAssessment(pqxx::transaction_base& tx, const v1::Assessment& a) {
  const auto id = tx.exec_params1(
                        "INSERT INTO assessments (household_id, colour, policy_version, body) "
                        "VALUES ($1, $2, $3, $4) RETURNING assessment_id",
                        a.household_id(), static_cast<int>(a.colour()), a.policy_version(),
                        Bytes(a.SerializeAsString()))[0]
                      .as<int64_t>();
  // Lock the current colour row so concurrent assessments see each other's change.
  auto previous = tx.exec_params(
      "SELECT colour FROM household_colours WHERE household_id = $1 FOR UPDATE", a.household_id());
  tx.exec_params(
      "INSERT INTO household_colours (household_id, colour, assessment_id, per_capita_fen, "
      "previous_per_capita_fen) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (household_id) DO UPDATE SET colour = $2, assessment_id = $3, "
      "per_capita_fen = $4, previous_per_capita_fen = $5, updated_at = now()",
      a.household_id(), static_cast<int>(a.colour()), id, a.per_capita_net_income_fen(),
      a.has_previous_per_capita_net_income_fen()
          ? std::optional<int64_t>(a.previous_per_capita_net_income_fen())
          : std::nullopt);
  return previous.empty() ? v1::COLOUR_UNSPECIFIED
                          : static_cast<v1::Colour>(previous[0][0].as<int>());
}

std::optional<v1::Assessment> LatestAssessment(pqxx::transaction_base& tx,
                                               const std::string& household_id) {
  // The assessment behind the household's current colour.
  auto rows = tx.exec_params(
      "SELECT a.body FROM household_colours c JOIN assessments a USING (assessment_id) "
      "WHERE c.household_id = $1",
      household_id);
  if (rows.empty()) return std::nullopt;
  v1::Assessment a;
  if (!a.ParseFromString(pqxx::binarystring(rows[0][0]).str())) return std::nullopt;
  return a;
}

}  // namespace zx::monitoring
