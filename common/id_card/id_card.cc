#include "common/id_card/id_card.h"

#include <array>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zx::id_card {
namespace {

// Error messages never echo the number or its digits: they end up in logs,
// and an ID number is personal data.

constexpr std::size_t kLength = 18;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int DigitsValue(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

char CheckDigit(std::string_view first17) {
  static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                   3, 7, 9,  10, 5, 8, 4, 2};
  // Indexed by (weighted sum mod 11), per ISO 7064 MOD 11-2.
  static constexpr std::string_view kCheckChars = "10X98765432";
  if (first17.size() != kWeights.size()) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < kWeights.size(); ++i) {
    if (!IsDigit(first17[i])) return '\0';
    sum += (first17[i] - '0') * kWeights[i];
  }
  return kCheckChars[sum % 11];
}

absl::StatusOr<IdCardInfo> Parse(std::string_view id, absl::CivilDay today) {
  if (id.size() != kLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("ID number length must be 18 characters, got ", id.size()));
  }
  for (std::size_t i = 0; i < kLength - 1; ++i) {
    if (!IsDigit(id[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("ID number digits: character ", i + 1, " must be a digit 0-9"));
    }
  }
  char check = id[kLength - 1];
  if (check == 'x') check = 'X';
  if (!IsDigit(check) && check != 'X') {
    return absl::InvalidArgumentError("ID number check digit (character 18) must be 0-9 or X");
  }
  if (CheckDigit(id.substr(0, kLength - 1)) != check) {
    return absl::InvalidArgumentError(
        "ID number check digit does not match the first 17 digits; the number is mistyped");
  }

  const int year = DigitsValue(id.substr(6, 4));
  const int month = DigitsValue(id.substr(10, 2));
  const int day = DigitsValue(id.substr(12, 2));
  // CivilDay normalises out-of-range fields (Feb 30 -> Mar 2), so a date is
  // real exactly when it survives construction unchanged.
  const absl::CivilDay birth_date(year, month, day);
  if (birth_date.year() != year || birth_date.month() != month || birth_date.day() != day) {
    return absl::InvalidArgumentError("ID number birth date is not a real calendar date");
  }
  if (birth_date < absl::CivilDay(1900, 1, 1)) {
    return absl::InvalidArgumentError("ID number birth date is before 1900-01-01");
  }
  if (birth_date > today) {
    return absl::InvalidArgumentError("ID number birth date is in the future");
  }

  // The 17th digit ends the sequence code: odd for men, even for women.
  const Sex sex = (id[16] - '0') % 2 == 1 ? Sex::kMale : Sex::kFemale;
  return IdCardInfo{
      .region_code = std::string(id.substr(0, 6)), .birth_date = birth_date, .sex = sex};
}

std::string Normalize(std::string_view id) {
  std::string normalized(id);
  if (!normalized.empty() && normalized.back() == 'x') normalized.back() = 'X';
  return normalized;
}

std::string Mask(std::string_view id) {
  // The region (the county officials work in anyway) and the check digit.
  // Keeping the last four, as before, hid only the birth date: with the
  // birth year shown beside it, about 33 numbers were left to try.
  constexpr std::size_t kKeepFront = 6;
  constexpr std::size_t kKeepBack = 1;
  // Shorter than the legacy 15 digits: not a number whose parts can be
  // told apart, so nothing is kept.
  constexpr std::size_t kShortest = 15;
  if (id.size() < kShortest) return std::string(id.size(), '*');
  std::string masked(id);
  for (std::size_t i = kKeepFront; i < masked.size() - kKeepBack; ++i) masked[i] = '*';
  return masked;
}

}  // namespace zx::id_card
