// The assets service's rows of the authorization matrix. Projects and assets
// lie in the home village; ledgers, reports and policies at the county.
#include "absl/strings/str_cat.h"
#include "tests/security/matrix.h"

namespace zx::security {
namespace {

const std::string kAssets = "/zx.assets.v1.AssetsService/";

std::string Project(const std::string& name) {
  return absl::StrCat("request_id: '${RID}' project { name: '", name,
                      "' year: 2025 division_code: '", kVillage,
                      "' category: PROJECT_CATEGORY_INDUSTRY implementing_unit: '县乡村振兴局' "
                      "funding_lines { source: FUNDING_SOURCE_CENTRAL_LINKING amount_fen: 600000 } "
                      "funding_lines { source: FUNDING_SOURCE_PAIRED_ASSISTANCE amount_fen: "
                      "400000 } }");
}

std::string Asset(const std::string& name) {
  return absl::StrCat(
      "request_id: '${RID}' asset { project_id: '${PROJECT}' name: '", name,
      "' asset_class: ASSET_CLASS_OPERATING asset_type: ASSET_TYPE_PHOTOVOLTAIC_STATION "
      "original_value_fen: 1000000 location_division_code: '",
      kVillage,
      "' funding { source: FUNDING_SOURCE_CENTRAL_LINKING amount_fen: 600000 } "
      "funding { source: FUNDING_SOURCE_PAIRED_ASSISTANCE amount_fen: 400000 } "
      "ownership { level: OWNER_LEVEL_VILLAGE_COLLECTIVE owner_id: '",
      kVillage, "' owner_division_code: '", kVillage,
      "' } custodian: '村委会' operator: '村集体合作社' }");
}

std::string Advance(const std::string& project, const std::string& status) {
  return absl::StrCat("request_id: '${RID}' project_id: '", project, "' to_status: ", status,
                      " reason: '按计划推进'");
}

// Puts a registered asset into operation (ownership, transfer, operation).
std::vector<SeedStep> IntoOperation(const std::string& asset) {
  return {
      {kAssets + "ConfirmOwnership",
       absl::StrCat(
           "request_id: '${RID}' asset_id: '", asset,
           "' reason: '村民代表会议确权' ownership { level: OWNER_LEVEL_VILLAGE_COLLECTIVE "
           "owner_id: '",
           kVillage, "' owner_division_code: '", kVillage,
           "' registration_system: REGISTRATION_SYSTEM_RURAL_THREE_ASSETS "
           "registration_ref: 'SZ-653121101201-2025-007' }"),
       {}},
      {kAssets + "TransferAsset",
       absl::StrCat("request_id: '${RID}' asset_id: '", asset, "' reason: '项目竣工移交村集体'"),
       {}},
      {kAssets + "SetOperatingState",
       absl::StrCat(
           "request_id: '${RID}' asset_id: '", asset,
           "' state: ASSET_STATE_IN_OPERATION operator: '村集体合作社' reason: '投入运营'"),
       {}},
  };
}

}  // namespace

std::vector<SeedStep> AssetsSeeds() {
  std::vector<SeedStep> seeds = {
      {kAssets + "CreateProject", Project("村级光伏电站"), {{"PROJECT", "project_id"}}},
      {kAssets + "AdvanceProject", Advance("${PROJECT}", "PROJECT_STATUS_APPROVED"), {}},
      {kAssets + "AdvanceProject", Advance("${PROJECT}", "PROJECT_STATUS_IN_PROGRESS"), {}},
      {kAssets + "AdvanceProject", Advance("${PROJECT}", "PROJECT_STATUS_COMPLETED"), {}},
      {kAssets + "CreateProject", Project("庭院经济示范"), {{"PROJECT2", "project_id"}}},
      {kAssets + "RegisterAsset", Asset("光伏电站一号"), {{"ASSET", "asset_id"}}},
      {kAssets + "RegisterAsset", Asset("光伏电站二号"), {{"ASSET2", "asset_id"}}},
  };
  for (const auto& s : IntoOperation("${ASSET2}")) seeds.push_back(s);
  seeds.push_back({kAssets + "RequestDisposal",
                   "request_id: '${RID}' asset_id: '${ASSET2}' method: DISPOSAL_METHOD_SCRAPPING "
                   "trigger: DISPOSAL_TRIGGER_DISASTER reason: '洪水损毁'",
                   {{"DISPOSAL", "disposal_id"}}});
  return seeds;
}

std::vector<MatrixCase> AssetsCases() {
  const std::string c = kCounty;
  auto approve = [](const std::string& step, const std::string& action) {
    return MatrixCase{kAssets + "ApproveDisposalStep", "assets.disposal.approve." + action,
                      "request_id: '${RID}' disposal_id: '${DISPOSAL}' step: " + step +
                          " approved: true reference: '决议 2026-011'"};
  };
  std::vector<MatrixCase> cases = {
      {kAssets + "CreateProject", "assets.project.create", Project("村级冷库")},
      {kAssets + "GetProject", "assets.project.get", "project_id: '${PROJECT}'"},
      {kAssets + "AdvanceProject", "assets.project.advance",
       Advance("${PROJECT2}", "PROJECT_STATUS_APPROVED")},
      {kAssets + "GetFundingReport", "assets.funding_report.get",
       absl::StrCat("division_code: '", c, "' year: 2025"), c},
      {kAssets + "RegisterAsset", "assets.asset.register", Asset("光伏电站三号")},
      {kAssets + "GetAsset", "assets.asset.get", "asset_id: '${ASSET}'"},
      {kAssets + "ConfirmOwnership", "assets.asset.confirm_ownership",
       IntoOperation("${ASSET}")[0].request},
      {kAssets + "TransferAsset", "assets.asset.transfer", IntoOperation("${ASSET}")[1].request},
      {kAssets + "SetOperatingState", "assets.asset.set_state",
       IntoOperation("${ASSET}")[2].request},
      {kAssets + "GetAssetHistory", "assets.history.get", "asset_id: '${ASSET}'"},
      {kAssets + "GetLedger", "assets.ledger.get",
       absl::StrCat("division_code: '", c, "' kind: LEDGER_KIND_MASTER page_size: 10"), c},
      {kAssets + "Reconcile", "assets.ledger.reconcile", absl::StrCat("division_code: '", c, "'"),
       c},
      {kAssets + "RecordIncome", "assets.income.record",
       "request_id: '${RID}' asset_id: '${ASSET}' period: '2026-10' kind: INCOME_KIND_SALES "
       "amount_fen: 300000"},
      {kAssets + "DistributeIncome", "assets.distribution.create",
       absl::StrCat("request_id: '${RID}' asset_id: '${ASSET}' period: '2026-10' amount_fen: 1000 "
                    "decided_by: '村民代表会议 2026-11-01 决议' "
                    "shares { use: DISTRIBUTION_USE_HOUSEHOLDS share_bp: 6000 } "
                    "shares { use: DISTRIBUTION_USE_PUBLIC_WELFARE_POST_WAGES share_bp: 3000 } "
                    "shares { use: DISTRIBUTION_USE_COLLECTIVE_ECONOMY share_bp: 1000 } "
                    "households { household_id: '${HH}' village_code: '",
                    kVillage, "' weight: 1 }")},
      {kAssets + "RequestDisposal", "assets.disposal.request",
       "request_id: '${RID}' asset_id: '${ASSET2}' method: DISPOSAL_METHOD_SCRAPPING "
       "trigger: DISPOSAL_TRIGGER_DISASTER reason: '洪水损毁'"},
      approve("APPROVAL_STEP_VILLAGE_MEETING", "village_meeting"),
      approve("APPROVAL_STEP_TOWNSHIP", "township"),
      approve("APPROVAL_STEP_COUNTY_DEPARTMENT", "county_department"),
      approve("APPROVAL_STEP_COUNTY_FINANCE", "county_finance"),
      approve("APPROVAL_STEP_PREFECTURE", "prefecture"),
      {kAssets + "CompleteDisposal", "assets.disposal.complete",
       "request_id: '${RID}' disposal_id: '${DISPOSAL}' proceeds_fen: 0"},
      {kAssets + "GetDisposal", "assets.disposal.get", "disposal_id: '${DISPOSAL}'"},
      {kAssets + "RecordInspection", "assets.inspection.record",
       "request_id: '${RID}' inspection { asset_id: '${ASSET}' result: INSPECTION_RESULT_FOUND "
       "photo_ref: 'photo://pv/2026-11.jpg' inspector: '乡镇资产管理员' "
       "inspected_on: '2026-11-20' }"},
      {kAssets + "RecordCertificate", "assets.certificate.record",
       "request_id: '${RID}' certificate { asset_id: '${ASSET}' kind: '不动产权证' "
       "number: '新(2025)疏附县不动产权第0001号' issued_by: '疏附县自然资源局' "
       "issued_on: '2025-12-01' }"},
      {kAssets + "GetBookCheckReport", "assets.book_check.get",
       absl::StrCat("division_code: '", c, "'"), c},
      {kAssets + "GetAssetRollup", "assets.rollup.get", absl::StrCat("division_code: '", c, "'"),
       c},
      {kAssets + "RecordCollectiveIncome", "assets.collective_income.record",
       absl::StrCat("request_id: '${RID}' income { village_code: '", kVillage,
                    "' year: 2026 source: '资源发包' amount_fen: 1500000 }")},
      {kAssets + "GetCollectiveEconomy", "assets.collective_economy.get",
       absl::StrCat("division_code: '", kTownship, "' year: 2026"), kTownship},
      {kAssets + "PublishPolicy", "assets.policy.publish",
       absl::StrCat("request_id: '${RID}' policy { owner_division_code: '", c,
                    "' year: 2026 version: 'matrix-${RID}' industry_share_of_linking_bp: 6000 "
                    "dual_binding_share_of_integrated_bp: 1000 "
                    "prefecture_disposal_threshold_fen: 50000000 "
                    "village_collective_income_min_fen: 100000 "
                    "township_collective_income_avg_min_fen: 200000 }"),
       c},
      {kAssets + "GetEffectivePolicy", "assets.policy.get",
       absl::StrCat("division_code: '", c, "' year: 2026"), c},
  };
  return cases;
}

}  // namespace zx::security
