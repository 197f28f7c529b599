// tools/zxgen: streams a synthetic prefecture (population.h) into the
// services' bulk RPCs — monitoring ImportHouseholds and IngestSurvey — and
// gives each village its assets (assets service) and each township a
// cooperative bound to households, with buyers per county (consumption).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tools/zxgen/population.h"

namespace zx::zxgen {

struct GenerateOptions {
  PopulationOptions population;
  std::string monitoring;   // host:port; required
  std::string assets;       // host:port; empty: no assets
  std::string consumption;  // host:port; empty: no suppliers, bindings or buyers
  int streams = 4;          // counties loaded at once, one pair of streams each
  int rows_per_message = 500;
  bool survey = true;              // also stream each household's year of income
  int assets_per_village = 2;      // 0: none
  int bindings_per_township = 20;  // households bound to the township's cooperative
  // Bearer token for every call; empty: a development token of each
  // county's official ("dev.<county>.county_official.zxgen").
  std::string token;
  bool quiet = false;
};

struct GenerateSummary {
  int64_t households_accepted = 0;
  int64_t households_already = 0;  // accepted by an earlier run with the same seed
  int64_t households_rejected = 0;
  int64_t persons = 0;
  int64_t survey_accepted = 0;
  int64_t survey_already = 0;
  int64_t survey_rejected = 0;
  int64_t projects = 0;
  int64_t assets = 0;
  int64_t suppliers = 0;
  int64_t bindings = 0;
  int64_t buyers = 0;
  double registry_seconds = 0;  // households + survey
  double total_seconds = 0;
  std::string first_rejection;  // "row N: field: reason" of the first refused row
};

// Runs the whole load; an error names the call that failed. Re-running with
// the same seed and options registers nothing twice (the batch ids and row
// numbers are the same), and re-uses the request ids of the unary calls.
absl::StatusOr<GenerateSummary> Generate(const GenerateOptions& options);

}  // namespace zx::zxgen
