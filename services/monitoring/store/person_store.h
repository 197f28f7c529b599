// PostgreSQL access for persons. Personal data arrives sealed (see
// common/personal_data) and leaves sealed: the API decides what to open.
#pragma once

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

}  // namespace zx::monitoring
