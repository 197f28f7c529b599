// The employment service's request checks (services/employment/domain): the
// input is one request message, its type picked by the first byte. What a
// check accepts then goes through the rules the handler applies to it
// (eligibility, reach, post appointment, subsidies), which must not crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/civil_time.h"
#include "services/employment/domain/employment.h"
#include "services/employment/domain/requests.h"
#include "tests/fuzz/fuzz_support.h"

namespace zx::employment {
namespace {

using fuzz::CheckValidationOutcome;

const RequestEnv& Env() {
  static const RequestEnv env{.instance = *division::Code::Parse("653121000000")};
  return env;
}
const absl::CivilDay kToday(2026, 11, 23);

v1::Worker SampleWorker() {
  v1::Worker w;
  w.set_division_code("653121100201");
  w.set_birth_date("1990-05-01");
  w.add_skills("welding");
  w.set_willingness(v1::WILLINGNESS_OUT_OF_REGION);
  w.set_available(true);
  w.set_local_registration(true);
  return w;
}

v1::Job SampleJob(bool partner) {
  v1::Job j;
  j.set_title("worker");
  j.set_kind(v1::JOB_KIND_REGULAR);
  j.set_location_division_code(partner ? "440000000000" : "653121100000");
  j.set_partner_province(partner);
  j.set_monthly_wage_fen(300000);
  j.set_slots(3);
  j.set_open(true);
  return j;
}

// The rules a handler runs on an accepted worker and job.
void PairRules(const v1::Worker& worker, const v1::Job& job) {
  (void)CheckEligible(worker, job);
  const auto reach =
      ReachOf(worker.division_code(), job.location_division_code(), job.partner_province());
  (void)WillingnessName(reach);
  (void)DestinationOf(worker.division_code(), job.location_division_code(), job.partner_province());
  for (bool holds : {false, true}) {
    (void)CheckPostAppointment(worker, job, Policy{}, kToday, holds);
  }
}

void CheckAccepted(const v1::UpsertWorkerRequest& req) {
  auto d = division::Code::Parse(req.worker().division_code());  // the handler dereferences it
  ZX_FUZZ_CHECK(d.ok() && Env().instance.IsAncestorOrSelfOf(*d));
  PairRules(req.worker(), SampleJob(false));
  PairRules(req.worker(), SampleJob(true));
}
void CheckAccepted(const v1::UpsertEmployerRequest& req) {
  ZX_FUZZ_CHECK(division::Code::Parse(req.employer().division_code()).ok());
  (void)WorkshopCertified(req.employer());
}
void CheckAccepted(const v1::UpsertJobRequest& req) { PairRules(SampleWorker(), req.job()); }
void CheckAccepted(const v1::RecordAttendanceRequest& req) {
  (void)CheckPostSubsidy(req.days_on_duty(), req.month());
}
void CheckAccepted(const v1::AppointPublicWelfarePostRequest& req) {
  const auto start = ParseDate(req.agreement_start());  // the handler dereferences it
  const auto end = ParseDate(req.agreement_end());
  ZX_FUZZ_CHECK(start && end && *start <= *end);
  ZX_FUZZ_CHECK(ParseDate(FormatDate(*start)) == start);
  (void)DecidePostExit(*end, start, false, kToday);
  (void)MonthsBetween(*start, *end);
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
  errors::Validator again;
  Validate(req, Env(), again);
  ZX_FUZZ_CHECK(again.ToStatus() == status);
  if (status.ok()) CheckAccepted(req);
}

// A published policy, then the rules that read its figures.
void RunPolicy(std::string_view bytes) {
  v1::PublishPolicyRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  ValidatePolicy(req.policy(), v);
  CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  const Policy policy = PolicyFromProto(req.policy());
  (void)PolicyToProto(policy);
  for (auto destination : {v1::DESTINATION_OTHER_COUNTY, v1::DESTINATION_OTHER_PREFECTURE,
                           v1::DESTINATION_OTHER_PROVINCE, v1::DESTINATION_SAME_COUNTY}) {
    for (int months : {0, 3, 120}) {
      auto amount = TransportSubsidy(destination, months, true, policy);
      if (amount.ok()) ZX_FUZZ_CHECK(*amount >= 0);
    }
  }
  for (int day : {1, 15, 28}) (void)WageDueMonth(absl::CivilDay(2026, 2, day), policy);
  (void)CheckPostAppointment(SampleWorker(), SampleJob(false), policy, kToday, false);
}

// Dates and months as the handlers parse them: what parses prints back.
void RunDates(std::string_view text) {
  if (auto day = ParseDate(text)) ZX_FUZZ_CHECK(FormatDate(*day) == text);
  if (auto month = ParseMonth(text)) ZX_FUZZ_CHECK(FormatMonth(*month) == text);
  (void)IsId(text, "wk");
}

}  // namespace
}  // namespace zx::employment

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zx::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zx::employment;
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 12) {
    case 0:
      Run<v1::UpsertWorkerRequest>(bytes);
      break;
    case 1:
      Run<v1::UpsertEmployerRequest>(bytes);
      break;
    case 2:
      Run<v1::UpsertJobRequest>(bytes);
      break;
    case 3:
      Run<v1::AcceptPlacementRequest>(bytes);
      break;
    case 4:
      Run<v1::StartPlacementRequest>(bytes);
      break;
    case 5:
      Run<v1::EndPlacementRequest>(bytes);
      break;
    case 6:
      Run<v1::RecordWageRequest>(bytes);
      break;
    case 7:
      Run<v1::AppointPublicWelfarePostRequest>(bytes);
      break;
    case 8:
      Run<v1::RecordAttendanceRequest>(bytes);
      break;
    case 9:
      Run<v1::PayPostSubsidyRequest>(bytes);
      break;
    case 10:
      RunPolicy(bytes);
      break;
    default:
      RunDates(bytes);
      break;
  }
  return 0;
}
