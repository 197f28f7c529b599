#include "common/money/money.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zx::money {
namespace {

// Debian's Abseil has its own absl::string_view, which std::string_view does
// not convert to implicitly.
absl::string_view AsAbsl(std::string_view text) { return {text.data(), text.size()}; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view text) {
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Plain digits, or digits grouped by thousands: "1234", "1,234", "12,345,678".
bool IsWholeYuan(std::string_view whole) {
  if (whole.empty()) return false;
  const std::size_t first_comma = whole.find(',');
  if (first_comma == std::string_view::npos) return AllDigits(whole);
  if (first_comma == 0 || first_comma > 3) return false;
  if (!AllDigits(whole.substr(0, first_comma))) return false;
  std::string_view groups = whole.substr(first_comma);
  while (!groups.empty()) {
    if (groups.size() < 4 || groups[0] != ',' || !AllDigits(groups.substr(1, 3))) return false;
    groups.remove_prefix(4);
  }
  return true;
}

absl::Status Overflow(std::string_view operation, Fen a, std::string_view op, std::int64_t b) {
  return absl::OutOfRangeError(
      absl::StrCat("fen ", AsAbsl(operation), " overflows int64: ", a, " ", AsAbsl(op), " ", b));
}

}  // namespace

absl::StatusOr<Fen> Add(Fen a, Fen b) {
  Fen result;
  if (__builtin_add_overflow(a, b, &result)) return Overflow("addition", a, "+", b);
  return result;
}

absl::StatusOr<Fen> Sub(Fen a, Fen b) {
  Fen result;
  if (__builtin_sub_overflow(a, b, &result)) return Overflow("subtraction", a, "-", b);
  return result;
}

absl::StatusOr<Fen> Mul(Fen a, std::int64_t factor) {
  Fen result;
  if (__builtin_mul_overflow(a, factor, &result)) return Overflow("multiplication", a, "*", factor);
  return result;
}

absl::StatusOr<Fen> Sum(std::span<const Fen> amounts) {
  // 128 bits cannot overflow for fewer than 2^64 int64 terms.
  __int128 total = 0;
  for (Fen amount : amounts) total += amount;
  if (total > std::numeric_limits<Fen>::max() || total < std::numeric_limits<Fen>::min()) {
    return absl::OutOfRangeError(
        absl::StrCat("fen sum of ", amounts.size(), " amounts overflows int64"));
  }
  return static_cast<Fen>(total);
}

absl::StatusOr<Fen> MulRatio(Fen amount, std::int64_t numerator, std::int64_t denominator) {
  if (denominator == 0) {
    return absl::InvalidArgumentError(absl::StrCat("fen ratio denominator must not be 0 (amount ",
                                                   amount, ", numerator ", numerator, ")"));
  }
  // |amount * numerator| <= 2^126 fits in 128 bits.
  const __int128 product = static_cast<__int128>(amount) * numerator;
  __int128 quotient = product / denominator;
  const __int128 remainder = product % denominator;
  const __int128 abs_remainder = remainder < 0 ? -remainder : remainder;
  const __int128 abs_denominator =
      denominator < 0 ? -static_cast<__int128>(denominator) : denominator;
  if (2 * abs_remainder >= abs_denominator) {
    quotient += ((product < 0) != (denominator < 0)) ? -1 : 1;
  }
  if (quotient > std::numeric_limits<Fen>::max() || quotient < std::numeric_limits<Fen>::min()) {
    return absl::OutOfRangeError(
        absl::StrCat("fen ratio overflows int64: ", amount, " * ", numerator, " / ", denominator));
  }
  return static_cast<Fen>(quotient);
}

absl::StatusOr<Fen> ParseYuan(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("yuan amount is empty");
  std::string_view rest = text;
  const bool negative = rest.front() == '-';
  if (negative) rest.remove_prefix(1);
  const std::size_t dot = rest.find('.');
  const std::string_view whole = rest.substr(0, dot);
  const std::string_view decimals =
      dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  if (!IsWholeYuan(whole) || (dot != std::string_view::npos && decimals.empty()) ||
      !AllDigits(decimals)) {
    return absl::InvalidArgumentError(
        absl::StrCat("yuan amount '", AsAbsl(text),
                     "' is malformed; expected an optional '-', digits and up to 2 decimals, "
                     "like -1234.56"));
  }
  if (decimals.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat("yuan amount '", AsAbsl(text), "' has ",
                                                   decimals.size(),
                                                   " decimal places; at most 2 (fen) are allowed"));
  }

  // Accumulate the magnitude in 128 bits and stop as soon as it cannot fit,
  // so arbitrarily long digit strings cannot overflow the accumulator.
  const unsigned __int128 limit =
      static_cast<unsigned __int128>(std::numeric_limits<Fen>::max()) + (negative ? 1 : 0);
  const auto out_of_range = [text] {
    return absl::OutOfRangeError(
        absl::StrCat("yuan amount '", AsAbsl(text), "' is out of range for int64 fen"));
  };
  unsigned __int128 magnitude = 0;
  for (char c : whole) {
    if (c == ',') continue;
    magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
    if (magnitude > limit) return out_of_range();
  }
  unsigned fen_part = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    fen_part = fen_part * 10 + (i < decimals.size() ? static_cast<unsigned>(decimals[i] - '0') : 0);
  }
  magnitude = magnitude * kFenPerYuan + fen_part;
  if (magnitude > limit) return out_of_range();
  if (negative) {
    // Negate in 128 bits: -(2^63) is representable only after the cast.
    return static_cast<Fen>(-static_cast<__int128>(magnitude));
  }
  return static_cast<Fen>(magnitude);
}

std::string FormatYuan(Fen fen) {
  const bool negative = fen < 0;
  // Negate in unsigned arithmetic: -INT64_MIN does not fit in int64.
  const std::uint64_t magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(fen)
                                           : static_cast<std::uint64_t>(fen);
  const std::string yuan = absl::StrCat(magnitude / kFenPerYuan);
  const unsigned fen_part = static_cast<unsigned>(magnitude % kFenPerYuan);

  std::string result;
  result.reserve(yuan.size() + yuan.size() / 3 + 4);
  if (negative) result.push_back('-');
  for (std::size_t i = 0; i < yuan.size(); ++i) {
    if (i > 0 && (yuan.size() - i) % 3 == 0) result.push_back(',');
    result.push_back(yuan[i]);
  }
  result.push_back('.');
  result.push_back(static_cast<char>('0' + fen_part / 10));
  result.push_back(static_cast<char>('0' + fen_part % 10));
  return result;
}

}  // namespace zx::money
