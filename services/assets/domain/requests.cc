#include "services/assets/domain/requests.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/assets/domain/assets.h"

namespace zx::assets {
namespace {

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

void CheckReason(const std::string& reason, errors::Validator& v) {
  if (reason.size() > 1000) v.Add("reason", "must be at most 1000 bytes");
}

bool IsPastOrToday(const std::string& text, absl::CivilDay today) {
  absl::CivilDay d;
  return text.size() == 10 && absl::ParseCivilTime(text, &d) && d <= today;
}

}  // namespace

void Validate(const v1::CreateProjectRequest& req, const RequestEnv& env, errors::Validator& v) {
  if (!req.has_project()) {
    v.Add("project", "is required");
    return;
  }
  ValidateNewProject(req.project(), env.instance, v);
}

void Validate(const v1::AdvanceProjectRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.project_id(), "pj")) {
    v.Add("project_id", "must look like pj- and 20 hex digits");
  }
  if (req.to_status() == v1::PROJECT_STATUS_UNSPECIFIED ||
      !v1::ProjectStatus_IsValid(req.to_status())) {
    v.Add("to_status", "must be a project status");
  }
  CheckReason(req.reason(), v);
}

void Validate(const v1::RegisterAssetRequest& req, const RequestEnv& env, errors::Validator& v) {
  if (!req.has_asset()) {
    v.Add("asset", "is required");
  } else {
    ValidateNewAsset(req.asset(), env.instance, v);
  }
}

void Validate(const v1::ConfirmOwnershipRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (!req.has_ownership()) v.Add("ownership", "is required");
  CheckReason(req.reason(), v);
}

void Validate(const v1::TransferAssetRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (req.custodian().size() > 200) v.Add("custodian", "must be at most 200 bytes");
  CheckReason(req.reason(), v);
}

void Validate(const v1::SetOperatingStateRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (req.state() != v1::ASSET_STATE_IN_OPERATION && req.state() != v1::ASSET_STATE_IDLE) {
    v.Add("state", "must be IN_OPERATION or IDLE (disposal goes through RequestDisposal)");
  }
  if (req.operator_().size() > 200) v.Add("operator", "must be at most 200 bytes");
  CheckReason(req.reason(), v);
}

void Validate(const v1::RecordIncomeRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (!IsPeriod(req.period())) v.Add("period", "must be a month like 2026-10");
  if (req.kind() == v1::INCOME_KIND_UNSPECIFIED || !v1::IncomeKind_IsValid(req.kind())) {
    v.Add("kind", "must be RENT, DIVIDEND, SALES or OTHER");
  }
  CheckAmount("amount_fen", req.amount_fen(), v);
  if (req.note().size() > 1000) v.Add("note", "must be at most 1000 bytes");
}

void Validate(const v1::DistributeIncomeRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (!IsPeriod(req.period())) v.Add("period", "must be a month like 2026-10");
  CheckAmount("amount_fen", req.amount_fen(), v);
  if (Blank(req.decided_by()) || req.decided_by().size() > 500) {
    v.Add("decided_by",
          "is required: the asset's distribution rule or the village meeting that decided it");
  }
}

void Validate(const v1::RequestDisposalRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!IsId(req.asset_id(), "as")) v.Add("asset_id", "must look like as- and 20 hex digits");
  if (req.method() == v1::DISPOSAL_METHOD_UNSPECIFIED ||
      !v1::DisposalMethod_IsValid(req.method())) {
    v.Add("method", "must be a disposal method of RULES A6");
  }
  if (req.trigger() == v1::DISPOSAL_TRIGGER_UNSPECIFIED ||
      !v1::DisposalTrigger_IsValid(req.trigger())) {
    v.Add("trigger", "must be a disposal trigger of RULES A6");
  }
  if (Blank(req.reason()) || req.reason().size() > 1000) {
    v.Add("reason", "is required (1..1000 bytes)");
  }
}

void Validate(const v1::ApproveDisposalStepRequest& req, const RequestEnv&, errors::Validator& v) {
  if (req.step() == v1::APPROVAL_STEP_UNSPECIFIED || !v1::ApprovalStep_IsValid(req.step())) {
    v.Add("step", "must be an approval step");
  }
  if (Blank(req.reference()) || req.reference().size() > 200) {
    v.Add("reference", "is required: the minutes or document number (1..200 bytes)");
  }
  // request_id and disposal_id: the handler's CheckDisposalRequest, after these.
}

void Validate(const v1::CompleteDisposalRequest& req, const RequestEnv&, errors::Validator& v) {
  CheckAmount("proceeds_fen", req.proceeds_fen(), v, /*zero_allowed=*/true);
}

void Validate(const v1::RecordInspectionRequest& req, const RequestEnv& env, errors::Validator& v) {
  const auto& in = req.inspection();
  if (!IsId(in.asset_id(), "as"))
    v.Add("inspection.asset_id", "must look like as- and 20 hex digits");
  if (in.result() == v1::INSPECTION_RESULT_UNSPECIFIED ||
      !v1::InspectionResult_IsValid(in.result())) {
    v.Add("inspection.result", "must be FOUND, DAMAGED or MISSING");
  }
  if (Blank(in.inspector()) || in.inspector().size() > 200) {
    v.Add("inspection.inspector", "is required (1..200 bytes)");
  }
  if (in.result() != v1::INSPECTION_RESULT_MISSING && Blank(in.photo_ref())) {
    v.Add("inspection.photo_ref", "is required unless the asset is missing");
  }
  if (in.photo_ref().size() > 500) v.Add("inspection.photo_ref", "must be at most 500 bytes");
  if (!IsPastOrToday(in.inspected_on(), env.today)) {
    v.Add("inspection.inspected_on", "must be a date like 2026-11-02, not in the future");
  }
  if (in.note().size() > 2000) v.Add("inspection.note", "must be at most 2000 bytes");
}

void Validate(const v1::RecordCertificateRequest& req, const RequestEnv& env,
              errors::Validator& v) {
  const auto& c = req.certificate();
  if (!IsId(c.asset_id(), "as"))
    v.Add("certificate.asset_id", "must look like as- and 20 hex digits");
  if (Blank(c.kind()) || c.kind().size() > 100)
    v.Add("certificate.kind", "is required (1..100 bytes)");
  if (Blank(c.number()) || c.number().size() > 100) {
    v.Add("certificate.number", "is required (1..100 bytes)");
  }
  if (Blank(c.issued_by()) || c.issued_by().size() > 200) {
    v.Add("certificate.issued_by", "is required (1..200 bytes)");
  }
  if (!IsPastOrToday(c.issued_on(), env.today)) {
    v.Add("certificate.issued_on", "must be a date like 2026-11-02, not in the future");
  }
}

void Validate(const v1::RecordCollectiveIncomeRequest& req, const RequestEnv& env,
              errors::Validator& v) {
  const auto& in = req.income();
  auto village = division::Code::Parse(in.village_code());
  if (!village.ok() || village->level() != division::Level::kVillage ||
      !env.instance.IsAncestorOrSelfOf(*village)) {
    v.Add("income.village_code", absl::StrCat("must be a village inside ", env.instance.str()));
  }
  if (in.year() < 2013 || in.year() > 2100) v.Add("income.year", "must be 2013..2100");
  if (Blank(in.source()) || in.source().size() > 200) {
    v.Add("income.source", "is required (1..200 bytes)");
  }
  CheckAmount("income.amount_fen", in.amount_fen(), v);
}

}  // namespace zx::assets
