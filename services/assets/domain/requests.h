// The checks of each assets request that need no storage: the handlers
// (api/assets_service.cc) run them before anything else, and the fuzz target
// tests/fuzz/assets_requests_fuzz.cc runs them on arbitrary input. The
// request_id is checked by the handler (common/idempotency) before these.
#pragma once

#include "absl/time/civil_time.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "zx/assets/v1/assets.pb.h"

namespace zx::assets {

// What the checks may depend on besides the request.
struct RequestEnv {
  division::Code instance;  // the division this instance keeps
  absl::CivilDay today;     // local date: "not in the future" checks
};

void Validate(const v1::CreateProjectRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::AdvanceProjectRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RegisterAssetRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::ConfirmOwnershipRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::TransferAssetRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::SetOperatingStateRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RecordIncomeRequest& req, const RequestEnv& env, errors::Validator& v);
// The request's own fields; the plan itself is checked by PlanDistribution.
void Validate(const v1::DistributeIncomeRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RequestDisposalRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::ApproveDisposalStepRequest& req, const RequestEnv& env,
              errors::Validator& v);
// The proceeds only; request_id and disposal_id are checked by the handler.
void Validate(const v1::CompleteDisposalRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RecordInspectionRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RecordCertificateRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RecordCollectiveIncomeRequest& req, const RequestEnv& env,
              errors::Validator& v);

}  // namespace zx::assets
