#include "services/consumption/domain/consumption.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>

#include "absl/strings/match.h"

namespace zx::consumption {
namespace {

absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

std::vector<Share> RevenueShares(int n, int32_t bp_each) {
  std::vector<Share> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Share{.binding_id = absl::StrCat("bd-", 100 + i),
                        .rule = v1::BINDING_RULE_REVENUE_SHARE,
                        .share_bp = bp_each});
  }
  return out;
}

money::Fen Total(const std::vector<money::Fen>& v) {
  return std::accumulate(v.begin(), v.end(), money::Fen{0});
}

// ---- Attribution ---------------------------------------------------------------------------

TEST(Attribute, TwentyEqualSharesSumExactlyToTheRoundedPool) {
  // 30% of 123,457 fen among 20 households: the pool is 37,037.1 -> 37,037.
  const auto shares = RevenueShares(20, 150);
  auto parts = Attribute(123'457, 10, shares);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(Total(*parts), 37'037);
  // Each exact part is 1,851.855: floors 1,851 (sum 37,020), 17 fen left,
  // all remainders equal, so the 17 smallest binding ids get one more.
  for (int i = 0; i < 20; ++i) EXPECT_EQ((*parts)[i], i < 17 ? 1'852 : 1'851) << i;
}

TEST(Attribute, RemainderGoesToLargestFractionsThenSmallerIds) {
  // Exact parts: 333.3333 (bd-a), 666.6666 (bd-b) of 1,000: floors 333 + 666,
  // one fen left, to bd-b (larger fraction).
  std::vector<Share> shares{
      {.binding_id = "bd-b", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 6667},
      {.binding_id = "bd-a", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 3333}};
  auto parts = Attribute(1'000, 1, shares);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[0], 667);
  EXPECT_EQ((*parts)[1], 333);
  // The order the bindings come in does not change who gets what.
  std::swap(shares[0], shares[1]);
  auto swapped = Attribute(1'000, 1, shares);
  ASSERT_TRUE(swapped.ok());
  EXPECT_EQ((*swapped)[0], 333);
  EXPECT_EQ((*swapped)[1], 667);
}

TEST(Attribute, PoolsArePerRuleAndPerUnitRulesUseQuantity) {
  std::vector<Share> shares{
      {.binding_id = "bd-1", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 1000},
      {.binding_id = "bd-2",
       .rule = v1::BINDING_RULE_PURCHASE_PREMIUM,
       .share_bp = 5000,
       .fen_per_unit = 30},
      {.binding_id = "bd-3",
       .rule = v1::BINDING_RULE_PIECE_WAGE,
       .share_bp = 10000,
       .fen_per_unit = 7}};
  auto parts = Attribute(50'000, 100, shares);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[0], 5'000);  // 10% of revenue
  EXPECT_EQ((*parts)[1], 1'500);  // half of 100 units × 30 fen
  EXPECT_EQ((*parts)[2], 700);    // all of 100 units × 7 fen
  EXPECT_EQ(KindOf(v1::BINDING_RULE_PIECE_WAGE), v1::BINDING_KIND_WAGE);
  EXPECT_EQ(KindOf(v1::BINDING_RULE_PURCHASE_PREMIUM), v1::BINDING_KIND_OPERATING);
  EXPECT_EQ(KindOf(v1::BINDING_RULE_REVENUE_SHARE), v1::BINDING_KIND_OPERATING);
}

TEST(Attribute, NoPartIsAFenOrMoreFromItsExactAmount) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    const int n = 1 + static_cast<int>(rng() % 30);
    std::vector<Share> shares;
    int32_t left = 10000;
    for (int i = 0; i < n && left > 0; ++i) {
      const int32_t bp = 1 + static_cast<int32_t>(rng() % std::min<int32_t>(left, 900));
      left -= bp;
      shares.push_back({.binding_id = absl::StrCat("bd-", i),
                        .rule = v1::BINDING_RULE_REVENUE_SHARE,
                        .share_bp = bp});
    }
    const money::Fen amount = static_cast<money::Fen>(rng() % 10'000'000'000LL);
    auto parts = Attribute(amount, 1, shares);
    ASSERT_TRUE(parts.ok());
    __int128 exact_total = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      const __int128 exact = static_cast<__int128>(amount) * shares[i].share_bp;  // in 1/10000 fen
      exact_total += exact;
      const __int128 diff = static_cast<__int128>((*parts)[i]) * 10000 - exact;
      EXPECT_LT(diff < 0 ? -diff : diff, 10000) << "round " << round << " part " << i;
    }
    EXPECT_EQ(Total(*parts), static_cast<money::Fen>((exact_total + 5000) / 10000)) << round;
  }
}

TEST(Attribute, RefusesNegativeInputsAndUnknownRules) {
  EXPECT_EQ(Attribute(-1, 1, RevenueShares(1, 100)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Attribute(1, -1, RevenueShares(1, 100)).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<Share> bad{
      {.binding_id = "bd-x", .rule = v1::BINDING_RULE_UNSPECIFIED, .share_bp = 1}};
  EXPECT_EQ(Attribute(100, 1, bad).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<Share> too_big{
      {.binding_id = "bd-x", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 10001}};
  EXPECT_EQ(Attribute(100, 1, too_big).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Reattribute, PartialRefundsKeepWhatTheKeptUnitsAttributeAndAFullRefundLeavesZero) {
  const auto shares = RevenueShares(20, 150);
  const money::Fen price = 4'567;
  auto sold = Attribute(price * 30, 30, shares);
  ASSERT_TRUE(sold.ok());
  auto first = Reattribute(price, 30, 23, shares, *sold);  // 7 units back
  ASSERT_TRUE(first.ok());
  auto kept = Attribute(price * 23, 23, shares);
  ASSERT_TRUE(kept.ok());
  std::vector<money::Fen> held = *sold;
  for (size_t i = 0; i < shares.size(); ++i) {
    EXPECT_LE((*first)[i], 0);
    held[i] += (*first)[i];
    // Taken in proportion to what each holds: within a fen of 7/30 of it.
    EXPECT_LE(std::abs((*first)[i] * 30 + (*sold)[i] * 7), 30) << i;
  }
  EXPECT_EQ(Total(held), Total(*kept));  // the total is what 23 units attribute
  // The 4-argument form is the same for a first refund.
  auto first_again = Reattribute(price, 30, 23, shares);
  ASSERT_TRUE(first_again.ok());
  EXPECT_EQ(*first_again, *first);
  auto rest = Reattribute(price, 23, 0, shares, held);
  ASSERT_TRUE(rest.ok());
  for (size_t i = 0; i < shares.size(); ++i) EXPECT_EQ(held[i] + (*rest)[i], 0);
}

// The reviewer's case: settling 15 units of 33 fen gives bd-0 (12 bp) 0 fen
// and bd-1 (2,236 bp) 111 fen; Attribute(11) − Attribute(15) would have paid
// bd-0 +1 fen on a refund of 4 units (and taken 30 from bd-1).
TEST(Reattribute, ARefundNeverPaysABindingTheReviewersCase) {
  const std::vector<Share> shares{
      {.binding_id = "bd-0", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 12},
      {.binding_id = "bd-1", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 2236}};
  auto sold = Attribute(33 * 15, 15, shares);
  ASSERT_TRUE(sold.ok());
  EXPECT_EQ(*sold, (std::vector<money::Fen>{0, 111}));
  // 11 units attribute round(363 × 2248 / 10000 = 81.6024) = 82 fen: 29 back,
  // all from bd-1, the only binding holding anything.
  auto first = Reattribute(33, 15, 11, shares);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, (std::vector<money::Fen>{0, -29}));
  auto again = Reattribute(33, 15, 11, shares, *sold);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, (std::vector<money::Fen>{0, -29}));
}

// Settles `units` of `price` through `shares`, then refunds the steps in
// turn (and finally whatever is left), checking after every refund: no
// binding's delta is positive, no binding has had more reversed than it was
// attributed, and the deltas sum exactly to the change in the total
// attributed (what the kept units attribute). A full refund leaves zero.
void CheckRefunds(const std::vector<Share>& shares, money::Fen price, int64_t units,
                  const std::vector<int64_t>& steps, const std::string& label) {
  auto held = Attribute(price * units, units, shares);
  ASSERT_TRUE(held.ok()) << label << ": " << held.status();
  int64_t kept = units;
  std::vector<int64_t> all = steps;
  all.push_back(units);  // and then the rest
  for (int64_t step : all) {
    const int64_t back = std::min(step, kept);
    if (back <= 0) continue;
    auto deltas = Reattribute(price, kept, kept - back, shares, *held);
    ASSERT_TRUE(deltas.ok()) << label << ": " << deltas.status();
    auto before = Attribute(price * kept, kept, shares);
    auto after = Attribute(price * (kept - back), kept - back, shares);
    ASSERT_TRUE(before.ok() && after.ok());
    ASSERT_EQ(deltas->size(), shares.size());
    for (size_t i = 0; i < shares.size(); ++i) {
      EXPECT_LE((*deltas)[i], 0) << label << " refunding " << back << " of " << kept << ", "
                                 << shares[i].binding_id;
      (*held)[i] += (*deltas)[i];
      EXPECT_GE((*held)[i], 0) << label << " refunding " << back << " of " << kept << ", "
                               << shares[i].binding_id << " reversed past what it was attributed";
    }
    EXPECT_EQ(Total(*deltas), Total(*after) - Total(*before))
        << label << " refunding " << back << " of " << kept;
    EXPECT_EQ(Total(*held), Total(*after)) << label;
    kept -= back;
  }
  for (size_t i = 0; i < shares.size(); ++i) EXPECT_EQ((*held)[i], 0) << label << " " << i;
}

TEST(Reattribute, RefundsNeverPayNeverOverReverseAndSumExactlyTable) {
  const auto revenue = [](std::vector<int32_t> bps) {
    std::vector<Share> out;
    for (size_t i = 0; i < bps.size(); ++i) {
      out.push_back({.binding_id = absl::StrCat("bd-", i),
                     .rule = v1::BINDING_RULE_REVENUE_SHARE,
                     .share_bp = bps[i]});
    }
    return out;
  };
  struct Case {
    std::vector<Share> shares;
    money::Fen price;
    int64_t units;
    std::vector<int64_t> steps;
  };
  const std::vector<Case> cases{
      {revenue({12, 2236}), 33, 15, {4}},
      {revenue({12, 2236}), 33, 15, {1, 1, 1, 1, 1, 1, 1}},
      {revenue({12, 2236}), 33, 15, {14}},
      {revenue({1, 1, 9998}), 1, 3, {1, 1}},
      {revenue({3333, 3333, 3334}), 7, 9, {2, 5}},
      {revenue({150, 150, 150, 150, 150}), 4'567, 30, {7, 13}},
      {revenue({5000, 4999}), 3, 1'000, {1, 999}},
      {{{.binding_id = "bd-a", .rule = v1::BINDING_RULE_REVENUE_SHARE, .share_bp = 700},
        {.binding_id = "bd-b",
         .rule = v1::BINDING_RULE_PURCHASE_PREMIUM,
         .share_bp = 3333,
         .fen_per_unit = 7},
        {.binding_id = "bd-c",
         .rule = v1::BINDING_RULE_PURCHASE_PREMIUM,
         .share_bp = 17,
         .fen_per_unit = 7},
        {.binding_id = "bd-d",
         .rule = v1::BINDING_RULE_PIECE_WAGE,
         .share_bp = 10000,
         .fen_per_unit = 3}},
       99,
       41,
       {3, 3, 10}},
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    CheckRefunds(cases[c].shares, cases[c].price, cases[c].units, cases[c].steps,
                 absl::StrCat("case ", c));
  }
  // Every single refund of the reviewer's line.
  for (int64_t back = 1; back <= 15; ++back) {
    CheckRefunds(revenue({12, 2236}), 33, 15, {back}, absl::StrCat("reviewer, ", back, " back"));
  }
}

TEST(Reattribute, RefundsNeverPayNeverOverReverseAndSumExactlyRandomized) {
  std::mt19937_64 rng(20260611);
  const v1::BindingRule rules[] = {v1::BINDING_RULE_REVENUE_SHARE,
                                   v1::BINDING_RULE_PURCHASE_PREMIUM, v1::BINDING_RULE_PIECE_WAGE};
  for (int round = 0; round < 3000; ++round) {
    const int n = 1 + static_cast<int>(rng() % 8);
    std::vector<Share> shares;
    for (int i = 0; i < n; ++i) {
      // Small shares next to large ones are where the split's rounding bites.
      const int32_t bp = rng() % 3 == 0 ? 1 + static_cast<int32_t>(rng() % 50)
                                        : 1 + static_cast<int32_t>(rng() % 4000);
      const auto rule = round % 4 == 0 ? rules[rng() % 3] : v1::BINDING_RULE_REVENUE_SHARE;
      shares.push_back({.binding_id = absl::StrCat("bd-", 100 + (rng() % 900)),
                        .rule = rule,
                        .share_bp = bp,
                        .fen_per_unit = 1 + static_cast<money::Fen>(rng() % 500)});
    }
    const money::Fen price = 1 + static_cast<money::Fen>(rng() % (round % 2 ? 100 : 100'000));
    const int64_t units = 1 + static_cast<int64_t>(rng() % 60);
    std::vector<int64_t> steps;
    for (int k = static_cast<int>(rng() % 5); k > 0; --k) {
      steps.push_back(1 + static_cast<int64_t>(rng() % units));
    }
    CheckRefunds(shares, price, units, steps, absl::StrCat("round ", round));
    if (HasFailure()) return;  // one counterexample is enough to read
  }
}

TEST(Reattribute, RefusesALedgerHoldingLessThanTheKeptUnitsAndGrowth) {
  const auto shares = RevenueShares(2, 5000);
  // 10 units of 100 fen attribute 500 + 500; a ledger of 100 + 100 cannot
  // keep the 400 that 8 units attribute.
  EXPECT_EQ(Reattribute(100, 10, 8, shares, std::vector<money::Fen>{100, 100}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reattribute(100, 8, 10, shares, std::vector<money::Fen>{500, 500}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reattribute(100, 10, 8, shares, std::vector<money::Fen>{500}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reattribute(100, 10, 8, shares, std::vector<money::Fen>{-1, 1001}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- Bindings --------------------------------------------------------------------------------

v1::Binding Binding(const std::string& id, int32_t bp, const std::string& from,
                    const std::string& to = "") {
  v1::Binding b;
  b.set_binding_id(id);
  b.set_supplier_id("sp-00000000000000000001");
  b.set_household_id("hh-00000000000000000001");
  b.set_village_code("653121101201");
  b.set_rule(v1::BINDING_RULE_REVENUE_SHARE);
  b.set_share_bp(bp);
  b.set_valid_from(from);
  b.set_valid_to(to);
  return b;
}

TEST(Bindings, SharesOfOverlappingBindingsNeverExceedAll) {
  const std::vector<v1::Binding> others{Binding("bd-1", 6000, "2026-01-01", "2026-06-30"),
                                        Binding("bd-2", 3000, "2026-03-01")};
  // 6000 + 3000 + 1000 = 10000 on 2026-03-01: allowed.
  EXPECT_TRUE(CheckShares(Binding("bd-3", 1000, "2026-01-01"), others).ok());
  // 6000 + 3000 + 1001 on 2026-03-01: refused, naming the day and total.
  auto over = CheckShares(Binding("bd-3", 1001, "2026-01-01"), others);
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(over.message().find("10001"), std::string::npos) << over.message();
  EXPECT_NE(over.message().find("2026-03-01"), std::string::npos) << over.message();
  // After bd-1 ends, 7000 is free again.
  EXPECT_TRUE(CheckShares(Binding("bd-3", 7000, "2026-07-01"), others).ok());
  // Replacing a binding does not count its old self.
  EXPECT_TRUE(CheckShares(Binding("bd-1", 7000, "2026-01-01", "2026-06-30"), others).ok());
}

TEST(Bindings, InForceRespectsBothEnds) {
  const auto b = Binding("bd-1", 100, "2026-01-01", "2026-06-30");
  EXPECT_FALSE(InForce(b, Day(2025, 12, 31)));
  EXPECT_TRUE(InForce(b, Day(2026, 1, 1)));
  EXPECT_TRUE(InForce(b, Day(2026, 6, 30)));
  EXPECT_FALSE(InForce(b, Day(2026, 7, 1)));
  EXPECT_TRUE(InForce(Binding("bd-2", 100, "2026-01-01"), Day(2030, 1, 1)));
}

TEST(Bindings, ValidationNamesTheField) {
  errors::Validator v;
  auto b = Binding("", 0, "2026-13-01");
  b.set_rule(v1::BINDING_RULE_PIECE_WAGE);  // needs fen_per_unit
  b.set_village_code("653121000000");       // a county, not a village
  ValidateBinding(b, v);
  const std::string message(v.ToStatus().message());
  for (const char* field :
       {"binding.share_bp", "binding.valid_from", "binding.fen_per_unit", "binding.village_code"}) {
    EXPECT_NE(message.find(field), std::string::npos) << field << " in " << message;
  }
}

// ---- Certification ------------------------------------------------------------------------

v1::Product Walnuts() {
  v1::Product p;
  p.set_product_id("pd-00000000000000000001");
  p.set_traceability_ref("trace-1");
  p.set_annual_sales_fen(60'000'000);
  p.mutable_certification()->set_status(v1::CERTIFICATION_STATUS_APPLIED);
  return p;
}

TEST(Certification, ReviewPublicityAnnouncementThenValidity) {
  const Policy policy;
  auto p = Walnuts();
  auto step = [&](v1::CertificationStep s, absl::CivilDay day) {
    auto c = AdvanceCertification(p, s, day, "", policy);
    if (c.ok()) *p.mutable_certification() = *c;
    return c.status();
  };
  EXPECT_EQ(step(v1::CERTIFICATION_STEP_ANNOUNCE, Day(2026, 1, 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_REVIEW, Day(2026, 1, 1)).ok());
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_PUBLICISE, Day(2026, 1, 2)).ok());
  // Four days of publicity are not enough.
  EXPECT_EQ(step(v1::CERTIFICATION_STEP_ANNOUNCE, Day(2026, 1, 6)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSellable(p, Day(2026, 1, 6)).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_ANNOUNCE, Day(2026, 1, 7)).ok());
  EXPECT_EQ(p.certification().certified_until(), "2029-01-05");  // 1095 days inclusive
  EXPECT_TRUE(CheckSellable(p, Day(2026, 1, 7)).ok());
  EXPECT_TRUE(CheckSellable(p, Day(2029, 1, 5)).ok());
  EXPECT_EQ(CheckSellable(p, Day(2029, 1, 6)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSellable(p, Day(2026, 1, 6)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(AdvanceCertification(p, v1::CERTIFICATION_STEP_REVOKE, Day(2026, 2, 1), "", policy)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(step(v1::CERTIFICATION_STEP_REVOKE, Day(2026, 2, 1)).code() ==
              absl::StatusCode::kInvalidArgument);
  auto revoked =
      AdvanceCertification(p, v1::CERTIFICATION_STEP_REVOKE, Day(2026, 2, 1), "抽检不合格", policy);
  ASSERT_TRUE(revoked.ok());
  *p.mutable_certification() = *revoked;
  EXPECT_EQ(CheckSellable(p, Day(2026, 2, 2)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Certification, PublicityCannotPrecedeReviewNorAnnouncementPublicity) {
  Policy policy;
  auto p = Walnuts();
  auto c = AdvanceCertification(p, v1::CERTIFICATION_STEP_REVIEW, Day(2026, 3, 10), "", policy);
  ASSERT_TRUE(c.ok());
  *p.mutable_certification() = *c;
  c = AdvanceCertification(p, v1::CERTIFICATION_STEP_PUBLICISE, Day(2026, 3, 9), "", policy);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(c.status().message(), "date")) << c.status();
  c = AdvanceCertification(p, v1::CERTIFICATION_STEP_PUBLICISE, Day(2026, 3, 10), "", policy);
  ASSERT_TRUE(c.ok()) << c.status();
  *p.mutable_certification() = *c;
  c = AdvanceCertification(p, v1::CERTIFICATION_STEP_ANNOUNCE, Day(2026, 3, 1), "", policy);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  EXPECT_EQ(CheckNotFuture(Day(2026, 11, 26), Day(2026, 11, 25)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckNotFuture(Day(2026, 11, 25), Day(2026, 11, 25)).ok());
}

TEST(Certification, ReviewNeedsTraceabilityAndSales) {
  const Policy policy;
  auto p = Walnuts();
  p.set_traceability_ref("");
  auto c = AdvanceCertification(p, v1::CERTIFICATION_STEP_REVIEW, Day(2026, 1, 1), "", policy);
  EXPECT_NE(c.status().message().find("C4.traceable"), std::string::npos) << c.status();
  p = Walnuts();
  p.set_annual_sales_fen(49'999'999);
  c = AdvanceCertification(p, v1::CERTIFICATION_STEP_REVIEW, Day(2026, 1, 1), "", policy);
  EXPECT_NE(c.status().message().find("C4.sales"), std::string::npos) << c.status();
}

// ---- Orders -----------------------------------------------------------------------------------

TEST(Orders, TransitionsFollowTheStateMachine) {
  using S = v1::OrderStatus;
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_PLACED, S::ORDER_STATUS_CONFIRMED).ok());
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_CONFIRMED, S::ORDER_STATUS_SHIPPED).ok());
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_SHIPPED, S::ORDER_STATUS_RECEIVED).ok());
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_RECEIVED, S::ORDER_STATUS_SETTLED).ok());
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_PLACED, S::ORDER_STATUS_CANCELLED).ok());
  EXPECT_TRUE(CheckTransition(S::ORDER_STATUS_CONFIRMED, S::ORDER_STATUS_CANCELLED).ok());
  EXPECT_EQ(CheckTransition(S::ORDER_STATUS_PLACED, S::ORDER_STATUS_SETTLED).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransition(S::ORDER_STATUS_SHIPPED, S::ORDER_STATUS_CANCELLED).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransition(S::ORDER_STATUS_SETTLED, S::ORDER_STATUS_SETTLED).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransition(S::ORDER_STATUS_SETTLED, S::ORDER_STATUS_REFUNDED).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Orders, StepDatesFollowEachOtherAndNeverLieAhead) {
  v1::Order o;
  o.set_placed_on("2026-11-10");
  const auto today = Day(2026, 11, 25);
  EXPECT_TRUE(CheckStepDate(o, Day(2026, 11, 10), today).ok());
  EXPECT_EQ(CheckStepDate(o, Day(2026, 11, 9), today).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckStepDate(o, Day(2026, 11, 26), today).code(), absl::StatusCode::kInvalidArgument);
  o.set_last_step_on("2026-11-20");
  EXPECT_EQ(CheckStepDate(o, Day(2026, 11, 19), today).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckStepDate(o, Day(2026, 11, 20), today).ok());
  // Orders written before last_step_on was kept: the settlement bounds a refund.
  o.clear_last_step_on();
  o.set_settled_on("2026-11-21");
  const auto s = CheckStepDate(o, Day(2026, 11, 20), today);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "date")) << s;
  EXPECT_TRUE(CheckStepDate(o, today, today).ok());
}

TEST(Orders, LineAmountsOverflowIsOutOfRange) {
  EXPECT_EQ(*LineAmount(3, 2'500), 7'500);
  EXPECT_EQ(LineAmount(kMaxQuantity, kMaxPriceFen).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(LineAmount(-1, 100).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(LineAmount(1, kMaxPriceFen + 1).status().code(), absl::StatusCode::kOutOfRange);
  // A line holds at most what one monitoring income record may.
  EXPECT_EQ(*LineAmount(10, kMaxPriceFen), money::kMaxAmountFen);
  EXPECT_EQ(LineAmount(11, kMaxPriceFen).status().code(), absl::StatusCode::kOutOfRange);
  const std::vector<money::Fen> fine{money::kMaxAmountFen, -money::kMaxAmountFen, 0};
  EXPECT_TRUE(CheckAttributable(fine).ok());
  const std::vector<money::Fen> over{1, money::kMaxAmountFen + 1};
  EXPECT_EQ(CheckAttributable(over).code(), absl::StatusCode::kOutOfRange);
}

TEST(Partnerships, CoverOnlyTheirProvinceOriginsAndDates) {
  v1::Partnership p;
  p.set_partner_province_code("370000000000");
  p.set_origin_division_code("653100000000");  // Kashgar prefecture
  p.set_valid_from("2026-01-01");
  p.set_valid_to("2026-12-31");
  const std::vector<v1::Partnership> all{p};
  const auto qingdao = *division::Code::Parse("370200000000");
  const auto guangzhou = *division::Code::Parse("440100000000");
  const auto shache = *division::Code::Parse("653125000000");
  const auto hotan = *division::Code::Parse("653201000000");
  EXPECT_NE(CoveringPartnership(all, qingdao, shache, Day(2026, 5, 1)), nullptr);
  EXPECT_EQ(CoveringPartnership(all, guangzhou, shache, Day(2026, 5, 1)), nullptr);
  EXPECT_EQ(CoveringPartnership(all, qingdao, hotan, Day(2026, 5, 1)), nullptr);
  EXPECT_EQ(CoveringPartnership(all, qingdao, shache, Day(2027, 1, 1)), nullptr);
}

// ---- Targets ------------------------------------------------------------------------------------

v1::Buyer Buyer(v1::BuyerKind kind) {
  v1::Buyer b;
  b.set_buyer_id("by-00000000000000000001");
  b.set_kind(kind);
  return b;
}

TEST(Targets, CanteenShareOfBudgetUnits) {
  auto unit = Buyer(v1::BUYER_KIND_BUDGET_UNIT);
  unit.set_has_canteen(true);
  unit.set_canteen_food_budget_fen(10'000'000);  // 100,000 yuan
  Policy policy;
  auto at9 = EvaluateTarget(unit, {.own_fen = 900'000, .counted_fen = 900'000}, policy);
  EXPECT_EQ(at9.status(), v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(at9.canteen_share_bp(), 900);
  EXPECT_EQ(at9.target_fen(), 1'000'000);
  auto at10 = EvaluateTarget(unit, {.own_fen = 600'000, .counted_fen = 1'000'000}, policy);
  EXPECT_EQ(at10.status(), v1::TARGET_STATUS_MET);  // union and staff purchases count
  policy.canteen_share_bp = 3000;                   // Guangdong 2025
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = 2'999'999}, policy).status(),
            v1::TARGET_STATUS_BELOW);
  auto no_canteen = Buyer(v1::BUYER_KIND_BUDGET_UNIT);
  EXPECT_EQ(EvaluateTarget(no_canteen, {}, policy).status(), v1::TARGET_STATUS_EXEMPT);
}

// C2 "reserves ≥ 10%" is compared exactly: 10,000 fen of a 100,004 fen budget
// is 9.9996% (the report reads 999 bp), below; exactly 10% is met.
TEST(Targets, CanteenShareIsComparedExactlyNotAfterRounding) {
  auto unit = Buyer(v1::BUYER_KIND_BUDGET_UNIT);
  unit.set_has_canteen(true);
  const Policy policy;
  unit.set_canteen_food_budget_fen(100'004);
  auto just_below = EvaluateTarget(unit, {.own_fen = 10'000, .counted_fen = 10'000}, policy);
  EXPECT_EQ(just_below.canteen_share_bp(), 999);
  EXPECT_EQ(just_below.status(), v1::TARGET_STATUS_BELOW);
  // The target is the least whole fen that meets 10% (10,000.4 -> 10,001),
  // so purchased ≥ target_fen reads the same as the status.
  EXPECT_EQ(just_below.target_fen(), 10'001);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = 10'001}, policy).status(), v1::TARGET_STATUS_MET);
  // Exactly 10%: met, at both a round and a large budget.
  unit.set_canteen_food_budget_fen(100'000);
  auto exactly = EvaluateTarget(unit, {.counted_fen = 10'000}, policy);
  EXPECT_EQ(exactly.status(), v1::TARGET_STATUS_MET);
  EXPECT_EQ(exactly.canteen_share_bp(), 1000);
  EXPECT_EQ(exactly.target_fen(), 10'000);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = 9'999}, policy).status(), v1::TARGET_STATUS_BELOW);
  unit.set_canteen_food_budget_fen(kMaxOrderTotalFen);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = kMaxOrderTotalFen / 10}, policy).status(),
            v1::TARGET_STATUS_MET);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = kMaxOrderTotalFen / 10 - 1}, policy).status(),
            v1::TARGET_STATUS_BELOW);
  // Half a fen over a whole one in the target (budget 5 fen × 10% = 0.5):
  // nothing bought is below, 1 fen is met.
  unit.set_canteen_food_budget_fen(5);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = 0}, policy).status(), v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(EvaluateTarget(unit, {.counted_fen = 1}, policy).status(), v1::TARGET_STATUS_MET);
}

TEST(Targets, UnionsCountPurchasesCadresCountYuan) {
  const Policy policy;
  const auto union_ = Buyer(v1::BUYER_KIND_TRADE_UNION);
  EXPECT_EQ(EvaluateTarget(union_, {.own_fen = 9'000'000, .own_orders = 1}, policy).status(),
            v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(EvaluateTarget(union_, {.own_fen = 200, .own_orders = 2}, policy).status(),
            v1::TARGET_STATUS_MET);
  const auto cadre = Buyer(v1::BUYER_KIND_ASSISTING_CADRE);
  EXPECT_EQ(EvaluateTarget(cadre, {.own_fen = 99'999, .own_orders = 5}, policy).status(),
            v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(EvaluateTarget(cadre, {.own_fen = 100'000}, policy).status(), v1::TARGET_STATUS_MET);
  auto unit = Buyer(v1::BUYER_KIND_ASSISTING_UNIT);
  unit.set_staff_count(30);
  auto t = EvaluateTarget(unit, {.counted_fen = 2'999'999}, policy);
  EXPECT_EQ(t.target_fen(), 3'000'000);
  EXPECT_EQ(t.status(), v1::TARGET_STATUS_BELOW);
  EXPECT_EQ(EvaluateTarget(Buyer(v1::BUYER_KIND_PARTNER_COMPANY), {}, policy).status(),
            v1::TARGET_STATUS_EXEMPT);
}

TEST(Buyers, PartnersComeFromAnotherProvinceOthersFromThisInstance) {
  const auto instance = *division::Code::Parse("653121000000");
  auto partner = Buyer(v1::BUYER_KIND_PARTNER_COMPANY);
  partner.set_name("青岛某公司");
  partner.set_division_code("370200000000");
  errors::Validator ok;
  ValidateBuyer(partner, instance, ok);
  EXPECT_TRUE(ok.ok()) << ok.ToStatus();
  partner.set_division_code("650100000000");  // Urumqi: the same region is no partner
  errors::Validator same_region;
  ValidateBuyer(partner, instance, same_region);
  EXPECT_NE(same_region.ToStatus().message().find("buyer.division_code"), std::string::npos);
  auto unit = Buyer(v1::BUYER_KIND_BUDGET_UNIT);
  unit.set_name("县教育局");
  unit.set_division_code("653122000000");  // another county
  unit.set_has_canteen(true);
  errors::Validator outside;
  ValidateBuyer(unit, instance, outside);
  EXPECT_NE(outside.ToStatus().message().find("buyer.division_code"), std::string::npos);
}

TEST(Policy, ZeroFieldsKeepDefaultsAndValidationNamesFields) {
  v1::ConsumptionPolicy proto;
  proto.set_canteen_share_bp(3000);
  const Policy p = PolicyFromProto(proto);
  EXPECT_EQ(p.canteen_share_bp, 3000);
  EXPECT_EQ(p.union_min_purchases, 2);
  EXPECT_EQ(p.cadre_min_fen, 100'000);
  proto.set_canteen_share_bp(10001);
  proto.set_publicity_days(-1);
  errors::Validator v;
  ValidatePolicy(proto, v);
  const std::string message(v.ToStatus().message());
  EXPECT_NE(message.find("policy.canteen_share_bp"), std::string::npos);
  EXPECT_NE(message.find("policy.publicity_days"), std::string::npos);
}

}  // namespace
}  // namespace zx::consumption
