// The synthetic prefecture of tools/zxgen: villages on the real county codes
// of common/division/divisions.csv (townships and villages synthetic), and
// households with their members and a year's income, deterministic by seed.
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::zxgen {

namespace v1 = ::zx::monitoring::v1;

struct PopulationOptions {
  std::string prefecture = "653100000000";  // Kashgar
  int64_t households = 1'000;
  uint64_t seed = 1;
  int households_per_village = 300;  // a Kashgar village has some 200-400
  int villages_per_township = 20;
  int64_t line_fen = 800'000;  // the monitoring line the income is drawn against
  // The survey month and the day ages are counted from.
  absl::CivilDay today = absl::CivilDay(2026, 11, 24);
};

struct Village {
  std::string code;    // 12 digits: county + township 1xx + village 2xx
  std::string county;  // the county's 12-digit code
};

// One county's share of the households: [first, end) of the global index,
// in whole villages.
struct CountyPlan {
  std::string county;
  std::string name_zh;
  std::vector<Village> villages;
  int64_t first = 0;
  int64_t end = 0;
};

// The counties of the prefecture (every known county-level child, in code
// order) with the households split evenly among them, village by village.
// Empty when the prefecture has no known counties.
std::vector<CountyPlan> PlanPrefecture(const PopulationOptions& options);

// A household as registered plus its survey row (the year's income and
// rigid spending, recorded in the last month as an annual verification).
struct GeneratedHousehold {
  v1::HouseholdImportRow row;  // row_number = global index + 1
  v1::SurveyRow survey;        // id_number = the head's; row_number = global index + 1
  int64_t per_capita_fen = 0;  // net income per member over the year
};

// Generates a county's households in index order. ID numbers are unique
// within the county (its 6-digit code, a birth date, a sequence number per
// date and sex), so counties can be generated independently and in
// parallel; every household's draws come from its own seeded stream.
class CountyGenerator {
 public:
  CountyGenerator(const PopulationOptions& options, const CountyPlan& plan);
  bool HasNext() const { return next_ < plan_.end; }
  GeneratedHousehold Next();  // precondition: HasNext()

 private:
  std::string IdNumber(absl::CivilDay birth, bool male);

  PopulationOptions options_;
  CountyPlan plan_;
  int64_t next_;
  // Sequence numbers used per (birth day, sex): day index from 1900-01-01.
  std::vector<uint16_t> used_;
  int seed_offset_;
};

// The 18th character of a GB 11643 number (re-exported for tests).
std::string WithCheckDigit(const std::string& first17);

}  // namespace zx::zxgen
