#include "services/employment/domain/requests.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "services/employment/domain/employment.h"

namespace zx::employment {
namespace {

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

}  // namespace

std::optional<division::Code> InsideDivision(const division::Code& instance,
                                             const std::string& code, const std::string& field,
                                             errors::Validator& v) {
  auto d = division::Code::Parse(code);
  if (!d.ok()) {
    v.Add(field, std::string(d.status().message()));
    return std::nullopt;
  }
  if (!instance.IsAncestorOrSelfOf(*d)) {
    v.Add(field, absl::StrCat("must be inside ", instance.str()));
    return std::nullopt;
  }
  return *d;
}

void Validate(const v1::UpsertWorkerRequest& req, const RequestEnv& env, errors::Validator& v) {
  if (!req.has_worker()) {
    v.Add("worker", "is required");
    return;
  }
  ValidateWorker(req.worker(), v);
  InsideDivision(env.instance, req.worker().division_code(), "worker.division_code", v);
}

void Validate(const v1::UpsertEmployerRequest& req, const RequestEnv& env, errors::Validator& v) {
  if (!req.has_employer()) {
    v.Add("employer", "is required");
    return;
  }
  ValidateEmployer(req.employer(), v);
  const v1::Employer& e = req.employer();
  // A partner province registers its own employers at its province code
  // (through the federation gateway); local staff register them here.
  if (e.kind() == v1::EMPLOYER_KIND_PARTNER_PROVINCE && e.partner_province().size() == 2 &&
      e.division_code() == e.partner_province() + "0000000000" &&
      e.partner_province() != env.instance.str().substr(0, 2)) {
    return;
  }
  InsideDivision(env.instance, e.division_code(), "employer.division_code", v);
}

void Validate(const v1::UpsertJobRequest& req, const RequestEnv&, errors::Validator& v) {
  if (!req.has_job()) {
    v.Add("job", "is required");
    return;
  }
  ValidateJob(req.job(), v);
}

void Validate(const v1::AcceptPlacementRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (Blank(req.consent_ref()) || req.consent_ref().size() > 200) {
    v.Add("consent_ref", "is required: the worker's recorded consent (1..200 bytes)");
  }
}

void Validate(const v1::StartPlacementRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (!ParseDate(req.start_date())) v.Add("start_date", "must be a date like 2026-11-02");
}

void Validate(const v1::EndPlacementRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (req.reason() == v1::END_REASON_UNSPECIFIED || !v1::EndReason_IsValid(req.reason())) {
    v.Add("reason", "must be a known end reason");
  }
  if (!ParseDate(req.end_date())) v.Add("end_date", "must be a date like 2026-11-02");
}

void Validate(const v1::RecordWageRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (!ParseMonth(req.month())) v.Add("month", "must be a month like 2026-10");
  if (req.amount_fen() <= 0 || req.amount_fen() > 10'000'000) {
    v.Add("amount_fen", "must be 1..10,000,000 fen");
  }
  if (!ParseDate(req.paid_on())) v.Add("paid_on", "must be a date like 2026-11-02");
}

void Validate(const v1::AppointPublicWelfarePostRequest& req, const RequestEnv&,
              errors::Validator& v) {
  v.CheckId("worker_id", req.worker_id(), "wk");
  v.CheckId("job_id", req.job_id(), "jb");
  const auto start = ParseDate(req.agreement_start());
  const auto end = ParseDate(req.agreement_end());
  if (!start) v.Add("agreement_start", "must be a date like 2026-01-01");
  if (!end) v.Add("agreement_end", "must be a date like 2026-12-31");
  if (start && end && *end < *start) v.Add("agreement_end", "must not be before agreement_start");
  if (Blank(req.consent_ref()) || req.consent_ref().size() > 200) {
    v.Add("consent_ref", "is required: the worker's recorded consent (1..200 bytes)");
  }
}

void Validate(const v1::RecordAttendanceRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (!ParseMonth(req.month())) v.Add("month", "must be a month like 2026-10");
  if (req.days_on_duty() < 0 || req.days_on_duty() > 31) {
    v.Add("days_on_duty", "must be 0..31");
  }
}

void Validate(const v1::PayPostSubsidyRequest& req, const RequestEnv&, errors::Validator& v) {
  v.CheckId("placement_id", req.placement_id(), "pl");
  if (!ParseMonth(req.month())) v.Add("month", "must be a month like 2026-10");
  if (!ParseDate(req.paid_on())) v.Add("paid_on", "must be a date like 2026-11-02");
}

}  // namespace zx::employment
