#include "common/id_card/id_card.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zx::id_card {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::CivilDay kToday(2025, 6, 1);

// Check characters below were computed independently of CheckDigit (by hand
// from the GB 11643 weights) so the tests do not just mirror the code.
TEST(CheckDigitTest, PublishedExample) { EXPECT_EQ(CheckDigit("11010519491231002"), 'X'); }

TEST(CheckDigitTest, KnownValues) {
  EXPECT_EQ(CheckDigit("65312119900101123"), '0');
  EXPECT_EQ(CheckDigit("53232619850715004"), '3');
  EXPECT_EQ(CheckDigit("65312120000229002"), 'X');
  EXPECT_EQ(CheckDigit("65312119000101001"), '8');
  EXPECT_EQ(CheckDigit("65312119900101124"), '9');
}

TEST(CheckDigitTest, ChangingOneDigitChangesTheCheck) {
  EXPECT_NE(CheckDigit("65312119900101123"), CheckDigit("65312119900101124"));
}

TEST(CheckDigitTest, RejectsMalformedInputWithNul) {
  EXPECT_EQ(CheckDigit(""), '\0');
  EXPECT_EQ(CheckDigit("6531211990010112"), '\0');
  EXPECT_EQ(CheckDigit("653121199001011230"), '\0');
  EXPECT_EQ(CheckDigit("6531211990010112a"), '\0');
}

TEST(ParseTest, PublishedExample) {
  absl::StatusOr<IdCardInfo> info = Parse("11010519491231002X", kToday);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->region_code, "110105");
  EXPECT_EQ(info->birth_date, absl::CivilDay(1949, 12, 31));
  EXPECT_EQ(info->sex, Sex::kFemale);  // Sequence 002 is even.
}

TEST(ParseTest, MaleFromOddSequence) {
  absl::StatusOr<IdCardInfo> info = Parse("653121199001011230", kToday);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->region_code, "653121");
  EXPECT_EQ(info->birth_date, absl::CivilDay(1990, 1, 1));
  EXPECT_EQ(info->sex, Sex::kMale);
}

TEST(ParseTest, OtherValidNumbers) {
  absl::StatusOr<IdCardInfo> chuxiong = Parse("532326198507150043", kToday);
  ASSERT_TRUE(chuxiong.ok()) << chuxiong.status();
  EXPECT_EQ(chuxiong->region_code, "532326");
  EXPECT_EQ(chuxiong->birth_date, absl::CivilDay(1985, 7, 15));
  EXPECT_EQ(chuxiong->sex, Sex::kFemale);

  absl::StatusOr<IdCardInfo> leap_day = Parse("65312120000229002X", kToday);
  ASSERT_TRUE(leap_day.ok()) << leap_day.status();
  EXPECT_EQ(leap_day->birth_date, absl::CivilDay(2000, 2, 29));
}

TEST(ParseTest, AcceptsLowerCaseX) {
  absl::StatusOr<IdCardInfo> info = Parse("11010519491231002x", kToday);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->birth_date, absl::CivilDay(1949, 12, 31));
}

TEST(ParseTest, EarliestAndLatestBirthDates) {
  EXPECT_TRUE(Parse("653121190001010018", kToday).ok());  // 1900-01-01
  // Born today.
  EXPECT_TRUE(Parse("653121202306150076", absl::CivilDay(2023, 6, 15)).ok());
}

TEST(ParseTest, WrongLength) {
  for (std::string_view id : {"", "11010519491231002", "11010519491231002X0", "110105491231002"}) {
    absl::StatusOr<IdCardInfo> info = Parse(id, kToday);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(info.status().message(), HasSubstr("length")) << id;
  }
  EXPECT_THAT(Parse("110105491231002", kToday).status().message(),
              HasSubstr("must be 18 characters, got 15"));
}

TEST(ParseTest, NonDigitInFirst17) {
  absl::StatusOr<IdCardInfo> info = Parse("1101A519491231002X", kToday);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("character 5 must be a digit"));
  // 'X' is only allowed as the check character.
  EXPECT_EQ(Parse("X10105194912310020", kToday).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseTest, WrongCheckDigit) {
  for (std::string_view id : {"110105194912310021", "653121199001011231", "653121199001011239"}) {
    absl::StatusOr<IdCardInfo> info = Parse(id, kToday);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(info.status().message(), HasSubstr("check digit")) << id;
  }
  // A valid check digit for a different number: one digit swapped.
  EXPECT_THAT(Parse("653121199001011240", kToday).status().message(), HasSubstr("check digit"));
}

TEST(ParseTest, CheckCharacterMustBeDigitOrX) {
  absl::StatusOr<IdCardInfo> info = Parse("11010519491231002Y", kToday);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("check digit"));
}

TEST(ParseTest, FebruaryTwentyNinthOnNonLeapYear) {
  // Valid check digit, impossible date 2023-02-29.
  ASSERT_EQ(CheckDigit("65312120230229001"), '2');
  absl::StatusOr<IdCardInfo> info = Parse("653121202302290012", kToday);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("birth date is not a real calendar date"));
}

TEST(ParseTest, ImpossibleDates) {
  // Check characters appended so only the date is wrong.
  for (std::string first17 : {"65312120230230001", "65312119901301001", "65312119900001001",
                              "65312119900100001", "65312119900431001"}) {
    const std::string id = first17 + CheckDigit(first17);
    absl::StatusOr<IdCardInfo> info = Parse(id, kToday);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(info.status().message(), HasSubstr("birth date")) << id;
  }
}

TEST(ParseTest, FutureBirthDate) {
  absl::StatusOr<IdCardInfo> info = Parse("653121202601010017", kToday);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("birth date is in the future"));
  // The same number is fine once that day has come.
  EXPECT_TRUE(Parse("653121202601010017", absl::CivilDay(2026, 1, 1)).ok());
}

TEST(ParseTest, BirthDateBefore1900) {
  absl::StatusOr<IdCardInfo> info = Parse("653121189912310013", kToday);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(info.status().message(), HasSubstr("birth date is before 1900-01-01"));
}

TEST(ParseTest, ErrorsDoNotEchoTheNumber) {
  for (std::string_view id : {"653121199001011231", "653121202601010017", "653121202302290012"}) {
    EXPECT_THAT(std::string(Parse(id, kToday).status().message()), Not(HasSubstr("653121")));
  }
}

TEST(NormalizeTest, UpperCasesTrailingX) {
  EXPECT_EQ(Normalize("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(Normalize("11010519491231002X"), "11010519491231002X");
  EXPECT_EQ(Normalize("653121199001011230"), "653121199001011230");
  EXPECT_EQ(Normalize(""), "");
}

TEST(MaskTest, KeepsTheRegionAndTheCheckDigit) {
  EXPECT_EQ(Mask("65312119900101123X"), "653121***********X");
  EXPECT_EQ(Mask("653121199001011230"), "653121***********0");
  EXPECT_EQ(Mask("653121900101123"), "653121********3");  // Legacy 15 digits.
}

TEST(MaskTest, HidesTheBirthDateAndTheSequence) {
  // The sequence (3 digits) is hidden with the birth date: with the birth
  // year shown elsewhere, the date and sequence leave ~33,000 numbers, not ~33.
  const std::string masked = Mask("65312119900501123X");
  EXPECT_EQ(masked.find("0501"), std::string::npos);
  EXPECT_EQ(masked.substr(6, 11), std::string(11, '*'));
}

TEST(MaskTest, ShortInputsAreFullyMasked) {
  EXPECT_EQ(Mask(""), "");
  EXPECT_EQ(Mask("123"), "***");
  EXPECT_EQ(Mask("1234567890"), "**********");
  EXPECT_EQ(Mask("12345678901234"), "**************");
}

}  // namespace
}  // namespace zx::id_card
