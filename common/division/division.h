// Statistical division codes (统计用区划代码): 12 digits, PP RR CC TTT VVV —
// region (province), prefecture, county, township, village.
#ifndef ZX_COMMON_DIVISION_DIVISION_H_
#define ZX_COMMON_DIVISION_DIVISION_H_

#include <compare>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "zx/common/v1/types.pb.h"

namespace zx::division {

enum class Level { kRegion = 1, kPrefecture, kCounty, kTownship, kVillage };

// "region", "prefecture", "county", "township", "village".
std::string_view LevelName(Level level);
// Inverse of LevelName; exact lower-case names only.
absl::StatusOr<Level> ParseLevel(std::string_view name);

zx::common::v1::Level ToProto(Level level);
// LEVEL_UNSPECIFIED and unknown values are INVALID_ARGUMENT.
absl::StatusOr<Level> FromProto(zx::common::v1::Level level);

// A structurally valid 12-digit division code. Every group above the code's
// own level is non-zero, so AncestorAt(l).level() == l always holds.
class Code {
 public:
  // Accepts 2, 4, 6, 9 or 12 digits; shorter codes are zero-padded to 12
  // ("6531" -> "653100000000"). Rejects empty input, non-digits, other
  // lengths, region "00", and a non-zero lower group under a zero higher one
  // ("650001000000", "653121000001").
  static absl::StatusOr<Code> Parse(std::string_view text);

  const std::string& str() const { return code_; }
  Level level() const;

  // The code one level up; nullopt for a region.
  std::optional<Code> Parent() const;
  // True if `other` lies inside this division or is this division.
  bool IsAncestorOrSelfOf(const Code& other) const;
  // The ancestor at `level` (the code itself for level == this->level()).
  // Precondition: level <= this->level(); violating it aborts, because
  // silently widening or narrowing a scope would be an authorisation bug.
  Code AncestorAt(Level level) const;

  friend bool operator==(const Code&, const Code&) = default;
  friend std::strong_ordering operator<=>(const Code&, const Code&) = default;

  template <typename H>
  friend H AbslHashValue(H state, const Code& code) {
    return H::combine(std::move(state), code.code_);
  }
  friend std::ostream& operator<<(std::ostream& out, const Code& code) { return out << code.code_; }

 private:
  explicit Code(std::string code) : code_(std::move(code)) {}

  std::string code_;  // Always exactly 12 ASCII digits.
};

// "653121%" for a county: the SQL LIKE pattern of every code inside `division`
// (its own digits, the zero groups below left open).
std::string LikePattern(const Code& division);
// The division and each ancestor up to its region, nearest first.
std::vector<std::string> SelfAndAncestors(const Code& division);

// A real division from the embedded table (common/division/divisions.csv).
struct DivisionInfo {
  Code code;
  Level level;
  std::string name_zh;
  std::string name_en;
  std::optional<Code> parent;
};

// nullptr if the code is not in the embedded table.
const DivisionInfo* FindKnown(const Code& code);
// Known divisions whose parent is `parent`, ordered by code.
std::vector<const DivisionInfo*> KnownChildren(const Code& parent);
// Every known division, ordered by code.
std::vector<const DivisionInfo*> AllKnown();

// Parses a table in the divisions.csv format: '#' comment lines, the header
// "code,level,name_zh,name_en,parent_code", then one division per line. The
// level column must match the code's structure and parent_code must be the
// code's structural parent (empty for regions). Exposed for tests.
absl::StatusOr<std::vector<DivisionInfo>> ParseDivisionsCsv(std::string_view csv);

}  // namespace zx::division

#endif  // ZX_COMMON_DIVISION_DIVISION_H_
