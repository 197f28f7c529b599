// Money as int64 fen (分, 1/100 yuan). No floating point anywhere: every
// operation is exact or rounds explicitly, and overflow is an error.
#ifndef ZX_COMMON_MONEY_MONEY_H_
#define ZX_COMMON_MONEY_MONEY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace zx::money {

using Fen = std::int64_t;

inline constexpr Fen kFenPerYuan = 100;

// The largest single amount a caller or an event may state: 1,000,000,000,000
// fen (100 亿 yuan), far above any real income, asset, project line or loan
// (a larger one is surely a typo), low enough that sums of millions of them
// stay exact in int64.
inline constexpr Fen kMaxAmountFen = 1'000'000'000'000;

// OUT_OF_RANGE when the exact result does not fit in int64.
absl::StatusOr<Fen> Add(Fen a, Fen b);
absl::StatusOr<Fen> Sub(Fen a, Fen b);
absl::StatusOr<Fen> Mul(Fen a, std::int64_t factor);

// The exact total; OUT_OF_RANGE only if the total itself does not fit, so
// intermediate overflow of partial sums is not an error.
absl::StatusOr<Fen> Sum(std::span<const Fen> amounts);

// amount * numerator / denominator, rounded half away from zero (so
// 5 * 1 / 2 = 3 and -5 * 1 / 2 = -3). The product is computed in 128 bits,
// so only a result outside int64 is OUT_OF_RANGE. Denominator 0 is
// INVALID_ARGUMENT. Use for shares and per-capita figures.
absl::StatusOr<Fen> MulRatio(Fen amount, std::int64_t numerator, std::int64_t denominator);

// Parses a yuan amount: optional '-', integer digits (plain, or grouped by
// thousands with commas as FormatYuan writes them), optional '.' with one or
// two decimals. "1234.56" -> 123456, "-0.5" -> -50, "12" -> 1200,
// "1,234.56" -> 123456. No whitespace, '+', exponent or missing digits
// (".5", "5.") are accepted: INVALID_ARGUMENT. Values outside int64 fen are
// OUT_OF_RANGE.
absl::StatusOr<Fen> ParseYuan(std::string_view text);

// 123456 -> "1,234.56", -5 -> "-0.05", 0 -> "0.00". Total over all int64.
std::string FormatYuan(Fen fen);

}  // namespace zx::money

#endif  // ZX_COMMON_MONEY_MONEY_H_
