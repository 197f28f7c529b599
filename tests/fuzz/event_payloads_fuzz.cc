// Decoding of consumed events (every AddConsumer in services/*): monitoring
// books employment, assets and consumption events as income; employment
// follows monitoring's object events. The first byte picks either a whole
// serialized Event envelope (as the consumer reads it from Redis) or one of
// the consumed types with the rest of the input as its payload bytes, so the
// payload parsers are reached directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "services/employment/domain/employment.h"
#include "services/employment/domain/monitoring_events.h"
#include "services/monitoring/domain/event_income.h"
#include "services/monitoring/domain/household.h"
#include "tests/fuzz/fuzz_support.h"
#include "zx/assets/v1/assets.pb.h"
#include "zx/common/v1/event.pb.h"
#include "zx/consumption/v1/consumption.pb.h"
#include "zx/employment/v1/employment.pb.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace {

using zx::common::v1::Event;

struct Consumed {
  const char* type;
  std::string type_url;
};

const Consumed kConsumed[] = {
    {"employment.wage_paid",
     "type.googleapis.com/" + zx::employment::v1::WagePaid::descriptor()->full_name()},
    {"assets.dividend_paid",
     "type.googleapis.com/" + zx::assets::v1::DividendPaid::descriptor()->full_name()},
    {"consumption.income_attributed",
     "type.googleapis.com/" + zx::consumption::v1::IncomeAttributed::descriptor()->full_name()},
    {"monitoring.object_confirmed",
     "type.googleapis.com/" + zx::monitoring::v1::ObjectConfirmed::descriptor()->full_name()},
    {"monitoring.risk_eliminated",
     "type.googleapis.com/" + zx::monitoring::v1::RiskEliminated::descriptor()->full_name()},
};

void CheckIncome(const Event& event,
                 const absl::StatusOr<std::optional<zx::monitoring::EventIncome>>& decoded) {
  if (!decoded.ok()) {
    ZX_FUZZ_CHECK(absl::IsInvalidArgument(decoded.status()));
    zx::fuzz::CheckErrorText(decoded.status());
    return;
  }
  if (!decoded->has_value()) return;
  const auto& income = **decoded;
  const absl::Status checked = zx::monitoring::CheckEventIncome(event, income);
  zx::fuzz::CheckErrorText(checked);
  if (!checked.ok()) return;
  // What the consumer then books: a household id, a real month, an amount
  // within the bound (and of the allowed sign).
  ZX_FUZZ_CHECK(zx::monitoring::IsHouseholdId(income.household_id));
  absl::CivilMonth month;
  ZX_FUZZ_CHECK(absl::ParseCivilTime(income.month, &month));
  ZX_FUZZ_CHECK(income.amount_fen <= zx::monitoring::kMaxEventAmountFen &&
                income.amount_fen >= -zx::monitoring::kMaxEventAmountFen);
  if (!income.may_be_negative) ZX_FUZZ_CHECK(income.amount_fen >= 0);
}

void DecodeAll(const Event& event) {
  zx::fuzz::CheckStringsAreUtf8(event);
  CheckIncome(event, zx::monitoring::DecodeEmploymentEvent(event));
  CheckIncome(event, zx::monitoring::DecodeAssetsEvent(event));
  CheckIncome(event, zx::monitoring::DecodeConsumptionEvent(event));
  auto change = zx::employment::DecodeMonitoringEvent(event);
  if (!change.ok()) {
    ZX_FUZZ_CHECK(absl::IsInvalidArgument(change.status()));
    zx::fuzz::CheckErrorText(change.status());
    return;
  }
  if (!change->has_value()) return;
  ZX_FUZZ_CHECK(!(*change)->household_id.empty());
  if ((*change)->eliminated_on) {
    // Stored in a DATE column: it must be a date PostgreSQL reads back.
    ZX_FUZZ_CHECK(zx::employment::ParseDate(*(*change)->eliminated_on).has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zx::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr size_t kTypes = sizeof(kConsumed) / sizeof(kConsumed[0]);
  const size_t mode = data[0] % (kTypes + 1);
  Event event;
  if (mode == kTypes) {
    if (!zx::fuzz::Parse(rest, event)) return 0;
  } else {
    event.set_id("00000000-0000-4000-8000-000000000000");
    event.set_type(kConsumed[mode].type);
    event.set_version(1);
    event.mutable_payload()->set_type_url(kConsumed[mode].type_url);
    event.mutable_payload()->set_value(std::string(rest));
  }
  DecodeAll(event);
  return 0;
}
