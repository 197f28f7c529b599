// The rules of consumption assistance (RULES C1–C5, DESIGN §3.4), pure: no
// I/O, unit-tested in consumption_test.cc. Every figure is a default of the
// versioned ConsumptionPolicy.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/base/ids.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "common/money/money.h"
#include "common/time/time.h"
#include "zx/consumption/v1/consumption.pb.h"

namespace zx::consumption {

using time::FormatDate;
using time::FormatMonth;
using time::ParseDate;

inline constexpr int32_t kBasisPoints = 10000;
// Bounds that keep every product of quantity, price and share inside int64
// with room to spare (an order total ≤ 10^13 fen = 1,000 亿 yuan).
inline constexpr int64_t kMaxQuantity = 100'000'000;
inline constexpr int64_t kMaxPriceFen = 100'000'000'000;  // 10 亿 yuan per unit
inline constexpr int64_t kMaxOrderTotalFen = 10'000'000'000'000;
// A line, and any attribution, holds at most what one income record of the
// monitoring service may: 10^12 fen (100 亿 yuan, money::kMaxAmountFen).
// Larger ones would be dead-lettered there after we committed them.
inline constexpr int64_t kMaxLineFen = money::kMaxAmountFen;
inline constexpr int kMaxOrderLines = 100;

// ---- Policy ---------------------------------------------------------------------------

struct Policy {
  int32_t canteen_share_bp = 1000;        // C2: 10% of canteen food purchasing
  int32_t union_min_purchases = 2;        // C5
  money::Fen cadre_min_fen = 100'000;     // C5: 1,000 yuan
  money::Fen staff_target_fen = 100'000;  // per staff member of an assisting unit
  int32_t publicity_days = 5;
  int32_t certification_valid_days = 1095;
  money::Fen min_annual_sales_fen = 50'000'000;  // C4: 500,000 yuan
};
v1::ConsumptionPolicy PolicyToProto(const Policy& policy);
// Fields left 0 keep the default.
Policy PolicyFromProto(const v1::ConsumptionPolicy& proto);
void ValidatePolicy(const v1::ConsumptionPolicy& policy, errors::Validator& v);

// The policy in force for a division, given the latest policy each level of
// its chain published (`chain`, in any order): the nearest level's figures,
// except the canteen share (C2), which a lower level may only tighten: the
// region's share (RULES' default where the region published none), raised
// by any level below it; never lowered. So a county publishing 1% cannot
// make every unit MET under a region's 10%.
Policy ResolvePolicy(std::span<const v1::ConsumptionPolicy> chain);

// A level publishing `proposed` under the levels above it, whose policies
// resolve to `above` (nullopt for the region, which sets the baseline):
// FAILED_PRECONDITION "C2.policy_floor" naming policy.canteen_share_bp when
// the share is below theirs. A share left 0 inherits theirs.
absl::Status CheckPolicyTightens(const v1::ConsumptionPolicy& proposed,
                                 const std::optional<Policy>& above);

// ---- Attribution ------------------------------------------------------------------------

// A binding as the attribution reads it.
struct Share {
  std::string binding_id;
  v1::BindingRule rule = v1::BINDING_RULE_UNSPECIFIED;
  int32_t share_bp = 0;
  money::Fen fen_per_unit = 0;
};

// The income kind a rule books (wage for piece wages, operating otherwise).
v1::BindingKind KindOf(v1::BindingRule rule);

// What each binding receives of a line of `quantity` units worth
// `amount_fen` (result i belongs to shares[i]). Each rule is one pool:
//   revenue share     Σ amount × share_bp / 10000
//   purchase premium  Σ quantity × fen_per_unit × share_bp / 10000
//   piece wage        likewise,
// the pool rounded half away from zero to the fen. The pool is split in
// proportion to each binding's exact amount by the largest-remainder
// method: everyone gets the floor of the exact amount, and the fen left
// over go one each to the largest fractional parts, ties to the smaller
// binding id. So the parts sum exactly to the pool, and no part differs
// from its exact amount by a fen or more. Negative inputs are INVALID_ARGUMENT.
absl::StatusOr<std::vector<money::Fen>> Attribute(money::Fen amount_fen, int64_t quantity,
                                                  std::span<const Share> shares);

// The attributions of a refund that takes a line from `before_quantity`
// kept units to `after_quantity` (0 ≤ after ≤ before), given what each
// binding holds of the line now (`held[i]`, the sum of its attributions so
// far: settlement plus earlier refunds). Per rule pool, the reversal is
//   back = Σ held − Σ Attribute(after)
// so that the pool keeps exactly what a sale of the kept units would attribute
// in total, and it is taken from the bindings in proportion to what they
// hold, by the largest-remainder method: each gives back
// floor(back × held[i] / Σ held), and the fen left over are taken one each
// from the largest remainders, ties from the smaller binding id. Hence every
// delta is ≤ 0 and no binding gives back more than it holds (a fen of the
// remainder only ever goes to a binding whose exact part is not whole), the
// deltas sum exactly to the change in the total attributed, and a full refund
// (after = 0) gives back exactly what each binding holds. Settlement
// (Attribute) is unchanged; after a partial refund the per-binding split may
// differ from Attribute(kept) by a fen, never the total.
// INVALID_ARGUMENT when after is not in 0..before or `held` is not parallel
// to `shares`; FAILED_PRECONDITION when a holding is negative or the pool
// holds less than the kept units attribute (the ledger disagrees).
absl::StatusOr<std::vector<money::Fen>> Reattribute(money::Fen unit_price_fen,
                                                    int64_t before_quantity, int64_t after_quantity,
                                                    std::span<const Share> shares,
                                                    std::span<const money::Fen> held);
// The same for a line whose bindings still hold what the settlement of
// `before_quantity` units attributed (no earlier refund): held =
// Attribute(before). After a refund, pass the ledger's holdings instead.
absl::StatusOr<std::vector<money::Fen>> Reattribute(money::Fen unit_price_fen,
                                                    int64_t before_quantity, int64_t after_quantity,
                                                    std::span<const Share> shares);

// OUT_OF_RANGE when a part of an attribution is beyond ±kMaxLineFen (what
// the monitoring service books as one income record).
absl::Status CheckAttributable(std::span<const money::Fen> parts);

// A binding is in force on `day` (valid_from ≤ day ≤ valid_to, open end).
bool InForce(const v1::Binding& binding, absl::CivilDay day);

// The supplier's bindings of one rule in force on some common day must not
// share out more than 100%: FAILED_PRECONDITION naming the total otherwise.
// `others` are the supplier's other bindings (not the one being written).
absl::Status CheckShares(const v1::Binding& binding, std::span<const v1::Binding> others);

void ValidateBinding(const v1::Binding& binding, errors::Validator& v);

// ---- Products and certification (C3–C4) -----------------------------------------

void ValidateProduct(const v1::Product& product, errors::Validator& v);

// The certification after `step` on `day`, or FAILED_PRECONDITION naming the
// rule: review needs a traceability reference and the policy's annual
// sales; publicity follows review (dated no earlier: INVALID_ARGUMENT on
// `date`); announcement follows publicity of at
// least the policy's days and certifies for the policy's validity; revoking
// needs a reason and is possible from any state but REVOKED.
absl::StatusOr<v1::Certification> AdvanceCertification(const v1::Product& product,
                                                       v1::CertificationStep step,
                                                       absl::CivilDay day,
                                                       const std::string& reason,
                                                       const Policy& policy);

// OK when the product may be sold as an assistance product on `day`;
// FAILED_PRECONDITION saying why not (uncertified, expired, revoked).
absl::Status CheckSellable(const v1::Product& product, absl::CivilDay day);

// ---- Buyers and partnerships ---------------------------------------------------------

bool IsPartnerKind(v1::BuyerKind kind);
// Partner buyers are outside the instance's region; others inside the instance.
void ValidateBuyer(const v1::Buyer& buyer, const division::Code& instance, errors::Validator& v);
void ValidatePartnership(const v1::Partnership& partnership, errors::Validator& v);

// The partnership that lets a buyer of `buyer_division` buy products of
// `origin_county` on `day`, if any.
const v1::Partnership* CoveringPartnership(std::span<const v1::Partnership> partnerships,
                                           const division::Code& buyer_division,
                                           const division::Code& origin_county, absl::CivilDay day);

// ---- Orders ----------------------------------------------------------------------------

// quantity × unit price, OUT_OF_RANGE past the bounds above (a line at most
// kMaxLineFen).
absl::StatusOr<money::Fen> LineAmount(int64_t quantity, money::Fen unit_price_fen);

// A request date may not lie after `today` (the service's clock): a step
// dated in the future would pick bindings and months that do not exist yet.
// INVALID_ARGUMENT on `date` otherwise.
absl::Status CheckNotFuture(absl::CivilDay day, absl::CivilDay today);

// The date of an order's next step (a transition or a refund) is neither
// after `today` nor before any earlier date of the order: its placing, its
// settlement (a refund books negative income in its own month, so one dated
// before the settlement would land in an earlier month or year) and its
// previous step (`last_step_on`). INVALID_ARGUMENT on `date` otherwise.
absl::Status CheckStepDate(const v1::Order& order, absl::CivilDay day, absl::CivilDay today);

// OK when `from` may move to `to` (placed → confirmed → shipped → received →
// settled; placed | confirmed → cancelled); FAILED_PRECONDITION otherwise.
absl::Status CheckTransition(v1::OrderStatus from, v1::OrderStatus to);

// ---- Targets (C2, C5) ------------------------------------------------------------------

// What a buyer did in a year: settled orders, net of refunds.
struct YearPurchases {
  money::Fen own_fen = 0;      // the buyer's own orders
  money::Fen counted_fen = 0;  // own + those of unions and staff counting toward it
  int32_t own_orders = 0;
};

v1::BuyerTarget EvaluateTarget(const v1::Buyer& buyer, const YearPurchases& purchases,
                               const Policy& policy);

}  // namespace zx::consumption
