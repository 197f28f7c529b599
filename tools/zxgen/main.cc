// zxgen: a synthetic prefecture streamed into the services' bulk RPCs.
//   zxgen --monitoring 127.0.0.1:7100 --assets 127.0.0.1:7101
//         --consumption 127.0.0.1:7103 --households 1000000 --seed 1
// (one line; the ports of ./zx up's Kashgar instance). Prints what was
// loaded.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/zxgen/zxgen.h"

int main(int argc, char** argv) {
  zx::zxgen::GenerateOptions o;
  o.population.today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  CLI::App app{
      "zxgen: a synthetic prefecture (real county codes, synthetic villages and "
      "households) streamed into the services' bulk RPCs"};
  app.add_option("--monitoring", o.monitoring, "monitoring service host:port")->required();
  app.add_option("--assets", o.assets, "assets service host:port (empty: no assets)");
  app.add_option("--consumption", o.consumption,
                 "consumption service host:port (empty: no suppliers, bindings, buyers)");
  app.add_option("--prefecture", o.population.prefecture, "12-digit prefecture code")
      ->capture_default_str();
  app.add_option("--households", o.population.households, "households to generate")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{20'000'000}));
  app.add_option("--seed", o.population.seed, "the same seed gives the same prefecture")
      ->capture_default_str();
  app.add_option("--households-per-village", o.population.households_per_village)
      ->capture_default_str()
      ->check(CLI::Range(1, 5'000));
  app.add_option("--line-fen", o.population.line_fen,
                 "monitoring line the income is drawn against (~5% below it)")
      ->capture_default_str();
  app.add_option("--streams", o.streams, "counties loaded at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--rows-per-message", o.rows_per_message)
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000));
  app.add_option("--assets-per-village", o.assets_per_village)->capture_default_str();
  app.add_option("--bindings-per-township", o.bindings_per_township)->capture_default_str();
  bool no_survey = false;
  app.add_flag("--no-survey", no_survey, "register households only, no year of income");
  app.add_option("--token", o.token,
                 "bearer token for every call (default: a development token of each county's "
                 "official)");
  app.add_flag("--quiet", o.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  o.survey = !no_survey;

  auto summary = zx::zxgen::Generate(o);
  if (!summary.ok()) {
    std::cerr << "zxgen: " << summary.status() << "\n";
    return 1;
  }
  const auto& s = *summary;
  const int64_t registered = s.households_accepted + s.households_already;
  std::cout << "households: " << s.households_accepted << " registered, " << s.households_already
            << " already registered (same seed), " << s.households_rejected << " refused\n"
            << "persons:    " << s.persons << "\n"
            << "survey:     " << s.survey_accepted << " accepted, " << s.survey_already
            << " already, " << s.survey_rejected << " refused\n"
            << "assets:     " << s.assets << " in " << s.projects << " projects\n"
            << "suppliers:  " << s.suppliers << ", bindings " << s.bindings << ", buyers "
            << s.buyers << "\n"
            << "registry:   " << s.registry_seconds << " s ("
            << static_cast<int64_t>(static_cast<double>(registered) /
                                    std::max(s.registry_seconds, 1e-9))
            << " households/s with their survey rows); total " << s.total_seconds << " s\n";
  if (!s.first_rejection.empty()) std::cout << "first refusal: " << s.first_rejection << "\n";
  return s.households_rejected + s.survey_rejected == 0 ? 0 : 2;
}
