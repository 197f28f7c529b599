#include "common/time/time.h"

#include <cstdint>

#include "absl/time/clock.h"

namespace zx::time {
namespace {

// The range google.protobuf.Timestamp documents as valid.
constexpr std::int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::int32_t kMaxNanos = 999999999;

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

google::protobuf::Timestamp ToProto(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  if (time < absl::FromUnixSeconds(kMinTimestampSeconds)) {
    timestamp.set_seconds(kMinTimestampSeconds);
    return timestamp;
  }
  if (time >= absl::FromUnixSeconds(kMaxTimestampSeconds + 1)) {
    timestamp.set_seconds(kMaxTimestampSeconds);
    timestamp.set_nanos(kMaxNanos);
    return timestamp;
  }
  // ToUnixSeconds rounds toward negative infinity, so nanos is never
  // negative, as Timestamp requires (-0.5 s is seconds -1, nanos 5e8).
  const std::int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<std::int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

absl::Time FromProto(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()); }

std::optional<absl::CivilDay> ParseDate(std::string_view text) {
  absl::CivilDay d;
  if (text.size() != 10 || !absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &d)) {
    return std::nullopt;
  }
  if (FormatDate(d) != text) return std::nullopt;  // no normalised 2026-02-30
  return d;
}

std::optional<absl::CivilMonth> ParseMonth(std::string_view text) {
  absl::CivilMonth m;
  if (text.size() != 7 || !absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &m)) {
    return std::nullopt;
  }
  if (FormatMonth(m) != text) return std::nullopt;
  return m;
}

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }
std::string FormatMonth(absl::CivilMonth month) { return absl::FormatCivilTime(month); }

absl::CivilMonth AddMonths(absl::CivilMonth month, int months) { return month + months; }

MonthWindow TwelveMonthsBefore(absl::CivilMonth month) {
  return MonthWindow{.first = month - 12, .last = month - 1};
}

Clock& SystemClock() {
  static RealClock* const clock = new RealClock();  // Never destroyed.
  return *clock;
}

void FakeClock::Advance(absl::Duration duration) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ += duration;
}

void FakeClock::Set(absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ = now;
}

absl::Time FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_;
}

}  // namespace zx::time
