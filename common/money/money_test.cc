#include "common/money/money.h"

#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zx::money {
namespace {

using ::testing::HasSubstr;

constexpr Fen kMax = std::numeric_limits<Fen>::max();
constexpr Fen kMin = std::numeric_limits<Fen>::min();

void ExpectOutOfRange(const absl::StatusOr<Fen>& result) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kOutOfRange) << result.status();
}

TEST(AddTest, AddsExactly) {
  EXPECT_EQ(Add(150, 275).value(), 425);
  EXPECT_EQ(Add(-150, 100).value(), -50);
  EXPECT_EQ(Add(kMax, 0).value(), kMax);
  EXPECT_EQ(Add(kMax, kMin).value(), -1);
}

TEST(AddTest, OverflowIsOutOfRange) {
  ExpectOutOfRange(Add(kMax, 1));
  ExpectOutOfRange(Add(kMin, -1));
  ExpectOutOfRange(Add(kMax, kMax));
  EXPECT_THAT(Add(kMax, 1).status().message(),
              HasSubstr("addition overflows int64: 9223372036854775807 + 1"));
}

TEST(SubTest, SubtractsExactly) {
  EXPECT_EQ(Sub(100, 250).value(), -150);
  EXPECT_EQ(Sub(kMin, -1).value(), kMin + 1);
  EXPECT_EQ(Sub(-1, kMax).value(), kMin);
}

TEST(SubTest, OverflowIsOutOfRange) {
  ExpectOutOfRange(Sub(kMin, 1));
  ExpectOutOfRange(Sub(kMax, -1));
  ExpectOutOfRange(Sub(0, kMin));
}

TEST(MulTest, MultipliesExactly) {
  EXPECT_EQ(Mul(300000, 12).value(), 3600000);
  EXPECT_EQ(Mul(-7, 3).value(), -21);
  EXPECT_EQ(Mul(kMin, 1).value(), kMin);
}

TEST(MulTest, OverflowIsOutOfRange) {
  ExpectOutOfRange(Mul(kMax, 2));
  ExpectOutOfRange(Mul(kMin, -1));
  ExpectOutOfRange(Mul(kMin, 2));
  ExpectOutOfRange(Mul(std::int64_t{1} << 32, std::int64_t{1} << 31));
}

TEST(SumTest, SumsExactly) {
  const std::vector<Fen> amounts = {100, 250, -50};
  EXPECT_EQ(Sum(amounts).value(), 300);
  EXPECT_EQ(Sum({}).value(), 0);
}

TEST(SumTest, PartialSumsMayExceedInt64WhenTheTotalFits) {
  const std::vector<Fen> amounts = {kMax, 1, -1};
  EXPECT_EQ(Sum(amounts).value(), kMax);
  const std::vector<Fen> negatives = {kMin, -1, 1};
  EXPECT_EQ(Sum(negatives).value(), kMin);
}

TEST(SumTest, OverflowIsOutOfRange) {
  const std::vector<Fen> too_big = {kMax, 1};
  ExpectOutOfRange(Sum(too_big));
  const std::vector<Fen> too_small = {kMin, -1};
  ExpectOutOfRange(Sum(too_small));
  EXPECT_THAT(Sum(too_big).status().message(), HasSubstr("sum of 2 amounts"));
}

TEST(MulRatioTest, ExactRatios) {
  EXPECT_EQ(MulRatio(1000, 3, 4).value(), 750);
  EXPECT_EQ(MulRatio(-1000, 3, 4).value(), -750);
  EXPECT_EQ(MulRatio(1000, 0, 7).value(), 0);
}

TEST(MulRatioTest, RoundsHalfAwayFromZero) {
  EXPECT_EQ(MulRatio(5, 1, 2).value(), 3);     // 2.5
  EXPECT_EQ(MulRatio(-5, 1, 2).value(), -3);   // -2.5
  EXPECT_EQ(MulRatio(5, 1, -2).value(), -3);   // -2.5
  EXPECT_EQ(MulRatio(-5, 1, -2).value(), 3);   // 2.5
  EXPECT_EQ(MulRatio(10, 1, 3).value(), 3);    // 3.33
  EXPECT_EQ(MulRatio(20, 1, 3).value(), 7);    // 6.67
  EXPECT_EQ(MulRatio(-20, 1, 3).value(), -7);  // -6.67
  EXPECT_EQ(MulRatio(7, 1, 4).value(), 2);     // 1.75
  EXPECT_EQ(MulRatio(5, 1, 4).value(), 1);     // 1.25
  // Per-capita income: 8,000.00 yuan among 3 members = 2,666.666... yuan.
  EXPECT_EQ(MulRatio(800000, 1, 3).value(), 266667);
}

TEST(MulRatioTest, IntermediateProductBeyondInt64IsFine) {
  EXPECT_EQ(MulRatio(kMax, 3, 3).value(), kMax);
  EXPECT_EQ(MulRatio(kMin, kMax, kMax).value(), kMin);
  EXPECT_EQ(MulRatio(kMax, kMax, kMax).value(), kMax);
  EXPECT_EQ(MulRatio(kMin, -1, -1).value(), kMin);
}

TEST(MulRatioTest, ResultOverflowIsOutOfRange) {
  ExpectOutOfRange(MulRatio(kMax, 2, 1));
  ExpectOutOfRange(MulRatio(kMin, -1, 1));
  ExpectOutOfRange(MulRatio(kMin, 1, -1));
  // kMax * 2 / 3 fits, kMax * 3 / 2 does not.
  EXPECT_TRUE(MulRatio(kMax, 2, 3).ok());
  ExpectOutOfRange(MulRatio(kMax, 3, 2));
}

TEST(MulRatioTest, ZeroDenominatorIsInvalidArgument) {
  absl::StatusOr<Fen> result = MulRatio(100, 1, 0);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("denominator must not be 0"));
}

TEST(ParseYuanTest, ParsesAmounts) {
  EXPECT_EQ(ParseYuan("1234.56").value(), 123456);
  EXPECT_EQ(ParseYuan("-0.5").value(), -50);
  EXPECT_EQ(ParseYuan("12").value(), 1200);
  EXPECT_EQ(ParseYuan("0").value(), 0);
  EXPECT_EQ(ParseYuan("-0").value(), 0);
  EXPECT_EQ(ParseYuan("0.01").value(), 1);
  EXPECT_EQ(ParseYuan("-0.05").value(), -5);
  EXPECT_EQ(ParseYuan("007.10").value(), 710);
  EXPECT_EQ(ParseYuan("1,234.56").value(), 123456);
  EXPECT_EQ(ParseYuan("12,345,678").value(), 1234567800);
}

TEST(ParseYuanTest, ParsesInt64Limits) {
  EXPECT_EQ(ParseYuan("92233720368547758.07").value(), kMax);
  EXPECT_EQ(ParseYuan("-92233720368547758.08").value(), kMin);
  EXPECT_EQ(ParseYuan("92,233,720,368,547,758.07").value(), kMax);
}

TEST(ParseYuanTest, OverflowIsOutOfRange) {
  ExpectOutOfRange(ParseYuan("92233720368547758.08"));
  ExpectOutOfRange(ParseYuan("-92233720368547758.09"));
  ExpectOutOfRange(ParseYuan("92233720368547759"));
  ExpectOutOfRange(ParseYuan("100000000000000000000000000000000000000000000000000"));
  EXPECT_THAT(ParseYuan("92233720368547759").status().message(),
              HasSubstr("out of range for int64 fen"));
}

TEST(ParseYuanTest, RejectsMoreThanTwoDecimals) {
  absl::StatusOr<Fen> result = ParseYuan("1.234");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("has 3 decimal places"));
  EXPECT_EQ(ParseYuan("0.001").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseYuanTest, RejectsJunk) {
  for (std::string_view text :
       {"",       "-",      "abc",     "12a",   "1.2.3", ".5",   "5.",       "-.5",
        "+5",     " 5",     "5 ",      "1e3",   "--5",   "1,23", "1234,567", ",123",
        "1,234,", "1,,234", "12,3456", "1.2,3", "0x10",  "¥5",   "5元"}) {
    absl::StatusOr<Fen> result = ParseYuan(text);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << "'" << text << "'";
  }
  EXPECT_THAT(ParseYuan("12a").status().message(), HasSubstr("'12a' is malformed"));
  EXPECT_THAT(ParseYuan("").status().message(), HasSubstr("empty"));
}

TEST(FormatYuanTest, Formats) {
  EXPECT_EQ(FormatYuan(123456), "1,234.56");
  EXPECT_EQ(FormatYuan(-5), "-0.05");
  EXPECT_EQ(FormatYuan(0), "0.00");
  EXPECT_EQ(FormatYuan(1), "0.01");
  EXPECT_EQ(FormatYuan(10), "0.10");
  EXPECT_EQ(FormatYuan(100), "1.00");
  EXPECT_EQ(FormatYuan(99999), "999.99");
  EXPECT_EQ(FormatYuan(100000), "1,000.00");
  EXPECT_EQ(FormatYuan(-12345678900), "-123,456,789.00");
  EXPECT_EQ(FormatYuan(800000), "8,000.00");
}

TEST(FormatYuanTest, Int64Limits) {
  EXPECT_EQ(FormatYuan(kMax), "92,233,720,368,547,758.07");
  EXPECT_EQ(FormatYuan(kMin), "-92,233,720,368,547,758.08");
}

TEST(RoundTripTest, FormatThenParseGivesTheSameFen) {
  for (Fen fen : {Fen{0}, Fen{1}, Fen{-1}, Fen{99}, Fen{-100}, Fen{123456}, Fen{-123456789},
                  Fen{100000000}, kMax, kMin, kMax - 1, kMin + 1}) {
    absl::StatusOr<Fen> parsed = ParseYuan(FormatYuan(fen));
    ASSERT_TRUE(parsed.ok()) << FormatYuan(fen) << ": " << parsed.status();
    EXPECT_EQ(*parsed, fen) << FormatYuan(fen);
  }
}

TEST(RoundTripTest, ParseThenFormatNormalises) {
  EXPECT_EQ(FormatYuan(ParseYuan("1234.5").value()), "1,234.50");
  EXPECT_EQ(FormatYuan(ParseYuan("-0.5").value()), "-0.50");
  EXPECT_EQ(FormatYuan(ParseYuan("1000000").value()), "1,000,000.00");
}

}  // namespace
}  // namespace zx::money
