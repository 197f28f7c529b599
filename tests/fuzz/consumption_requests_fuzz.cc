// The consumption service's pure checks and rules (services/consumption/
// domain): the input is one message, its kind picked by the first byte.
// Validators must answer OK or INVALID_ARGUMENT naming fields; what they
// accept then goes through the rules the handlers apply (certification,
// sellability, targets, partnerships), which must not crash; and any line
// with valid bindings is attributed with the invariants of the remainder
// rule: parts sum exactly to the rounded pool, each within a fen of its
// exact amount, and a full refund reverses every part.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "services/consumption/domain/consumption.h"
#include "tests/fuzz/fuzz_support.h"

namespace zx::consumption {
namespace {

const division::Code& Instance() {
  static const auto instance = *division::Code::Parse("653121000000");
  return instance;
}
const absl::CivilDay kToday(2026, 11, 23);

template <typename Message, typename Check>
void Run(std::string_view bytes, Check&& validate_then_use) {
  Message m;
  if (!fuzz::Parse(bytes, m)) return;
  fuzz::CheckStringsAreUtf8(m);
  validate_then_use(m);
}

void Binding(const v1::Binding& b) {
  errors::Validator v;
  ValidateBinding(b, v);
  fuzz::CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  v1::Binding other = b;
  other.set_binding_id("bd-0123456789abcdef0123");
  const auto shares = CheckShares(b, std::span<const v1::Binding>(&other, 1));
  if (!shares.ok()) fuzz::CheckErrorText(shares);
  (void)InForce(b, kToday);
}

void Product(const v1::Product& p) {
  errors::Validator v;
  ValidateProduct(p, v);
  fuzz::CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  for (int step = 0; step <= 5; ++step) {
    auto c = AdvanceCertification(p, static_cast<v1::CertificationStep>(step), kToday, "reason",
                                  Policy{});
    if (!c.ok()) fuzz::CheckErrorText(c.status());
  }
  const auto sellable = CheckSellable(p, kToday);
  if (!sellable.ok()) fuzz::CheckErrorText(sellable);
}

void Buyer(const v1::Buyer& b) {
  errors::Validator v;
  ValidateBuyer(b, Instance(), v);
  fuzz::CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  for (const int64_t fen : {int64_t{0}, int64_t{1}, kMaxOrderTotalFen}) {
    const auto t = EvaluateTarget(b, {.own_fen = fen, .counted_fen = fen, .own_orders = 1}, {});
    ZX_FUZZ_CHECK(t.status() != v1::TARGET_STATUS_UNSPECIFIED);
    ZX_FUZZ_CHECK(errors::IsValidUtf8(t.reason()));
  }
}

void Partnership(const v1::Partnership& p) {
  errors::Validator v;
  ValidatePartnership(p, v);
  fuzz::CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  (void)CoveringPartnership(std::span<const v1::Partnership>(&p, 1),
                            *division::Code::Parse("370200000000"),
                            *division::Code::Parse("653121000000"), kToday);
}

void PolicyAndTargets(const v1::ConsumptionPolicy& p) {
  errors::Validator v;
  ValidatePolicy(p, v);
  fuzz::CheckValidationOutcome(v.ToStatus());
  if (!v.ok()) return;
  const Policy policy = PolicyFromProto(p);
  v1::Buyer unit;
  unit.set_kind(v1::BUYER_KIND_BUDGET_UNIT);
  unit.set_has_canteen(true);
  unit.set_canteen_food_budget_fen(kMaxOrderTotalFen);
  (void)EvaluateTarget(unit, {.counted_fen = kMaxOrderTotalFen}, policy);
  unit.set_kind(v1::BUYER_KIND_ASSISTING_UNIT);
  unit.set_has_canteen(false);
  unit.set_staff_count(1'000'000);
  (void)EvaluateTarget(unit, {.counted_fen = kMaxOrderTotalFen}, policy);
}

// A line (quantity, unit price of trace.line) through the bindings of the
// trace: the remainder rule's invariants.
void Attribution(const v1::OrderLineTrace& trace) {
  const auto amount = LineAmount(trace.line().quantity(), trace.line().unit_price_fen());
  if (!amount.ok()) return;
  std::vector<Share> shares;
  for (const auto& b : trace.bindings()) {
    errors::Validator v;
    ValidateBinding(b, v);
    if (!v.ok()) continue;
    shares.push_back({.binding_id = b.binding_id(),
                      .rule = b.rule(),
                      .share_bp = b.share_bp(),
                      .fen_per_unit = b.fen_per_unit()});
  }
  const int64_t quantity = trace.line().quantity();
  auto parts = Attribute(*amount, quantity, shares);
  if (!parts.ok()) {  // a per-unit pool past int64 fen: refused, never wrapped
    ZX_FUZZ_CHECK(parts.status().code() == absl::StatusCode::kOutOfRange);
    return;
  }
  std::map<int, __int128> exact_by_rule, given_by_rule;
  for (size_t i = 0; i < shares.size(); ++i) {
    const __int128 exact =
        shares[i].rule == v1::BINDING_RULE_REVENUE_SHARE
            ? static_cast<__int128>(*amount) * shares[i].share_bp
            : static_cast<__int128>(quantity) * shares[i].fen_per_unit * shares[i].share_bp;
    const __int128 diff = static_cast<__int128>((*parts)[i]) * kBasisPoints - exact;
    ZX_FUZZ_CHECK(diff > -kBasisPoints && diff < kBasisPoints);
    exact_by_rule[shares[i].rule] += exact;
    given_by_rule[shares[i].rule] += (*parts)[i];
  }
  for (const auto& [rule, exact] : exact_by_rule) {
    ZX_FUZZ_CHECK(given_by_rule[rule] == (exact + kBasisPoints / 2) / kBasisPoints);
  }
  auto refund = Reattribute(trace.line().unit_price_fen(), quantity, 0, shares);
  ZX_FUZZ_CHECK(refund.ok());
  for (size_t i = 0; i < shares.size(); ++i) ZX_FUZZ_CHECK((*parts)[i] + (*refund)[i] == 0);
}

}  // namespace
}  // namespace zx::consumption

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  zx::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zx::consumption;
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      Run<v1::Binding>(bytes, Binding);
      break;
    case 1:
      Run<v1::Product>(bytes, Product);
      break;
    case 2:
      Run<v1::Buyer>(bytes, Buyer);
      break;
    case 3:
      Run<v1::Partnership>(bytes, Partnership);
      break;
    case 4:
      Run<v1::ConsumptionPolicy>(bytes, PolicyAndTargets);
      break;
    default:
      Run<v1::OrderLineTrace>(bytes, Attribution);
      break;
  }
  return 0;
}
