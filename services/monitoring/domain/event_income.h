// Decoding of the events of other services that monitoring books as income
// (employment wages, asset dividends, consumption income). Pure, so the
// consumer (api/event_handlers.cc) and the fuzz target share it: everything
// here is checked before the consumer touches the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/money/money.h"
#include "zx/common/v1/event.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// Largest income an event may carry, in fen (as for declared records).
inline constexpr int64_t kMaxEventAmountFen = money::kMaxAmountFen;

// One income figure carried by an event, as its handler read it.
struct EventIncome {
  std::string household_id;
  std::string village_code;  // must equal the household's; empty: none (wages)
  // Wages: the worker's division, which its writer was authorized on; the
  // household's village must lie inside it (a worker may name any
  // household). Empty: unchecked.
  std::string worker_division;
  std::string month;  // "YYYY-MM"
  int64_t amount_fen = 0;
  bool may_be_negative = false;  // refunds
  v1::IncomeKind kind = v1::INCOME_KIND_UNSPECIFIED;
  std::string note;
};

// nullopt for event types monitoring does not book; INVALID_ARGUMENT when the
// payload is not the type's message (or, for consumption, has no known
// binding kind). The figure itself is checked by CheckEventIncome.
absl::StatusOr<std::optional<EventIncome>> DecodeEmploymentEvent(
    const zx::common::v1::Event& event);
absl::StatusOr<std::optional<EventIncome>> DecodeAssetsEvent(const zx::common::v1::Event& event);
absl::StatusOr<std::optional<EventIncome>> DecodeConsumptionEvent(
    const zx::common::v1::Event& event);

// INVALID_ARGUMENT unless the household id, month ("YYYY-MM") and amount
// (non-zero within ±kMaxEventAmountFen for refunds, else 0..max) are sound,
// and a worker_division, when given, is a division code.
absl::Status CheckEventIncome(const zx::common::v1::Event& event, const EventIncome& income);

}  // namespace zx::monitoring
