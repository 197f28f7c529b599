#include "common/time/time.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace zx::time {
namespace {

// 2026-11-23T05:21:28.123456789Z
const absl::Time kSample = absl::FromUnixSeconds(1795411288) + absl::Nanoseconds(123456789);

TEST(ProtoTest, ToProtoSplitsSecondsAndNanos) {
  const google::protobuf::Timestamp timestamp = ToProto(kSample);
  EXPECT_EQ(timestamp.seconds(), 1795411288);
  EXPECT_EQ(timestamp.nanos(), 123456789);
}

TEST(ProtoTest, EpochIsZero) {
  const google::protobuf::Timestamp timestamp = ToProto(absl::UnixEpoch());
  EXPECT_EQ(timestamp.seconds(), 0);
  EXPECT_EQ(timestamp.nanos(), 0);
}

TEST(ProtoTest, BeforeEpochKeepsNanosNonNegative) {
  const google::protobuf::Timestamp timestamp =
      ToProto(absl::UnixEpoch() - absl::Milliseconds(500));
  EXPECT_EQ(timestamp.seconds(), -1);
  EXPECT_EQ(timestamp.nanos(), 500000000);
}

TEST(ProtoTest, RoundTrip) {
  for (absl::Time time :
       {kSample, absl::UnixEpoch(), absl::UnixEpoch() - absl::Nanoseconds(1),
        absl::FromCivil(absl::CivilSecond(1949, 10, 1, 10, 0, 0), absl::UTCTimeZone())}) {
    EXPECT_EQ(FromProto(ToProto(time)), time) << time;
  }
}

TEST(ProtoTest, FromProto) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(1795411288);
  timestamp.set_nanos(123000000);
  EXPECT_EQ(FromProto(timestamp), absl::FromUnixMillis(1795411288123));
}

TEST(ProtoTest, ClampsToTimestampRange) {
  const google::protobuf::Timestamp future = ToProto(absl::InfiniteFuture());
  EXPECT_EQ(future.seconds(), 253402300799);
  EXPECT_EQ(future.nanos(), 999999999);
  const google::protobuf::Timestamp past = ToProto(absl::InfinitePast());
  EXPECT_EQ(past.seconds(), -62135596800);
  EXPECT_EQ(past.nanos(), 0);
  const google::protobuf::Timestamp year_20000 =
      ToProto(absl::FromCivil(absl::CivilSecond(20000, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(year_20000.seconds(), 253402300799);
}

TEST(ProtoTest, RangeEndsAreNotClamped) {
  const absl::Time last = absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999);
  EXPECT_EQ(FromProto(ToProto(last)), last);
  const absl::Time first = absl::FromUnixSeconds(-62135596800);
  EXPECT_EQ(FromProto(ToProto(first)), first);
}

TEST(FormatRfc3339Test, UtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(kSample), "2026-11-23T05:21:28.123Z");
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(absl::FromUnixMillis(1795411288005)), "2026-11-23T05:21:28.005Z");
}

TEST(FormatRfc3339Test, IgnoresLocalZone) {
  // 13:21 in Urumqi/Beijing (UTC+8) is 05:21 UTC.
  // A fixed offset keeps the test independent of the machine's tzdata.
  const absl::TimeZone china = absl::FixedTimeZone(8 * 60 * 60);
  const absl::Time time = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 13, 21, 28), china);
  EXPECT_EQ(FormatRfc3339(time), "2026-11-23T05:21:28.000Z");
}

TEST(FormatRfc3339Test, BeforeEpochTruncatesTowardPast) {
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch() - absl::Microseconds(1500)),
            "1969-12-31T23:59:59.998Z");
}

TEST(AddMonthsTest, CrossesYears) {
  EXPECT_EQ(AddMonths(absl::CivilMonth(2026, 11), 2), absl::CivilMonth(2027, 1));
  EXPECT_EQ(AddMonths(absl::CivilMonth(2026, 1), -1), absl::CivilMonth(2025, 12));
  EXPECT_EQ(AddMonths(absl::CivilMonth(2026, 5), 0), absl::CivilMonth(2026, 5));
  EXPECT_EQ(AddMonths(absl::CivilMonth(2026, 5), -29), absl::CivilMonth(2023, 12));
  EXPECT_EQ(AddMonths(absl::CivilMonth(2026, 5), 24), absl::CivilMonth(2028, 5));
}

TEST(TwelveMonthsBeforeTest, ExcludesTheGivenMonth) {
  const MonthWindow window = TwelveMonthsBefore(absl::CivilMonth(2026, 11));
  EXPECT_EQ(window.first, absl::CivilMonth(2025, 11));
  EXPECT_EQ(window.last, absl::CivilMonth(2026, 10));
  EXPECT_EQ(window.last - window.first + 1, 12);
}

TEST(TwelveMonthsBeforeTest, January) {
  EXPECT_EQ(TwelveMonthsBefore(absl::CivilMonth(2026, 1)),
            (MonthWindow{absl::CivilMonth(2025, 1), absl::CivilMonth(2025, 12)}));
}

TEST(SystemClockTest, FollowsRealTime) {
  const absl::Time before = absl::Now();
  const absl::Time now = SystemClock().Now();
  const absl::Time after = absl::Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_EQ(&SystemClock(), &SystemClock());
}

TEST(FakeClockTest, StaysPutUntilMoved) {
  FakeClock clock(kSample);
  EXPECT_EQ(clock.Now(), kSample);
  EXPECT_EQ(clock.Now(), kSample);
  clock.Advance(absl::Minutes(90));
  EXPECT_EQ(clock.Now(), kSample + absl::Minutes(90));
  clock.Advance(-absl::Seconds(30));
  EXPECT_EQ(clock.Now(), kSample + absl::Minutes(90) - absl::Seconds(30));
  clock.Set(absl::UnixEpoch());
  EXPECT_EQ(clock.Now(), absl::UnixEpoch());
}

TEST(FakeClockTest, WorksThroughTheInterface) {
  FakeClock fake(kSample);
  const Clock& clock = fake;
  fake.Advance(absl::Hours(24));
  EXPECT_EQ(clock.Now(), kSample + absl::Hours(24));
}

TEST(FakeClockTest, ConcurrentAdvancesAreNotLost) {
  FakeClock clock(absl::UnixEpoch());
  constexpr int kThreads = 4;
  constexpr int kStepsPerThread = 10000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&clock] {
      for (int step = 0; step < kStepsPerThread; ++step) {
        clock.Advance(absl::Milliseconds(1));
        (void)clock.Now();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Milliseconds(kThreads * kStepsPerThread));
}

TEST(DateTest, ParsesOnlyExactDatesAndMonths) {
  EXPECT_EQ(ParseDate("2026-11-02"), absl::CivilDay(2026, 11, 2));
  EXPECT_EQ(ParseDate("2028-02-29"), absl::CivilDay(2028, 2, 29));
  for (const char* bad : {"2026-02-30", "2026-2-3", "2026-11-02T00", "", "20261102"}) {
    EXPECT_EQ(ParseDate(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseMonth("2026-11"), absl::CivilMonth(2026, 11));
  EXPECT_EQ(ParseMonth("2026-13"), std::nullopt);
  EXPECT_EQ(FormatDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatMonth(absl::CivilMonth(2026, 1)), "2026-01");
}

}  // namespace
}  // namespace zx::time
