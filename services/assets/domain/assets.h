// Pure rules of the assets service (扶贫项目资产台账): the project and asset
// state machines, ownership rules (RULES A1, A3), the linking-funds checks
// (A7), the income distribution split and its forbidden uses (A5), the
// disposal approval chain (A6), and the ledger reconciliation comparison
// (A4, 账账相符). No I/O; amounts are int64 fen, sums exact in 128 bits. The domain speaks the
// proto enums (zx.assets.v1) directly: they are the vocabulary of the API, and a second set of
// identical enums would only add conversions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/ids.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "common/money/money.h"
#include "zx/assets/v1/assets.pb.h"

namespace zx::assets {

// Every figure the rules use: one versioned policy, defaults from RULES
// (the Dayao township plan for A7 and the collective economy). Nothing below
// hard-codes a threshold; the service uses Policy{} until policies can be
// published per region and year (see docs/ARCHITECTURE.md).
struct Policy {
  std::string version = "default-2023";
  // A7: industry development ≥ 60 % of linking funds.
  int32_t industry_share_of_linking_bp = 6000;
  // A7: ≥ 10 % of integrated agricultural funds to "双绑" enterprises/cooperatives.
  int32_t dual_binding_share_of_integrated_bp = 1000;
  // A6: disposals of assets worth more than this also need the prefecture.
  // The sources give no figure; 1,000,000 yuan is a project default.
  money::Fen prefecture_disposal_threshold_fen = 100'000'000;
  // Village collective economy (Dayao): every village ≥ 50,000 yuan a year,
  // the township's average ≥ 100,000 yuan.
  money::Fen village_collective_income_min_fen = 5'000'000;
  money::Fen township_collective_income_avg_min_fen = 10'000'000;
};

struct PublishedPolicy {
  division::Code owner;
  int year = 0;
  int64_t seq = 0;  // publication order
  Policy policy;
};

// The policy in effect for `division` in `year`. Among published policies
// whose owner is ancestor-or-self of `division` and whose year is not after
// `year`, each level's latest (latest year, then latest publication) counts;
// the region's replaces the defaults (Policy{}), and each lower level may
// only tighten: minimum shares and income targets take the largest value
// along the chain, the prefecture disposal threshold the smallest. The
// version names the contributing policies, region first, joined by "+"
// (the defaults' version when none applies).
Policy ResolvePolicy(const std::vector<PublishedPolicy>& published, const division::Code& division,
                     int year);
// The most specific published policy that applies (its owner and year are
// what GetEffectivePolicy reports); nullptr for the defaults.
const PublishedPolicy* ChoosePolicy(const std::vector<PublishedPolicy>& published,
                                    const division::Code& division, int year);

// Violations of a policy's figures (prefix "policy.").
void ValidatePolicy(const v1::AssetsPolicy& policy, errors::Validator& v);
Policy PolicyFromProto(const v1::AssetsPolicy& p);
v1::AssetsPolicy PolicyToProto(const Policy& p);

// ---- State machines -----------------------------------------------------------

// planned -> approved -> in progress -> completed -> accepted, one step at a
// time. FAILED_PRECONDITION naming both states otherwise.
absl::Status CheckProjectTransition(v1::ProjectStatus from, v1::ProjectStatus to);

// registered -> ownership confirmed -> transferred -> in operation | idle;
// in operation <-> idle; transferred | in operation | idle -> disposed (only
// through a completed disposal). FAILED_PRECONDITION otherwise.
absl::Status CheckAssetTransition(v1::AssetState from, v1::AssetState to);

// Transfer (移交) needs the asset's project completed or accepted.
absl::Status CheckProjectAllowsTransfer(v1::ProjectStatus status);

// An asset is formed by a project of its own place: the project's division
// must be ancestor-or-self of the asset's location. FAILED_PRECONDITION
// naming both otherwise (else a new asset could be linked to an old
// completed project elsewhere and transferred at once).
absl::Status CheckProjectCoversLocation(const v1::Project& project, std::string_view location);

// ---- Validation ---------------------------------------------------------------

// An amount a caller supplies: 1..money::kMaxAmountFen fen (0..money::kMaxAmountFen when
// `zero_allowed`); a violation names `field`.
void CheckAmount(std::string_view field, money::Fen amount, errors::Validator& v,
                 bool zero_allowed = false);

// A sum of stored amounts, exact, reported: saturated at the int64 limits
// (rows from before the cap or from direct SQL can hold anything).
money::Fen Saturate(__int128 sum);

// Caps on repeated request fields (docs/ARCHITECTURE.md §16): far above any
// real project or village, low enough that one request stays cheap.
inline constexpr int kMaxFundingLines = 100;
inline constexpr int kMaxDistributionShares = 20;          // each use once; there are fewer
inline constexpr int kMaxDistributionHouseholds = 10'000;  // a large village has ~1,000

// The project fields a caller supplies at creation (prefix "project."): name,
// year 2013..2100, a county/township/village inside `instance`, category,
// implementing unit and funding lines. Returns the funded total (0 when
// invalid).
money::Fen ValidateNewProject(const v1::Project& project, const division::Code& instance,
                              errors::Validator& v);

// The asset fields a caller supplies at registration (prefix "asset.").
void ValidateNewAsset(const v1::Asset& asset, const division::Code& instance, errors::Validator& v);

// Ownership rules (A1, A3), violations under `prefix` ("asset.ownership."):
//  - a household asset is owned by a household;
//  - an operating asset by a village collective, anything else only with a
//    recorded exception_reason;
//  - the owner id fits the level (household id "hh-…", a village code for a
//    collective, a township code for a township, a department name);
//  - the owner's division fits the level and lies inside the instance;
//  - when `confirming`, the registration system fits the owner level
//    (state-asset system for department/township, 三资 for a village
//    collective, local register for a household) and the reference is given.
void ValidateOwnership(v1::AssetClass asset_class, const v1::Ownership& ownership,
                       const division::Code& instance, bool confirming, std::string_view prefix,
                       errors::Validator& v);

// The registration system RULES A3 assigns to an owner level.
v1::RegistrationSystem RegistrationSystemFor(v1::OwnerLevel level);

// Funding lines (prefix "project.funding_lines" / "asset.funding"): at least
// one, known sources, positive amounts, dual binding only on integrated
// funds; the total fits int64. Returns the total (0 when invalid).
money::Fen ValidateFundingLines(const google::protobuf::RepeatedPtrField<v1::FundingLine>& lines,
                                std::string_view prefix, errors::Validator& v);

// "hh-" + 20 lower-case hex digits (the monitoring service's household ids).
bool IsHouseholdId(std::string_view id);
// "YYYY-MM".
bool IsPeriod(std::string_view period);

// ---- A7 funding checks --------------------------------------------------------

struct ProjectFunding {
  v1::ProjectCategory category = v1::PROJECT_CATEGORY_UNSPECIFIED;
  std::vector<v1::FundingLine> lines;
};

// Totals by source and category and the A7 checks with their figures.
v1::FundingReport BuildFundingReport(const std::vector<ProjectFunding>& projects,
                                     const Policy& policy);

// ---- A5 income distribution ---------------------------------------------------

bool IsForbiddenUse(v1::DistributionUse use);
// The forbidden use in words, as RULES A5 lists it.
const char* ForbiddenUseName(v1::DistributionUse use);

struct PlannedLine {
  v1::DistributionUse use = v1::DISTRIBUTION_USE_UNSPECIFIED;
  std::string household_id;  // household lines
  std::string village_code;
  money::Fen amount_fen = 0;
};

// Validates the plan (violations under "shares[i]" / "households[i]", a
// forbidden use names RULES A5) and splits `amount_fen` exactly: each share
// gets amount × bp / 10,000 by largest remainder, the households' share is
// split by weight the same way, so the lines sum to `amount_fen` to the fen.
// Household lines come first, in request order, then the other uses in
// request order.
absl::StatusOr<std::vector<PlannedLine>> PlanDistribution(
    money::Fen amount_fen, const google::protobuf::RepeatedPtrField<v1::DistributionShare>& shares,
    const google::protobuf::RepeatedPtrField<v1::HouseholdShare>& households);

// Splits `amount` by `weights` (all > 0) exactly, by largest remainder (ties
// to the earlier index).
std::vector<money::Fen> SplitByWeights(money::Fen amount, const std::vector<int64_t>& weights);

// ---- A6 disposal approval chain -------------------------------------------------

// The chain for an asset of `owner_level` worth `value_fen`: village meeting
// (village collective and household assets) -> township (unless a county
// department owns it) -> county department -> county finance, and the
// prefecture when the value exceeds the policy's threshold.
std::vector<v1::ApprovalStep> RequiredSteps(v1::OwnerLevel owner_level, money::Fen value_fen,
                                            const Policy& policy);

// The next step not yet approved; nullopt when all are.
std::optional<v1::ApprovalStep> NextStep(const std::vector<v1::ApprovalStep>& required,
                                         const std::vector<v1::ApprovalStep>& approved);

// Who may record a step: the principal's division must sit at the step's
// level (village meeting: a village; township: a township; county steps: a
// county; prefecture: a prefecture), county finance is recorded by the
// finance department (role department, kind "finance") or a county official,
// and the county department step by a county official or a department other
// than finance (RULES A6 needs both the department and finance).
// PERMISSION_DENIED naming the step otherwise.
absl::Status CheckApprover(v1::ApprovalStep step, division::Level principal_level,
                           std::string_view role, std::string_view department);

// FAILED_PRECONDITION naming the earlier step when `user_id` already
// recorded a step of this disposal: RULES A6's chain is several bodies
// agreeing, so one person signs at most one step (a finance officer cannot
// record the county department's step and then finance's).
absl::Status CheckApproverIsNew(const v1::Disposal& disposal, v1::ApprovalStep step,
                                std::string_view user_id);

// Jurisdiction (each division is authorized with call.Authorize).
// Registering an asset needs both its location and its owner's division
// (WriteDivisions); inspections and certificates either of them.
std::vector<std::string> WriteDivisions(const v1::Asset& asset);
// What the owner answers for (confirming, transferring, operating state,
// income, distribution, disposal) needs the owner's division only: a cadre
// of one village cannot act on another village's asset because it stands
// in their village, and the owning village keeps an asset that stands
// elsewhere (飞地).
std::vector<std::string> KeeperDivisions(const v1::Asset& asset);
// Recording `step` on a disposal of `asset`: the village meeting is the
// owning village's (its owner division), the township step the owner's
// township; the county and prefecture steps need KeeperDivisions.
std::vector<std::string> ApprovalDivisions(v1::ApprovalStep step, const v1::Asset& asset);

// Status after the approvals so far.
v1::DisposalStatus DisposalStatusAfter(const std::vector<v1::ApprovalStep>& required,
                                       const std::vector<v1::ApprovalStep>& approved);

// ---- A4 reconciliation ----------------------------------------------------------

// The master ledger's view of an asset (the assets table).
struct MasterRow {
  std::string asset_id;
  money::Fen value_fen = 0;
  v1::LedgerKind expected_ledger = v1::LEDGER_KIND_UNSPECIFIED;  // from its owner level
  std::string owner_id;
};
// A sub-ledger entry.
struct SubledgerRow {
  std::string asset_id;
  v1::LedgerKind kind = v1::LEDGER_KIND_UNSPECIFIED;
  std::string owner_id;
  money::Fen value_fen = 0;
};
// The asset as the journal's last entry left it.
struct JournalRow {
  std::string asset_id;
  money::Fen value_fen = 0;
};

v1::LedgerKind LedgerFor(v1::OwnerLevel level);

// Compares the three views of the same live (not disposed) assets and fills
// the totals and every difference, ordered by asset id.
v1::Reconciliation CompareLedgers(const std::vector<MasterRow>& master,
                                  const std::vector<SubledgerRow>& subledgers,
                                  const std::vector<JournalRow>& journal);

// ---- Village collective economy ---------------------------------------------------

struct VillageIncome {
  std::string village_code;
  money::Fen from_assets_fen = 0;
  money::Fen other_fen = 0;
};

// Each village against the village target, villages below target listed,
// in code order; each township's average against the township-average
// target (exact: Σ ≥ target × n), in `townships`; average_fen over all the
// villages, average_meets_target when every township meets its target.
v1::CollectiveEconomyReport EvaluateCollectiveEconomy(std::vector<VillageIncome> villages,
                                                      const Policy& policy);

// `incomes` plus a zero-income entry for each village code of `villages`
// without one (codes that are not villages are skipped).
std::vector<VillageIncome> WithEveryVillage(std::vector<VillageIncome> incomes,
                                            const std::vector<std::string>& villages);

}  // namespace zx::assets
