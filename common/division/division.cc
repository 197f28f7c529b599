#include "common/division/division.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/division/embedded_csv.h"

namespace zx::division {
namespace {

constexpr std::size_t kCodeLength = 12;

// Digit range of each level's group inside the 12-digit code.
struct Group {
  std::size_t begin;
  std::size_t end;
};
constexpr std::array<Group, 5> kGroups = {{{0, 2}, {2, 4}, {4, 6}, {6, 9}, {9, 12}}};

constexpr std::array<Level, 5> kAllLevels = {Level::kRegion, Level::kPrefecture, Level::kCounty,
                                             Level::kTownship, Level::kVillage};

int Index(Level level) { return static_cast<int>(level) - 1; }

// Number of leading digits that identify a division at `level`.
std::size_t PrefixLength(Level level) { return kGroups[Index(level)].end; }

// Debian's Abseil is built with its own absl::string_view, which StrCat
// accepts but std::string_view does not convert to.
absl::string_view AsAbsl(std::string_view text) { return {text.data(), text.size()}; }

// absl::StrSplit works on absl::string_view only; the table is std.
std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

bool GroupIsZero(std::string_view code, Level level) {
  const Group group = kGroups[Index(level)];
  return code.substr(group.begin, group.end - group.begin).find_first_not_of('0') ==
         std::string_view::npos;
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kRegion:
      return "region";
    case Level::kPrefecture:
      return "prefecture";
    case Level::kCounty:
      return "county";
    case Level::kTownship:
      return "township";
    case Level::kVillage:
      return "village";
  }
  return "unknown";
}

absl::StatusOr<Level> ParseLevel(std::string_view name) {
  for (Level level : kAllLevels) {
    if (LevelName(level) == name) return level;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown division level '", AsAbsl(name),
                   "'; expected one of region, prefecture, county, township, village"));
}

zx::common::v1::Level ToProto(Level level) {
  switch (level) {
    case Level::kRegion:
      return zx::common::v1::LEVEL_REGION;
    case Level::kPrefecture:
      return zx::common::v1::LEVEL_PREFECTURE;
    case Level::kCounty:
      return zx::common::v1::LEVEL_COUNTY;
    case Level::kTownship:
      return zx::common::v1::LEVEL_TOWNSHIP;
    case Level::kVillage:
      return zx::common::v1::LEVEL_VILLAGE;
  }
  return zx::common::v1::LEVEL_UNSPECIFIED;
}

absl::StatusOr<Level> FromProto(zx::common::v1::Level level) {
  switch (level) {
    case zx::common::v1::LEVEL_REGION:
      return Level::kRegion;
    case zx::common::v1::LEVEL_PREFECTURE:
      return Level::kPrefecture;
    case zx::common::v1::LEVEL_COUNTY:
      return Level::kCounty;
    case zx::common::v1::LEVEL_TOWNSHIP:
      return Level::kTownship;
    case zx::common::v1::LEVEL_VILLAGE:
      return Level::kVillage;
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("division level must be set, got ", static_cast<int>(level)));
}

absl::StatusOr<Code> Code::Parse(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("division code is empty");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!absl::ascii_isdigit(c)) {
      // One byte of a multi-byte character would make the message invalid
      // UTF-8, which the client then cannot parse (found by fuzzing).
      const std::string found = absl::ascii_isprint(c)
                                    ? absl::StrCat("'", AsAbsl(text.substr(i, 1)), "'")
                                    : absl::StrCat("byte 0x", absl::Hex(c, absl::kZeroPad2));
      return absl::InvalidArgumentError(absl::StrCat(
          "division code must contain only digits, found ", found, " at position ", i + 1));
    }
  }
  const std::size_t length = text.size();
  if (length != 2 && length != 4 && length != 6 && length != 9 && length != kCodeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("division code must be 2, 4, 6, 9 or 12 digits, got ", length));
  }
  std::string code(text);
  code.resize(kCodeLength, '0');

  if (GroupIsZero(code, Level::kRegion)) {
    return absl::InvalidArgumentError(
        absl::StrCat("division code ", code, " has region digits 00"));
  }
  // Once a group is zero, every lower group must be zero too: "650001000000"
  // would name a county inside a prefecture that does not exist.
  for (int i = 1; i < static_cast<int>(kAllLevels.size()); ++i) {
    const Level higher = kAllLevels[i];
    if (!GroupIsZero(code, higher)) continue;
    for (int j = i + 1; j < static_cast<int>(kAllLevels.size()); ++j) {
      const Level lower = kAllLevels[j];
      if (!GroupIsZero(code, lower)) {
        return absl::InvalidArgumentError(
            absl::StrCat("division code ", code, " has non-zero ", AsAbsl(LevelName(lower)),
                         " digits under a zero ", AsAbsl(LevelName(higher)), " part"));
      }
    }
    break;
  }
  return Code(std::move(code));
}

Level Code::level() const {
  for (int i = static_cast<int>(kAllLevels.size()) - 1; i > 0; --i) {
    if (!GroupIsZero(code_, kAllLevels[i])) return kAllLevels[i];
  }
  return Level::kRegion;
}

std::optional<Code> Code::Parent() const {
  const Level own = level();
  if (own == Level::kRegion) return std::nullopt;
  return AncestorAt(static_cast<Level>(static_cast<int>(own) - 1));
}

bool Code::IsAncestorOrSelfOf(const Code& other) const {
  const Level own = level();
  if (other.level() < own) return false;
  const std::size_t prefix = PrefixLength(own);
  return std::string_view(code_).substr(0, prefix) ==
         std::string_view(other.code_).substr(0, prefix);
}

Code Code::AncestorAt(Level level) const {
  if (level > this->level()) {
    std::fprintf(stderr, "zx::division::Code::AncestorAt(%s) called on %s code %s\n",
                 std::string(LevelName(level)).c_str(),
                 std::string(LevelName(this->level())).c_str(), code_.c_str());
    std::abort();
  }
  std::string ancestor = code_;
  std::fill(ancestor.begin() + PrefixLength(level), ancestor.end(), '0');
  return Code(std::move(ancestor));
}

std::string LikePattern(const Code& division) {
  return division.str().substr(0, PrefixLength(division.level())) + "%";
}

std::vector<std::string> SelfAndAncestors(const Code& division) {
  std::vector<std::string> out{division.str()};
  for (auto p = division.Parent(); p; p = p->Parent()) out.push_back(p->str());
  return out;
}

absl::StatusOr<std::vector<DivisionInfo>> ParseDivisionsCsv(std::string_view csv) {
  constexpr std::string_view kHeader = "code,level,name_zh,name_en,parent_code";
  std::vector<DivisionInfo> divisions;
  std::map<Code, int> line_of_code;
  bool seen_header = false;
  int line_number = 0;
  for (std::string_view line : Split(csv, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!seen_header) {
      if (line != kHeader) {
        return absl::InvalidArgumentError(absl::StrCat(
            "divisions table line ", line_number, ": expected header \"", AsAbsl(kHeader), "\""));
      }
      seen_header = true;
      continue;
    }
    const auto error = [line_number](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("divisions table line ", line_number, ": ", what));
    };
    if (line.find('"') != std::string_view::npos) {
      return error("quoted fields are not supported");
    }
    const std::vector<std::string_view> fields = Split(line, ',');
    if (fields.size() != 5) {
      return error(absl::StrCat("expected 5 fields, got ", fields.size()));
    }
    absl::StatusOr<Code> code = Code::Parse(fields[0]);
    if (!code.ok()) return error(code.status().message());
    if (code->str() != fields[0]) return error("code must be written with all 12 digits");
    absl::StatusOr<Level> level = ParseLevel(fields[1]);
    if (!level.ok()) return error(level.status().message());
    if (*level != code->level()) {
      return error(absl::StrCat("level ", AsAbsl(fields[1]), " does not match code ", code->str(),
                                ", which is a ", AsAbsl(LevelName(code->level()))));
    }
    if (fields[2].empty()) return error("name_zh is empty");
    if (fields[3].empty()) return error("name_en is empty");
    std::optional<Code> parent;
    if (!fields[4].empty()) {
      absl::StatusOr<Code> parsed_parent = Code::Parse(fields[4]);
      if (!parsed_parent.ok()) return error(parsed_parent.status().message());
      parent = *std::move(parsed_parent);
    }
    if (parent != code->Parent()) {
      return error(absl::StrCat("parent_code of ", code->str(), " must be ",
                                code->Parent().has_value() ? code->Parent()->str() : "empty"));
    }
    const auto [existing, inserted] = line_of_code.emplace(*code, line_number);
    if (!inserted) {
      return error(absl::StrCat("code ", code->str(), " repeats line ", existing->second));
    }
    divisions.push_back(DivisionInfo{.code = *code,
                                     .level = *level,
                                     .name_zh = std::string(fields[2]),
                                     .name_en = std::string(fields[3]),
                                     .parent = std::move(parent)});
  }
  if (!seen_header) {
    return absl::InvalidArgumentError(
        absl::StrCat("divisions table has no header \"", AsAbsl(kHeader), "\""));
  }
  return divisions;
}

namespace {

// The embedded table, parsed once and never destroyed. A bad table is a build
// defect (the CSV is compiled in), so it stops the process loudly.
const std::map<Code, DivisionInfo>& KnownTable() {
  static const auto* const table = [] {
    absl::StatusOr<std::vector<DivisionInfo>> rows =
        ParseDivisionsCsv(internal::EmbeddedDivisionsCsv());
    if (!rows.ok()) {
      std::fprintf(stderr, "zx::division: embedded divisions.csv is invalid: %s\n",
                   std::string(rows.status().message()).c_str());
      std::abort();
    }
    auto* by_code = new std::map<Code, DivisionInfo>();
    for (DivisionInfo& row : *rows) {
      Code code = row.code;
      by_code->emplace(std::move(code), std::move(row));
    }
    return by_code;
  }();
  return *table;
}

}  // namespace

const DivisionInfo* FindKnown(const Code& code) {
  const auto& table = KnownTable();
  const auto it = table.find(code);
  return it == table.end() ? nullptr : &it->second;
}

std::vector<const DivisionInfo*> KnownChildren(const Code& parent) {
  std::vector<const DivisionInfo*> children;
  for (const auto& [code, info] : KnownTable()) {
    if (info.parent == parent) children.push_back(&info);
  }
  return children;
}

std::vector<const DivisionInfo*> AllKnown() {
  std::vector<const DivisionInfo*> all;
  all.reserve(KnownTable().size());
  for (const auto& [code, info] : KnownTable()) all.push_back(&info);
  return all;
}

}  // namespace zx::division
