#include "services/monitoring/domain/event_income.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/division/division.h"
#include "services/monitoring/domain/household.h"
#include "zx/assets/v1/assets.pb.h"
#include "zx/consumption/v1/consumption.pb.h"
#include "zx/employment/v1/employment.pb.h"

namespace zx::monitoring {

absl::StatusOr<std::optional<EventIncome>> DecodeEmploymentEvent(
    const zx::common::v1::Event& event) {
  if (event.type() != "employment.wage_paid") return std::nullopt;  // not ours to book
  zx::employment::v1::WagePaid wage;
  if (!event.payload().UnpackTo(&wage)) {
    return absl::InvalidArgumentError("employment.wage_paid payload is not a WagePaid");
  }
  // The worker's division: the payload's since 2026-11-25. Earlier events
  // carry it only in the envelope (employment has always set the envelope's
  // division to the worker's), so they are checked against that rather than
  // booked unchecked: the wrongly pointed wages still in flight at an
  // upgrade are refused too. An event with neither (none employment wrote)
  // is booked unchecked, as before.
  return EventIncome{.household_id = wage.household_id(),
                     .worker_division = !wage.division_code().empty() ? wage.division_code()
                                                                      : event.division_code(),
                     .month = wage.month(),
                     .amount_fen = wage.amount_fen(),
                     .kind = v1::INCOME_KIND_WAGE,
                     .note = absl::StrCat("placement ", wage.placement_id())};
}

absl::StatusOr<std::optional<EventIncome>> DecodeAssetsEvent(const zx::common::v1::Event& event) {
  if (event.type() != "assets.dividend_paid") return std::nullopt;  // not ours to book
  zx::assets::v1::DividendPaid dividend;
  if (!event.payload().UnpackTo(&dividend)) {
    return absl::InvalidArgumentError("assets.dividend_paid payload is not a DividendPaid");
  }
  return EventIncome{.household_id = dividend.household_id(),
                     .village_code = dividend.village_code(),
                     .month = dividend.month(),
                     .amount_fen = dividend.amount_fen(),
                     .kind = v1::INCOME_KIND_PROPERTY,
                     .note = absl::StrCat("dividend ", dividend.distribution_id(), " of asset ",
                                          dividend.asset_id())};
}

absl::StatusOr<std::optional<EventIncome>> DecodeConsumptionEvent(
    const zx::common::v1::Event& event) {
  if (event.type() != "consumption.income_attributed") return std::nullopt;
  zx::consumption::v1::IncomeAttributed attributed;
  if (!event.payload().UnpackTo(&attributed)) {
    return absl::InvalidArgumentError(
        "consumption.income_attributed payload is not an IncomeAttributed");
  }
  v1::IncomeKind kind = v1::INCOME_KIND_UNSPECIFIED;
  switch (attributed.binding_kind()) {
    case zx::consumption::v1::BINDING_KIND_WAGE:
      kind = v1::INCOME_KIND_WAGE;
      break;
    case zx::consumption::v1::BINDING_KIND_OPERATING:
      kind = v1::INCOME_KIND_OPERATING;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("consumption.income_attributed event ",
                                                     event.id(), " has no known binding kind (",
                                                     attributed.binding_kind(), ")"));
  }
  const bool refund = attributed.amount_fen() < 0;
  return EventIncome{
      .household_id = attributed.household_id(),
      .village_code = attributed.village_code(),
      .month = attributed.month(),
      .amount_fen = attributed.amount_fen(),
      .may_be_negative = true,
      .kind = kind,
      .note = refund ? absl::StrCat("refund ", attributed.order_line_id(), " of order line ",
                                    attributed.refunded_order_line_id(), ", binding ",
                                    attributed.binding_id())
                     : absl::StrCat("order line ", attributed.order_line_id(), ", binding ",
                                    attributed.binding_id())};
}

absl::Status CheckEventIncome(const zx::common::v1::Event& event, const EventIncome& in) {
  absl::CivilMonth month;
  const bool amount_ok = in.may_be_negative
                             ? in.amount_fen >= -kMaxEventAmountFen && in.amount_fen != 0 &&
                                   in.amount_fen <= kMaxEventAmountFen
                             : in.amount_fen >= 0 && in.amount_fen <= kMaxEventAmountFen;
  if (!IsHouseholdId(in.household_id) || in.month.size() != 7 ||
      !absl::ParseCivilTime(in.month, &month) || !amount_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.type(), " event ", event.id(), " has a bad household, month or amount"));
  }
  if (!in.worker_division.empty() && !division::Code::Parse(in.worker_division).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.type(), " event ", event.id(), " has a bad worker division"));
  }
  return absl::OkStatus();
}

}  // namespace zx::monitoring
