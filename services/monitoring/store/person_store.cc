#include "services/monitoring/store/person_store.h"

namespace zx::monitoring {

namespace v1 = zx::monitoring::v1;

namespace {
pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

constexpr char kColumns[] =
    "person_id, household_id, id_key_id, id_sealed, id_masked, name_key_id, "
    "name_sealed, name_masked, sex, birth_year::text, relation, "
    "labour_capacity, health, disability_grade, in_school, medical_insured, employed";

StoredPerson FromRow(const pqxx::row& row) {
  StoredPerson s;
  v1::Person& p = s.person;
  p.set_person_id(row[0].as<std::string>());
  p.set_household_id(row[1].as<std::string>());
  s.id_number = {row[2].as<std::string>(), pqxx::binarystring(row[3]).str()};
  p.set_id_number(row[4].as<std::string>());
  s.name = {row[5].as<std::string>(), pqxx::binarystring(row[6]).str()};
  p.set_name(row[7].as<std::string>());
  p.set_sex(static_cast<v1::Sex>(row[8].as<int>()));
  p.set_birth_date(row[9].as<std::string>());
  p.set_relation(static_cast<v1::Relation>(row[10].as<int>()));
  p.set_labour_capacity(static_cast<v1::LabourCapacity>(row[11].as<int>()));
  p.set_health(static_cast<v1::HealthStatus>(row[12].as<int>()));
  p.set_disability_grade(row[13].as<int>());
  p.set_in_school(row[14].as<bool>());
  p.set_medical_insured(row[15].as<bool>());
  p.set_employed(row[16].as<bool>());
  p.set_personal_data_masked(true);
  return s;
}

}  // namespace

bool InsertPerson(pqxx::transaction_base& tx, const NewPerson& n) {
  const v1::Person& p = n.person;
  auto r = tx.exec_params(
      "INSERT INTO persons (person_id, household_id, id_key_id, id_sealed, id_lookup, id_masked, "
      "name_key_id, name_sealed, name_masked, sex, birth_year, relation, labour_capacity, health, "
      "disability_grade, in_school, medical_insured, employed) VALUES ($1, $2, $3, $4, $5, $6, "
      "$7, $8, $9, $10, left($11, 4)::smallint, $12, $13, $14, $15, $16, $17, $18) "
      "ON CONFLICT (id_lookup) DO NOTHING",
      p.person_id(), p.household_id(), n.id_number.key_id, Bytes(n.id_number.ciphertext),
      Bytes(n.id_lookup), n.id_masked, n.name.key_id, Bytes(n.name.ciphertext), n.name_masked,
      static_cast<int>(p.sex()), p.birth_date(), static_cast<int>(p.relation()),
      static_cast<int>(p.labour_capacity()), static_cast<int>(p.health()), p.disability_grade(),
      p.in_school(), p.medical_insured(), p.employed());
  return r.affected_rows() == 1;
}

std::vector<StoredPerson> ListPersons(pqxx::transaction_base& tx, const std::string& household_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 " FROM persons WHERE household_id = $1 "
                                 "ORDER BY relation, birth_year, person_id",
                             household_id);
  std::vector<StoredPerson> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(FromRow(row));
  return out;
}

std::optional<StoredPerson> LockPerson(pqxx::transaction_base& tx, const std::string& person_id) {
  auto rows = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM persons WHERE person_id = $1 FOR UPDATE",
      person_id);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

void SavePersonFacts(pqxx::transaction_base& tx, const StoredPerson& s) {
  const v1::Person& p = s.person;
  tx.exec_params(
      "UPDATE persons SET name_key_id = $2, name_sealed = $3, name_masked = $4, relation = $5, "
      "labour_capacity = $6, health = $7, disability_grade = $8, in_school = $9, "
      "medical_insured = $10, employed = $11 WHERE person_id = $1",
      p.person_id(), s.name.key_id, Bytes(s.name.ciphertext), p.name(),
      static_cast<int>(p.relation()), static_cast<int>(p.labour_capacity()),
      static_cast<int>(p.health()), p.disability_grade(), p.in_school(), p.medical_insured(),
      p.employed());
}

}  // namespace zx::monitoring
