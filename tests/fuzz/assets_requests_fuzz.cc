// The assets service's request checks (services/assets/domain): the input is
// one request message, its type picked by the first byte. Besides "does not
// crash", each check must give a well-formed INVALID_ARGUMENT, and what it
// accepts must be safe for what the handler does next (the handlers
// dereference the division codes the checks accepted, for instance).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/assets/domain/assets.h"
#include "services/assets/domain/requests.h"
#include "tests/fuzz/fuzz_support.h"

namespace zx::assets {
namespace {

using fuzz::CheckValidationOutcome;

const RequestEnv& Env() {
  static const RequestEnv env{.instance = *division::Code::Parse("653121000000"),
                              .today = absl::CivilDay(2026, 11, 23)};
  return env;
}

// What a handler may rely on once its request passed Validate().
void CheckAccepted(const v1::CreateProjectRequest& req) {
  auto division = division::Code::Parse(req.project().division_code());
  ZX_FUZZ_CHECK(division.ok() && Env().instance.IsAncestorOrSelfOf(*division));
  errors::Validator v;
  const money::Fen total = ValidateNewProject(req.project(), Env().instance, v);
  ZX_FUZZ_CHECK(v.ok() && total > 0);
  // The funding report over this project twice must not overflow.
  ProjectFunding funding{.category = req.project().category()};
  funding.lines.assign(req.project().funding_lines().begin(), req.project().funding_lines().end());
  (void)BuildFundingReport({funding, funding}, Policy{});
}
void CheckAccepted(const v1::RegisterAssetRequest& req) {
  ZX_FUZZ_CHECK(division::Code::Parse(req.asset().location_division_code()).ok());
}
void CheckAccepted(const v1::RecordCollectiveIncomeRequest& req) {
  ZX_FUZZ_CHECK(division::Code::Parse(req.income().village_code()).ok());
}
void CheckAccepted(const v1::DistributeIncomeRequest& req) {
  auto planned = PlanDistribution(req.amount_fen(), req.shares(), req.households());
  CheckValidationOutcome(planned.status());
  if (!planned.ok()) return;
  // The plan splits the amount exactly, and the handler dereferences every
  // household's village code.
  money::Fen sum = 0;
  for (const auto& line : *planned) {
    ZX_FUZZ_CHECK(line.amount_fen >= 0);
    sum += line.amount_fen;
  }
  ZX_FUZZ_CHECK(sum == req.amount_fen());
  for (const auto& h : req.households()) {
    ZX_FUZZ_CHECK(division::Code::Parse(h.village_code()).ok());
  }
}
void CheckAccepted(const v1::ConfirmOwnershipRequest& req) {
  // The handler then checks the ownership against the asset's class.
  for (auto asset_class :
       {v1::ASSET_CLASS_OPERATING, v1::ASSET_CLASS_PUBLIC_WELFARE, v1::ASSET_CLASS_HOUSEHOLD}) {
    errors::Validator v;
    ValidateOwnership(asset_class, req.ownership(), Env().instance, /*confirming=*/true,
                      "ownership.", v);
    CheckValidationOutcome(v.ToStatus());
  }
}
void CheckAccepted(const v1::AdvanceProjectRequest& req) {
  for (int from = 0; from <= 6; ++from) {
    (void)CheckProjectTransition(static_cast<v1::ProjectStatus>(from), req.to_status());
  }
}
template <typename Request>
void CheckAccepted(const Request&) {}

template <typename Request>
void Run(std::string_view bytes) {
  Request req;
  if (!fuzz::Parse(bytes, req)) return;
  fuzz::CheckStringsAreUtf8(req);
  errors::Validator v;
  Validate(req, Env(), v);
  const absl::Status status = v.ToStatus();
  CheckValidationOutcome(status);
  errors::Validator again;  // the checks are deterministic
  Validate(req, Env(), again);
  ZX_FUZZ_CHECK(again.ToStatus() == status);
  if (status.ok()) CheckAccepted(req);
}

// Policies are validated, then converted and used by the rules.
void RunPolicy(std::string_view bytes) {
  v1::PublishPolicyRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  ValidatePolicy(req.policy(), v);
  CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  const Policy policy = PolicyFromProto(req.policy());
  const v1::AssetsPolicy back = PolicyToProto(policy);
  ZX_FUZZ_CHECK(back.version() == req.policy().version() &&
                back.industry_share_of_linking_bp() == req.policy().industry_share_of_linking_bp());
  for (auto level : {v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, v1::OWNER_LEVEL_HOUSEHOLD,
                     v1::OWNER_LEVEL_TOWNSHIP, v1::OWNER_LEVEL_COUNTY_DEPARTMENT}) {
    for (money::Fen value : {money::Fen{0}, money::Fen{1}, policy.prefecture_disposal_threshold_fen,
                             std::numeric_limits<money::Fen>::max()}) {
      const auto steps = RequiredSteps(level, value, policy);
      ZX_FUZZ_CHECK(!steps.empty());
      ZX_FUZZ_CHECK(DisposalStatusAfter(steps, steps) == v1::DISPOSAL_STATUS_APPROVED);
    }
  }
  std::vector<VillageIncome> villages = {
      {"653121100001", policy.village_collective_income_min_fen, 0},
      {"653121100002", std::numeric_limits<money::Fen>::max() / 2, 0},
      {"653121100003", 0, 0}};
  (void)EvaluateCollectiveEconomy(villages, policy);
}

}  // namespace
}  // namespace zx::assets

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zx::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zx::assets;
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 14) {
    case 0:
      Run<v1::CreateProjectRequest>(bytes);
      break;
    case 1:
      Run<v1::AdvanceProjectRequest>(bytes);
      break;
    case 2:
      Run<v1::RegisterAssetRequest>(bytes);
      break;
    case 3:
      Run<v1::ConfirmOwnershipRequest>(bytes);
      break;
    case 4:
      Run<v1::TransferAssetRequest>(bytes);
      break;
    case 5:
      Run<v1::SetOperatingStateRequest>(bytes);
      break;
    case 6:
      Run<v1::RecordIncomeRequest>(bytes);
      break;
    case 7:
      Run<v1::DistributeIncomeRequest>(bytes);
      break;
    case 8:
      Run<v1::RequestDisposalRequest>(bytes);
      break;
    case 9:
      Run<v1::ApproveDisposalStepRequest>(bytes);
      break;
    case 10:
      Run<v1::RecordInspectionRequest>(bytes);
      break;
    case 11:
      Run<v1::RecordCertificateRequest>(bytes);
      break;
    case 12:
      Run<v1::RecordCollectiveIncomeRequest>(bytes);
      break;
    default:
      RunPolicy(bytes);
      break;
  }
  return 0;
}
