#include "services/consumption/domain/consumption.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zx::consumption {
namespace {

using Int128 = __int128;

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

void CheckOptionalDate(const std::string& text, const std::string& field, errors::Validator& v) {
  if (!text.empty() && !ParseDate(text)) v.Add(field, "must be a date like 2026-11-02");
}

int32_t Pick(int32_t value, int32_t fallback) { return value == 0 ? fallback : value; }
int64_t Pick(int64_t value, int64_t fallback) { return value == 0 ? fallback : value; }

}  // namespace

// ---- Policy --------------------------------------------------------------------------------

v1::ConsumptionPolicy PolicyToProto(const Policy& p) {
  v1::ConsumptionPolicy out;
  out.set_canteen_share_bp(p.canteen_share_bp);
  out.set_union_min_purchases(p.union_min_purchases);
  out.set_cadre_min_fen(p.cadre_min_fen);
  out.set_staff_target_fen(p.staff_target_fen);
  out.set_publicity_days(p.publicity_days);
  out.set_certification_valid_days(p.certification_valid_days);
  out.set_min_annual_sales_fen(p.min_annual_sales_fen);
  return out;
}

Policy PolicyFromProto(const v1::ConsumptionPolicy& proto) {
  const Policy d;
  return Policy{.canteen_share_bp = Pick(proto.canteen_share_bp(), d.canteen_share_bp),
                .union_min_purchases = Pick(proto.union_min_purchases(), d.union_min_purchases),
                .cadre_min_fen = Pick(proto.cadre_min_fen(), d.cadre_min_fen),
                .staff_target_fen = Pick(proto.staff_target_fen(), d.staff_target_fen),
                .publicity_days = Pick(proto.publicity_days(), d.publicity_days),
                .certification_valid_days =
                    Pick(proto.certification_valid_days(), d.certification_valid_days),
                .min_annual_sales_fen = Pick(proto.min_annual_sales_fen(), d.min_annual_sales_fen)};
}

void ValidatePolicy(const v1::ConsumptionPolicy& p, errors::Validator& v) {
  if (p.canteen_share_bp() < 0 || p.canteen_share_bp() > kBasisPoints)
    v.Add("policy.canteen_share_bp",
          "must be 0..10000 basis points (0 keeps the share of the levels above, else 1000)");
  if (p.union_min_purchases() < 0 || p.union_min_purchases() > 365)
    v.Add("policy.union_min_purchases", "must be 0..365");
  if (p.cadre_min_fen() < 0 || p.cadre_min_fen() > kMaxOrderTotalFen)
    v.Add("policy.cadre_min_fen", "must be 0..10^13 fen");
  if (p.staff_target_fen() < 0 || p.staff_target_fen() > kMaxOrderTotalFen)
    v.Add("policy.staff_target_fen", "must be 0..10^13 fen");
  if (p.publicity_days() < 0 || p.publicity_days() > 90)
    v.Add("policy.publicity_days", "must be 0..90");
  if (p.certification_valid_days() < 0 || p.certification_valid_days() > 3660)
    v.Add("policy.certification_valid_days", "must be 0..3660");
  if (p.min_annual_sales_fen() < 0 || p.min_annual_sales_fen() > kMaxOrderTotalFen)
    v.Add("policy.min_annual_sales_fen", "must be 0..10^13 fen");
}

Policy ResolvePolicy(std::span<const v1::ConsumptionPolicy> chain) {
  std::vector<std::pair<division::Level, const v1::ConsumptionPolicy*>> levels;
  for (const auto& p : chain) {
    auto owner = division::Code::Parse(p.owner_division_code());
    if (owner.ok()) levels.emplace_back(owner->level(), &p);
  }
  std::sort(levels.begin(), levels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (levels.empty()) return Policy{};
  Policy out = PolicyFromProto(*levels.back().second);  // the nearest level's figures
  int32_t share = Policy{}.canteen_share_bp;
  for (const auto& [level, p] : levels) {
    const int32_t own = PolicyFromProto(*p).canteen_share_bp;
    share = level == division::Level::kRegion ? own : std::max(share, own);
  }
  out.canteen_share_bp = share;
  return out;
}

absl::Status CheckPolicyTightens(const v1::ConsumptionPolicy& proposed,
                                 const std::optional<Policy>& above) {
  if (!above || proposed.canteen_share_bp() == 0 ||
      proposed.canteen_share_bp() >= above->canteen_share_bp) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("C2.policy_floor: policy.canteen_share_bp ", proposed.canteen_share_bp(),
                   " is below the ", above->canteen_share_bp,
                   " basis points the levels above reserve; a lower level may only raise it"));
}

// ---- Attribution ---------------------------------------------------------------------------

v1::BindingKind KindOf(v1::BindingRule rule) {
  return rule == v1::BINDING_RULE_PIECE_WAGE ? v1::BINDING_KIND_WAGE : v1::BINDING_KIND_OPERATING;
}

absl::StatusOr<std::vector<money::Fen>> Attribute(money::Fen amount_fen, int64_t quantity,
                                                  std::span<const Share> shares) {
  if (amount_fen < 0 || quantity < 0) {
    return absl::InvalidArgumentError("an attributed line has a negative amount or quantity");
  }
  std::vector<money::Fen> out(shares.size(), 0);
  // Exact amounts in 1/10000 fen, grouped by rule (each rule is one pool).
  std::map<int, std::vector<size_t>> pools;
  std::vector<Int128> exact(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    const Share& s = shares[i];
    if (s.share_bp < 0 || s.share_bp > kBasisPoints || s.fen_per_unit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("binding ", s.binding_id, " has a share or rate out of range"));
    }
    switch (s.rule) {
      case v1::BINDING_RULE_REVENUE_SHARE:
        exact[i] = Int128{amount_fen} * s.share_bp;
        break;
      case v1::BINDING_RULE_PURCHASE_PREMIUM:
      case v1::BINDING_RULE_PIECE_WAGE:
        exact[i] = Int128{quantity} * s.fen_per_unit * s.share_bp;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("binding ", s.binding_id, " has no known rule"));
    }
    pools[s.rule].push_back(i);
  }
  for (auto& [rule, members] : pools) {
    Int128 total = 0;
    for (size_t i : members) total += exact[i];
    const Int128 pool = (total + kBasisPoints / 2) / kBasisPoints;  // half away from zero (≥ 0)
    if (pool > std::numeric_limits<money::Fen>::max()) {
      return absl::OutOfRangeError("an attribution pool does not fit in int64 fen");
    }
    Int128 given = 0;
    for (size_t i : members) {
      out[i] = static_cast<money::Fen>(exact[i] / kBasisPoints);
      given += out[i];
    }
    // Largest remainder; ties to the smaller binding id, so the split does
    // not depend on the order the bindings were read in.
    std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
      const Int128 ra = exact[a] % kBasisPoints, rb = exact[b] % kBasisPoints;
      if (ra != rb) return ra > rb;
      return shares[a].binding_id < shares[b].binding_id;
    });
    // pool − Σ floor lies in [0, members): rounding the total adds at most
    // one fen, and each floor loses less than one.
    for (size_t k = 0; given < pool && k < members.size(); ++k, ++given) ++out[members[k]];
  }
  return out;
}

absl::Status CheckAttributable(std::span<const money::Fen> parts) {
  for (const money::Fen part : parts) {
    if (part > kMaxLineFen || part < -kMaxLineFen) {
      return absl::OutOfRangeError(
          absl::StrCat("an attribution of ", part,
                       " fen exceeds the 10^12 fen one income record of the monitoring service "
                       "holds"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<money::Fen>> Reattribute(money::Fen unit_price_fen,
                                                    int64_t before_quantity, int64_t after_quantity,
                                                    std::span<const Share> shares,
                                                    std::span<const money::Fen> held) {
  if (held.size() != shares.size()) {
    return absl::InvalidArgumentError("a refund needs what each binding holds of the line");
  }
  if (after_quantity < 0 || after_quantity > before_quantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("a refund keeps 0..", before_quantity, " units, not ", after_quantity));
  }
  auto after_amount = LineAmount(after_quantity, unit_price_fen);
  if (!after_amount.ok()) return after_amount.status();
  // What the kept units attribute: per rule, the total each pool keeps.
  auto kept = Attribute(*after_amount, after_quantity, shares);
  if (!kept.ok()) return kept.status();
  std::map<int, std::vector<size_t>> pools;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (held[i] < 0) {
      return absl::FailedPreconditionError(absl::StrCat("binding ", shares[i].binding_id, " holds ",
                                                        held[i],
                                                        " fen of the line, less than none"));
    }
    pools[shares[i].rule].push_back(i);
  }
  std::vector<money::Fen> out(shares.size(), 0);
  for (auto& [rule, members] : pools) {
    Int128 holding = 0, keep = 0;
    for (size_t i : members) {
      holding += held[i];
      keep += (*kept)[i];
    }
    if (holding > std::numeric_limits<money::Fen>::max()) {
      return absl::OutOfRangeError("an attribution pool does not fit in int64 fen");
    }
    const Int128 back = holding - keep;
    if (back < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the bindings hold ", static_cast<int64_t>(holding), " fen of the line, less than the ",
          static_cast<int64_t>(keep), " fen its ", after_quantity, " kept units attribute"));
    }
    if (back == 0) continue;  // so holding > 0 below
    // back ≤ holding ≤ int64 max and held[i] ≤ int64 max: the products fit.
    Int128 taken = 0;
    for (size_t i : members) {
      const Int128 part = back * held[i] / holding;  // ≤ held[i], as back ≤ holding
      out[i] = -static_cast<money::Fen>(part);
      taken += part;
    }
    std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
      const Int128 ra = back * held[a] % holding, rb = back * held[b] % holding;
      if (ra != rb) return ra > rb;
      return shares[a].binding_id < shares[b].binding_id;
    });
    // back − taken is the sum of the fractional parts, so fewer fen are left
    // than there are non-zero remainders: each goes to a binding whose part
    // was not whole, whose floor is therefore below what it holds.
    for (size_t k = 0; taken < back && k < members.size(); ++k, ++taken) --out[members[k]];
  }
  return out;
}

absl::StatusOr<std::vector<money::Fen>> Reattribute(money::Fen unit_price_fen,
                                                    int64_t before_quantity, int64_t after_quantity,
                                                    std::span<const Share> shares) {
  auto before_amount = LineAmount(before_quantity, unit_price_fen);
  if (!before_amount.ok()) return before_amount.status();
  auto settled = Attribute(*before_amount, before_quantity, shares);
  if (!settled.ok()) return settled.status();
  return Reattribute(unit_price_fen, before_quantity, after_quantity, shares, *settled);
}

bool InForce(const v1::Binding& b, absl::CivilDay day) {
  const auto from = ParseDate(b.valid_from());
  if (!from || day < *from) return false;
  if (b.valid_to().empty()) return true;
  const auto to = ParseDate(b.valid_to());
  return to && day <= *to;
}

absl::Status CheckShares(const v1::Binding& binding, std::span<const v1::Binding> others) {
  // The total only changes where a validity starts, so checking each start
  // inside the new binding's validity covers every common day.
  std::vector<absl::CivilDay> days;
  const auto from = ParseDate(binding.valid_from());
  if (!from) return absl::InvalidArgumentError("binding.valid_from is not a date");
  days.push_back(*from);
  for (const auto& o : others) {
    if (o.rule() != binding.rule()) continue;
    if (auto d = ParseDate(o.valid_from()); d && InForce(binding, *d)) days.push_back(*d);
  }
  for (const absl::CivilDay day : days) {
    int64_t total = binding.share_bp();
    for (const auto& o : others) {
      if (o.rule() == binding.rule() && o.binding_id() != binding.binding_id() && InForce(o, day)) {
        total += o.share_bp();
      }
    }
    if (total > kBasisPoints) {
      return absl::FailedPreconditionError(
          absl::StrCat("C3.binding_shares: the supplier's bindings of this rule would share out ",
                       total, " basis points on ", FormatDate(day), " (at most 10000 = 100%)"));
    }
  }
  return absl::OkStatus();
}

void ValidateBinding(const v1::Binding& b, errors::Validator& v) {
  if (!b.binding_id().empty() && !IsId(b.binding_id(), "bd"))
    v.Add("binding.binding_id", "must look like bd- and 20 hex digits, or be empty to create");
  if (!IsId(b.supplier_id(), "sp"))
    v.Add("binding.supplier_id", "must look like sp- and 20 hex digits");
  if (!IsId(b.household_id(), "hh"))
    v.Add("binding.household_id", "must be a household id of the monitoring service (hh-…)");
  if (auto d = division::Code::Parse(b.village_code());
      !d.ok() || d->level() != division::Level::kVillage) {
    v.Add("binding.village_code", "must be a village's 12-digit code");
  }
  switch (b.rule()) {
    case v1::BINDING_RULE_REVENUE_SHARE:
      if (b.fen_per_unit() != 0)
        v.Add("binding.fen_per_unit", "must be 0 for a revenue share (the share is share_bp)");
      break;
    case v1::BINDING_RULE_PURCHASE_PREMIUM:
    case v1::BINDING_RULE_PIECE_WAGE:
      if (b.fen_per_unit() <= 0 || b.fen_per_unit() > kMaxPriceFen)
        v.Add("binding.fen_per_unit", "must be 1..10^11 fen per unit");
      break;
    default:
      v.Add("binding.rule", "must be REVENUE_SHARE, PURCHASE_PREMIUM or PIECE_WAGE");
  }
  if (b.share_bp() <= 0 || b.share_bp() > kBasisPoints)
    v.Add("binding.share_bp", "must be 1..10000 basis points");
  const auto from = ParseDate(b.valid_from());
  if (!from) v.Add("binding.valid_from", "must be a date like 2026-11-02");
  CheckOptionalDate(b.valid_to(), "binding.valid_to", v);
  if (const auto to = ParseDate(b.valid_to()); from && to && *to < *from)
    v.Add("binding.valid_to", "must not be before valid_from");
}

// ---- Products --------------------------------------------------------------------------------

void ValidateProduct(const v1::Product& p, errors::Validator& v) {
  if (!p.product_id().empty() && !IsId(p.product_id(), "pd"))
    v.Add("product.product_id", "must look like pd- and 20 hex digits, or be empty to create");
  if (!IsId(p.supplier_id(), "sp"))
    v.Add("product.supplier_id", "must look like sp- and 20 hex digits");
  if (Blank(p.name())) v.Add("product.name", "is required");
  v.CheckText("product.name", p.name(), 200);
  if (Blank(p.category())) v.Add("product.category", "is required");
  v.CheckText("product.category", p.category(), 100);
  if (Blank(p.unit())) v.Add("product.unit", "is required");
  v.CheckText("product.unit", p.unit(), 20);
  v.CheckText("product.traceability_ref", p.traceability_ref(), 200);
  if (auto d = division::Code::Parse(p.origin_county_code());
      !d.ok() || d->level() != division::Level::kCounty) {
    v.Add("product.origin_county_code", "must be a county's 12-digit code");
  }
  if (p.price_fen() <= 0 || p.price_fen() > kMaxPriceFen)
    v.Add("product.price_fen", "must be 1..10^11 fen");
  if (p.stock() < 0 || p.stock() > kMaxQuantity * 100) v.Add("product.stock", "must be 0..10^10");
  if (p.annual_sales_fen() < 0 || p.annual_sales_fen() > kMaxOrderTotalFen)
    v.Add("product.annual_sales_fen", "must be 0..10^13 fen");
}

absl::StatusOr<v1::Certification> AdvanceCertification(const v1::Product& product,
                                                       v1::CertificationStep step,
                                                       absl::CivilDay day,
                                                       const std::string& reason,
                                                       const Policy& policy) {
  v1::Certification c = product.certification();
  const auto status = c.status();
  const auto refuse = [](const std::string& rule, const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat(rule, ": ", why));
  };
  switch (step) {
    case v1::CERTIFICATION_STEP_REVIEW:
      if (status != v1::CERTIFICATION_STATUS_APPLIED)
        return refuse("C4.review", "only an applied product can pass county review");
      if (Blank(product.traceability_ref()))
        return refuse("C4.traceable", "the product has no traceability reference");
      if (product.annual_sales_fen() < policy.min_annual_sales_fen) {
        return refuse("C4.sales",
                      absl::StrCat("annual sales ", money::FormatYuan(product.annual_sales_fen()),
                                   " yuan are below ",
                                   money::FormatYuan(policy.min_annual_sales_fen), " yuan"));
      }
      c.set_status(v1::CERTIFICATION_STATUS_COUNTY_REVIEWED);
      c.set_reviewed_on(FormatDate(day));
      return c;
    case v1::CERTIFICATION_STEP_PUBLICISE:
      if (status != v1::CERTIFICATION_STATUS_COUNTY_REVIEWED)
        return refuse("C4.publicity", "publicity follows the county review");
      if (const auto reviewed = ParseDate(c.reviewed_on()); reviewed && day < *reviewed) {
        return errors::InvalidField(
            "date", absl::StrCat("publicity must not begin before the county review (",
                                 c.reviewed_on(), ")"));
      }
      c.set_status(v1::CERTIFICATION_STATUS_PUBLICISED);
      c.set_publicity_from(FormatDate(day));
      return c;
    case v1::CERTIFICATION_STEP_ANNOUNCE: {
      if (status != v1::CERTIFICATION_STATUS_PUBLICISED)
        return refuse("C4.announce", "announcement follows publicity");
      const auto from = ParseDate(c.publicity_from());
      if (from && day < *from) {
        return errors::InvalidField(
            "date",
            absl::StrCat("announcement must not precede publicity (", c.publicity_from(), ")"));
      }
      if (!from || day - *from < policy.publicity_days) {
        return refuse("C4.publicity_days",
                      absl::StrCat("publicity lasts at least ", policy.publicity_days,
                                   " days from ", c.publicity_from()));
      }
      c.set_status(v1::CERTIFICATION_STATUS_ANNOUNCED);
      c.set_certified_from(FormatDate(day));
      c.set_certified_until(FormatDate(day + (policy.certification_valid_days - 1)));
      return c;
    }
    case v1::CERTIFICATION_STEP_REVOKE:
      if (status == v1::CERTIFICATION_STATUS_REVOKED)
        return refuse("C4.revoke", "the certification is already revoked");
      if (Blank(reason)) return absl::InvalidArgumentError("reason: is required to revoke");
      c.set_status(v1::CERTIFICATION_STATUS_REVOKED);
      c.set_reason(reason);
      return c;
    default:
      return absl::InvalidArgumentError("step: must be REVIEW, PUBLICISE, ANNOUNCE or REVOKE");
  }
}

absl::Status CheckSellable(const v1::Product& p, absl::CivilDay day) {
  const auto& c = p.certification();
  if (c.status() != v1::CERTIFICATION_STATUS_ANNOUNCED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "C4.certified: product ", p.product_id(), " is not a certified assistance product (",
        v1::CertificationStatus_Name(c.status()), ")"));
  }
  const auto from = ParseDate(c.certified_from());
  const auto until = ParseDate(c.certified_until());
  if (!from || !until || day < *from || day > *until) {
    return absl::FailedPreconditionError(absl::StrCat(
        "C4.validity: the certification of product ", p.product_id(), " is valid ",
        c.certified_from(), " to ", c.certified_until(), ", not on ", FormatDate(day)));
  }
  return absl::OkStatus();
}

// ---- Buyers and partnerships ----------------------------------------------------------------

bool IsPartnerKind(v1::BuyerKind kind) {
  return kind == v1::BUYER_KIND_PARTNER_AGENCY || kind == v1::BUYER_KIND_PARTNER_COMPANY;
}

void ValidateBuyer(const v1::Buyer& b, const division::Code& instance, errors::Validator& v) {
  if (!b.buyer_id().empty() && !IsId(b.buyer_id(), "by"))
    v.Add("buyer.buyer_id", "must look like by- and 20 hex digits, or be empty to create");
  if (Blank(b.name())) v.Add("buyer.name", "is required");
  v.CheckText("buyer.name", b.name(), 200);
  if (!v1::BuyerKind_IsValid(b.kind()) || b.kind() == v1::BUYER_KIND_UNSPECIFIED)
    v.Add("buyer.kind", "is required");
  const auto d = division::Code::Parse(b.division_code());
  if (!d.ok()) {
    v.Add("buyer.division_code", std::string(d.status().message()));
  } else if (IsPartnerKind(b.kind())) {
    if (instance.AncestorAt(division::Level::kRegion).IsAncestorOrSelfOf(*d))
      v.Add("buyer.division_code", "a partner-province buyer must be outside this region");
  } else if (!instance.IsAncestorOrSelfOf(*d)) {
    v.Add("buyer.division_code", absl::StrCat("must be inside ", instance.str()));
  }
  if (!b.counts_toward_buyer_id().empty()) {
    if (!IsId(b.counts_toward_buyer_id(), "by"))
      v.Add("buyer.counts_toward_buyer_id", "must look like by- and 20 hex digits");
    if (b.kind() != v1::BUYER_KIND_TRADE_UNION && b.kind() != v1::BUYER_KIND_ASSISTING_CADRE)
      v.Add("buyer.counts_toward_buyer_id",
            "only a union's or cadre's purchases count toward a unit");
    if (b.counts_toward_buyer_id() == b.buyer_id())
      v.Add("buyer.counts_toward_buyer_id", "must name another buyer");
  }
  if (b.kind() != v1::BUYER_KIND_BUDGET_UNIT &&
      (b.has_canteen() || b.canteen_food_budget_fen() != 0))
    v.Add("buyer.has_canteen", "only budget units report a canteen");
  if (b.canteen_food_budget_fen() < 0 || b.canteen_food_budget_fen() > kMaxOrderTotalFen)
    v.Add("buyer.canteen_food_budget_fen", "must be 0..10^13 fen");
  if (b.has_canteen() && b.canteen_food_budget_fen() == 0)
    v.Add("buyer.canteen_food_budget_fen", "is required for a unit with a canteen");
  if (b.staff_count() < 0 || b.staff_count() > 1'000'000)
    v.Add("buyer.staff_count", "must be 0..10^6");
}

void ValidatePartnership(const v1::Partnership& p, errors::Validator& v) {
  if (auto d = division::Code::Parse(p.partner_province_code());
      !d.ok() || d->level() != division::Level::kRegion) {
    v.Add("partnership.partner_province_code", "must be a province's 12-digit code");
  }
  if (!division::Code::Parse(p.origin_division_code()).ok())
    v.Add("partnership.origin_division_code", "must be a 12-digit division code");
  if (!ParseDate(p.valid_from())) v.Add("partnership.valid_from", "must be a date like 2026-11-02");
  CheckOptionalDate(p.valid_to(), "partnership.valid_to", v);
}

const v1::Partnership* CoveringPartnership(std::span<const v1::Partnership> partnerships,
                                           const division::Code& buyer_division,
                                           const division::Code& origin_county,
                                           absl::CivilDay day) {
  const std::string province = buyer_division.AncestorAt(division::Level::kRegion).str();
  for (const auto& p : partnerships) {
    if (p.partner_province_code() != province) continue;
    const auto origin = division::Code::Parse(p.origin_division_code());
    if (!origin.ok() || !origin->IsAncestorOrSelfOf(origin_county)) continue;
    const auto from = ParseDate(p.valid_from());
    const auto to = ParseDate(p.valid_to());
    if (!from || day < *from || (to && day > *to)) continue;
    return &p;
  }
  return nullptr;
}

// ---- Orders --------------------------------------------------------------------------------

absl::StatusOr<money::Fen> LineAmount(int64_t quantity, money::Fen unit_price_fen) {
  if (quantity < 0 || quantity > kMaxQuantity || unit_price_fen < 0 ||
      unit_price_fen > kMaxPriceFen) {
    return absl::OutOfRangeError("quantity or unit price out of range");
  }
  auto amount = money::Mul(unit_price_fen, quantity);
  if (!amount.ok() || *amount > kMaxLineFen) {
    return absl::OutOfRangeError(absl::StrCat(quantity, " × ", unit_price_fen,
                                              " fen exceeds the order limit of 10^12 fen a line "
                                              "(what one income record holds)"));
  }
  return *amount;
}

absl::Status CheckNotFuture(absl::CivilDay day, absl::CivilDay today) {
  if (day > today) {
    return errors::InvalidField("date",
                                absl::StrCat("must not be after today (", FormatDate(today), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckStepDate(const v1::Order& o, absl::CivilDay day, absl::CivilDay today) {
  if (auto s = CheckNotFuture(day, today); !s.ok()) return s;
  for (const auto& [text, what] : {std::pair{&o.placed_on(), "the order was placed"},
                                   std::pair{&o.settled_on(), "the order was settled"},
                                   std::pair{&o.last_step_on(), "the order's previous step"}}) {
    if (const auto d = ParseDate(*text); d && day < *d) {
      return errors::InvalidField("date",
                                  absl::StrCat("must not be before ", what, " (", *text, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(v1::OrderStatus from, v1::OrderStatus to) {
  using S = v1::OrderStatus;
  bool ok = false;
  switch (to) {
    case S::ORDER_STATUS_CONFIRMED:
      ok = from == S::ORDER_STATUS_PLACED;
      break;
    case S::ORDER_STATUS_SHIPPED:
      ok = from == S::ORDER_STATUS_CONFIRMED;
      break;
    case S::ORDER_STATUS_RECEIVED:
      ok = from == S::ORDER_STATUS_SHIPPED;
      break;
    case S::ORDER_STATUS_SETTLED:
      ok = from == S::ORDER_STATUS_RECEIVED;
      break;
    case S::ORDER_STATUS_CANCELLED:
      ok = from == S::ORDER_STATUS_PLACED || from == S::ORDER_STATUS_CONFIRMED;
      break;
    default:
      return absl::InvalidArgumentError(
          "to: must be CONFIRMED, SHIPPED, RECEIVED, SETTLED or CANCELLED (refunds: RefundOrder)");
  }
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("order.transition: an order ",
                                                    v1::OrderStatus_Name(from), " cannot become ",
                                                    v1::OrderStatus_Name(to)));
}

// ---- Targets -------------------------------------------------------------------------------

v1::BuyerTarget EvaluateTarget(const v1::Buyer& buyer, const YearPurchases& y, const Policy& p) {
  v1::BuyerTarget t;
  t.set_buyer_id(buyer.buyer_id());
  t.set_name(buyer.name());
  t.set_kind(buyer.kind());
  t.set_division_code(buyer.division_code());
  t.set_purchased_fen(y.counted_fen);
  t.set_purchases(y.own_orders);
  const auto met_or_below = [&](bool met, std::string reason) {
    t.set_status(met ? v1::TARGET_STATUS_MET : v1::TARGET_STATUS_BELOW);
    t.set_reason(std::move(reason));
  };
  switch (buyer.kind()) {
    case v1::BUYER_KIND_BUDGET_UNIT: {
      if (!buyer.has_canteen()) {
        t.set_status(v1::TARGET_STATUS_EXEMPT);
        t.set_reason("C2: no canteen, exempt from the canteen share (无食堂单位不作要求)");
        break;
      }
      // C2 "reserves ≥ share": met exactly when counted × 10000 ≥ budget ×
      // share_bp (128-bit; never after rounding the target). The target shown
      // is the least whole fen that meets it, budget × share_bp / 10000
      // rounded up, so purchased ≥ target_fen reads the same as the status.
      const Int128 needed = Int128{buyer.canteen_food_budget_fen()} * p.canteen_share_bp;
      const bool met = Int128{y.counted_fen} * kBasisPoints >= needed;
      const Int128 target = needed <= 0 ? 0 : (needed + kBasisPoints - 1) / kBasisPoints;
      t.set_target_fen(target > std::numeric_limits<money::Fen>::max()
                           ? std::numeric_limits<money::Fen>::max()
                           : static_cast<money::Fen>(target));
      // Basis points, rounded down: 9.99% reads 999, never a met 1000.
      const int64_t share = buyer.canteen_food_budget_fen() == 0
                                ? 0
                                : static_cast<int64_t>(Int128{y.counted_fen} * kBasisPoints /
                                                       buyer.canteen_food_budget_fen());
      t.set_canteen_share_bp(static_cast<int32_t>(std::min<int64_t>(share, 1'000'000'000)));
      met_or_below(
          met,
          absl::StrCat("C2: canteen share ", share / 100, ".", absl::StrFormat("%02d", share % 100),
                       "% of ", money::FormatYuan(buyer.canteen_food_budget_fen()),
                       " yuan; the reserved share is ", p.canteen_share_bp / 100, "%"));
      break;
    }
    case v1::BUYER_KIND_TRADE_UNION:
      met_or_below(
          y.own_orders >= p.union_min_purchases,
          absl::StrCat("C5: ", y.own_orders, " purchases this year; a union buys at least ",
                       p.union_min_purchases, " times"));
      break;
    case v1::BUYER_KIND_ASSISTING_CADRE:
      t.set_target_fen(p.cadre_min_fen);
      met_or_below(y.own_fen >= p.cadre_min_fen,
                   absl::StrCat("C5: bought ", money::FormatYuan(y.own_fen),
                                " yuan; an assisting cadre buys at least ",
                                money::FormatYuan(p.cadre_min_fen), " yuan a year"));
      t.set_purchased_fen(y.own_fen);
      break;
    case v1::BUYER_KIND_ASSISTING_UNIT: {
      auto target = money::Mul(p.staff_target_fen, buyer.staff_count());
      t.set_target_fen(target.ok() ? *target : 0);
      met_or_below(y.counted_fen >= t.target_fen(),
                   absl::StrCat("bought ", money::FormatYuan(y.counted_fen), " yuan of ",
                                money::FormatYuan(t.target_fen()), " yuan (",
                                money::FormatYuan(p.staff_target_fen), " yuan for each of ",
                                buyer.staff_count(), " staff)"));
      break;
    }
    default:
      t.set_status(v1::TARGET_STATUS_EXEMPT);
      t.set_reason("no annual target for this kind of buyer");
  }
  return t;
}

}  // namespace zx::consumption
