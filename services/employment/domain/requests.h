// The checks of each employment request that need no storage: the handlers
// (api/employment_service.cc) run them first, and the fuzz target
// tests/fuzz/employment_requests_fuzz.cc runs them on arbitrary input. The
// request_id is checked by the handler (common/idempotency) before these.
#pragma once

#include <optional>
#include <string>

#include "common/division/division.h"
#include "common/errors/errors.h"
#include "zx/employment/v1/employment.pb.h"

namespace zx::employment {

// What the checks may depend on besides the request.
struct RequestEnv {
  division::Code instance;  // the division this instance keeps
};

// Worker, employer and job: present, valid (ValidateWorker/...), and for
// workers and employers a division inside the instance — or, for a partner
// employer, its own province's code (the partner registering it).
void Validate(const v1::UpsertWorkerRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::UpsertEmployerRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::UpsertJobRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::AcceptPlacementRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::StartPlacementRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::EndPlacementRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::RecordWageRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::AppointPublicWelfarePostRequest& req, const RequestEnv& env,
              errors::Validator& v);
void Validate(const v1::RecordAttendanceRequest& req, const RequestEnv& env, errors::Validator& v);
void Validate(const v1::PayPostSubsidyRequest& req, const RequestEnv& env, errors::Validator& v);

// The division `code` names when it lies inside `instance`; otherwise a
// violation on `field` and nullopt.
std::optional<division::Code> InsideDivision(const division::Code& instance,
                                             const std::string& code, const std::string& field,
                                             errors::Validator& v);

}  // namespace zx::employment
