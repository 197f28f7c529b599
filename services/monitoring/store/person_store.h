// PostgreSQL access for persons. Personal data arrives sealed (see
// common/personal_data) and leaves sealed: the API decides what to open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/personal_data/personal_data.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

struct StoredPerson {
  zx::monitoring::v1::Person person;  // id_number and name hold the masked forms
  personal_data::Sealed id_number;
  personal_data::Sealed name;
};

struct NewPerson {
  zx::monitoring::v1::Person person;  // id_number/name ignored; masked forms below
  personal_data::Sealed id_number;
  std::string id_lookup;
  std::string id_masked;
  personal_data::Sealed name;
  std::string name_masked;
};

// False when a person with the same ID lookup hash already exists.
bool InsertPerson(pqxx::transaction_base& tx, const NewPerson& p);
std::vector<StoredPerson> ListPersons(pqxx::transaction_base& tx, const std::string& household_id);
// One person, the row locked FOR UPDATE until the transaction ends.
std::optional<StoredPerson> LockPerson(pqxx::transaction_base& tx, const std::string& person_id);
// Writes what an update may change: the sealed and masked name (from
// `p.name` and `p.person.name()`), relation, labour capacity, health,
// disability grade, schooling, insurance, employment. The ID number, sex,
// birth year and household stay.
void SavePersonFacts(pqxx::transaction_base& tx, const StoredPerson& p);

}  // namespace zx::monitoring
