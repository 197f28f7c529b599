#include "services/monitoring/domain/risk.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/strings.h"
#include "services/monitoring/domain/income.h"

namespace zx::monitoring {
namespace {

using money::Fen;
using money::FormatYuan;

// Ceiling of amount × permille / 1000 for amount, permille > 0, in 128 bits.
// For a whole number of fen v: v < amount × permille / 1000 exactly when
// v < this ceiling, so bands compare exactly without fractions of a fen.
__int128 BandCeiling(Fen amount, int permille) {
  const __int128 product = static_cast<__int128>(amount) * permille;
  return (product + 999) / 1000;
}

// 312 -> "31.2%".
std::string Percent(std::int64_t permille) {
  const bool negative = permille < 0;
  const std::int64_t magnitude = negative ? -permille : permille;
  return absl::StrCat(negative ? "-" : "", magnitude / 10, ".", magnitude % 10, "%");
}

// 1200 -> "1.2", 1250 -> "1.25", 2000 -> "2".
std::string Multiplier(std::int64_t permille) {
  std::string text = absl::StrCat(permille / 1000);
  const std::int64_t fraction = permille % 1000;
  if (fraction == 0) return text;
  std::string digits = absl::StrCat(fraction + 1000).substr(1);  // three digits
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return absl::StrCat(text, ".", digits);
}

struct GuaranteeText {
  Guarantee guarantee;
  const char* name;     // GuaranteeName
  const char* zh;       // as officials say it
  const char* en;       // for explanations
  const char* blocker;  // "<blocker> guarantee unmet"
};
constexpr std::array<GuaranteeText, 4> kGuarantees = {{
    {Guarantee::kFoodClothing, "food_clothing", "不愁吃、不愁穿", "food and clothing",
     "food and clothing"},
    {Guarantee::kEducation, "education", "义务教育有保障", "compulsory education", "education"},
    {Guarantee::kMedical, "medical", "基本医疗有保障", "basic medical care", "medical"},
    {Guarantee::kHousing, "housing", "住房安全有保障", "safe housing", "housing"},
}};

const GuaranteeText* FindGuarantee(std::string_view name) {
  for (const GuaranteeText& g : kGuarantees) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

const char* ColourZh(Colour colour) {
  switch (colour) {
    case Colour::kRed:
      return "红色";
    case Colour::kOrange:
      return "橙色";
    case Colour::kYellow:
      return "黄色";
    case Colour::kGreen:
      return "绿色";
  }
  return "?";
}

// Floor of numerator / denominator for denominator > 0, as ComputeNetIncome
// rounds per-capita figures.
__int128 FloorDiv(__int128 numerator, __int128 denominator) {
  __int128 quotient = numerator / denominator;
  if (numerator % denominator != 0 && numerator < 0) --quotient;
  return quotient;
}

// A household total must divide down to the per-capita figure it stands behind.
void CheckNet(std::string_view name, const HouseholdNet& net, const std::optional<Fen>& per_capita,
              std::string_view per_capita_name, std::vector<std::string>& problems) {
  if (net.members <= 0) {
    problems.push_back(absl::StrCat(AsAbsl(name), ".members must be positive, got ", net.members));
    return;
  }
  if (!per_capita.has_value()) {
    problems.push_back(absl::StrCat(AsAbsl(name), " is given without ", AsAbsl(per_capita_name)));
    return;
  }
  if (FloorDiv(net.net_income, net.members) != *per_capita) {
    problems.push_back(absl::StrCat(AsAbsl(name), " (", net.net_income, " fen for ", net.members,
                                    " members) does not round down to ", AsAbsl(per_capita_name),
                                    " ", *per_capita));
  }
}

absl::Status CheckInputs(const RiskInputs& in) {
  std::vector<std::string> problems;
  if (in.current_net.has_value()) {
    CheckNet("current_net", *in.current_net, in.per_capita_net_income, "per_capita_net_income",
             problems);
  }
  if (in.previous_net.has_value()) {
    if (!in.current_net.has_value()) {
      problems.push_back("previous_net is given without current_net");
    }
    CheckNet("previous_net", *in.previous_net, in.previous_window_per_capita,
             "previous_window_per_capita", problems);
  }
  if (in.total_income < 0) problems.push_back("total_income cannot be negative");
  if (in.rigid_spending < 0) problems.push_back("rigid_spending cannot be negative");
  if (in.able_workers < 0) problems.push_back("able_workers cannot be negative");
  if (in.employed_members < 0) problems.push_back("employed_members cannot be negative");
  if (in.overdue_credit_instalments < 0) {
    problems.push_back("overdue_credit_instalments cannot be negative");
  }
  if (in.overdue_credit_fen < 0) problems.push_back("overdue_credit_fen cannot be negative");
  if ((in.overdue_credit_instalments > 0) != (in.overdue_credit_fen > 0)) {
    problems.push_back(
        "overdue_credit_instalments and overdue_credit_fen must be both zero or both positive");
  }
  if (in.last_sudden_event.has_value() && *in.last_sudden_event > in.today) {
    problems.push_back(
        absl::StrCat("last_sudden_event ", absl::FormatCivilTime(*in.last_sudden_event),
                     " is after the assessment day ", absl::FormatCivilTime(in.today)));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

std::string ExplainZh(const Factor& f) {
  switch (f.kind) {
    case FactorKind::kIncomeBelowLine:
      return absl::StrCat("人均纯收入 ", FormatYuan(f.value), " 元，低于监测线 ",
                          FormatYuan(f.threshold), " 元");
    case FactorKind::kIncomeBelowOrangeLine:
    case FactorKind::kIncomeBelowYellowLine: {
      const std::int64_t permille =
          f.reference > 0 ? money::MulRatio(f.threshold, 1000, f.reference).value_or(0) : 0;
      return absl::StrCat("人均纯收入 ", FormatYuan(f.value), " 元，低于", ColourZh(f.colour),
                          "预警线 ", FormatYuan(f.threshold), " 元（监测线 ",
                          FormatYuan(f.reference), " 元的 ", Multiplier(permille), " 倍）");
    }
    case FactorKind::kIncomeDropOrange:
    case FactorKind::kIncomeDropYellow:
      return absl::StrCat("人均纯收入由上一周期的 ", FormatYuan(f.reference), " 元降至 ",
                          FormatYuan(f.amount), " 元，下降 ", Percent(f.value), "，达到",
                          ColourZh(f.colour), "预警标准（下降 ", Percent(f.threshold), "）");
    case FactorKind::kHeavyRigidSpending:
      if (f.detail == "no_income") {
        return absl::StrCat("合规自付刚性支出 ", FormatYuan(f.amount), " 元，而家庭总收入为 ",
                            FormatYuan(f.reference), " 元");
      }
      return absl::StrCat("合规自付刚性支出 ", FormatYuan(f.amount), " 元，占家庭总收入 ",
                          FormatYuan(f.reference), " 元的 ", Percent(f.value), "，达到 ",
                          Percent(f.threshold), " 的预警标准");
    case FactorKind::kGuaranteeUnmet: {
      const GuaranteeText* g = FindGuarantee(f.detail);
      return absl::StrCat("“两不愁三保障”未达标：", g ? g->zh : f.detail.c_str());
    }
    case FactorKind::kWaterUnsafe:
      return "饮水安全未达标";
    case FactorKind::kSuddenEvent:
      return absl::StrCat(f.detail, " 发生突发事件，距今 ", f.value, " 天（", f.threshold,
                          " 天内计入）");
    case FactorKind::kNoEmployedMember:
      return absl::StrCat("家庭有 ", f.value, " 名有劳动能力的成员，但无人就业");
    case FactorKind::kCreditOverdue:
      return absl::StrCat("扶贫小额信贷有 ", f.value, " 期还款逾期，逾期金额 ",
                          FormatYuan(f.amount), " 元（本项目自定的预警因素）");
  }
  return std::string(FactorKindName(f.kind));
}

std::string ExplainEn(const Factor& f) {
  switch (f.kind) {
    case FactorKind::kIncomeBelowLine:
      return absl::StrCat("Per-capita net income ", FormatYuan(f.value),
                          " yuan is below the monitoring line ", FormatYuan(f.threshold), " yuan");
    case FactorKind::kIncomeBelowOrangeLine:
    case FactorKind::kIncomeBelowYellowLine: {
      const std::int64_t permille =
          f.reference > 0 ? money::MulRatio(f.threshold, 1000, f.reference).value_or(0) : 0;
      return absl::StrCat("Per-capita net income ", FormatYuan(f.value), " yuan is below the ",
                          AsAbsl(ColourName(f.colour)), " line ", FormatYuan(f.threshold),
                          " yuan (", Multiplier(permille), " times the monitoring line ",
                          FormatYuan(f.reference), " yuan)");
    }
    case FactorKind::kIncomeDropOrange:
    case FactorKind::kIncomeDropYellow:
      return absl::StrCat("Per-capita net income fell from ", FormatYuan(f.reference),
                          " yuan in the previous 12 months to ", FormatYuan(f.amount),
                          " yuan, a fall of ", Percent(f.value), ", reaching the ",
                          AsAbsl(ColourName(f.colour)), " threshold of ", Percent(f.threshold));
    case FactorKind::kHeavyRigidSpending:
      if (f.detail == "no_income") {
        return absl::StrCat("Compliant out-of-pocket rigid spending of ", FormatYuan(f.amount),
                            " yuan against a total household income of ", FormatYuan(f.reference),
                            " yuan");
      }
      return absl::StrCat("Compliant out-of-pocket rigid spending of ", FormatYuan(f.amount),
                          " yuan is ", Percent(f.value), " of total household income ",
                          FormatYuan(f.reference), " yuan, reaching the threshold of ",
                          Percent(f.threshold));
    case FactorKind::kGuaranteeUnmet: {
      const GuaranteeText* g = FindGuarantee(f.detail);
      return absl::StrCat("Basic guarantee not met: ", g ? g->en : f.detail.c_str());
    }
    case FactorKind::kWaterUnsafe:
      return "Drinking water is not safe";
    case FactorKind::kSuddenEvent:
      return absl::StrCat("Sudden event on ", f.detail, ", ", f.value, " days ago (counted for ",
                          f.threshold, " days)");
    case FactorKind::kNoEmployedMember:
      return absl::StrCat(f.value, " household member(s) able to work, but none is employed");
    case FactorKind::kCreditOverdue:
      return absl::StrCat(f.value, " micro-credit instalment(s) overdue, ", FormatYuan(f.amount),
                          " yuan unpaid (a warning factor defined by this project)");
  }
  return std::string(FactorKindName(f.kind));
}

// Why a still-firing factor blocks elimination, in English.
std::string BlockerText(const Factor& f) {
  switch (f.kind) {
    case FactorKind::kIncomeDropOrange:
    case FactorKind::kIncomeDropYellow:
      return absl::StrCat("per-capita net income fell ", Percent(f.value),
                          " against the previous 12 months");
    case FactorKind::kHeavyRigidSpending:
      if (f.detail == "no_income") {
        return absl::StrCat("rigid spending uncontrolled: ", FormatYuan(f.amount),
                            " yuan with no household income");
      }
      return absl::StrCat("rigid spending uncontrolled: ", Percent(f.value),
                          " of household income (limit ", Percent(f.threshold), ")");
    case FactorKind::kGuaranteeUnmet: {
      const GuaranteeText* g = FindGuarantee(f.detail);
      return absl::StrCat(g ? g->blocker : f.detail.c_str(), " guarantee unmet");
    }
    case FactorKind::kWaterUnsafe:
      return "drinking water unsafe";
    case FactorKind::kSuddenEvent:
      return absl::StrCat("sudden event on ", f.detail, " is within the last ", f.threshold,
                          " days");
    case FactorKind::kNoEmployedMember:
      return absl::StrCat("no member employed although ", f.value, " can work");
    case FactorKind::kCreditOverdue:
      return absl::StrCat(f.value, " micro-credit instalment(s) overdue");
    case FactorKind::kIncomeBelowLine:
    case FactorKind::kIncomeBelowOrangeLine:
    case FactorKind::kIncomeBelowYellowLine:
      break;  // judged by the month-by-month income rule instead
  }
  return std::string(FactorKindName(f.kind));
}

bool IsIncomeLevel(FactorKind kind) {
  return kind == FactorKind::kIncomeBelowLine || kind == FactorKind::kIncomeBelowOrangeLine ||
         kind == FactorKind::kIncomeBelowYellowLine;
}

}  // namespace

std::string_view ColourName(Colour colour) {
  switch (colour) {
    case Colour::kRed:
      return "red";
    case Colour::kOrange:
      return "orange";
    case Colour::kYellow:
      return "yellow";
    case Colour::kGreen:
      return "green";
  }
  return "unknown";
}

std::string_view GuaranteeName(Guarantee guarantee) {
  for (const GuaranteeText& g : kGuarantees) {
    if (g.guarantee == guarantee) return g.name;
  }
  return "unknown";
}

std::optional<FactorKind> ParseFactorKind(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(FactorKind::kCreditOverdue); ++k) {
    const FactorKind kind = static_cast<FactorKind>(k);
    if (FactorKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view FactorKindName(FactorKind kind) {
  switch (kind) {
    case FactorKind::kIncomeBelowLine:
      return "income_below_line";
    case FactorKind::kIncomeBelowOrangeLine:
      return "income_below_orange_line";
    case FactorKind::kIncomeBelowYellowLine:
      return "income_below_yellow_line";
    case FactorKind::kIncomeDropOrange:
      return "income_drop_orange";
    case FactorKind::kIncomeDropYellow:
      return "income_drop_yellow";
    case FactorKind::kHeavyRigidSpending:
      return "heavy_rigid_spending";
    case FactorKind::kGuaranteeUnmet:
      return "guarantee_unmet";
    case FactorKind::kWaterUnsafe:
      return "water_unsafe";
    case FactorKind::kSuddenEvent:
      return "sudden_event";
    case FactorKind::kNoEmployedMember:
      return "no_employed_member";
    case FactorKind::kCreditOverdue:
      return "credit_overdue";
  }
  return "unknown";
}

std::string_view ObjectTypeName(ObjectType type) {
  switch (type) {
    case ObjectType::kUnstableLifted:
      return "unstable_lifted";
    case ObjectType::kMarginalAtRisk:
      return "marginal_at_risk";
    case ObjectType::kSuddenHardship:
      return "sudden_hardship";
  }
  return "unknown";
}

bool Assessment::Fired(FactorKind kind) const {
  return std::any_of(fired.begin(), fired.end(),
                     [kind](const Factor& f) { return f.kind == kind; });
}

absl::StatusOr<Assessment> Assess(const RiskInputs& in, const MonitoringPolicy& policy) {
  if (absl::Status s = Validate(policy); !s.ok()) return s;
  if (absl::Status s = CheckInputs(in); !s.ok()) return s;

  Assessment result{.policy_version = policy.version, .policy_year = policy.year};
  std::vector<Factor>& fired = result.fired;
  const Fen line = policy.monitoring_line_fen;
  const Fen income = in.per_capita_net_income;

  // Income level: only the tightest band the income falls under. Validate
  // guaranteed line × yellow band fits in int64, so the casts are exact.
  const Fen orange_band = static_cast<Fen>(BandCeiling(line, policy.orange_line_permille));
  const Fen yellow_band = static_cast<Fen>(BandCeiling(line, policy.yellow_line_permille));
  if (income < line) {
    fired.push_back({.kind = FactorKind::kIncomeBelowLine,
                     .colour = Colour::kRed,
                     .value = income,
                     .threshold = line});
  } else if (income < orange_band) {
    fired.push_back({.kind = FactorKind::kIncomeBelowOrangeLine,
                     .colour = Colour::kOrange,
                     .value = income,
                     .threshold = orange_band,
                     .reference = line});
  } else if (income < yellow_band) {
    fired.push_back({.kind = FactorKind::kIncomeBelowYellowLine,
                     .colour = Colour::kYellow,
                     .value = income,
                     .threshold = yellow_band,
                     .reference = line});
  }

  const std::array<std::pair<Guarantee, bool>, 4> guarantees = {{
      {Guarantee::kFoodClothing, in.food_clothing_ok},
      {Guarantee::kEducation, in.education_ok},
      {Guarantee::kMedical, in.medical_ok},
      {Guarantee::kHousing, in.housing_ok},
  }};
  for (const auto& [guarantee, ok] : guarantees) {
    if (ok) continue;
    fired.push_back({.kind = FactorKind::kGuaranteeUnmet,
                     .colour = Colour::kRed,
                     .detail = std::string(GuaranteeName(guarantee))});
  }
  if (!in.water_ok) fired.push_back({.kind = FactorKind::kWaterUnsafe, .colour = Colour::kRed});

  // A previous per-capita figure below one fen is no base for a share.
  if (in.previous_window_per_capita.has_value() && *in.previous_window_per_capita > 0) {
    // With the household totals, the fall is measured exactly on them; the
    // per-capita figures are rounded down, which can move a fall just at a
    // threshold by a per-mille either way (older stored inputs carry only
    // those, and are measured on them).
    absl::StatusOr<std::optional<std::int64_t>> drop =
        in.previous_net.has_value()
            ? IncomeDropPermilleOfTotals(in.previous_net->net_income, in.previous_net->members,
                                         in.current_net->net_income, in.current_net->members)
            : IncomeDropPermille(*in.previous_window_per_capita, income);
    if (!drop.ok()) return drop.status();
    // Rounded down, so comparing with a whole per-mille threshold is exact.
    if (drop->has_value()) {
      const std::int64_t fall = **drop;
      Factor factor{.value = fall, .amount = income, .reference = *in.previous_window_per_capita};
      if (fall >= policy.orange_income_drop_permille) {
        factor.kind = FactorKind::kIncomeDropOrange;
        factor.colour = Colour::kOrange;
        factor.threshold = policy.orange_income_drop_permille;
        fired.push_back(std::move(factor));
      } else if (fall >= policy.yellow_income_drop_permille) {
        factor.kind = FactorKind::kIncomeDropYellow;
        factor.colour = Colour::kYellow;
        factor.threshold = policy.yellow_income_drop_permille;
        fired.push_back(std::move(factor));
      }
    }
  }

  if (in.rigid_spending > 0) {
    Factor factor{.kind = FactorKind::kHeavyRigidSpending,
                  .colour = Colour::kOrange,
                  .threshold = policy.heavy_rigid_spending_permille,
                  .amount = in.rigid_spending,
                  .reference = in.total_income};
    if (in.total_income == 0) {
      factor.value = -1;
      factor.detail = "no_income";
      fired.push_back(std::move(factor));
    } else {
      // 128 bits: rigid × 1000 may exceed int64; the share itself is
      // clamped, since any share that large fires anyway.
      const __int128 share = static_cast<__int128>(in.rigid_spending) * 1000 / in.total_income;
      if (share >= policy.heavy_rigid_spending_permille) {
        factor.value = share > std::numeric_limits<std::int64_t>::max()
                           ? std::numeric_limits<std::int64_t>::max()
                           : static_cast<std::int64_t>(share);
        fired.push_back(std::move(factor));
      }
    }
  }

  if (in.last_sudden_event.has_value()) {
    const std::int64_t days_ago = in.today - *in.last_sudden_event;
    if (days_ago <= policy.sudden_event_days) {
      fired.push_back({.kind = FactorKind::kSuddenEvent,
                       .colour = Colour::kOrange,
                       .value = days_ago,
                       .threshold = policy.sudden_event_days,
                       .detail = absl::FormatCivilTime(*in.last_sudden_event)});
    }
  }

  if (in.able_workers > 0 && in.employed_members == 0) {
    fired.push_back({.kind = FactorKind::kNoEmployedMember,
                     .colour = Colour::kYellow,
                     .value = in.able_workers,
                     .threshold = 1});
  }
  if (in.overdue_credit_instalments > 0) {
    fired.push_back({.kind = FactorKind::kCreditOverdue,
                     .colour = Colour::kOrange,
                     .value = in.overdue_credit_instalments,
                     .threshold = 1,
                     .amount = in.overdue_credit_fen});
  }

  std::stable_sort(fired.begin(), fired.end(), [](const Factor& a, const Factor& b) {
    if (a.colour != b.colour) return a.colour > b.colour;
    return a.kind < b.kind;
  });
  if (!fired.empty()) result.colour = fired.front().colour;
  return result;
}

Explanation Explain(const Assessment& assessment, Language language) {
  Explanation out;
  const bool zh = language == Language::kZh;
  if (assessment.fired.empty()) {
    out.headline =
        zh ? absl::StrCat("绿色：未触发风险因素（规则版本 ", assessment.policy_version, "）")
           : absl::StrCat("GREEN: no risk factor fired (rule set ", assessment.policy_version, ")");
    return out;
  }
  if (zh) {
    out.headline = absl::StrCat(ColourZh(assessment.colour), "预警：触发 ", assessment.fired.size(),
                                " 项风险因素（规则版本 ", assessment.policy_version, "）");
  } else {
    out.headline = absl::StrCat(absl::AsciiStrToUpper(AsAbsl(ColourName(assessment.colour))),
                                " warning: ", assessment.fired.size(),
                                " risk factor(s) fired (rule set ", assessment.policy_version, ")");
  }
  for (const Factor& f : assessment.fired) {
    out.factors.push_back(zh ? absl::StrCat("【", ColourZh(f.colour), "】", ExplainZh(f))
                             : absl::StrCat("[", AsAbsl(ColourName(f.colour)), "] ", ExplainEn(f)));
  }
  return out;
}

std::optional<ObjectType> SuggestObjectType(bool is_lifted_household,
                                            const Assessment& assessment) {
  if (assessment.Fired(FactorKind::kIncomeBelowLine)) {
    return is_lifted_household ? ObjectType::kUnstableLifted : ObjectType::kMarginalAtRisk;
  }
  if (assessment.Fired(FactorKind::kHeavyRigidSpending) ||
      assessment.Fired(FactorKind::kIncomeDropOrange)) {
    return ObjectType::kSuddenHardship;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<EliminationBlocker>> FindEliminationBlockers(
    const EliminationInputs& inputs, const MonitoringPolicy& policy) {
  if (policy.year != inputs.proposal_month.year()) {
    return absl::InvalidArgumentError(
        absl::StrCat("elimination proposed in ", absl::FormatCivilTime(inputs.proposal_month),
                     " must be judged against the ", inputs.proposal_month.year(),
                     " monitoring line, but the policy given is for ", policy.year));
  }
  absl::StatusOr<Assessment> current = Assess(inputs.current, policy);
  if (!current.ok()) return current.status();

  std::vector<EliminationBlocker> blockers;

  // Income stably at or above the current-year line: every one of the last
  // `stable_months_required` complete months must have a figure at or above it.
  std::vector<std::string> unstable_months;
  const absl::CivilMonth first = inputs.proposal_month - policy.stable_months_required;
  for (absl::CivilMonth month = first; month < inputs.proposal_month; ++month) {
    const MonthlyPerCapita* figure = nullptr;
    for (const MonthlyPerCapita& m : inputs.per_capita_by_month) {
      if (m.month == month) figure = &m;
    }
    if (figure == nullptr) {
      unstable_months.push_back(absl::StrCat(absl::FormatCivilTime(month), " no figure"));
    } else if (figure->per_capita_net_income < policy.monitoring_line_fen) {
      unstable_months.push_back(absl::StrCat(absl::FormatCivilTime(month), " ",
                                             FormatYuan(figure->per_capita_net_income), " yuan"));
    }
  }
  if (!unstable_months.empty()) {
    blockers.push_back({EliminationBlock::kIncomeNotStable,
                        absl::StrCat("income not stably above the ", policy.year,
                                     " monitoring line (", FormatYuan(policy.monitoring_line_fen),
                                     " yuan) for ", policy.stable_months_required,
                                     " months: ", absl::StrJoin(unstable_months, ", "))});
  }

  for (const Factor& f : current->fired) {
    if (IsIncomeLevel(f.kind)) continue;
    // Persisting or new only when identification's factors are on record;
    // without them neither is claimed.
    EliminationBlock block = EliminationBlock::kRiskStillPresent;
    const char* said = " (risk still present)";
    if (const auto& triggering = inputs.triggering_factors; triggering.has_value()) {
      if (std::find(triggering->begin(), triggering->end(), f.kind) != triggering->end()) {
        block = EliminationBlock::kRiskPersists;
        said = " (the risk that led to identification persists)";
      } else {
        block = EliminationBlock::kNewRisk;
        said = " (new risk)";
      }
    }
    std::string reason = BlockerText(f);
    if (f.kind == FactorKind::kGuaranteeUnmet || f.kind == FactorKind::kWaterUnsafe) {
      block = EliminationBlock::kGuaranteeUnmet;
    } else if (f.kind == FactorKind::kHeavyRigidSpending) {
      block = EliminationBlock::kRigidSpendingUncontrolled;
    } else {
      absl::StrAppend(&reason, said);
    }
    blockers.push_back({block, std::move(reason)});
  }

  if (inputs.current.social_assistance_floor && inputs.current.able_workers == 0) {
    blockers.push_back({EliminationBlock::kFloorWithNobodyAbleToWork,
                        "household under 兜底 with nobody able to work stays monitored (M9)"});
  }
  return blockers;
}

absl::Status CheckElimination(const EliminationInputs& inputs, const MonitoringPolicy& policy) {
  absl::StatusOr<std::vector<EliminationBlocker>> blockers =
      FindEliminationBlockers(inputs, policy);
  if (!blockers.ok()) return blockers.status();
  if (blockers->empty()) return absl::OkStatus();
  std::vector<std::string> reasons;
  reasons.reserve(blockers->size());
  for (const EliminationBlocker& b : *blockers) reasons.push_back(b.reason);
  return absl::FailedPreconditionError(
      absl::StrCat("risk cannot be eliminated: ", absl::StrJoin(reasons, "; ")));
}

std::string EncodeInputs(const RiskInputs& in) {
  auto day = [](const std::optional<absl::CivilDay>& d) {
    return d ? absl::FormatCivilTime(*d) : std::string("-");
  };
  const int guarantees = (in.food_clothing_ok ? 1 : 0) | (in.education_ok ? 2 : 0) |
                         (in.medical_ok ? 4 : 0) | (in.housing_ok ? 8 : 0) | (in.water_ok ? 16 : 0);
  const std::string fields = absl::StrCat(
      in.per_capita_net_income, ";",
      in.previous_window_per_capita ? absl::StrCat(*in.previous_window_per_capita)
                                    : std::string("-"),
      ";", in.total_income, ";", in.rigid_spending, ";", guarantees, ";", day(in.last_sudden_event),
      ";", absl::FormatCivilTime(in.today), ";", in.able_workers, ";", in.employed_members, ";",
      in.social_assistance_floor ? 1 : 0, ";", in.overdue_credit_instalments, ";",
      in.overdue_credit_fen);
  // "v1" stays as it was for inputs without household totals; "v2" adds
  // them, so a re-assessment measures the income drop exactly again.
  if (!in.current_net.has_value()) return absl::StrCat("v1;", fields);
  return absl::StrCat(
      "v2;", fields, ";", in.current_net->net_income, ";", in.current_net->members, ";",
      in.previous_net ? absl::StrCat(in.previous_net->net_income, ";", in.previous_net->members)
                      : std::string("-;-"));
}

std::optional<RiskInputs> DecodeInputs(std::string_view encoded) {
  const std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(encoded.data(), encoded.size()), ';');
  const bool v1 = f.size() == 13 && f[0] == "v1";
  const bool v2 = f.size() == 17 && f[0] == "v2";
  if (!v1 && !v2) return std::nullopt;
  RiskInputs in;
  int64_t previous = 0;
  int guarantees = 0, floor = 0;
  absl::CivilDay sudden;
  const bool ok =
      absl::SimpleAtoi(f[1], &in.per_capita_net_income) &&
      (f[2] == "-" || absl::SimpleAtoi(f[2], &previous)) &&
      absl::SimpleAtoi(f[3], &in.total_income) && absl::SimpleAtoi(f[4], &in.rigid_spending) &&
      absl::SimpleAtoi(f[5], &guarantees) && guarantees >= 0 && guarantees < 32 &&
      (f[6] == "-" || absl::ParseCivilTime(f[6], &sudden)) &&
      absl::ParseCivilTime(f[7], &in.today) && absl::SimpleAtoi(f[8], &in.able_workers) &&
      absl::SimpleAtoi(f[9], &in.employed_members) && absl::SimpleAtoi(f[10], &floor) &&
      (floor == 0 || floor == 1) && absl::SimpleAtoi(f[11], &in.overdue_credit_instalments) &&
      absl::SimpleAtoi(f[12], &in.overdue_credit_fen);
  if (!ok) return std::nullopt;
  if (v2) {
    HouseholdNet current, before;
    if (!absl::SimpleAtoi(f[13], &current.net_income) ||
        !absl::SimpleAtoi(f[14], &current.members)) {
      return std::nullopt;
    }
    in.current_net = current;
    if (f[15] != "-" || f[16] != "-") {
      if (!absl::SimpleAtoi(f[15], &before.net_income) ||
          !absl::SimpleAtoi(f[16], &before.members)) {
        return std::nullopt;
      }
      in.previous_net = before;
    }
  }
  if (f[2] != "-") in.previous_window_per_capita = previous;
  if (f[6] != "-") in.last_sudden_event = sudden;
  in.food_clothing_ok = guarantees & 1;
  in.education_ok = guarantees & 2;
  in.medical_ok = guarantees & 4;
  in.housing_ok = guarantees & 8;
  in.water_ok = guarantees & 16;
  in.social_assistance_floor = floor == 1;
  return in;
}

}  // namespace zx::monitoring
