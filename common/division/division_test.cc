#include "common/division/division.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zx::division {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Code MustParse(std::string_view text) {
  absl::StatusOr<Code> code = Code::Parse(text);
  EXPECT_TRUE(code.ok()) << text << ": " << code.status();
  return *code;
}

std::vector<std::string> CodesOf(const std::vector<const DivisionInfo*>& infos) {
  std::vector<std::string> codes;
  for (const DivisionInfo* info : infos) codes.push_back(info->code.str());
  return codes;
}

TEST(CodeParseTest, PadsShorterCodesToTwelveDigits) {
  EXPECT_EQ(MustParse("65").str(), "650000000000");
  EXPECT_EQ(MustParse("6531").str(), "653100000000");
  EXPECT_EQ(MustParse("653121").str(), "653121000000");
  EXPECT_EQ(MustParse("653121001").str(), "653121001000");
  EXPECT_EQ(MustParse("653121001002").str(), "653121001002");
}

TEST(CodeParseTest, PaddedAndFullFormsAreEqual) {
  EXPECT_EQ(MustParse("6531"), MustParse("653100000000"));
  EXPECT_EQ(MustParse("653121"), MustParse("653121000"));
}

TEST(CodeParseTest, RejectsEmpty) {
  absl::StatusOr<Code> code = Code::Parse("");
  EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(code.status().message(), HasSubstr("empty"));
}

TEST(CodeParseTest, RejectsNonDigits) {
  for (std::string_view text : {"65a100000000", "6531 ", " 6531", "-65", "65.1", "６５"}) {
    absl::StatusOr<Code> code = Code::Parse(text);
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(code.status().message(), HasSubstr("only digits")) << text;
  }
}

TEST(CodeParseTest, ReportsPositionOfFirstNonDigit) {
  EXPECT_THAT(Code::Parse("653x").status().message(), HasSubstr("'x' at position 4"));
}

TEST(CodeParseTest, RejectsOtherLengths) {
  for (std::string_view text :
       {"6", "653", "65312", "6531210", "65312100", "6531210010", "65312100100", "6531210010020"}) {
    absl::StatusOr<Code> code = Code::Parse(text);
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(code.status().message(),
                HasSubstr("must be 2, 4, 6, 9 or 12 digits, got " + std::to_string(text.size())))
        << text;
  }
}

TEST(CodeParseTest, RejectsZeroRegion) {
  for (std::string_view text : {"00", "0031", "000000000000", "003121001002"}) {
    absl::StatusOr<Code> code = Code::Parse(text);
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(code.status().message(), HasSubstr("region digits 00")) << text;
  }
}

TEST(CodeParseTest, RejectsLowerPartUnderZeroHigherPart) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"650001000000", "non-zero county digits under a zero prefecture part"},
           Case{"650000001000", "non-zero township digits under a zero prefecture part"},
           Case{"650000000001", "non-zero village digits under a zero prefecture part"},
           Case{"653100001000", "non-zero township digits under a zero county part"},
           Case{"653100000001", "non-zero village digits under a zero county part"},
           Case{"653121000001", "non-zero village digits under a zero township part"},
           Case{"650001", "non-zero county digits under a zero prefecture part"},
       }) {
    absl::StatusOr<Code> code = Code::Parse(c.text);
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(code.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(CodeTest, LevelFollowsTrailingZeros) {
  EXPECT_EQ(MustParse("650000000000").level(), Level::kRegion);
  EXPECT_EQ(MustParse("653100000000").level(), Level::kPrefecture);
  EXPECT_EQ(MustParse("653121000000").level(), Level::kCounty);
  EXPECT_EQ(MustParse("653121001000").level(), Level::kTownship);
  EXPECT_EQ(MustParse("653121001002").level(), Level::kVillage);
  // Groups whose own last digit is zero are still non-zero groups.
  EXPECT_EQ(MustParse("653130000000").level(), Level::kCounty);
  EXPECT_EQ(MustParse("653121100000").level(), Level::kTownship);
  EXPECT_EQ(MustParse("653121001100").level(), Level::kVillage);
}

TEST(CodeTest, ParentChainFromVillageToRegion) {
  const Code village = MustParse("653121001002");
  std::vector<std::string> chain;
  std::optional<Code> current = village;
  while (current.has_value()) {
    chain.push_back(current->str());
    current = current->Parent();
  }
  EXPECT_THAT(chain, ElementsAre("653121001002", "653121001000", "653121000000", "653100000000",
                                 "650000000000"));
}

TEST(CodeTest, RegionHasNoParent) { EXPECT_FALSE(MustParse("65").Parent().has_value()); }

TEST(CodeTest, IsAncestorOrSelfOf) {
  const Code kashgar = MustParse("653100000000");
  const Code shufu_village = MustParse("653121001002");
  EXPECT_TRUE(kashgar.IsAncestorOrSelfOf(shufu_village));
  EXPECT_TRUE(MustParse("650000000000").IsAncestorOrSelfOf(shufu_village));
  EXPECT_TRUE(MustParse("653121001000").IsAncestorOrSelfOf(shufu_village));
  EXPECT_TRUE(kashgar.IsAncestorOrSelfOf(kashgar));
  EXPECT_TRUE(shufu_village.IsAncestorOrSelfOf(shufu_village));
  // Descendants are not ancestors.
  EXPECT_FALSE(shufu_village.IsAncestorOrSelfOf(kashgar));
  // Another prefecture of the same region.
  EXPECT_FALSE(MustParse("653200000000").IsAncestorOrSelfOf(shufu_village));
  EXPECT_FALSE(kashgar.IsAncestorOrSelfOf(MustParse("653221000000")));
  // Sibling townships and villages.
  EXPECT_FALSE(MustParse("653121002000").IsAncestorOrSelfOf(shufu_village));
  EXPECT_FALSE(MustParse("653121001003").IsAncestorOrSelfOf(shufu_village));
  // Another region.
  EXPECT_FALSE(MustParse("530000000000").IsAncestorOrSelfOf(shufu_village));
}

TEST(CodeTest, AncestorAt) {
  const Code village = MustParse("653121001002");
  EXPECT_EQ(village.AncestorAt(Level::kRegion).str(), "650000000000");
  EXPECT_EQ(village.AncestorAt(Level::kPrefecture).str(), "653100000000");
  EXPECT_EQ(village.AncestorAt(Level::kCounty).str(), "653121000000");
  EXPECT_EQ(village.AncestorAt(Level::kTownship).str(), "653121001000");
  EXPECT_EQ(village.AncestorAt(Level::kVillage), village);
  EXPECT_EQ(village.AncestorAt(Level::kCounty).level(), Level::kCounty);
}

TEST(CodeDeathTest, AncestorBelowOwnLevelAborts) {
  const Code county = MustParse("653121");
  EXPECT_DEATH(county.AncestorAt(Level::kTownship), "AncestorAt\\(township\\) called on county");
}

TEST(CodeTest, OrdersByDigits) {
  EXPECT_LT(MustParse("6531"), MustParse("653121"));
  EXPECT_LT(MustParse("653121"), MustParse("6532"));
  EXPECT_FALSE(MustParse("6532") < MustParse("6531"));
  EXPECT_NE(MustParse("6531"), MustParse("6532"));
}

TEST(CodeTest, UsableInHashSet) {
  absl::flat_hash_set<Code> codes = {MustParse("6531"), MustParse("653100000000"),
                                     MustParse("6532")};
  EXPECT_EQ(codes.size(), 2u);
  EXPECT_TRUE(codes.contains(MustParse("653100000")));
}

TEST(LevelTest, NamesRoundTrip) {
  const std::vector<std::pair<Level, std::string_view>> expected = {
      {Level::kRegion, "region"},
      {Level::kPrefecture, "prefecture"},
      {Level::kCounty, "county"},
      {Level::kTownship, "township"},
      {Level::kVillage, "village"}};
  for (const auto& [level, name] : expected) {
    EXPECT_EQ(LevelName(level), name);
    absl::StatusOr<Level> parsed = ParseLevel(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, level);
  }
}

TEST(LevelTest, ParseRejectsUnknownNames) {
  for (std::string_view name : {"", "County", "province", "village "}) {
    absl::StatusOr<Level> parsed = ParseLevel(name);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(parsed.status().message(), HasSubstr("unknown division level")) << name;
  }
}

TEST(LevelTest, ProtoMapping) {
  EXPECT_EQ(ToProto(Level::kRegion), zx::common::v1::LEVEL_REGION);
  EXPECT_EQ(ToProto(Level::kPrefecture), zx::common::v1::LEVEL_PREFECTURE);
  EXPECT_EQ(ToProto(Level::kCounty), zx::common::v1::LEVEL_COUNTY);
  EXPECT_EQ(ToProto(Level::kTownship), zx::common::v1::LEVEL_TOWNSHIP);
  EXPECT_EQ(ToProto(Level::kVillage), zx::common::v1::LEVEL_VILLAGE);
  for (Level level :
       {Level::kRegion, Level::kPrefecture, Level::kCounty, Level::kTownship, Level::kVillage}) {
    absl::StatusOr<Level> back = FromProto(ToProto(level));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, level);
  }
  EXPECT_EQ(FromProto(zx::common::v1::LEVEL_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromProto(static_cast<zx::common::v1::Level>(42)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KnownTest, FindsShufuCounty) {
  const DivisionInfo* shufu = FindKnown(MustParse("653121"));
  ASSERT_NE(shufu, nullptr);
  EXPECT_EQ(shufu->code.str(), "653121000000");
  EXPECT_EQ(shufu->level, Level::kCounty);
  EXPECT_EQ(shufu->name_zh, "疏附县");
  EXPECT_EQ(shufu->name_en, "Shufu County");
  ASSERT_TRUE(shufu->parent.has_value());
  EXPECT_EQ(shufu->parent->str(), "653100000000");
}

TEST(KnownTest, RegionHasNoParent) {
  const DivisionInfo* xinjiang = FindKnown(MustParse("65"));
  ASSERT_NE(xinjiang, nullptr);
  EXPECT_EQ(xinjiang->name_zh, "新疆维吾尔自治区");
  EXPECT_EQ(xinjiang->level, Level::kRegion);
  EXPECT_FALSE(xinjiang->parent.has_value());
}

TEST(KnownTest, UnknownCodeIsNull) {
  EXPECT_EQ(FindKnown(MustParse("653121001002")), nullptr);
  EXPECT_EQ(FindKnown(MustParse("1101")), nullptr);
}

TEST(KnownTest, KashgarHasTwelveCounties) {
  const std::vector<const DivisionInfo*> children = KnownChildren(MustParse("6531"));
  EXPECT_THAT(CodesOf(children),
              ElementsAre("653101000000", "653121000000", "653122000000", "653123000000",
                          "653124000000", "653125000000", "653126000000", "653127000000",
                          "653128000000", "653129000000", "653130000000", "653131000000"));
  for (const DivisionInfo* child : children) EXPECT_EQ(child->level, Level::kCounty);
}

TEST(KnownTest, ChildrenAreDirectOnly) {
  const std::vector<std::string> xinjiang = CodesOf(KnownChildren(MustParse("65")));
  EXPECT_THAT(xinjiang,
              ElementsAre("652800000000", "652900000000", "653100000000", "653200000000"));
  EXPECT_TRUE(KnownChildren(MustParse("653121")).empty());
}

TEST(KnownTest, EmbeddedTableIsConsistent) {
  const std::vector<const DivisionInfo*> all = AllKnown();
  EXPECT_EQ(all.size(), 60u);
  EXPECT_TRUE(std::is_sorted(
      all.begin(), all.end(),
      [](const DivisionInfo* a, const DivisionInfo* b) { return a->code < b->code; }));
  for (const DivisionInfo* info : all) {
    EXPECT_EQ(FindKnown(info->code), info);
    if (info->parent.has_value()) {
      EXPECT_NE(FindKnown(*info->parent), nullptr) << info->code << " has an unknown parent";
    }
  }
}

TEST(ParseDivisionsCsvTest, ParsesRowsAndSkipsComments) {
  absl::StatusOr<std::vector<DivisionInfo>> rows = ParseDivisionsCsv(
      "# comment\r\n"
      "code,level,name_zh,name_en,parent_code\r\n"
      "650000000000,region,新疆维吾尔自治区,Xinjiang,\r\n"
      "\r\n"
      "653100000000,prefecture,喀什地区,Kashgar Prefecture,650000000000\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].code.str(), "653100000000");
  EXPECT_EQ((*rows)[1].name_en, "Kashgar Prefecture");
  EXPECT_EQ((*rows)[1].parent, MustParse("65"));
}

TEST(ParseDivisionsCsvTest, RejectsBadTables) {
  constexpr std::string_view kHeader = "code,level,name_zh,name_en,parent_code\n";
  struct Case {
    std::string csv;
    std::string_view message;
  };
  const std::vector<Case> cases = {
      {"", "no header"},
      {"code,level,name\n", "line 1: expected header"},
      {std::string(kHeader) + "650000000000,region,新疆,Xinjiang\n", "expected 5 fields, got 4"},
      {std::string(kHeader) + "65,region,新疆,Xinjiang,\n", "all 12 digits"},
      {std::string(kHeader) + "650001000000,region,新疆,Xinjiang,\n", "non-zero county"},
      {std::string(kHeader) + "653100000000,county,喀什,Kashgar,650000000000\n",
       "level county does not match code 653100000000, which is a prefecture"},
      {std::string(kHeader) + "653100000000,prefecture,喀什,Kashgar,\n",
       "parent_code of 653100000000 must be 650000000000"},
      {std::string(kHeader) + "650000000000,region,新疆,Xinjiang,530000000000\n",
       "parent_code of 650000000000 must be empty"},
      {std::string(kHeader) + "650000000000,region,,Xinjiang,\n", "name_zh is empty"},
      {std::string(kHeader) + "650000000000,region,\"新疆\",Xinjiang,\n", "quoted fields"},
      {std::string(kHeader) + "650000000000,region,新疆,Xinjiang,\n" +
           "650000000000,region,新疆,Xinjiang,\n",
       "line 3: code 650000000000 repeats line 2"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<DivisionInfo>> rows = ParseDivisionsCsv(c.csv);
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument) << c.csv;
    EXPECT_THAT(rows.status().message(), HasSubstr(c.message)) << c.csv;
  }
}

TEST(LikePatternTest, KeepsTheDivisionsOwnDigits) {
  EXPECT_EQ(LikePattern(*Code::Parse("650000000000")), "65%");
  EXPECT_EQ(LikePattern(*Code::Parse("653121000000")), "653121%");
  EXPECT_EQ(LikePattern(*Code::Parse("653121101000")), "653121101%");
  EXPECT_EQ(LikePattern(*Code::Parse("653121101201")), "653121101201%");
}

TEST(SelfAndAncestorsTest, NearestFirstUpToTheRegion) {
  EXPECT_THAT(
      SelfAndAncestors(*Code::Parse("653121101201")),
      ElementsAre("653121101201", "653121101000", "653121000000", "653100000000", "650000000000"));
  EXPECT_THAT(SelfAndAncestors(*Code::Parse("650000000000")), ElementsAre("650000000000"));
}

}  // namespace
}  // namespace zx::division
