#include "tools/zxgen/population.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/division/division.h"
#include "common/id_card/id_card.h"

namespace zx::zxgen {
namespace {

// SplitMix64: a household's draws depend on (seed, index) only, the same on
// every platform (the standard library's distributions are not).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t index) : state_(seed * 0x9E3779B97F4A7C15ULL ^ (index + 1)) {
    Next();
  }
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {  // Box-Muller
    const double u = 1.0 - Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * Uniform());
  }

 private:
  uint64_t state_;
};

// Household sizes 1..8 (per mille): rural Kashgar households are large.
constexpr int kSizePermille[] = {70, 140, 190, 240, 180, 100, 50, 30};

constexpr const char* kUyghurMale[] = {"艾力",     "买买提", "阿不都", "吐尔逊",
                                       "艾合买提", "库尔班", "热合曼", "伊力哈木"};
constexpr const char* kUyghurFemale[] = {"阿依古丽", "古丽",   "热依拉", "帕提古丽",
                                         "玛依拉",   "阿米娜", "努尔",   "祖丽皮亚"};
constexpr const char* kFamily[] = {"托合提", "吾斯曼", "艾则孜", "阿布拉", "卡德尔", "斯马伊"};

std::string NameOf(Rng& rng, bool male) {
  const char* given = male ? kUyghurMale[rng.Below(std::size(kUyghurMale))]
                           : kUyghurFemale[rng.Below(std::size(kUyghurFemale))];
  return absl::StrCat(given, "·", kFamily[rng.Below(std::size(kFamily))]);
}

const absl::CivilDay kEpoch(1900, 1, 1);

}  // namespace

std::string WithCheckDigit(const std::string& first17) {
  return first17 + id_card::CheckDigit(first17);
}

std::vector<CountyPlan> PlanPrefecture(const PopulationOptions& options) {
  std::vector<CountyPlan> plans;
  auto prefecture = division::Code::Parse(options.prefecture);
  if (!prefecture.ok()) return plans;
  for (const division::DivisionInfo* county : division::KnownChildren(*prefecture)) {
    if (county->code.level() != division::Level::kCounty) continue;
    plans.push_back({.county = county->code.str(), .name_zh = county->name_zh});
  }
  if (plans.empty()) return plans;
  const int64_t per_village = std::max(1, options.households_per_village);
  const int64_t villages = (options.households + per_village - 1) / per_village;
  const int64_t counties = static_cast<int64_t>(plans.size());
  int64_t first = 0;
  for (int64_t c = 0; c < counties; ++c) {
    // Whole villages, the remainder to the first counties.
    const int64_t own = villages / counties + (c < villages % counties ? 1 : 0);
    CountyPlan& plan = plans[c];
    const std::string county6 = plan.county.substr(0, 6);
    for (int64_t v = 0; v < own; ++v) {
      const int64_t township = 101 + v / options.villages_per_township;
      const int64_t village = 201 + v % options.villages_per_township;
      plan.villages.push_back({.code = absl::StrFormat("%s%03d%03d", county6, township, village),
                               .county = plan.county});
    }
    plan.first = first;
    plan.end = std::min(options.households, first + own * per_village);
    first = plan.end;
  }
  return plans;
}

CountyGenerator::CountyGenerator(const PopulationOptions& options, const CountyPlan& plan)
    : options_(options),
      plan_(plan),
      next_(plan.first),
      used_(static_cast<size_t>((options.today - kEpoch) + 1) * 2, 0),
      seed_offset_(static_cast<int>(Rng(options.seed, ~uint64_t{0}).Next() % 499)) {}

std::string CountyGenerator::IdNumber(absl::CivilDay birth, bool male) {
  // 499 sequence numbers per day and sex (odd for men, even for women); a
  // full day moves the birth date on by one (past today: back to 1920).
  for (;; birth = birth + 1) {
    if (birth > options_.today) birth = absl::CivilDay(1920, 1, 1);
    const size_t slot = static_cast<size_t>(birth - kEpoch) * 2 + (male ? 1 : 0);
    if (used_[slot] < 499) {
      // Offset by the seed, so two seeds' prefectures rarely share numbers.
      const int k = (used_[slot]++ + seed_offset_) % 499;
      const int sequence = male ? 2 * k + 1 : 2 * k + 2;
      return WithCheckDigit(absl::StrFormat("%s%04d%02d%02d%03d", plan_.county.substr(0, 6),
                                            birth.year(), birth.month(), birth.day(), sequence));
    }
  }
}

GeneratedHousehold CountyGenerator::Next() {
  const int64_t index = next_++;
  Rng rng(options_.seed, static_cast<uint64_t>(index));
  GeneratedHousehold out;
  v1::HouseholdImportRow& row = out.row;
  row.set_row_number(index + 1);
  const int64_t per_village = std::max(1, options_.households_per_village);
  const Village& village = plan_.villages[static_cast<size_t>((index - plan_.first) / per_village)];
  v1::Household& h = *row.mutable_household();
  h.set_village_code(village.code);
  const bool lifted = rng.Chance(0.25);
  h.set_category(lifted ? v1::HOUSEHOLD_CATEGORY_LIFTED : v1::HOUSEHOLD_CATEGORY_ORDINARY);
  h.set_relocated(lifted && rng.Chance(0.2));
  h.set_synthetic(true);

  int size = 1;
  for (int draw = rng.Below(1000), i = 0; i < 8; ++i) {
    if (draw < kSizePermille[i]) {
      size = i + 1;
      break;
    }
    draw -= kSizePermille[i];
  }
  const int head_age = 25 + rng.Below(46);
  const bool head_male = rng.Chance(0.85);
  int able = 0;
  bool illness = false;
  auto add = [&](v1::Relation relation, int age, bool male) {
    v1::Person& p = *row.add_persons();
    const absl::CivilDay birth = options_.today - (age * 365 + rng.Below(365));
    p.set_id_number(IdNumber(birth, male));
    p.set_name(NameOf(rng, male));
    p.set_relation(relation);
    const double health = rng.Uniform();
    if (health < 0.03) {
      p.set_health(v1::HEALTH_STATUS_DISABILITY);
      p.set_disability_grade(1 + rng.Below(4));
    } else if (health < 0.05) {
      p.set_health(v1::HEALTH_STATUS_SERIOUS_ILLNESS);
    } else if (health < 0.11) {
      p.set_health(v1::HEALTH_STATUS_CHRONIC_ILLNESS);
    } else {
      p.set_health(v1::HEALTH_STATUS_HEALTHY);
    }
    illness |= p.health() != v1::HEALTH_STATUS_HEALTHY;
    p.set_in_school((age >= 6 && age <= 18 && rng.Chance(0.97)) ||
                    (age >= 19 && age <= 22 && rng.Chance(0.3)));
    v1::LabourCapacity capacity = v1::LABOUR_CAPACITY_FULL;
    if (age < 16 || p.in_school() || p.health() == v1::HEALTH_STATUS_SERIOUS_ILLNESS ||
        (p.health() == v1::HEALTH_STATUS_DISABILITY && p.disability_grade() <= 2) ||
        (age > 65 && rng.Chance(0.6))) {
      capacity = v1::LABOUR_CAPACITY_NONE;
    } else if (age > 60 || p.health() != v1::HEALTH_STATUS_HEALTHY || rng.Chance(0.05)) {
      capacity = v1::LABOUR_CAPACITY_PARTIAL;
    }
    p.set_labour_capacity(capacity);
    p.set_medical_insured(rng.Chance(0.98));
    p.set_employed((capacity == v1::LABOUR_CAPACITY_FULL && rng.Chance(0.72)) ||
                   (capacity == v1::LABOUR_CAPACITY_PARTIAL && rng.Chance(0.25)));
    if (capacity != v1::LABOUR_CAPACITY_NONE) ++able;
  };
  add(v1::RELATION_HEAD, head_age, head_male);
  int members = 1;
  if (size >= 2) {
    add(v1::RELATION_SPOUSE, std::max(20, head_age - 5 + rng.Below(11)), !head_male);
    ++members;
  }
  if (size >= 6 && head_age <= 55) {
    add(v1::RELATION_PARENT, head_age + 22 + rng.Below(10), rng.Chance(0.5));
    ++members;
  }
  for (; members < size; ++members) {
    const int oldest = std::max(0, head_age - 20);
    if (head_age >= 60 && rng.Chance(0.4)) {
      add(v1::RELATION_GRANDCHILD, rng.Below(std::max(1, head_age - 45)), rng.Chance(0.5));
    } else {
      add(v1::RELATION_CHILD, rng.Below(oldest + 1), rng.Chance(0.5));
    }
  }
  h.set_member_count(size);
  // 两不愁三保障 and water as checked: met, but for a few households.
  v1::Guarantees& g = *row.mutable_guarantees();
  auto status = [&](double unmet) {
    return rng.Chance(unmet) ? v1::GUARANTEE_STATUS_UNMET : v1::GUARANTEE_STATUS_MET;
  };
  g.set_food_clothing(status(0.0005));
  g.set_compulsory_education(status(0.001));
  g.set_basic_medical(status(0.001));
  g.set_safe_housing(status(0.003));
  g.set_safe_water(status(0.002));

  // Net income per member over the year: log-normal about the line, so
  // that ~5% of households fall below it (P(z < -1.645) = 5%).
  constexpr double kSigma = 0.45;
  const double per_capita =
      static_cast<double>(options_.line_fen) * std::exp(kSigma * rng.Normal() + 1.645 * kSigma);
  out.per_capita_fen = std::max<int64_t>(100, static_cast<int64_t>(per_capita) / 100 * 100);
  const int64_t total = out.per_capita_fen * size;
  const double wage_share = able > 0 ? 0.45 + 0.3 * rng.Uniform() : 0.05 * rng.Uniform();
  const double transfer_share = lifted ? 0.10 + 0.10 * rng.Uniform() : 0.04 + 0.04 * rng.Uniform();
  const double property_share = 0.03 * rng.Uniform();
  const int64_t wage = static_cast<int64_t>(static_cast<double>(total) * wage_share);
  const int64_t transfer = static_cast<int64_t>(static_cast<double>(total) * transfer_share);
  const int64_t property = static_cast<int64_t>(static_cast<double>(total) * property_share);
  // Operating net income is the rest; its production costs come on top.
  const int64_t operating_net = std::max<int64_t>(0, total - wage - transfer - property);
  const int64_t cost =
      static_cast<int64_t>(static_cast<double>(operating_net) * (0.2 + 0.2 * rng.Uniform()));

  v1::SurveyRow& s = out.survey;
  s.set_row_number(index + 1);
  s.set_id_number(row.persons(0).id_number());
  s.set_month(absl::FormatCivilTime(absl::CivilMonth(options_.today) - 1));
  s.set_source(v1::RECORD_SOURCE_SURVEY);
  s.set_wage_fen(wage);
  s.set_operating_fen(operating_net + cost);
  s.set_property_fen(property);
  s.set_transfer_fen(total - wage - property - operating_net);
  s.set_production_cost_fen(cost);
  if (illness) s.set_medical_fen(static_cast<int64_t>(rng.Below(800)) * 10'000);
  if (rng.Chance(0.3)) s.set_education_fen(static_cast<int64_t>(rng.Below(300)) * 10'000);
  return out;
}

}  // namespace zx::zxgen
