#include "services/assets/domain/assets.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/base/strings.h"

namespace zx::assets {
namespace {

const char* ProjectStatusName(v1::ProjectStatus s) {
  switch (s) {
    case v1::PROJECT_STATUS_PLANNED:
      return "planned";
    case v1::PROJECT_STATUS_APPROVED:
      return "approved";
    case v1::PROJECT_STATUS_IN_PROGRESS:
      return "in progress";
    case v1::PROJECT_STATUS_COMPLETED:
      return "completed";
    case v1::PROJECT_STATUS_ACCEPTED:
      return "accepted";
    default:
      return "unspecified";
  }
}

const char* AssetStateName(v1::AssetState s) {
  switch (s) {
    case v1::ASSET_STATE_REGISTERED:
      return "registered";
    case v1::ASSET_STATE_OWNERSHIP_CONFIRMED:
      return "ownership confirmed";
    case v1::ASSET_STATE_TRANSFERRED:
      return "transferred";
    case v1::ASSET_STATE_IN_OPERATION:
      return "in operation";
    case v1::ASSET_STATE_IDLE:
      return "idle";
    case v1::ASSET_STATE_DISPOSED:
      return "disposed";
    default:
      return "unspecified";
  }
}

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

}  // namespace

void CheckAmount(std::string_view field, money::Fen amount, errors::Validator& v,
                 bool zero_allowed) {
  if (amount < (zero_allowed ? 0 : 1) || amount > money::kMaxAmountFen) {
    v.Add(std::string(field),
          absl::StrCat("must be ", zero_allowed ? 0 : 1, "..1,000,000,000,000 fen (100 亿 yuan)"));
  }
}

money::Fen Saturate(__int128 sum) {
  constexpr money::Fen kMax = std::numeric_limits<money::Fen>::max();
  constexpr money::Fen kMin = std::numeric_limits<money::Fen>::min();
  return sum > kMax ? kMax : sum < kMin ? kMin : static_cast<money::Fen>(sum);
}

Policy ResolvePolicy(const std::vector<PublishedPolicy>& published, const division::Code& division,
                     int year) {
  // Each level's own latest policy (a level may revise its own figures
  // either way).
  std::map<division::Level, const PublishedPolicy*> by_level;
  for (const auto& p : published) {
    if (!p.owner.IsAncestorOrSelfOf(division) || p.year > year) continue;
    const PublishedPolicy*& best = by_level[p.owner.level()];
    if (!best || std::tuple(p.year, p.seq) > std::tuple(best->year, best->seq)) best = &p;
  }
  // Then down the chain a level only tightens what the levels above set:
  // the figures are floors the region (RULES: "set per region and year")
  // and each higher level commit to, and a county publishing an industry
  // share of 1 bp or a disposal threshold of 9e18 fen must not switch off
  // the prefecture's or region's check for its own projects and disposals.
  // Minimum shares and income targets take the largest value along the
  // chain, the prefecture disposal threshold the smallest. Where the region
  // published nothing, RULES' defaults stand in for it.
  Policy out;
  std::vector<std::string> versions;
  for (const auto& [level, p] : by_level) {
    const Policy& f = p->policy;
    versions.push_back(p->policy.version);
    if (level == division::Level::kRegion) {
      out = f;
      continue;
    }
    out.industry_share_of_linking_bp =
        std::max(out.industry_share_of_linking_bp, f.industry_share_of_linking_bp);
    out.dual_binding_share_of_integrated_bp =
        std::max(out.dual_binding_share_of_integrated_bp, f.dual_binding_share_of_integrated_bp);
    out.prefecture_disposal_threshold_fen =
        std::min(out.prefecture_disposal_threshold_fen, f.prefecture_disposal_threshold_fen);
    out.village_collective_income_min_fen =
        std::max(out.village_collective_income_min_fen, f.village_collective_income_min_fen);
    out.township_collective_income_avg_min_fen = std::max(
        out.township_collective_income_avg_min_fen, f.township_collective_income_avg_min_fen);
  }
  // The versions that contributed, region first.
  if (!versions.empty()) out.version = absl::StrJoin(versions, "+");
  return out;
}

const PublishedPolicy* ChoosePolicy(const std::vector<PublishedPolicy>& published,
                                    const division::Code& division, int year) {
  const PublishedPolicy* best = nullptr;
  for (const auto& p : published) {
    if (!p.owner.IsAncestorOrSelfOf(division) || p.year > year) continue;
    if (!best || std::tuple(p.owner.level(), p.year, p.seq) >
                     std::tuple(best->owner.level(), best->year, best->seq)) {
      best = &p;
    }
  }
  return best;
}

void ValidatePolicy(const v1::AssetsPolicy& p, errors::Validator& v) {
  if (p.version().empty() || p.version().size() > 64) {
    v.Add("policy.version", "is required (1..64 bytes)");
  }
  if (p.year() < 2013 || p.year() > 2100) v.Add("policy.year", "must be 2013..2100");
  const auto bp = [&](const char* field, int32_t value) {
    if (value < 1 || value > 10000) {
      v.Add(absl::StrCat("policy.", field), "must be 1..10000 basis points");
    }
  };
  bp("industry_share_of_linking_bp", p.industry_share_of_linking_bp());
  bp("dual_binding_share_of_integrated_bp", p.dual_binding_share_of_integrated_bp());
  CheckAmount("policy.prefecture_disposal_threshold_fen", p.prefecture_disposal_threshold_fen(), v);
  CheckAmount("policy.village_collective_income_min_fen", p.village_collective_income_min_fen(), v,
              /*zero_allowed=*/true);
  CheckAmount("policy.township_collective_income_avg_min_fen",
              p.township_collective_income_avg_min_fen(), v, /*zero_allowed=*/true);
}

Policy PolicyFromProto(const v1::AssetsPolicy& p) {
  return Policy{
      .version = p.version(),
      .industry_share_of_linking_bp = p.industry_share_of_linking_bp(),
      .dual_binding_share_of_integrated_bp = p.dual_binding_share_of_integrated_bp(),
      .prefecture_disposal_threshold_fen = p.prefecture_disposal_threshold_fen(),
      .village_collective_income_min_fen = p.village_collective_income_min_fen(),
      .township_collective_income_avg_min_fen = p.township_collective_income_avg_min_fen()};
}

v1::AssetsPolicy PolicyToProto(const Policy& p) {
  v1::AssetsPolicy out;
  out.set_version(p.version);
  out.set_industry_share_of_linking_bp(p.industry_share_of_linking_bp);
  out.set_dual_binding_share_of_integrated_bp(p.dual_binding_share_of_integrated_bp);
  out.set_prefecture_disposal_threshold_fen(p.prefecture_disposal_threshold_fen);
  out.set_village_collective_income_min_fen(p.village_collective_income_min_fen);
  out.set_township_collective_income_avg_min_fen(p.township_collective_income_avg_min_fen);
  return out;
}

absl::Status CheckProjectTransition(v1::ProjectStatus from, v1::ProjectStatus to) {
  const bool ok = from >= v1::PROJECT_STATUS_PLANNED && from < v1::PROJECT_STATUS_ACCEPTED &&
                  static_cast<int>(to) == static_cast<int>(from) + 1;
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "a project cannot go from ", ProjectStatusName(from), " to ", ProjectStatusName(to),
      ": the order is planned -> approved -> in progress -> completed -> accepted, "
      "one step at a time"));
}

absl::Status CheckAssetTransition(v1::AssetState from, v1::AssetState to) {
  using S = v1::AssetState;
  bool ok = false;
  switch (from) {
    case S::ASSET_STATE_REGISTERED:
      ok = to == S::ASSET_STATE_OWNERSHIP_CONFIRMED;
      break;
    case S::ASSET_STATE_OWNERSHIP_CONFIRMED:
      ok = to == S::ASSET_STATE_TRANSFERRED;
      break;
    case S::ASSET_STATE_TRANSFERRED:
      ok = to == S::ASSET_STATE_IN_OPERATION || to == S::ASSET_STATE_IDLE ||
           to == S::ASSET_STATE_DISPOSED;
      break;
    case S::ASSET_STATE_IN_OPERATION:
      ok = to == S::ASSET_STATE_IDLE || to == S::ASSET_STATE_DISPOSED;
      break;
    case S::ASSET_STATE_IDLE:
      ok = to == S::ASSET_STATE_IN_OPERATION || to == S::ASSET_STATE_DISPOSED;
      break;
    default:
      ok = false;
  }
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "an asset cannot go from ", AssetStateName(from), " to ", AssetStateName(to),
      ": registered -> ownership confirmed -> transferred -> in operation | idle -> disposed"));
}

absl::Status CheckProjectAllowsTransfer(v1::ProjectStatus status) {
  if (status == v1::PROJECT_STATUS_COMPLETED || status == v1::PROJECT_STATUS_ACCEPTED) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the asset's project is ", ProjectStatusName(status),
                   ": an asset is transferred (移交) only once its project is completed"));
}

absl::Status CheckProjectCoversLocation(const v1::Project& project, std::string_view location) {
  auto project_division = division::Code::Parse(project.division_code());
  auto asset_location = division::Code::Parse(std::string(location));
  if (project_division.ok() && asset_location.ok() &&
      project_division->IsAncestorOrSelfOf(*asset_location)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("project ", project.project_id(), " is of division ", project.division_code(),
                   ", which does not contain the asset's location ", AsAbsl(location),
                   ": an asset is formed by a project of its own place"));
}

bool IsHouseholdId(std::string_view id) { return IsId(id, "hh"); }

bool IsPeriod(std::string_view period) {
  absl::CivilMonth m;
  return period.size() == 7 && absl::ParseCivilTime(std::string(period), &m);
}

v1::RegistrationSystem RegistrationSystemFor(v1::OwnerLevel level) {
  switch (level) {
    case v1::OWNER_LEVEL_COUNTY_DEPARTMENT:
    case v1::OWNER_LEVEL_TOWNSHIP:
      return v1::REGISTRATION_SYSTEM_STATE_ASSETS;
    case v1::OWNER_LEVEL_VILLAGE_COLLECTIVE:
      return v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS;
    case v1::OWNER_LEVEL_HOUSEHOLD:
      return v1::REGISTRATION_SYSTEM_LOCAL_REGISTER;
    default:
      return v1::REGISTRATION_SYSTEM_UNSPECIFIED;
  }
}

money::Fen ValidateFundingLines(const google::protobuf::RepeatedPtrField<v1::FundingLine>& lines,
                                std::string_view prefix_view, errors::Validator& v) {
  const std::string prefix(prefix_view);
  if (lines.empty()) {
    v.Add(std::string(prefix), "at least one funding line is required");
    return 0;
  }
  if (lines.size() > kMaxFundingLines) {
    v.CheckCount(prefix, lines.size(), kMaxFundingLines);
    return 0;
  }
  money::Fen total = 0;
  bool ok = true;
  for (int i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const std::string at = absl::StrCat(prefix, "[", i, "]");
    if (l.source() == v1::FUNDING_SOURCE_UNSPECIFIED || !v1::FundingSource_IsValid(l.source())) {
      v.Add(at + ".source", "must be a known funding source");
      ok = false;
    }
    if (l.amount_fen() <= 0 || l.amount_fen() > money::kMaxAmountFen) {
      CheckAmount(at + ".amount_fen", l.amount_fen(), v);
      ok = false;
      continue;
    }
    if (l.dual_binding() && l.source() != v1::FUNDING_SOURCE_INTEGRATED_AGRICULTURAL) {
      v.Add(at + ".dual_binding", "applies to integrated agricultural funds only (RULES A7)");
      ok = false;
    }
    auto sum = money::Add(total, l.amount_fen());
    if (!sum.ok()) {
      v.Add(std::string(prefix), "the total does not fit in int64 fen");
      return 0;
    }
    total = *sum;
  }
  return ok ? total : 0;
}

money::Fen ValidateNewProject(const v1::Project& p, const division::Code& instance,
                              errors::Validator& v) {
  if (Blank(p.name()) || p.name().size() > 200) v.Add("project.name", "is required (1..200 bytes)");
  if (p.year() < 2013 || p.year() > 2100) {
    v.Add("project.year", "must be 2013..2100 (RULES A2: assets formed since 2013)");
  }
  auto division = division::Code::Parse(p.division_code());
  if (!division.ok()) {
    v.Add("project.division_code", std::string(division.status().message()));
  } else if (division->level() < division::Level::kCounty ||
             !instance.IsAncestorOrSelfOf(*division)) {
    v.Add("project.division_code",
          absl::StrCat("must be a county, township or village inside ", instance.str()));
  }
  if (p.category() == v1::PROJECT_CATEGORY_UNSPECIFIED ||
      !v1::ProjectCategory_IsValid(p.category())) {
    v.Add("project.category", "must be a known category");
  }
  if (Blank(p.implementing_unit()) || p.implementing_unit().size() > 200) {
    v.Add("project.implementing_unit", "is required (1..200 bytes)");
  }
  return ValidateFundingLines(p.funding_lines(), "project.funding_lines", v);
}

void ValidateNewAsset(const v1::Asset& a, const division::Code& instance, errors::Validator& v) {
  if (!IsId(a.project_id(), "pj"))
    v.Add("asset.project_id", "must look like pj- and 20 hex digits");
  if (Blank(a.name())) {
    v.Add("asset.name", "is required");
  } else if (a.name().size() > 200) {
    v.Add("asset.name", "must be at most 200 bytes");
  }
  if (a.asset_class() == v1::ASSET_CLASS_UNSPECIFIED || !v1::AssetClass_IsValid(a.asset_class())) {
    v.Add("asset.asset_class", "must be OPERATING, PUBLIC_WELFARE or HOUSEHOLD (RULES A1)");
  }
  if (a.asset_type() == v1::ASSET_TYPE_UNSPECIFIED || !v1::AssetType_IsValid(a.asset_type())) {
    v.Add("asset.asset_type", "must be a known asset type");
  }
  CheckAmount("asset.original_value_fen", a.original_value_fen(), v);
  auto loc = division::Code::Parse(a.location_division_code());
  if (!loc.ok()) {
    v.Add("asset.location_division_code", std::string(loc.status().message()));
  } else if (loc->level() < division::Level::kCounty || !instance.IsAncestorOrSelfOf(*loc)) {
    v.Add("asset.location_division_code",
          absl::StrCat("must be a county, township or village inside ", instance.str()));
  }
  if (a.location_detail().size() > 500) v.Add("asset.location_detail", "must be at most 500 bytes");
  const money::Fen funded = ValidateFundingLines(a.funding(), "asset.funding", v);
  if (funded > 0 && a.original_value_fen() > 0 && a.original_value_fen() <= money::kMaxAmountFen &&
      funded != a.original_value_fen()) {
    v.Add("asset.funding", absl::StrCat("the funding lines sum to ", money::FormatYuan(funded),
                                        " yuan but the original value is ",
                                        money::FormatYuan(a.original_value_fen()), " yuan"));
  }
  if (a.custodian().size() > 200) v.Add("asset.custodian", "must be at most 200 bytes");
  if (a.operator_().size() > 200) v.Add("asset.operator", "must be at most 200 bytes");
  if (!a.has_ownership()) {
    v.Add("asset.ownership", "is required: the intended owner (谁主管、谁负责)");
  } else {
    ValidateOwnership(a.asset_class(), a.ownership(), instance, /*confirming=*/false,
                      "asset.ownership.", v);
  }
}

void ValidateOwnership(v1::AssetClass asset_class, const v1::Ownership& o,
                       const division::Code& instance, bool confirming,
                       std::string_view prefix_view, errors::Validator& v) {
  const std::string prefix(prefix_view);
  const auto f = [&](const char* name) { return absl::StrCat(prefix, name); };
  if (o.level() == v1::OWNER_LEVEL_UNSPECIFIED || !v1::OwnerLevel_IsValid(o.level())) {
    v.Add(f("level"), "must be COUNTY_DEPARTMENT, TOWNSHIP, VILLAGE_COLLECTIVE or HOUSEHOLD");
    return;
  }
  if (asset_class == v1::ASSET_CLASS_HOUSEHOLD && o.level() != v1::OWNER_LEVEL_HOUSEHOLD) {
    v.Add(f("level"), "a household asset must be owned by a household (RULES A3)");
  }
  if (asset_class != v1::ASSET_CLASS_HOUSEHOLD && o.level() == v1::OWNER_LEVEL_HOUSEHOLD) {
    v.Add(f("level"), "only household assets (到户类) are owned by households (RULES A1)");
  }
  if (asset_class == v1::ASSET_CLASS_OPERATING && o.level() != v1::OWNER_LEVEL_VILLAGE_COLLECTIVE &&
      Blank(o.exception_reason())) {
    v.Add(f("exception_reason"),
          "an operating asset is confirmed to a village collective; another owner needs a "
          "recorded reason (RULES A3)");
  }
  if (o.exception_reason().size() > 1000)
    v.Add(f("exception_reason"), "must be at most 1000 bytes");
  if (o.owner_name().size() > 200) v.Add(f("owner_name"), "must be at most 200 bytes");
  auto div = division::Code::Parse(o.owner_division_code());
  std::optional<division::Level> want;
  switch (o.level()) {
    case v1::OWNER_LEVEL_COUNTY_DEPARTMENT:
      want = division::Level::kCounty;
      if (Blank(o.owner_id()) || o.owner_id().size() > 100) {
        v.Add(f("owner_id"), "must name the department (1..100 bytes)");
      }
      break;
    case v1::OWNER_LEVEL_TOWNSHIP:
      want = division::Level::kTownship;
      if (o.owner_id() != o.owner_division_code()) {
        v.Add(f("owner_id"), "must be the township's division code");
      }
      break;
    case v1::OWNER_LEVEL_VILLAGE_COLLECTIVE:
      want = division::Level::kVillage;
      if (o.owner_id() != o.owner_division_code()) {
        v.Add(f("owner_id"), "must be the village's division code");
      }
      break;
    case v1::OWNER_LEVEL_HOUSEHOLD:
      want = division::Level::kVillage;
      if (!IsHouseholdId(o.owner_id()))
        v.Add(f("owner_id"), "must look like hh- and 20 hex digits");
      break;
    default:
      break;
  }
  if (!div.ok()) {
    v.Add(f("owner_division_code"), std::string(div.status().message()));
  } else if (want && div->level() != *want) {
    v.Add(f("owner_division_code"), absl::StrCat("must be a ", AsAbsl(division::LevelName(*want)),
                                                 " code for this owner level"));
  } else if (!instance.IsAncestorOrSelfOf(*div)) {
    v.Add(f("owner_division_code"), absl::StrCat("must lie inside ", instance.str()));
  }
  if (confirming) {
    const auto system = RegistrationSystemFor(o.level());
    if (o.registration_system() != system) {
      v.Add(f("registration_system"), absl::StrCat("must be ", v1::RegistrationSystem_Name(system),
                                                   " for this owner level (RULES A3)"));
    }
    if (Blank(o.registration_ref()) || o.registration_ref().size() > 100) {
      v.Add(f("registration_ref"), "is required: the external system's reference (1..100 bytes)");
    }
  }
}

// ---- A7 -------------------------------------------------------------------------

v1::FundingReport BuildFundingReport(const std::vector<ProjectFunding>& projects,
                                     const Policy& policy) {
  // Each project's total fits int64, their sum need not (found by fuzzing):
  // sums are exact in 128 bits, saturated to int64 only when reported; the
  // A7 checks compare the exact sums.
  using Sum = __int128;
  std::map<int, Sum> by_source, by_category;
  Sum total = 0, linking = 0, linking_industry = 0, integrated = 0, dual = 0;
  for (const auto& p : projects) {
    for (const auto& l : p.lines) {
      by_source[l.source()] += l.amount_fen();
      by_category[p.category] += l.amount_fen();
      total += l.amount_fen();
      const bool is_linking = l.source() == v1::FUNDING_SOURCE_CENTRAL_LINKING ||
                              l.source() == v1::FUNDING_SOURCE_REGION_LINKING;
      if (is_linking) {
        linking += l.amount_fen();
        if (p.category == v1::PROJECT_CATEGORY_INDUSTRY) linking_industry += l.amount_fen();
      }
      if (l.source() == v1::FUNDING_SOURCE_INTEGRATED_AGRICULTURAL) {
        integrated += l.amount_fen();
        if (l.dual_binding()) dual += l.amount_fen();
      }
    }
  }
  v1::FundingReport r;
  r.set_project_count(static_cast<int32_t>(projects.size()));
  r.set_total_fen(Saturate(total));
  for (const auto& [s, amount] : by_source) {
    auto* t = r.add_by_source();
    t->set_source(static_cast<v1::FundingSource>(s));
    t->set_amount_fen(Saturate(amount));
  }
  for (const auto& [c, amount] : by_category) {
    auto* t = r.add_by_category();
    t->set_category(static_cast<v1::ProjectCategory>(c));
    t->set_amount_fen(Saturate(amount));
  }
  const auto check = [&](std::string rule, std::string what, Sum num, Sum den, int32_t threshold) {
    auto* c = r.add_checks();
    c->set_rule(std::move(rule));
    c->set_numerator_fen(Saturate(num));
    c->set_denominator_fen(Saturate(den));
    c->set_threshold_bp(threshold);
    if (den == 0) {
      c->set_not_applicable(true);
      c->set_passed(true);
      c->set_description(absl::StrCat(what, ": no such funds this year"));
      return;
    }
    // num ≤ den: num × 10000 fits 128 bits for any sum of int64 lines.
    c->set_share_bp(static_cast<int32_t>(num * 10000 / den));
    // Exact comparison: num / den >= threshold / 10000.
    const bool passed = num * 10000 >= den * threshold;
    c->set_passed(passed);
    c->set_description(absl::StrCat(what, ": ", money::FormatYuan(Saturate(num)), " of ",
                                    money::FormatYuan(Saturate(den)),
                                    " yuan = ", c->share_bp() / 100.0, "% (minimum ",
                                    threshold / 100.0, "%): ", passed ? "passed" : "failed"));
  };
  check("A7.industry_share_of_linking_funds", "industry development share of linking funds",
        linking_industry, linking, policy.industry_share_of_linking_bp);
  check("A7.dual_binding_share_of_integrated_funds",
        "share of integrated agricultural funds to 双绑 enterprises and cooperatives", dual,
        integrated, policy.dual_binding_share_of_integrated_bp);
  r.set_policy_version(policy.version);
  return r;
}

// ---- A5 -------------------------------------------------------------------------

bool IsForbiddenUse(v1::DistributionUse use) { return static_cast<int>(use) >= 100; }

const char* ForbiddenUseName(v1::DistributionUse use) {
  switch (use) {
    case v1::DISTRIBUTION_USE_COMMITTEE_RUNNING_COSTS:
      return "village-committee running costs (村委会运转经费)";
    case v1::DISTRIBUTION_USE_VEHICLES:
      return "buying vehicles";
    case v1::DISTRIBUTION_USE_PHONES:
      return "phones";
    case v1::DISTRIBUTION_USE_ALLOWANCES_AND_WELFARE:
      return "allowances and welfare (津补贴、福利)";
    case v1::DISTRIBUTION_USE_LOSSES_OR_DEBT:
      return "covering losses or debt";
    case v1::DISTRIBUTION_USE_BUILDINGS:
      return "buildings (楼堂馆所)";
    case v1::DISTRIBUTION_USE_LARGE_INFRASTRUCTURE:
      return "large infrastructure";
    default:
      return "";
  }
}

std::vector<money::Fen> SplitByWeights(money::Fen amount, const std::vector<int64_t>& weights) {
  std::vector<money::Fen> out(weights.size(), 0);
  if (weights.empty()) return out;
  __int128 total_weight = 0;
  for (int64_t w : weights) total_weight += w;
  std::vector<std::pair<__int128, size_t>> remainders;
  money::Fen given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 exact = static_cast<__int128>(amount) * weights[i];
    out[i] = static_cast<money::Fen>(exact / total_weight);
    given += out[i];
    remainders.push_back({exact % total_weight, i});
  }
  // Largest remainder first; ties to the earlier index.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < amount && k < remainders.size(); ++k, ++given) {
    ++out[remainders[k].second];
  }
  return out;
}

absl::StatusOr<std::vector<PlannedLine>> PlanDistribution(
    money::Fen amount_fen, const google::protobuf::RepeatedPtrField<v1::DistributionShare>& shares,
    const google::protobuf::RepeatedPtrField<v1::HouseholdShare>& households) {
  errors::Validator v;
  if (amount_fen <= 0) v.Add("amount_fen", "must be positive (fen)");
  if (shares.empty()) v.Add("shares", "at least one share is required");
  // Caps first: the checks below build a set and a message per entry.
  v.CheckCount("shares", shares.size(), kMaxDistributionShares);
  v.CheckCount("households", households.size(), kMaxDistributionHouseholds);
  if (!v.ok()) return v.ToStatus();
  int64_t bp_total = 0;
  int household_share = -1;
  std::set<int> seen;
  for (int i = 0; i < shares.size(); ++i) {
    const auto& s = shares[i];
    const std::string at = absl::StrCat("shares[", i, "]");
    if (IsForbiddenUse(s.use()) && v1::DistributionUse_IsValid(s.use())) {
      v.Add(at + ".use",
            absl::StrCat("RULES A5 forbids using asset income for ", ForbiddenUseName(s.use())));
    } else if (s.use() == v1::DISTRIBUTION_USE_UNSPECIFIED ||
               !v1::DistributionUse_IsValid(s.use())) {
      v.Add(at + ".use", "must be a known use");
    } else if (!seen.insert(s.use()).second) {
      v.Add(at + ".use", "each use appears once");
    }
    if (s.share_bp() <= 0 || s.share_bp() > 10000) {
      v.Add(at + ".share_bp", "must be 1..10000 basis points");
    }
    bp_total += s.share_bp();
    if (s.use() == v1::DISTRIBUTION_USE_HOUSEHOLDS) household_share = i;
  }
  if (!shares.empty() && bp_total != 10000) {
    v.Add("shares", absl::StrCat("the shares sum to ", bp_total, " basis points, not 10000"));
  }
  if (household_share >= 0 && households.empty()) {
    v.Add("households", "a HOUSEHOLDS share needs the households that receive it");
  }
  if (household_share < 0 && !households.empty()) {
    v.Add("households", "households are listed but no share is for HOUSEHOLDS");
  }
  std::set<std::string> ids;
  for (int i = 0; i < households.size(); ++i) {
    const auto& h = households[i];
    const std::string at = absl::StrCat("households[", i, "]");
    if (!IsHouseholdId(h.household_id())) {
      v.Add(at + ".household_id", "must look like hh- and 20 hex digits");
    } else if (!ids.insert(h.household_id()).second) {
      v.Add(at + ".household_id", "each household appears once");
    }
    auto village = division::Code::Parse(h.village_code());
    if (!village.ok() || village->level() != division::Level::kVillage) {
      v.Add(at + ".village_code", "must be a 12-digit village code");
    }
    if (h.weight() <= 0) v.Add(at + ".weight", "must be positive");
  }
  if (!v.ok()) return v.ToStatus();

  std::vector<int64_t> bps;
  for (const auto& s : shares) bps.push_back(s.share_bp());
  const auto by_use = SplitByWeights(amount_fen, bps);
  std::vector<PlannedLine> out;
  if (household_share >= 0) {
    std::vector<int64_t> weights;
    for (const auto& h : households) weights.push_back(h.weight());
    const auto each = SplitByWeights(by_use[household_share], weights);
    for (int i = 0; i < households.size(); ++i) {
      out.push_back({.use = v1::DISTRIBUTION_USE_HOUSEHOLDS,
                     .household_id = households[i].household_id(),
                     .village_code = households[i].village_code(),
                     .amount_fen = each[i]});
    }
  }
  for (int i = 0; i < shares.size(); ++i) {
    if (i == household_share) continue;
    out.push_back({.use = shares[i].use(), .amount_fen = by_use[i]});
  }
  return out;
}

// ---- A6 -------------------------------------------------------------------------

std::vector<v1::ApprovalStep> RequiredSteps(v1::OwnerLevel owner_level, money::Fen value_fen,
                                            const Policy& policy) {
  std::vector<v1::ApprovalStep> steps;
  if (owner_level == v1::OWNER_LEVEL_VILLAGE_COLLECTIVE ||
      owner_level == v1::OWNER_LEVEL_HOUSEHOLD) {
    steps.push_back(v1::APPROVAL_STEP_VILLAGE_MEETING);
  }
  if (owner_level != v1::OWNER_LEVEL_COUNTY_DEPARTMENT) {
    steps.push_back(v1::APPROVAL_STEP_TOWNSHIP);
  }
  steps.push_back(v1::APPROVAL_STEP_COUNTY_DEPARTMENT);
  steps.push_back(v1::APPROVAL_STEP_COUNTY_FINANCE);
  if (value_fen > policy.prefecture_disposal_threshold_fen) {
    steps.push_back(v1::APPROVAL_STEP_PREFECTURE);
  }
  return steps;
}

std::optional<v1::ApprovalStep> NextStep(const std::vector<v1::ApprovalStep>& required,
                                         const std::vector<v1::ApprovalStep>& approved) {
  for (auto step : required) {
    if (std::find(approved.begin(), approved.end(), step) == approved.end()) return step;
  }
  return std::nullopt;
}

absl::Status CheckApprover(v1::ApprovalStep step, division::Level level, std::string_view role,
                           std::string_view department) {
  division::Level want = division::Level::kCounty;
  bool role_ok = true;
  switch (step) {
    case v1::APPROVAL_STEP_VILLAGE_MEETING:
      want = division::Level::kVillage;
      break;
    case v1::APPROVAL_STEP_TOWNSHIP:
      want = division::Level::kTownship;
      break;
    case v1::APPROVAL_STEP_COUNTY_DEPARTMENT:
      // The competent department; finance records its own step (RULES A6
      // needs both), so it cannot stand in for the department.
      want = division::Level::kCounty;
      role_ok = (role == "department" && department != "finance") || role == "county_official";
      break;
    case v1::APPROVAL_STEP_COUNTY_FINANCE:
      want = division::Level::kCounty;
      role_ok = (role == "department" && department == "finance") || role == "county_official";
      break;
    case v1::APPROVAL_STEP_PREFECTURE:
      want = division::Level::kPrefecture;
      break;
    default:
      return absl::InvalidArgumentError("unknown approval step");
  }
  if (level != want || !role_ok) {
    return absl::PermissionDeniedError(absl::StrCat(
        "step ", v1::ApprovalStep_Name(step), " is recorded at ", AsAbsl(division::LevelName(want)),
        " level", step == v1::APPROVAL_STEP_COUNTY_FINANCE ? " by the finance department" : "",
        step == v1::APPROVAL_STEP_COUNTY_DEPARTMENT
            ? " by the competent department (not finance, which records COUNTY_FINANCE)"
            : "",
        " (RULES A6)"));
  }
  return absl::OkStatus();
}

absl::Status CheckApproverIsNew(const v1::Disposal& disposal, v1::ApprovalStep step,
                                std::string_view user_id) {
  for (const auto& a : disposal.approvals()) {
    if (a.by().user_id() == user_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "user ", AsAbsl(user_id), " already recorded ", v1::ApprovalStep_Name(a.step()),
          " of disposal ", disposal.disposal_id(), ": ", v1::ApprovalStep_Name(step),
          " needs another person (RULES A6: village meeting, township, county department and "
          "finance each agree)"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> WriteDivisions(const v1::Asset& a) {
  std::vector<std::string> out = {a.location_division_code()};
  if (a.ownership().owner_division_code() != a.location_division_code()) {
    out.push_back(a.ownership().owner_division_code());
  }
  return out;
}

std::vector<std::string> KeeperDivisions(const v1::Asset& a) {
  return {a.ownership().owner_division_code()};
}

std::vector<std::string> ApprovalDivisions(v1::ApprovalStep step, const v1::Asset& a) {
  const std::string& owner = a.ownership().owner_division_code();
  switch (step) {
    case v1::APPROVAL_STEP_VILLAGE_MEETING:
      return {owner};  // the owning collective's (or household's) villagers
    case v1::APPROVAL_STEP_TOWNSHIP: {
      auto code = division::Code::Parse(owner);
      if (code.ok() && code->level() >= division::Level::kTownship) {
        return {code->AncestorAt(division::Level::kTownship).str()};
      }
      return {owner};
    }
    default:
      return KeeperDivisions(a);
  }
}

v1::DisposalStatus DisposalStatusAfter(const std::vector<v1::ApprovalStep>& required,
                                       const std::vector<v1::ApprovalStep>& approved) {
  const auto next = NextStep(required, approved);
  if (!next) return v1::DISPOSAL_STATUS_APPROVED;
  if (*next == v1::APPROVAL_STEP_PREFECTURE) return v1::DISPOSAL_STATUS_PENDING_PREFECTURE;
  return v1::DISPOSAL_STATUS_PENDING_APPROVAL;
}

// ---- A4 -------------------------------------------------------------------------

v1::LedgerKind LedgerFor(v1::OwnerLevel level) {
  switch (level) {
    case v1::OWNER_LEVEL_COUNTY_DEPARTMENT:
      return v1::LEDGER_KIND_DEPARTMENT;
    case v1::OWNER_LEVEL_TOWNSHIP:
      return v1::LEDGER_KIND_TOWNSHIP;
    case v1::OWNER_LEVEL_VILLAGE_COLLECTIVE:
      return v1::LEDGER_KIND_VILLAGE;
    case v1::OWNER_LEVEL_HOUSEHOLD:
      return v1::LEDGER_KIND_HOUSEHOLD;
    default:
      return v1::LEDGER_KIND_UNSPECIFIED;
  }
}

v1::Reconciliation CompareLedgers(const std::vector<MasterRow>& master,
                                  const std::vector<SubledgerRow>& subledgers,
                                  const std::vector<JournalRow>& journal) {
  // Sums exact in 128 bits, saturated when reported, compared exactly.
  v1::Reconciliation r;
  std::map<std::string, const MasterRow*> m;
  __int128 master_total = 0;
  for (const auto& row : master) {
    m[row.asset_id] = &row;
    r.set_master_count(r.master_count() + 1);
    master_total += row.value_fen;
  }
  r.set_master_value_fen(Saturate(master_total));
  std::map<std::string, std::vector<const SubledgerRow*>> s;
  std::map<int, std::pair<int64_t, __int128>> per_kind;
  __int128 sub_total = 0;
  for (const auto& row : subledgers) {
    s[row.asset_id].push_back(&row);
    auto& k = per_kind[row.kind];
    ++k.first;
    k.second += row.value_fen;
    sub_total += row.value_fen;
  }
  for (int kind = v1::LEDGER_KIND_DEPARTMENT; kind <= v1::LEDGER_KIND_HOUSEHOLD; ++kind) {
    auto* t = r.add_subledgers();
    t->set_kind(static_cast<v1::LedgerKind>(kind));
    t->set_count(per_kind[kind].first);
    t->set_value_fen(Saturate(per_kind[kind].second));
  }
  r.set_subledger_value_fen(Saturate(sub_total));
  std::map<std::string, money::Fen> j;
  for (const auto& row : journal) j[row.asset_id] = row.value_fen;

  std::set<std::string> ids;
  for (const auto& [id, _] : m) ids.insert(id);
  for (const auto& [id, _] : s) ids.insert(id);
  for (const auto& id : ids) {
    const auto mi = m.find(id);
    const auto si = s.find(id);
    const auto ji = j.find(id);
    const auto add = [&](v1::DifferenceKind kind, v1::LedgerKind ledger, std::string what) {
      auto* d = r.add_differences();
      d->set_asset_id(id);
      d->set_kind(kind);
      d->set_ledger_kind(ledger);
      if (mi != m.end()) d->set_master_value_fen(mi->second->value_fen);
      if (si != s.end()) d->set_ledger_value_fen(si->second.front()->value_fen);
      if (ji != j.end()) d->set_journal_value_fen(ji->second);
      d->set_description(std::move(what));
    };
    if (mi == m.end()) {
      for (const auto* row : si->second) {
        add(v1::DIFFERENCE_KIND_NOT_IN_MASTER, row->kind,
            absl::StrCat("asset ", id, " is in the ", v1::LedgerKind_Name(row->kind), " ledger at ",
                         money::FormatYuan(row->value_fen), " yuan but not in the master ledger"));
      }
      continue;
    }
    const MasterRow& mr = *mi->second;
    if (ji == j.end() || ji->second != mr.value_fen) {
      add(v1::DIFFERENCE_KIND_JOURNAL_DIFFERS, v1::LEDGER_KIND_MASTER,
          ji == j.end()
              ? absl::StrCat("asset ", id, " has no journal entry")
              : absl::StrCat("master ledger value of asset ", id, " is ",
                             money::FormatYuan(mr.value_fen), " yuan but its journal says ",
                             money::FormatYuan(ji->second), " yuan: changed outside the journal"));
    }
    if (si == s.end()) {
      add(v1::DIFFERENCE_KIND_MISSING_FROM_SUBLEDGER, mr.expected_ledger,
          absl::StrCat("asset ", id, " is in the master ledger but in no sub-ledger"));
      continue;
    }
    if (si->second.size() > 1) {
      add(v1::DIFFERENCE_KIND_IN_SEVERAL_SUBLEDGERS, si->second.front()->kind,
          absl::StrCat("asset ", id, " is in ", si->second.size(), " sub-ledger entries"));
    }
    for (const auto* row : si->second) {
      if (row->kind != mr.expected_ledger || row->owner_id != mr.owner_id) {
        add(v1::DIFFERENCE_KIND_OWNER_DIFFERS, row->kind,
            absl::StrCat("asset ", id, " is in the ", v1::LedgerKind_Name(row->kind), " of ",
                         row->owner_id, " but the master ledger has its owner in the ",
                         v1::LedgerKind_Name(mr.expected_ledger), " of ", mr.owner_id));
      }
      if (row->value_fen != mr.value_fen) {
        auto* d = r.add_differences();
        d->set_asset_id(id);
        d->set_kind(v1::DIFFERENCE_KIND_VALUE_DIFFERS);
        d->set_ledger_kind(row->kind);
        d->set_master_value_fen(mr.value_fen);
        d->set_ledger_value_fen(row->value_fen);
        if (ji != j.end()) d->set_journal_value_fen(ji->second);
        d->set_description(absl::StrCat("asset ", id, ": master ledger ",
                                        money::FormatYuan(mr.value_fen), " yuan, ",
                                        v1::LedgerKind_Name(row->kind), " ledger ",
                                        money::FormatYuan(row->value_fen), " yuan"));
      }
    }
  }
  r.set_balanced(r.differences().empty() && master_total == sub_total);
  return r;
}

// ---- Village collective economy ---------------------------------------------------

v1::CollectiveEconomyReport EvaluateCollectiveEconomy(std::vector<VillageIncome> villages,
                                                      const Policy& policy) {
  std::sort(villages.begin(), villages.end(),
            [](const auto& a, const auto& b) { return a.village_code < b.village_code; });
  v1::CollectiveEconomyReport r;
  r.set_village_target_fen(policy.village_collective_income_min_fen);
  r.set_township_average_target_fen(policy.township_collective_income_avg_min_fen);
  r.set_policy_version(policy.version);
  __int128 sum = 0;
  // Per township (its code: the village code's first 9 digits + "000"):
  // village count and exact sum.
  std::map<std::string, std::pair<int64_t, __int128>> townships;
  for (const auto& v : villages) {
    auto* out = r.add_villages();
    out->set_village_code(v.village_code);
    out->set_from_assets_fen(v.from_assets_fen);
    out->set_other_fen(v.other_fen);
    out->set_total_fen(Saturate(static_cast<__int128>(v.from_assets_fen) + v.other_fen));
    out->set_meets_target(out->total_fen() >= policy.village_collective_income_min_fen);
    if (!out->meets_target()) r.add_villages_below_target(v.village_code);
    sum += out->total_fen();
    auto& t = townships[v.village_code.substr(0, 9) + "000"];
    ++t.first;
    t.second += out->total_fen();
  }
  const auto n = static_cast<int64_t>(villages.size());
  if (n == 0) return r;
  r.set_average_fen(static_cast<money::Fen>(sum / n));
  // The township-average target is a township's: above township level each
  // township is judged on its own, and the report meets it only when every
  // township does (one county-wide average would let rich townships hide
  // poor ones).
  bool all_meet = true;
  for (const auto& [code, t] : townships) {
    auto* out = r.add_townships();
    out->set_township_code(code);
    out->set_village_count(static_cast<int32_t>(t.first));
    out->set_average_fen(static_cast<money::Fen>(t.second / t.first));
    out->set_average_meets_target(
        t.second >= static_cast<__int128>(policy.township_collective_income_avg_min_fen) * t.first);
    all_meet = all_meet && out->average_meets_target();
  }
  r.set_average_meets_target(all_meet);
  return r;
}

std::vector<VillageIncome> WithEveryVillage(std::vector<VillageIncome> incomes,
                                            const std::vector<std::string>& villages) {
  std::set<std::string> seen;
  for (const auto& v : incomes) seen.insert(v.village_code);
  for (const auto& code : villages) {
    auto c = division::Code::Parse(code);
    if (!c.ok() || c->level() != division::Level::kVillage) continue;
    if (seen.insert(code).second) incomes.push_back({.village_code = code});
  }
  return incomes;
}

}  // namespace zx::assets
