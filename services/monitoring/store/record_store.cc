#include "services/monitoring/store/record_store.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"
#include "common/time/time.h"

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

std::string AssessmentFingerprint(const v1::Assessment& a) {
  v1::Assessment key = a;
  key.clear_assessed_at();
  // The same result under another policy version is the same result: a
  // re-assessment after new figures records only what they changed.
  key.clear_policy_version();
  key.clear_policy_year();
  key.clear_explanation_zh();  // derived from the factors
  key.clear_explanation_en();
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  key.SerializeToCodedStream(&coded);
  coded.Trim();
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

bool InsertIncome(pqxx::transaction_base& tx, const v1::IncomeRecord& r) {
  auto result = pg::ExecPrepared(
      tx, "zx_insert_income",
      "INSERT INTO income_records (record_id, household_id, kind, source, month, amount_fen, "
      "source_ref, note) VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8) ON CONFLICT DO NOTHING",
      r.record_id(), r.household_id(), static_cast<int>(r.kind()), static_cast<int>(r.source()),
      FirstDay(r.month()), r.amount_fen(), r.source_ref(), r.note());
  return result.affected_rows() == 1;
}

std::set<std::string> InsertIncomes(pqxx::transaction_base& tx,
                                    const std::vector<v1::IncomeRecord>& records) {
  std::set<std::string> inserted;
  if (records.empty()) return inserted;
  std::vector<std::string> ids, households, kinds, sources, months, amounts, refs, notes;
  for (const auto& r : records) {
    ids.push_back(r.record_id());
    households.push_back(r.household_id());
    kinds.push_back(std::to_string(static_cast<int>(r.kind())));
    sources.push_back(std::to_string(static_cast<int>(r.source())));
    months.push_back(FirstDay(r.month()));
    amounts.push_back(std::to_string(r.amount_fen()));
    refs.push_back(r.source_ref());
    notes.push_back(r.note());
  }
  for (const auto& row : pg::ExecPrepared(
           tx, "zx_insert_incomes",
           "INSERT INTO income_records (record_id, household_id, kind, source, month, amount_fen, "
           "source_ref, note) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], "
           "$5::date[], $6::bigint[], $7::text[], $8::text[]) ON CONFLICT DO NOTHING "
           "RETURNING record_id",
           pg::ArrayLiteral(ids), pg::ArrayLiteral(households), pg::ArrayLiteral(kinds),
           pg::ArrayLiteral(sources), pg::ArrayLiteral(months), pg::ArrayLiteral(amounts),
           pg::ArrayLiteral(refs), pg::ArrayLiteral(notes))) {
    inserted.insert(row[0].as<std::string>());
  }
  return inserted;
}

void InsertExpense(pqxx::transaction_base& tx, const v1::ExpenseRecord& r) {
  tx.exec_params(
      "INSERT INTO expense_records (record_id, household_id, kind, source, month, amount_fen, "
      "note) VALUES ($1, $2, $3, $4, $5::date, $6, $7)",
      r.record_id(), r.household_id(), static_cast<int>(r.kind()), static_cast<int>(r.source()),
      FirstDay(r.month()), r.amount_fen(), r.note());
}

void ForgetStoredInputs(pqxx::transaction_base& tx, const std::string& household_id) {
  tx.exec_params("SELECT 1 FROM households WHERE household_id = $1 FOR NO KEY UPDATE",
                 household_id);
  tx.exec_params(
      "UPDATE household_colours SET inputs = '' WHERE household_id = $1 AND inputs <> ''",
      household_id);
}

void InsertSuddenEvent(pqxx::transaction_base& tx, const v1::SuddenEvent& e) {
  tx.exec_params(
      "INSERT INTO sudden_events (event_id, household_id, kind, occurred_on, note, recorded_at) "
      "VALUES ($1, $2, $3, $4::date, $5, $6::timestamptz)",
      e.event_id(), e.household_id(), static_cast<int>(e.kind()), e.occurred_on(), e.note(),
      time::FormatRfc3339(time::FromProto(e.recorded_at())));
}

namespace {

absl::CivilDay DayOf(const pqxx::field& f) {
  return time::ParseDate(f.as<std::string>()).value();  // PostgreSQL's ISO date
}

}  // namespace

std::map<std::string, absl::CivilDay> LoadLastSuddenEventsBatch(pqxx::transaction_base& tx,
                                                                const std::vector<std::string>& ids,
                                                                absl::CivilDay today) {
  std::map<std::string, absl::CivilDay> out;
  for (const auto& row : tx.exec_params(
           "SELECT household_id, max(occurred_on)::text FROM sudden_events "
           "WHERE household_id = ANY($1::text[]) AND occurred_on <= $2::date GROUP BY household_id",
           pg::ArrayLiteral(ids), absl::FormatCivilTime(today))) {
    out[row[0].as<std::string>()] = DayOf(row[1]);
  }
  return out;
}

std::optional<absl::CivilDay> LoadLastSuddenEvent(pqxx::transaction_base& tx,
                                                  const std::string& household_id,
                                                  absl::CivilDay today) {
  const auto last = LoadLastSuddenEventsBatch(tx, {household_id}, today);
  if (last.empty()) return std::nullopt;
  return last.begin()->second;
}

namespace {

IncomeRecord IncomeFromRow(const pqxx::row& row, int first) {
  IncomeRecord r;
  // Proto enums are the domain enums + 1 (0 is UNSPECIFIED in protos).
  r.kind = static_cast<IncomeKind>(row[first].as<int>() - 1);
  r.source = static_cast<IncomeSource>(row[first + 1].as<int>() - 1);
  r.month = MonthOf(row[first + 2].as<std::string>());
  r.amount = row[first + 3].as<int64_t>();
  return r;
}

void AddExpense(HouseholdRecords& out, const pqxx::row& row, int first) {
  const auto kind = static_cast<v1::ExpenseKind>(row[first].as<int>());
  const absl::CivilMonth month = MonthOf(row[first + 1].as<std::string>());
  const int64_t amount = row[first + 2].as<int64_t>();
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

std::string FirstOf(absl::CivilMonth m) { return absl::StrCat(absl::FormatCivilTime(m), "-01"); }

v1::Guarantees GuaranteesFromRow(const pqxx::row& row, int first) {
  v1::Guarantees g;
  g.set_food_clothing(static_cast<v1::GuaranteeStatus>(row[first].as<int>()));
  g.set_compulsory_education(static_cast<v1::GuaranteeStatus>(row[first + 1].as<int>()));
  g.set_basic_medical(static_cast<v1::GuaranteeStatus>(row[first + 2].as<int>()));
  g.set_safe_housing(static_cast<v1::GuaranteeStatus>(row[first + 3].as<int>()));
  g.set_safe_water(static_cast<v1::GuaranteeStatus>(row[first + 4].as<int>()));
  return g;
}

constexpr char kLabourColumns[] =
    "count(*) FILTER (WHERE labour_capacity IN (1, 2)), count(*) FILTER (WHERE employed)";

}  // namespace

HouseholdRecords LoadRecords(pqxx::transaction_base& tx, const std::string& household_id,
                             absl::CivilMonth first, absl::CivilMonth last) {
  HouseholdRecords out;
  for (const auto& row : pg::ExecPrepared(
           tx, "zx_load_income",
           "SELECT kind, source, to_char(month, 'YYYY-MM'), amount_fen FROM income_records "
           "WHERE household_id = $1 AND month BETWEEN $2::date AND $3::date",
           household_id, FirstOf(first), FirstOf(last))) {
    out.income.push_back(IncomeFromRow(row, 0));
  }
  for (const auto& row :
       pg::ExecPrepared(tx, "zx_load_expenses",
                        "SELECT kind, to_char(month, 'YYYY-MM'), amount_fen FROM expense_records "
                        "WHERE household_id = $1 AND month BETWEEN $2::date AND $3::date",
                        household_id, FirstOf(first), FirstOf(last))) {
    AddExpense(out, row, 0);
  }
  return out;
}

std::map<std::string, HouseholdRecords> LoadRecordsBatch(pqxx::transaction_base& tx,
                                                         const std::vector<std::string>& ids,
                                                         absl::CivilMonth first,
                                                         absl::CivilMonth last) {
  std::map<std::string, HouseholdRecords> out;
  const std::string array = pg::ArrayLiteral(ids);
  for (const auto& row :
       tx.exec_params("SELECT household_id, kind, source, to_char(month, 'YYYY-MM'), amount_fen "
                      "FROM income_records WHERE household_id = ANY($1::text[]) "
                      "AND month BETWEEN $2::date AND $3::date",
                      array, FirstOf(first), FirstOf(last))) {
    out[row[0].as<std::string>()].income.push_back(IncomeFromRow(row, 1));
  }
  for (const auto& row : tx.exec_params(
           "SELECT household_id, kind, to_char(month, 'YYYY-MM'), amount_fen FROM expense_records "
           "WHERE household_id = ANY($1::text[]) AND month BETWEEN $2::date AND $3::date",
           array, FirstOf(first), FirstOf(last))) {
    AddExpense(out[row[0].as<std::string>()], row, 1);
  }
  return out;
}

std::map<std::string, v1::Guarantees> LoadGuaranteesBatch(pqxx::transaction_base& tx,
                                                          const std::vector<std::string>& ids) {
  std::map<std::string, v1::Guarantees> out;
  for (const auto& row : tx.exec_params(
           "SELECT household_id, food_clothing, compulsory_education, basic_medical, "
           "safe_housing, safe_water FROM guarantees WHERE household_id = ANY($1::text[])",
           pg::ArrayLiteral(ids))) {
    out[row[0].as<std::string>()] = GuaranteesFromRow(row, 1);
  }
  return out;
}

std::map<std::string, LabourSummary> LoadLabourBatch(pqxx::transaction_base& tx,
                                                     const std::vector<std::string>& ids) {
  std::map<std::string, LabourSummary> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT household_id, ", kLabourColumns,
                        " FROM persons WHERE household_id = ANY($1::text[]) GROUP BY household_id"),
           pg::ArrayLiteral(ids))) {
    out[row[0].as<std::string>()] = {row[1].as<int>(), row[2].as<int>()};
  }
  return out;
}

std::map<std::string, CurrentColour> LoadColoursBatch(pqxx::transaction_base& tx,
                                                      const std::vector<std::string>& ids) {
  std::map<std::string, CurrentColour> out;
  for (const auto& row : tx.exec_params("SELECT household_id, colour, fingerprint, per_capita_fen, "
                                        "previous_per_capita_fen, inputs <> '' "
                                        "FROM household_colours "
                                        "WHERE household_id = ANY($1::text[])",
                                        pg::ArrayLiteral(ids))) {
    auto figure = [](const pqxx::field& f) {
      return f.is_null() ? std::nullopt : std::optional<int64_t>(f.as<int64_t>());
    };
    out[row[0].as<std::string>()] = {static_cast<v1::Colour>(row[1].as<int>()),
                                     row[2].as<std::string>(), figure(row[3]), figure(row[4]),
                                     row[5].as<bool>()};
  }
  return out;
}

void RestoreStoredInputs(pqxx::transaction_base& tx, const std::vector<std::string>& ids,
                         const std::vector<std::string>& inputs) {
  if (ids.empty()) return;
  // Only where still cleared: inputs stored meanwhile are newer.
  tx.exec_params(
      "UPDATE household_colours SET inputs = u.i FROM unnest($1::text[], $2::text[]) AS u(h, i) "
      "WHERE household_id = u.h AND inputs = ''",
      pg::ArrayLiteral(ids), pg::ArrayLiteral(inputs));
}

void SaveAssessments(pqxx::transaction_base& tx, const std::vector<v1::Assessment>& assessments,
                     const std::vector<std::string>& inputs) {
  if (assessments.empty()) return;
  std::vector<int64_t> ids;
  for (const auto& row :
       tx.exec_params("SELECT nextval(pg_get_serial_sequence('assessments', 'assessment_id')) "
                      "FROM generate_series(1, $1)",
                      static_cast<int64_t>(assessments.size()))) {
    ids.push_back(row[0].as<int64_t>());
  }
  std::vector<std::string> households, colours, assessment_ids, per_capita, previous, prints;
  {
    pqxx::stream_to copy(tx, "assessments",
                         std::vector<std::string>{"assessment_id", "household_id", "colour",
                                                  "policy_version", "body"});
    for (size_t i = 0; i < assessments.size(); ++i) {
      const v1::Assessment& a = assessments[i];
      copy << std::make_tuple(ids[i], a.household_id(), static_cast<int>(a.colour()),
                              a.policy_version(), tx.esc_raw(a.SerializeAsString()));
      households.push_back(a.household_id());
      colours.push_back(std::to_string(static_cast<int>(a.colour())));
      assessment_ids.push_back(std::to_string(ids[i]));
      per_capita.push_back(std::to_string(a.per_capita_net_income_fen()));
      previous.push_back(a.has_previous_per_capita_net_income_fen()
                             ? std::to_string(a.previous_per_capita_net_income_fen())
                             : "");
      prints.push_back(AssessmentFingerprint(a));
    }
    copy.complete();
  }
  tx.exec_params(
      "INSERT INTO household_colours (household_id, colour, assessment_id, per_capita_fen, "
      "previous_per_capita_fen, fingerprint, inputs) "
      "SELECT h, c::smallint, a::bigint, p::bigint, NULLIF(q, '')::bigint, f, i "
      "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
      "$7::text[]) AS u(h, c, a, p, q, f, i) ORDER BY h "
      "ON CONFLICT (household_id) DO UPDATE SET colour = EXCLUDED.colour, "
      "assessment_id = EXCLUDED.assessment_id, per_capita_fen = EXCLUDED.per_capita_fen, "
      "previous_per_capita_fen = EXCLUDED.previous_per_capita_fen, "
      "fingerprint = EXCLUDED.fingerprint, inputs = EXCLUDED.inputs, updated_at = now()",
      pg::ArrayLiteral(households), pg::ArrayLiteral(colours), pg::ArrayLiteral(assessment_ids),
      pg::ArrayLiteral(per_capita), pg::ArrayLiteral(previous), pg::ArrayLiteral(prints),
      pg::ArrayLiteral(inputs));
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
  auto rows = pg::ExecPrepared(
      tx, "zx_load_guarantees",
      "SELECT food_clothing, compulsory_education, basic_medical, safe_housing, safe_water "
      "FROM guarantees WHERE household_id = $1",
      household_id);
  if (rows.empty()) return std::nullopt;
  return GuaranteesFromRow(rows[0], 0);
}

LabourSummary LoadLabourSummary(pqxx::transaction_base& tx, const std::string& household_id) {
  auto row = pg::ExecPrepared(
      tx, "zx_load_labour",
      absl::StrCat("SELECT ", kLabourColumns, " FROM persons WHERE household_id = $1"),
      household_id)[0];
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

v1::Colour SaveAssessment(pqxx::transaction_base& tx, const v1::Assessment& a,
                          const std::string& inputs) {
  const auto id =
      pg::ExecPrepared(tx, "zx_insert_assessment",
                       "INSERT INTO assessments (household_id, colour, policy_version, body) "
                       "VALUES ($1, $2, $3, $4) RETURNING assessment_id",
                       a.household_id(), static_cast<int>(a.colour()), a.policy_version(),
                       Bytes(a.SerializeAsString()))[0][0]
          .as<int64_t>();
  // Lock the current colour row so concurrent assessments see each other's change.
  auto previous = pg::ExecPrepared(
      tx, "zx_lock_colour",
      "SELECT colour FROM household_colours WHERE household_id = $1 FOR UPDATE", a.household_id());
  pg::ExecPrepared(
      tx, "zx_upsert_colour",
      "INSERT INTO household_colours (household_id, colour, assessment_id, per_capita_fen, "
      "previous_per_capita_fen, fingerprint, inputs) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (household_id) DO UPDATE SET colour = $2, assessment_id = $3, "
      "per_capita_fen = $4, previous_per_capita_fen = $5, fingerprint = $6, inputs = $7, "
      "updated_at = now()",
      a.household_id(), static_cast<int>(a.colour()), id, a.per_capita_net_income_fen(),
      a.has_previous_per_capita_net_income_fen()
          ? std::optional<int64_t>(a.previous_per_capita_net_income_fen())
          : std::nullopt,
      AssessmentFingerprint(a), inputs);
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
