#include "services/assets/domain/assets.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "services/assets/domain/requests.h"

namespace zx::assets {
namespace {

const division::Code kCounty = *division::Code::Parse("653121000000");
constexpr char kVillage[] = "653121101201";
constexpr char kTownship[] = "653121101000";
constexpr char kHousehold[] = "hh-0123456789abcdef0123";

// ---- State machines ------------------------------------------------------------

struct ProjectCase {
  v1::ProjectStatus from, to;
  bool ok;
};
class ProjectTransitionTest : public ::testing::TestWithParam<ProjectCase> {};
TEST_P(ProjectTransitionTest, OneStepForwardOnly) {
  const auto& c = GetParam();
  const auto s = CheckProjectTransition(c.from, c.to);
  EXPECT_EQ(s.ok(), c.ok) << s;
  if (!c.ok) {
    EXPECT_TRUE(absl::IsFailedPrecondition(s));
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, ProjectTransitionTest,
    ::testing::Values(
        ProjectCase{v1::PROJECT_STATUS_PLANNED, v1::PROJECT_STATUS_APPROVED, true},
        ProjectCase{v1::PROJECT_STATUS_APPROVED, v1::PROJECT_STATUS_IN_PROGRESS, true},
        ProjectCase{v1::PROJECT_STATUS_IN_PROGRESS, v1::PROJECT_STATUS_COMPLETED, true},
        ProjectCase{v1::PROJECT_STATUS_COMPLETED, v1::PROJECT_STATUS_ACCEPTED, true},
        ProjectCase{v1::PROJECT_STATUS_PLANNED, v1::PROJECT_STATUS_COMPLETED, false},
        ProjectCase{v1::PROJECT_STATUS_APPROVED, v1::PROJECT_STATUS_PLANNED, false},
        ProjectCase{v1::PROJECT_STATUS_ACCEPTED, v1::PROJECT_STATUS_ACCEPTED, false},
        ProjectCase{v1::PROJECT_STATUS_PLANNED, v1::PROJECT_STATUS_UNSPECIFIED, false}));

struct AssetCase {
  v1::AssetState from, to;
  bool ok;
};
class AssetTransitionTest : public ::testing::TestWithParam<AssetCase> {};
TEST_P(AssetTransitionTest, FollowsTheLifecycle) {
  const auto& c = GetParam();
  const auto s = CheckAssetTransition(c.from, c.to);
  EXPECT_EQ(s.ok(), c.ok) << v1::AssetState_Name(c.from) << "->" << v1::AssetState_Name(c.to);
  if (!c.ok) {
    EXPECT_TRUE(absl::IsFailedPrecondition(s));
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, AssetTransitionTest,
    ::testing::Values(
        AssetCase{v1::ASSET_STATE_REGISTERED, v1::ASSET_STATE_OWNERSHIP_CONFIRMED, true},
        AssetCase{v1::ASSET_STATE_REGISTERED, v1::ASSET_STATE_TRANSFERRED, false},
        AssetCase{v1::ASSET_STATE_REGISTERED, v1::ASSET_STATE_IN_OPERATION, false},
        AssetCase{v1::ASSET_STATE_REGISTERED, v1::ASSET_STATE_DISPOSED, false},
        AssetCase{v1::ASSET_STATE_OWNERSHIP_CONFIRMED, v1::ASSET_STATE_TRANSFERRED, true},
        AssetCase{v1::ASSET_STATE_OWNERSHIP_CONFIRMED, v1::ASSET_STATE_DISPOSED, false},
        AssetCase{v1::ASSET_STATE_TRANSFERRED, v1::ASSET_STATE_IN_OPERATION, true},
        AssetCase{v1::ASSET_STATE_TRANSFERRED, v1::ASSET_STATE_IDLE, true},
        AssetCase{v1::ASSET_STATE_IN_OPERATION, v1::ASSET_STATE_IDLE, true},
        AssetCase{v1::ASSET_STATE_IDLE, v1::ASSET_STATE_IN_OPERATION, true},
        AssetCase{v1::ASSET_STATE_IDLE, v1::ASSET_STATE_DISPOSED, true},
        AssetCase{v1::ASSET_STATE_IN_OPERATION, v1::ASSET_STATE_REGISTERED, false},
        AssetCase{v1::ASSET_STATE_DISPOSED, v1::ASSET_STATE_IN_OPERATION, false},
        AssetCase{v1::ASSET_STATE_DISPOSED, v1::ASSET_STATE_DISPOSED, false}));

TEST(TransferTest, NeedsACompletedProject) {
  EXPECT_TRUE(CheckProjectAllowsTransfer(v1::PROJECT_STATUS_COMPLETED).ok());
  EXPECT_TRUE(CheckProjectAllowsTransfer(v1::PROJECT_STATUS_ACCEPTED).ok());
  EXPECT_TRUE(
      absl::IsFailedPrecondition(CheckProjectAllowsTransfer(v1::PROJECT_STATUS_IN_PROGRESS)));
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckProjectAllowsTransfer(v1::PROJECT_STATUS_PLANNED)));
}

// An asset is formed by a project of its own place: the project's division
// contains the asset's location (else a cadre could link a new asset to an
// old completed project elsewhere and transfer it at once).
struct CoverCase {
  std::string project_division, location;
  bool ok;
};
class ProjectCoversAssetTest : public ::testing::TestWithParam<CoverCase> {};
TEST_P(ProjectCoversAssetTest, ProjectDivisionContainsTheLocation) {
  const auto& c = GetParam();
  v1::Project p;
  p.set_project_id("pj-0123456789abcdef0123");
  p.set_division_code(c.project_division);
  const auto s = CheckProjectCoversLocation(p, c.location);
  EXPECT_EQ(s.ok(), c.ok) << s;
  if (!c.ok) {
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_NE(s.message().find(c.project_division), std::string::npos) << s;
  }
}
INSTANTIATE_TEST_SUITE_P(All, ProjectCoversAssetTest,
                         ::testing::Values(CoverCase{kVillage, kVillage, true},
                                           CoverCase{kTownship, kVillage, true},
                                           CoverCase{"653121000000", kVillage, true},
                                           CoverCase{"653121000000", kTownship, true},
                                           CoverCase{"653121101202", kVillage, false},
                                           CoverCase{kVillage, kTownship, false},
                                           CoverCase{"653121102000", kVillage, false},
                                           CoverCase{"653122000000", kVillage, false},
                                           CoverCase{"bad", kVillage, false}));

// ---- Ownership -----------------------------------------------------------------

v1::Ownership Owner(v1::OwnerLevel level) {
  v1::Ownership o;
  o.set_level(level);
  switch (level) {
    case v1::OWNER_LEVEL_COUNTY_DEPARTMENT:
      o.set_owner_id("县农业农村局");
      o.set_owner_division_code(kCounty.str());
      break;
    case v1::OWNER_LEVEL_TOWNSHIP:
      o.set_owner_id(kTownship);
      o.set_owner_division_code(kTownship);
      break;
    case v1::OWNER_LEVEL_VILLAGE_COLLECTIVE:
      o.set_owner_id(kVillage);
      o.set_owner_division_code(kVillage);
      break;
    default:
      o.set_owner_id(kHousehold);
      o.set_owner_division_code(kVillage);
  }
  return o;
}

struct OwnershipCase {
  std::string name;
  v1::AssetClass asset_class;
  v1::OwnerLevel level;
  std::string exception_reason;
  bool confirming;
  v1::RegistrationSystem system;
  std::string ref;
  std::string bad_field;  // empty: valid
};
class OwnershipTest : public ::testing::TestWithParam<OwnershipCase> {};
TEST_P(OwnershipTest, RulesA1A3) {
  const auto& c = GetParam();
  auto o = Owner(c.level);
  o.set_exception_reason(c.exception_reason);
  o.set_registration_system(c.system);
  o.set_registration_ref(c.ref);
  errors::Validator v;
  ValidateOwnership(c.asset_class, o, kCounty, c.confirming, "o.", v);
  if (c.bad_field.empty()) {
    EXPECT_TRUE(v.ok()) << v.ToStatus();
  } else {
    const auto fields = errors::FieldViolationsOf(v.ToStatus());
    ASSERT_FALSE(fields.empty());
    EXPECT_EQ(fields[0].field, c.bad_field) << fields[0].description;
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, OwnershipTest,
    ::testing::Values(OwnershipCase{"operating_village",
                                    v1::ASSET_CLASS_OPERATING,
                                    v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                    "",
                                    false,
                                    {},
                                    "",
                                    ""},
                      OwnershipCase{"operating_township_no_reason",
                                    v1::ASSET_CLASS_OPERATING,
                                    v1::OWNER_LEVEL_TOWNSHIP,
                                    "",
                                    false,
                                    {},
                                    "",
                                    "o.exception_reason"},
                      OwnershipCase{"operating_township_reason",
                                    v1::ASSET_CLASS_OPERATING,
                                    v1::OWNER_LEVEL_TOWNSHIP,
                                    "跨村联建，乡镇统一运营",
                                    false,
                                    {},
                                    "",
                                    ""},
                      OwnershipCase{"household_by_village",
                                    v1::ASSET_CLASS_HOUSEHOLD,
                                    v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                    "",
                                    false,
                                    {},
                                    "",
                                    "o.level"},
                      OwnershipCase{"household_by_household",
                                    v1::ASSET_CLASS_HOUSEHOLD,
                                    v1::OWNER_LEVEL_HOUSEHOLD,
                                    "",
                                    false,
                                    {},
                                    "",
                                    ""},
                      OwnershipCase{"road_by_household",
                                    v1::ASSET_CLASS_PUBLIC_WELFARE,
                                    v1::OWNER_LEVEL_HOUSEHOLD,
                                    "",
                                    false,
                                    {},
                                    "",
                                    "o.level"},
                      OwnershipCase{"confirm_village_three_assets", v1::ASSET_CLASS_OPERATING,
                                    v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, "", true,
                                    v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS, "SZ-2024-001", ""},
                      OwnershipCase{"confirm_village_state_system", v1::ASSET_CLASS_OPERATING,
                                    v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, "", true,
                                    v1::REGISTRATION_SYSTEM_STATE_ASSETS, "GZ-1",
                                    "o.registration_system"},
                      OwnershipCase{"confirm_department_state", v1::ASSET_CLASS_PUBLIC_WELFARE,
                                    v1::OWNER_LEVEL_COUNTY_DEPARTMENT, "", true,
                                    v1::REGISTRATION_SYSTEM_STATE_ASSETS, "GZ-1", ""},
                      OwnershipCase{"confirm_without_ref", v1::ASSET_CLASS_PUBLIC_WELFARE,
                                    v1::OWNER_LEVEL_TOWNSHIP, "", true,
                                    v1::REGISTRATION_SYSTEM_STATE_ASSETS, "",
                                    "o.registration_ref"}),
    [](const auto& info) { return info.param.name; });

TEST(OwnershipTest, OwnerOutsideTheInstanceIsRefused) {
  auto o = Owner(v1::OWNER_LEVEL_VILLAGE_COLLECTIVE);
  o.set_owner_id("653122101201");
  o.set_owner_division_code("653122101201");
  errors::Validator v;
  ValidateOwnership(v1::ASSET_CLASS_OPERATING, o, kCounty, false, "", v);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(errors::FieldViolationsOf(v.ToStatus())[0].field, "owner_division_code");
}

TEST(AssetValidationTest, FundingMustSumToTheValue) {
  v1::Asset a;
  a.set_project_id("pj-0123456789abcdef0123");
  a.set_name("光伏电站");
  a.set_asset_class(v1::ASSET_CLASS_OPERATING);
  a.set_asset_type(v1::ASSET_TYPE_PHOTOVOLTAIC_STATION);
  a.set_original_value_fen(100'000);
  a.set_location_division_code(kVillage);
  *a.mutable_ownership() = Owner(v1::OWNER_LEVEL_VILLAGE_COLLECTIVE);
  auto* l = a.add_funding();
  l->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
  l->set_amount_fen(100'000);
  {
    errors::Validator v;
    ValidateNewAsset(a, kCounty, v);
    EXPECT_TRUE(v.ok()) << v.ToStatus();
  }
  l->set_amount_fen(90'000);
  a.set_original_value_fen(0);
  errors::Validator v;
  ValidateNewAsset(a, kCounty, v);
  const auto fields = errors::FieldViolationsOf(v.ToStatus());
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].field, "asset.original_value_fen");
}

// ---- A7 ------------------------------------------------------------------------

v1::FundingLine Line(v1::FundingSource s, int64_t fen, bool dual = false) {
  v1::FundingLine l;
  l.set_source(s);
  l.set_amount_fen(fen);
  l.set_dual_binding(dual);
  return l;
}

struct A7Case {
  std::string name;
  int64_t industry_linking, other_linking, integrated_dual, integrated_other;
  bool industry_passed, dual_passed;
  int32_t industry_bp;
};
class FundingReportTest : public ::testing::TestWithParam<A7Case> {};
TEST_P(FundingReportTest, ChecksA7WithFigures) {
  const auto& c = GetParam();
  std::vector<ProjectFunding> projects = {
      {v1::PROJECT_CATEGORY_INDUSTRY,
       {Line(v1::FUNDING_SOURCE_CENTRAL_LINKING, c.industry_linking),
        Line(v1::FUNDING_SOURCE_INTEGRATED_AGRICULTURAL, c.integrated_dual, true)}},
      {v1::PROJECT_CATEGORY_INFRASTRUCTURE,
       {Line(v1::FUNDING_SOURCE_REGION_LINKING, c.other_linking),
        Line(v1::FUNDING_SOURCE_INTEGRATED_AGRICULTURAL, c.integrated_other)}}};
  const auto r = BuildFundingReport(projects, Policy{});
  ASSERT_EQ(r.checks_size(), 2);
  EXPECT_EQ(r.checks(0).rule(), "A7.industry_share_of_linking_funds");
  EXPECT_EQ(r.checks(0).passed(), c.industry_passed) << r.checks(0).description();
  EXPECT_EQ(r.checks(0).share_bp(), c.industry_bp);
  EXPECT_EQ(r.checks(0).threshold_bp(), 6000);
  EXPECT_EQ(r.checks(1).passed(), c.dual_passed) << r.checks(1).description();
  EXPECT_EQ(r.total_fen(),
            c.industry_linking + c.other_linking + c.integrated_dual + c.integrated_other);
}
INSTANTIATE_TEST_SUITE_P(
    All, FundingReportTest,
    ::testing::Values(A7Case{"exactly_60", 60, 40, 10, 90, true, true, 6000},
                      A7Case{"just_below", 5999, 4001, 9, 91, false, false, 5999},
                      A7Case{"all_industry", 100, 0, 100, 0, true, true, 10000}),
    [](const auto& info) { return info.param.name; });

TEST(FundingReportTest, NoLinkingFundsIsNotApplicable) {
  const auto r = BuildFundingReport(
      {{v1::PROJECT_CATEGORY_INDUSTRY, {Line(v1::FUNDING_SOURCE_DONATION, 500)}}}, Policy{});
  EXPECT_TRUE(r.checks(0).not_applicable());
  EXPECT_TRUE(r.checks(0).passed());
}

TEST(FundingReportTest, ThresholdIsAPolicyFigure) {
  Policy p;
  p.industry_share_of_linking_bp = 7000;
  const auto r = BuildFundingReport(
      {{v1::PROJECT_CATEGORY_INDUSTRY, {Line(v1::FUNDING_SOURCE_CENTRAL_LINKING, 65)}},
       {v1::PROJECT_CATEGORY_OTHER, {Line(v1::FUNDING_SOURCE_CENTRAL_LINKING, 35)}}},
      p);
  EXPECT_FALSE(r.checks(0).passed());
}

// ---- Money caps ------------------------------------------------------------------

// Every amount a caller supplies is capped like monitoring's (1e12 fen, 100
// 亿 yuan): far above any real asset, low enough that sums of millions of
// them stay inside int64.
v1::Asset ValidAsset(int64_t value_fen) {
  v1::Asset a;
  a.set_project_id("pj-0123456789abcdef0123");
  a.set_name("光伏电站");
  a.set_asset_class(v1::ASSET_CLASS_OPERATING);
  a.set_asset_type(v1::ASSET_TYPE_PHOTOVOLTAIC_STATION);
  a.set_original_value_fen(value_fen);
  a.set_location_division_code(kVillage);
  *a.mutable_ownership() = Owner(v1::OWNER_LEVEL_VILLAGE_COLLECTIVE);
  auto* l = a.add_funding();
  l->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
  l->set_amount_fen(value_fen);
  return a;
}

struct CapCase {
  std::string name;
  std::function<void(int64_t, errors::Validator&)> validate;
  std::string field;
};
void PrintTo(const CapCase& c, std::ostream* os) { *os << c.name; }
class AmountCapTest : public ::testing::TestWithParam<CapCase> {};
TEST_P(AmountCapTest, AtTheCapIsValidAboveIsRefusedNamingTheField) {
  const auto& c = GetParam();
  errors::Validator at;
  c.validate(money::kMaxAmountFen, at);
  EXPECT_TRUE(at.ok()) << at.ToStatus();
  errors::Validator above;
  c.validate(money::kMaxAmountFen + 1, above);
  const auto fields = errors::FieldViolationsOf(above.ToStatus());
  ASSERT_FALSE(fields.empty()) << c.name;
  EXPECT_EQ(fields[0].field, c.field) << fields[0].description;
  errors::Validator huge;
  c.validate(std::numeric_limits<int64_t>::max(), huge);
  EXPECT_FALSE(huge.ok());
}
const RequestEnv kEnv{.instance = kCounty, .today = absl::CivilDay(2026, 11, 2)};
INSTANTIATE_TEST_SUITE_P(All, AmountCapTest,
                         ::testing::Values(CapCase{"asset_value",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::RegisterAssetRequest req;
                                                     *req.mutable_asset() = ValidAsset(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "asset.original_value_fen"},
                                           CapCase{"project_funding_line",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::CreateProjectRequest req;
                                                     auto* p = req.mutable_project();
                                                     p->set_name("冷库");
                                                     p->set_year(2025);
                                                     p->set_division_code(kVillage);
                                                     p->set_category(v1::PROJECT_CATEGORY_INDUSTRY);
                                                     p->set_implementing_unit("县乡村振兴局");
                                                     auto* l = p->add_funding_lines();
                                                     l->set_source(
                                                         v1::FUNDING_SOURCE_CENTRAL_LINKING);
                                                     l->set_amount_fen(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "project.funding_lines[0].amount_fen"},
                                           CapCase{"income",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::RecordIncomeRequest req;
                                                     req.set_asset_id("as-0123456789abcdef0123");
                                                     req.set_period("2026-09");
                                                     req.set_kind(v1::INCOME_KIND_RENT);
                                                     req.set_amount_fen(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "amount_fen"},
                                           CapCase{"distribution",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::DistributeIncomeRequest req;
                                                     req.set_asset_id("as-0123456789abcdef0123");
                                                     req.set_period("2026-09");
                                                     req.set_decided_by("村民代表会议");
                                                     req.set_amount_fen(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "amount_fen"},
                                           CapCase{"collective_income",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::RecordCollectiveIncomeRequest req;
                                                     auto* in = req.mutable_income();
                                                     in->set_village_code(kVillage);
                                                     in->set_year(2026);
                                                     in->set_source("资源发包");
                                                     in->set_amount_fen(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "income.amount_fen"},
                                           CapCase{"disposal_proceeds",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     v1::CompleteDisposalRequest req;
                                                     req.set_disposal_id("dp-0123456789abcdef0123");
                                                     req.set_proceeds_fen(fen);
                                                     Validate(req, kEnv, v);
                                                   },
                                                   "proceeds_fen"},
                                           CapCase{"policy_threshold",
                                                   [](int64_t fen, errors::Validator& v) {
                                                     auto p = PolicyToProto(Policy{});
                                                     p.set_year(2025);
                                                     p.set_prefecture_disposal_threshold_fen(fen);
                                                     ValidatePolicy(p, v);
                                                   },
                                                   "policy.prefecture_disposal_threshold_fen"}),
                         [](const auto& info) { return info.param.name; });

// Sums of stored amounts are exact (128 bits) whatever the rows hold (rows
// written before the cap, or by direct SQL): reported figures saturate at the
// int64 limits, comparisons use the exact values.
TEST(ExactSumsTest, FundingReportChecksA7OnExactSums) {
  constexpr int64_t k4e18 = 4'000'000'000'000'000'000;
  std::vector<ProjectFunding> projects;
  for (int i = 0; i < 3; ++i) {
    projects.push_back(
        {v1::PROJECT_CATEGORY_INDUSTRY, {Line(v1::FUNDING_SOURCE_CENTRAL_LINKING, k4e18)}});
    projects.push_back(
        {v1::PROJECT_CATEGORY_INFRASTRUCTURE, {Line(v1::FUNDING_SOURCE_CENTRAL_LINKING, k4e18)}});
  }
  // 12e18 of 24e18 linking funds to industry: 50 %, below the 60 % minimum.
  const auto r = BuildFundingReport(projects, Policy{});
  EXPECT_EQ(r.checks(0).share_bp(), 5000);
  EXPECT_FALSE(r.checks(0).passed()) << r.checks(0).description();
  EXPECT_EQ(r.total_fen(), std::numeric_limits<int64_t>::max());
}

TEST(ExactSumsTest, ReconcileTotalsSaturateInsteadOfWrapping) {
  constexpr int64_t k6e18 = 6'000'000'000'000'000'000;
  const auto r = CompareLedgers({{"as-a", k6e18, v1::LEDGER_KIND_VILLAGE, kVillage},
                                 {"as-b", k6e18, v1::LEDGER_KIND_VILLAGE, kVillage}},
                                {{"as-a", v1::LEDGER_KIND_VILLAGE, kVillage, k6e18},
                                 {"as-b", v1::LEDGER_KIND_VILLAGE, kVillage, k6e18}},
                                {{"as-a", k6e18}, {"as-b", k6e18}});
  EXPECT_TRUE(r.balanced());
  EXPECT_EQ(r.master_value_fen(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.subledger_value_fen(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.subledgers(2).value_fen(), std::numeric_limits<int64_t>::max());
  // Books that differ only beyond int64 still do not balance.
  const auto off = CompareLedgers({{"as-a", k6e18, v1::LEDGER_KIND_VILLAGE, kVillage},
                                   {"as-b", k6e18, v1::LEDGER_KIND_VILLAGE, kVillage}},
                                  {{"as-a", v1::LEDGER_KIND_VILLAGE, kVillage, k6e18}},
                                  {{"as-a", k6e18}, {"as-b", k6e18}});
  EXPECT_FALSE(off.balanced());
}

TEST(ExactSumsTest, CollectiveIncomeTotalSaturates) {
  constexpr int64_t k6e18 = 6'000'000'000'000'000'000;
  const auto r = EvaluateCollectiveEconomy({{"653121101201", k6e18, k6e18}}, Policy{});
  EXPECT_EQ(r.villages(0).total_fen(), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(r.villages(0).meets_target());
  EXPECT_TRUE(r.average_meets_target());
}

// ---- A5 ------------------------------------------------------------------------

TEST(SplitTest, SumsExactlyByLargestRemainder) {
  EXPECT_EQ(SplitByWeights(100, {1, 1, 1}), (std::vector<int64_t>{34, 33, 33}));
  EXPECT_EQ(SplitByWeights(10, {1, 2}), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(SplitByWeights(0, {5, 5}), (std::vector<int64_t>{0, 0}));
  const auto big = SplitByWeights(int64_t{9'000'000'000'000'000'000}, {3, 7, 11});
  EXPECT_EQ(std::accumulate(big.begin(), big.end(), int64_t{0}),
            int64_t{9'000'000'000'000'000'000});
}

google::protobuf::RepeatedPtrField<v1::DistributionShare> Shares(
    std::vector<std::pair<v1::DistributionUse, int>> s) {
  google::protobuf::RepeatedPtrField<v1::DistributionShare> out;
  for (auto [use, bp] : s) {
    auto* x = out.Add();
    x->set_use(use);
    x->set_share_bp(bp);
  }
  return out;
}

google::protobuf::RepeatedPtrField<v1::HouseholdShare> Households(int n) {
  google::protobuf::RepeatedPtrField<v1::HouseholdShare> out;
  for (int i = 0; i < n; ++i) {
    auto* h = out.Add();
    h->set_household_id(absl::StrCat("hh-0123456789abcdef012", i));
    h->set_village_code(kVillage);
    h->set_weight(1);
  }
  return out;
}

TEST(DistributionTest, SplitsAmongCollectiveWagesAndHouseholds) {
  auto lines = PlanDistribution(100'001,
                                Shares({{v1::DISTRIBUTION_USE_HOUSEHOLDS, 6000},
                                        {v1::DISTRIBUTION_USE_PUBLIC_WELFARE_POST_WAGES, 3000},
                                        {v1::DISTRIBUTION_USE_COLLECTIVE_ECONOMY, 1000}}),
                                Households(3));
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 5u);
  int64_t sum = 0;
  for (const auto& l : *lines) sum += l.amount_fen;
  EXPECT_EQ(sum, 100'001);
  EXPECT_EQ((*lines)[0].amount_fen + (*lines)[1].amount_fen + (*lines)[2].amount_fen, 60'001);
  EXPECT_EQ((*lines)[3].use, v1::DISTRIBUTION_USE_PUBLIC_WELFARE_POST_WAGES);
  EXPECT_EQ((*lines)[3].amount_fen, 30'000);
}

class ForbiddenUseTest : public ::testing::TestWithParam<v1::DistributionUse> {};
TEST_P(ForbiddenUseTest, RefusedNamingRuleA5) {
  auto lines = PlanDistribution(
      1000, Shares({{v1::DISTRIBUTION_USE_HOUSEHOLDS, 5000}, {GetParam(), 5000}}), Households(1));
  ASSERT_TRUE(absl::IsInvalidArgument(lines.status()));
  const auto fields = errors::FieldViolationsOf(lines.status());
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].field, "shares[1].use");
  EXPECT_NE(fields[0].description.find("RULES A5"), std::string::npos);
}
INSTANTIATE_TEST_SUITE_P(
    All, ForbiddenUseTest,
    ::testing::Values(v1::DISTRIBUTION_USE_COMMITTEE_RUNNING_COSTS, v1::DISTRIBUTION_USE_VEHICLES,
                      v1::DISTRIBUTION_USE_PHONES, v1::DISTRIBUTION_USE_ALLOWANCES_AND_WELFARE,
                      v1::DISTRIBUTION_USE_LOSSES_OR_DEBT, v1::DISTRIBUTION_USE_BUILDINGS,
                      v1::DISTRIBUTION_USE_LARGE_INFRASTRUCTURE));

TEST(DistributionTest, SharesMustSumToWholeAndHouseholdsMatch) {
  auto bad =
      PlanDistribution(1000, Shares({{v1::DISTRIBUTION_USE_HOUSEHOLDS, 9000}}), Households(0));
  const auto fields = errors::FieldViolationsOf(bad.status());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].field, "shares");
  EXPECT_EQ(fields[1].field, "households");
}

// ---- A6 ------------------------------------------------------------------------

TEST(ApprovalChainTest, ByOwnerLevelAndValue) {
  using S = v1::ApprovalStep;
  const Policy p;
  EXPECT_EQ(
      RequiredSteps(v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, 1000, p),
      (std::vector<S>{v1::APPROVAL_STEP_VILLAGE_MEETING, v1::APPROVAL_STEP_TOWNSHIP,
                      v1::APPROVAL_STEP_COUNTY_DEPARTMENT, v1::APPROVAL_STEP_COUNTY_FINANCE}));
  EXPECT_EQ(
      RequiredSteps(v1::OWNER_LEVEL_COUNTY_DEPARTMENT, p.prefecture_disposal_threshold_fen + 1, p),
      (std::vector<S>{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, v1::APPROVAL_STEP_COUNTY_FINANCE,
                      v1::APPROVAL_STEP_PREFECTURE}));
  EXPECT_EQ(RequiredSteps(v1::OWNER_LEVEL_TOWNSHIP, p.prefecture_disposal_threshold_fen, p).size(),
            3u);
}

TEST(ApprovalChainTest, StatusFollowsTheSteps) {
  const auto req = RequiredSteps(v1::OWNER_LEVEL_TOWNSHIP, 200'000'000, Policy{});
  std::vector<v1::ApprovalStep> done;
  EXPECT_EQ(DisposalStatusAfter(req, done), v1::DISPOSAL_STATUS_PENDING_APPROVAL);
  EXPECT_EQ(*NextStep(req, done), v1::APPROVAL_STEP_TOWNSHIP);
  done = {v1::APPROVAL_STEP_TOWNSHIP, v1::APPROVAL_STEP_COUNTY_DEPARTMENT,
          v1::APPROVAL_STEP_COUNTY_FINANCE};
  EXPECT_EQ(DisposalStatusAfter(req, done), v1::DISPOSAL_STATUS_PENDING_PREFECTURE);
  done.push_back(v1::APPROVAL_STEP_PREFECTURE);
  EXPECT_EQ(DisposalStatusAfter(req, done), v1::DISPOSAL_STATUS_APPROVED);
  EXPECT_FALSE(NextStep(req, done).has_value());
}

struct ApproverCase {
  v1::ApprovalStep step;
  division::Level level;
  std::string role, department;
  bool ok;
};
class ApproverTest : public ::testing::TestWithParam<ApproverCase> {};
TEST_P(ApproverTest, LevelAndRole) {
  const auto& c = GetParam();
  const auto s = CheckApprover(c.step, c.level, c.role, c.department);
  EXPECT_EQ(s.ok(), c.ok) << s;
  if (!c.ok) {
    EXPECT_TRUE(absl::IsPermissionDenied(s));
  }
}
INSTANTIATE_TEST_SUITE_P(
    All, ApproverTest,
    ::testing::Values(ApproverCase{v1::APPROVAL_STEP_VILLAGE_MEETING, division::Level::kVillage,
                                   "village_cadre", "", true},
                      ApproverCase{v1::APPROVAL_STEP_VILLAGE_MEETING, division::Level::kCounty,
                                   "county_official", "", false},
                      ApproverCase{v1::APPROVAL_STEP_TOWNSHIP, division::Level::kTownship,
                                   "township_official", "", true},
                      ApproverCase{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, division::Level::kCounty,
                                   "department", "agriculture", true},
                      // RULES A6 needs the county department *and* finance:
                      // finance cannot stand in for the department.
                      ApproverCase{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, division::Level::kCounty,
                                   "department", "finance", false},
                      ApproverCase{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, division::Level::kCounty,
                                   "county_official", "", true},
                      ApproverCase{v1::APPROVAL_STEP_COUNTY_FINANCE, division::Level::kCounty,
                                   "department", "agriculture", false},
                      ApproverCase{v1::APPROVAL_STEP_COUNTY_FINANCE, division::Level::kCounty,
                                   "department", "finance", true},
                      ApproverCase{v1::APPROVAL_STEP_PREFECTURE, division::Level::kCounty,
                                   "county_official", "", false}));

// One person signs at most one step of a disposal: the chain is there so
// that several bodies agree (RULES A6).
struct SeparationCase {
  std::string name;
  std::vector<std::pair<v1::ApprovalStep, std::string>> recorded;  // step, user
  v1::ApprovalStep step;
  std::string user;
  bool ok;
};
void PrintTo(const SeparationCase& c, std::ostream* os) { *os << c.name; }
class SeparationTest : public ::testing::TestWithParam<SeparationCase> {};
TEST_P(SeparationTest, NoOneSignsTwoSteps) {
  const auto& c = GetParam();
  v1::Disposal d;
  for (const auto& [step, user] : c.recorded) {
    auto* a = d.add_approvals();
    a->set_step(step);
    a->set_approved(true);
    a->mutable_by()->set_user_id(user);
  }
  const auto s = CheckApproverIsNew(d, c.step, c.user);
  EXPECT_EQ(s.ok(), c.ok) << s;
  if (!c.ok) {
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_NE(s.message().find(v1::ApprovalStep_Name(c.recorded.back().first)), std::string::npos)
        << s;
  }
}
INSTANTIATE_TEST_SUITE_P(All, SeparationTest,
                         ::testing::Values(
                             SeparationCase{
                                 "first_step", {}, v1::APPROVAL_STEP_VILLAGE_MEETING, "vc1", true},
                             SeparationCase{"other_person",
                                            {{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, "co1"}},
                                            v1::APPROVAL_STEP_COUNTY_FINANCE,
                                            "fin1",
                                            true},
                             SeparationCase{"department_then_finance",
                                            {{v1::APPROVAL_STEP_COUNTY_DEPARTMENT, "fin1"}},
                                            v1::APPROVAL_STEP_COUNTY_FINANCE,
                                            "fin1",
                                            false},
                             SeparationCase{"county_official_twice",
                                            {{v1::APPROVAL_STEP_VILLAGE_MEETING, "vc1"},
                                             {v1::APPROVAL_STEP_TOWNSHIP, "ts1"},
                                             {v1::APPROVAL_STEP_COUNTY_DEPARTMENT, "co1"}},
                                            v1::APPROVAL_STEP_COUNTY_FINANCE,
                                            "co1",
                                            false},
                             SeparationCase{"village_then_township",
                                            {{v1::APPROVAL_STEP_VILLAGE_MEETING, "u1"}},
                                            v1::APPROVAL_STEP_TOWNSHIP,
                                            "u1",
                                            false}),
                         [](const auto& info) { return info.param.name; });

// Jurisdiction: registration needs the asset's location and its owner's
// division; every step of a disposal is the owner's: the village meeting
// the owner's village, the township step the owner's township, the county
// steps the owner's division.
struct JurisdictionCase {
  std::string name;
  v1::OwnerLevel owner;
  std::string location, owner_division;
  v1::ApprovalStep step;  // UNSPECIFIED: WriteDivisions (registration)
  std::vector<std::string> want;
};
void PrintTo(const JurisdictionCase& c, std::ostream* os) { *os << c.name; }
class JurisdictionTest : public ::testing::TestWithParam<JurisdictionCase> {};
TEST_P(JurisdictionTest, LocationAndOwner) {
  const auto& c = GetParam();
  v1::Asset a;
  a.set_location_division_code(c.location);
  a.mutable_ownership()->set_level(c.owner);
  a.mutable_ownership()->set_owner_division_code(c.owner_division);
  std::vector<std::string> got;
  if (c.step == v1::APPROVAL_STEP_UNSPECIFIED) {
    got = WriteDivisions(a);
  } else {
    got = ApprovalDivisions(c.step, a);
  }
  EXPECT_EQ(got, c.want);
}
INSTANTIATE_TEST_SUITE_P(All, JurisdictionTest,
                         ::testing::Values(JurisdictionCase{"write_same_village",
                                                            v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                                            kVillage,
                                                            kVillage,
                                                            v1::APPROVAL_STEP_UNSPECIFIED,
                                                            {kVillage}},
                                           JurisdictionCase{"write_owned_by_another_village",
                                                            v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                                            kVillage,
                                                            "653121101202",
                                                            v1::APPROVAL_STEP_UNSPECIFIED,
                                                            {kVillage, "653121101202"}},
                                           JurisdictionCase{"village_meeting_is_the_owners",
                                                            v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                                            kVillage,
                                                            "653121101202",
                                                            v1::APPROVAL_STEP_VILLAGE_MEETING,
                                                            {"653121101202"}},
                                           JurisdictionCase{"household_village_meeting",
                                                            v1::OWNER_LEVEL_HOUSEHOLD,
                                                            "653121102000",
                                                            "653121102301",
                                                            v1::APPROVAL_STEP_VILLAGE_MEETING,
                                                            {"653121102301"}},
                                           JurisdictionCase{"township_step_is_the_owners_township",
                                                            v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                                            "653121101201",
                                                            "653121102301",
                                                            v1::APPROVAL_STEP_TOWNSHIP,
                                                            {"653121102000"}},
                                           JurisdictionCase{"township_owner",
                                                            v1::OWNER_LEVEL_TOWNSHIP,
                                                            kVillage,
                                                            kTownship,
                                                            v1::APPROVAL_STEP_TOWNSHIP,
                                                            {kTownship}},
                                           JurisdictionCase{"county_steps_are_the_owners",
                                                            v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                                                            kVillage,
                                                            "653121101202",
                                                            v1::APPROVAL_STEP_COUNTY_FINANCE,
                                                            {"653121101202"}}),
                         [](const auto& info) { return info.param.name; });

// ---- A4 ------------------------------------------------------------------------

TEST(ReconcileTest, BalancedBooks) {
  const auto r = CompareLedgers({{"as-a", 100, v1::LEDGER_KIND_VILLAGE, kVillage},
                                 {"as-b", 50, v1::LEDGER_KIND_HOUSEHOLD, kHousehold}},
                                {{"as-a", v1::LEDGER_KIND_VILLAGE, kVillage, 100},
                                 {"as-b", v1::LEDGER_KIND_HOUSEHOLD, kHousehold, 50}},
                                {{"as-a", 100}, {"as-b", 50}});
  EXPECT_TRUE(r.balanced());
  EXPECT_EQ(r.master_value_fen(), 150);
  EXPECT_EQ(r.subledger_value_fen(), 150);
  EXPECT_EQ(r.subledgers_size(), 4);
}

struct ReconcileCase {
  std::string name;
  std::vector<MasterRow> master;
  std::vector<SubledgerRow> sub;
  std::vector<JournalRow> journal;
  std::vector<v1::DifferenceKind> want;
};
class ReconcileDiffTest : public ::testing::TestWithParam<ReconcileCase> {};
TEST_P(ReconcileDiffTest, ListsEveryDifference) {
  const auto& c = GetParam();
  const auto r = CompareLedgers(c.master, c.sub, c.journal);
  EXPECT_FALSE(r.balanced());
  std::vector<v1::DifferenceKind> got;
  for (const auto& d : r.differences()) got.push_back(d.kind());
  EXPECT_EQ(got, c.want);
}
INSTANTIATE_TEST_SUITE_P(
    All, ReconcileDiffTest,
    ::testing::Values(ReconcileCase{"value_changed_in_village_ledger",
                                    {{"as-a", 100, v1::LEDGER_KIND_VILLAGE, kVillage}},
                                    {{"as-a", v1::LEDGER_KIND_VILLAGE, kVillage, 120}},
                                    {{"as-a", 100}},
                                    {v1::DIFFERENCE_KIND_VALUE_DIFFERS}},
                      ReconcileCase{
                          "master_changed_outside_journal",
                          {{"as-a", 120, v1::LEDGER_KIND_VILLAGE, kVillage}},
                          {{"as-a", v1::LEDGER_KIND_VILLAGE, kVillage, 100}},
                          {{"as-a", 100}},
                          {v1::DIFFERENCE_KIND_JOURNAL_DIFFERS, v1::DIFFERENCE_KIND_VALUE_DIFFERS}},
                      ReconcileCase{"missing_and_extra",
                                    {{"as-a", 100, v1::LEDGER_KIND_VILLAGE, kVillage}},
                                    {{"as-b", v1::LEDGER_KIND_TOWNSHIP, kTownship, 7}},
                                    {{"as-a", 100}},
                                    {v1::DIFFERENCE_KIND_MISSING_FROM_SUBLEDGER,
                                     v1::DIFFERENCE_KIND_NOT_IN_MASTER}},
                      ReconcileCase{"wrong_owner",
                                    {{"as-a", 100, v1::LEDGER_KIND_VILLAGE, kVillage}},
                                    {{"as-a", v1::LEDGER_KIND_TOWNSHIP, kTownship, 100}},
                                    {{"as-a", 100}},
                                    {v1::DIFFERENCE_KIND_OWNER_DIFFERS}}),
    [](const auto& info) { return info.param.name; });

// ---- Policy -----------------------------------------------------------------------

PublishedPolicy Published(const char* owner, int year, int64_t seq, int32_t industry_bp) {
  Policy p;
  p.version = absl::StrCat(owner, "-", year, "-", seq);
  p.industry_share_of_linking_bp = industry_bp;
  return {*division::Code::Parse(owner), year, seq, p};
}

TEST(PolicyTest, MostSpecificOwnerThenLatestYearThenLatestPublication) {
  const std::vector<PublishedPolicy> published = {
      Published("65", 2024, 1, 6000), Published("6531", 2025, 2, 6500),
      Published("653121", 2023, 3, 7000), Published("653121", 2023, 4, 7100),
      Published("653122", 2025, 5, 8000)};
  const auto village = *division::Code::Parse(kVillage);
  EXPECT_EQ(ResolvePolicy(published, village, 2025).industry_share_of_linking_bp, 7100);
  EXPECT_EQ(ResolvePolicy(published, village, 2022).version, Policy{}.version) << "defaults";
  EXPECT_EQ(
      ResolvePolicy(published, *division::Code::Parse("653123"), 2025).industry_share_of_linking_bp,
      6500);
  EXPECT_EQ(
      ResolvePolicy(published, *division::Code::Parse("653123"), 2024).industry_share_of_linking_bp,
      6000);
  EXPECT_EQ(ResolvePolicy({}, village, 2025).industry_share_of_linking_bp, 6000);
}

// A lower level may only tighten what the levels above it (or, where the
// region published nothing, the RULES defaults) set: minimum shares and
// income targets take the largest value along the chain, the prefecture
// disposal threshold the smallest.
struct TightenCase {
  std::string name;
  std::vector<PublishedPolicy> published;
  int32_t industry_bp;
  int64_t threshold_fen;
  int64_t village_min_fen;
  std::string version;
};
void PrintTo(const TightenCase& c, std::ostream* os) { *os << c.name; }
PublishedPolicy Figures(const char* owner, int64_t seq, int32_t industry_bp, int64_t threshold_fen,
                        int64_t village_min_fen = Policy{}.village_collective_income_min_fen) {
  PublishedPolicy p = Published(owner, 2025, seq, industry_bp);
  p.policy.prefecture_disposal_threshold_fen = threshold_fen;
  p.policy.village_collective_income_min_fen = village_min_fen;
  return p;
}
class PolicyTightenTest : public ::testing::TestWithParam<TightenCase> {};
TEST_P(PolicyTightenTest, LowerLevelsOnlyTighten) {
  const auto& c = GetParam();
  const auto p = ResolvePolicy(c.published, *division::Code::Parse(kVillage), 2025);
  EXPECT_EQ(p.industry_share_of_linking_bp, c.industry_bp);
  EXPECT_EQ(p.prefecture_disposal_threshold_fen, c.threshold_fen);
  EXPECT_EQ(p.village_collective_income_min_fen, c.village_min_fen);
  EXPECT_EQ(p.version, c.version);
}
constexpr int64_t kDefaultThreshold = Policy{}.prefecture_disposal_threshold_fen;
INSTANTIATE_TEST_SUITE_P(
    All, PolicyTightenTest,
    ::testing::Values(
        TightenCase{"county_cannot_weaken_the_defaults",
                    {Figures("653121", 1, 1, money::kMaxAmountFen, 0)},
                    6000,
                    kDefaultThreshold,
                    Policy{}.village_collective_income_min_fen,
                    "653121-2025-1"},
        TightenCase{"county_tightens_the_defaults",
                    {Figures("653121", 1, 7000, 5'000'000, 6'000'000)},
                    7000,
                    5'000'000,
                    6'000'000,
                    "653121-2025-1"},
        TightenCase{"county_cannot_weaken_the_prefecture",
                    {Figures("6531", 1, 7000, 50'000'000), Figures("653121", 2, 6500, 90'000'000)},
                    7000,
                    50'000'000,
                    Policy{}.village_collective_income_min_fen,
                    "6531-2025-1+653121-2025-2"},
        TightenCase{"region_sets_its_own_figures",
                    {Figures("65", 1, 5000, 200'000'000, 3'000'000),
                     Figures("653121", 2, 5500, 300'000'000, 2'000'000)},
                    5500,
                    200'000'000,
                    3'000'000,
                    "65-2025-1+653121-2025-2"},
        TightenCase{"a_level_may_revise_its_own_figures",
                    {Figures("6531", 1, 8000, 50'000'000), Figures("6531", 2, 6500, 60'000'000)},
                    6500,
                    60'000'000,
                    Policy{}.village_collective_income_min_fen,
                    "6531-2025-2"}),
    [](const auto& info) { return info.param.name; });

TEST(PolicyTest, FiguresAreValidatedAndRoundTrip) {
  auto p = PolicyToProto(Policy{});
  p.set_year(2025);
  errors::Validator ok;
  ValidatePolicy(p, ok);
  EXPECT_TRUE(ok.ok()) << ok.ToStatus();
  EXPECT_EQ(PolicyFromProto(p).prefecture_disposal_threshold_fen,
            Policy{}.prefecture_disposal_threshold_fen);
  p.set_industry_share_of_linking_bp(10001);
  p.set_prefecture_disposal_threshold_fen(0);
  errors::Validator bad;
  ValidatePolicy(p, bad);
  const auto fields = errors::FieldViolationsOf(bad.ToStatus());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].field, "policy.industry_share_of_linking_bp");
  EXPECT_EQ(fields[1].field, "policy.prefecture_disposal_threshold_fen");
}

// ---- Collective economy ---------------------------------------------------------

TEST(CollectiveEconomyTest, VillagesAndAverageAgainstPolicyTargets) {
  const auto r = EvaluateCollectiveEconomy({{"653121101203", 4'000'000, 999'999},
                                            {"653121101201", 20'000'000, 0},
                                            {"653121101202", 0, 5'000'000}},
                                           Policy{});
  ASSERT_EQ(r.villages_size(), 3);
  EXPECT_EQ(r.villages(0).village_code(), "653121101201");
  EXPECT_TRUE(r.villages(1).meets_target()) << "exactly 50,000 yuan meets it";
  EXPECT_FALSE(r.villages(2).meets_target());
  ASSERT_EQ(r.villages_below_target_size(), 1);
  EXPECT_EQ(r.villages_below_target(0), "653121101203");
  // (20,000,000 + 5,000,000 + 4,999,999) / 3 < 10,000,000.
  EXPECT_EQ(r.average_fen(), 9'999'999);
  EXPECT_FALSE(r.average_meets_target());
  Policy lower;
  lower.township_collective_income_avg_min_fen = 9'999'999;
  EXPECT_TRUE(
      EvaluateCollectiveEconomy({{"653121101201", 29'999'999, 0}}, lower).average_meets_target());
  EXPECT_EQ(EvaluateCollectiveEconomy({}, Policy{}).average_fen(), 0);
}

// Above township level the township-average target is judged per township.
TEST(CollectiveEconomyTest, EachTownshipAgainstTheAverageTarget) {
  const auto r = EvaluateCollectiveEconomy({{"653121101201", 12'000'000, 0},
                                            {"653121101202", 9'000'000, 0},
                                            {"653121102201", 5'000'000, 0},
                                            {"653121102202", 6'000'000, 0}},
                                           Policy{});
  ASSERT_EQ(r.townships_size(), 2);
  EXPECT_EQ(r.townships(0).township_code(), "653121101000");
  EXPECT_EQ(r.townships(0).village_count(), 2);
  EXPECT_EQ(r.townships(0).average_fen(), 10'500'000);
  EXPECT_TRUE(r.townships(0).average_meets_target());
  EXPECT_EQ(r.townships(1).township_code(), "653121102000");
  EXPECT_EQ(r.townships(1).average_fen(), 5'500'000);
  EXPECT_FALSE(r.townships(1).average_meets_target());
  EXPECT_FALSE(r.average_meets_target()) << "one township misses the average target";
  const auto one = EvaluateCollectiveEconomy(
      {{"653121101201", 12'000'000, 0}, {"653121101202", 9'000'000, 0}}, Policy{});
  ASSERT_EQ(one.townships_size(), 1);
  EXPECT_TRUE(one.average_meets_target());
}

// Villages without any income are listed (below target) when they own or
// host assets, or the registry knows them.
struct EveryVillageCase {
  std::string name;
  std::vector<VillageIncome> incomes;
  std::vector<std::string> villages;
  std::vector<std::string> want;  // codes, in the order returned
};
void PrintTo(const EveryVillageCase& c, std::ostream* os) { *os << c.name; }
class EveryVillageTest : public ::testing::TestWithParam<EveryVillageCase> {};
TEST_P(EveryVillageTest, ZeroIncomeVillagesAreAdded) {
  const auto& c = GetParam();
  std::vector<std::string> got;
  for (const auto& v : WithEveryVillage(c.incomes, c.villages)) got.push_back(v.village_code);
  EXPECT_EQ(got, c.want);
}
INSTANTIATE_TEST_SUITE_P(
    All, EveryVillageTest,
    ::testing::Values(EveryVillageCase{"none", {}, {}, {}},
                      EveryVillageCase{"added", {}, {"653121101202"}, {"653121101202"}},
                      EveryVillageCase{"kept_once",
                                       {{"653121101201", 1, 0}},
                                       {"653121101201", "653121101202", "653121101202"},
                                       {"653121101201", "653121101202"}},
                      EveryVillageCase{"not_villages_skipped", {}, {"653121101000", "bad"}, {}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace zx::assets
