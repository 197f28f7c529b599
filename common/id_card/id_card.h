// PRC resident identity card numbers (公民身份号码), GB 11643-1999: 6-digit
// address code, 8-digit birth date, 3-digit sequence (odd = male), and an
// ISO 7064 MOD 11-2 check character.
#ifndef ZX_COMMON_ID_CARD_ID_CARD_H_
#define ZX_COMMON_ID_CARD_ID_CARD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace zx::id_card {

enum class Sex { kFemale, kMale };

struct IdCardInfo {
  std::string region_code;  // The first 6 digits (address code).
  absl::CivilDay birth_date;
  Sex sex;
};

// The check character for the first 17 digits: '0'-'9' or 'X'. Returns '\0'
// if `first17` is not exactly 17 ASCII digits, which never equals a real
// check character, so comparing against it fails safely.
char CheckDigit(std::string_view first17);

// Validates an 18-character number (a lower-case trailing 'x' is accepted)
// and extracts its fields. INVALID_ARGUMENT names the part that is wrong:
// "length", "digits", "check digit" or "birth date" (a real calendar date
// from 1900-01-01 up to `today`). The check digit is verified before the
// birth date, so a mistyped number reports the check digit.
absl::StatusOr<IdCardInfo> Parse(std::string_view id, absl::CivilDay today);

// The number with a trailing 'x' upper-cased; otherwise unchanged.
std::string Normalize(std::string_view id);

// Keeps the first 6 characters (the issuing region) and the last one and
// replaces the rest with '*' ("653121***********X"): the birth date and the
// sequence stay hidden, so the number cannot be rebuilt from the birth year
// shown beside it. Inputs shorter than 15 become all '*'. For logs and
// screens that must not show the full number.
std::string Mask(std::string_view id);

}  // namespace zx::id_card

#endif  // ZX_COMMON_ID_CARD_ID_CARD_H_
