// The monitoring service's request checks (services/monitoring/domain): the
// input is one request message (or, for the stored-text codecs, raw text),
// its kind picked by the first byte. What a check accepts must be safe for
// what the handler does next: the lifecycle handler dereferences the enum
// conversions of accepted risk types, the list handler echoes page tokens.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/lifecycle_proto.h"
#include "services/monitoring/domain/person.h"
#include "services/monitoring/domain/requests.h"
#include "services/monitoring/domain/risk.h"
#include "services/monitoring/domain/rollup.h"
#include "services/monitoring/domain/survey.h"
#include "tests/fuzz/fuzz_support.h"

namespace zx::monitoring {
namespace {

using fuzz::CheckValidationOutcome;
namespace lc = lifecycle;

const division::Code& Instance() {
  static const division::Code instance = *division::Code::Parse("653121000000");
  return instance;
}
const absl::CivilDay kToday(2026, 11, 23);
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone());

void Done(const errors::Validator& v) { CheckValidationOutcome(v.ToStatus()); }

void CreateHousehold(std::string_view bytes) {
  v1::CreateHouseholdRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  fuzz::CheckStringsAreUtf8(req);
  errors::Validator v;
  Validate(req, Instance(), v);
  Done(v);
  if (!v.ok()) return;
  auto village = division::Code::Parse(req.household().village_code());
  ZX_FUZZ_CHECK(village.ok() && Instance().IsAncestorOrSelfOf(*village));
  errors::Validator facts;  // a created household keeps the stored rules
  ValidateHouseholdFacts(req.household(), Instance(), "household.", facts);
  ZX_FUZZ_CHECK(facts.ok());
}

void UpdateHousehold(std::string_view bytes) {
  v1::UpdateHouseholdRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  const auto paths = ValidateHouseholdMask(req.update_mask(), v);
  Done(v);
  if (!v.ok()) return;
  // Patching a household with itself changes nothing.
  const v1::Household merged = MergeHousehold(req.household(), req.household(), paths);
  ZX_FUZZ_CHECK(merged.SerializeAsString() == req.household().SerializeAsString());
  errors::Validator facts;
  ValidateHouseholdFacts(merged, Instance(), "household.", facts);
  Done(facts);
}

void AddPerson(std::string_view bytes) {
  v1::AddPersonRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  const auto info = ValidateNewPerson(req.person(), kToday, "person.", v);
  Done(v);
  if (v.ok()) ZX_FUZZ_CHECK(info.has_value());
}

void UpdatePerson(std::string_view bytes) {
  v1::UpdatePersonRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  const auto paths = ValidatePersonMask(req.update_mask(), v);
  Done(v);
  if (!v.ok()) return;
  const v1::Person merged = MergePerson(req.person(), req.person(), paths);
  errors::Validator facts;
  ValidatePersonFacts(merged, "person.", facts);
  Done(facts);
  for (const auto& path : paths) (void)PersonPathAffectsAssessment(path);
}

void ListHouseholds(std::string_view bytes) {
  v1::ListHouseholdsRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  auto cursor = DecodePageToken(req.page_token());
  if (cursor.ok() && !req.page_token().empty()) {
    // A token this service accepts is one it would have written.
    ZX_FUZZ_CHECK(EncodePageToken(*cursor) == req.page_token());
  }
  if (!cursor.ok()) ZX_FUZZ_CHECK(absl::IsInvalidArgument(cursor.status()));
  auto size = EffectivePageSize(req.page_size());
  if (size.ok()) ZX_FUZZ_CHECK(*size >= 1 && *size <= kMaxPageSize);
}

void IngestSurvey(std::string_view bytes) {
  v1::IngestSurveyRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  fuzz::CheckStringsAreUtf8(req);
  for (int i = 0; i < req.rows_size() && i < 64; ++i) {
    const auto bad = ValidateSurveyRow(req.rows(i), kToday, "rows[0].");
    if (bad) {
      ZX_FUZZ_CHECK(!bad->field.empty() && errors::IsValidUtf8(bad->reason));
      continue;
    }
    const SurveyRecords records = RecordsOf(req.rows(i));
    for (const auto& [kind, amount] : records.income) ZX_FUZZ_CHECK(amount != 0);
    for (const auto& [kind, amount] : records.expenses) ZX_FUZZ_CHECK(amount != 0);
  }
}

void Transition(uint8_t kind_byte, std::string_view bytes) {
  v1::TransitionRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  const auto kind = static_cast<lc::ActionKind>(kind_byte % 16);
  errors::Validator v;
  ValidateTransition(kind, req, kNow, v);
  Done(v);
  (void)RpcName(kind);
  if (!v.ok()) return;
  // ActionOf (api/lifecycle_service.cc) dereferences these conversions.
  if (req.object_type() != v1::MONITORING_OBJECT_TYPE_UNSPECIFIED) {
    ZX_FUZZ_CHECK(FromProto(req.object_type()).has_value());
  }
  for (int risk : req.risk_types()) {
    ZX_FUZZ_CHECK(FromProto(static_cast<v1::RiskType>(risk)).has_value());
  }
}

void RaiseClue(std::string_view bytes) {
  v1::RaiseClueRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  Validate(req, kNow, v);
  Done(v);
}

void AddMeasure(std::string_view bytes) {
  v1::AddAssistanceMeasureRequest req;
  if (!fuzz::Parse(bytes, req)) return;
  errors::Validator v;
  Validate(req, v);
  Done(v);
}

// Text the service stores and reads back: whatever decodes re-encodes to a
// form that decodes the same.
void StoredText(std::string_view text) {
  if (auto inputs = DecodeInputs(text)) {
    const std::string encoded = EncodeInputs(*inputs);
    auto again = DecodeInputs(encoded);
    ZX_FUZZ_CHECK(again.has_value() && EncodeInputs(*again) == encoded);
  }
  if (auto counters = DecodeCounters(text); counters.ok()) {
    const std::string encoded = EncodeCounters(*counters);
    auto again = DecodeCounters(encoded);
    ZX_FUZZ_CHECK(again.ok() && EncodeCounters(*again) == encoded);
  }
  if (auto state = lc::ParseState(text); state.ok()) ZX_FUZZ_CHECK(lc::StateName(*state) == text);
  if (auto type = lc::ParseObjectType(text); type.ok()) {
    ZX_FUZZ_CHECK(lc::ObjectTypeName(*type) == text);
  }
  if (auto risk = lc::ParseRiskType(text); risk.ok())
    ZX_FUZZ_CHECK(lc::RiskTypeName(*risk) == text);
}

}  // namespace
}  // namespace zx::monitoring

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zx::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zx::monitoring;
  if (size < 2) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  switch (data[0] % 10) {
    case 0:
      CreateHousehold(bytes);
      break;
    case 1:
      UpdateHousehold(bytes);
      break;
    case 2:
      AddPerson(bytes);
      break;
    case 3:
      UpdatePerson(bytes);
      break;
    case 4:
      ListHouseholds(bytes);
      break;
    case 5:
      IngestSurvey(bytes);
      break;
    case 6:
      Transition(data[1], bytes);
      break;
    case 7:
      RaiseClue(bytes);
      break;
    case 8:
      AddMeasure(bytes);
      break;
    default:
      StoredText(bytes);
      break;
  }
  return 0;
}
