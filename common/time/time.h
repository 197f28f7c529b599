// Time helpers: protobuf Timestamp conversion, RFC 3339 output, calendar
// months for income windows, and an injectable clock so tests control "now".
#ifndef ZX_COMMON_TIME_TIME_H_
#define ZX_COMMON_TIME_TIME_H_

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace zx::time {

// Times outside the range a Timestamp may hold (0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z), including the infinite times, are clamped
// to its ends so the result always passes protobuf validation.
google::protobuf::Timestamp ToProto(absl::Time time);
absl::Time FromProto(const google::protobuf::Timestamp& timestamp);

// UTC with milliseconds (truncated): "2026-11-23T05:21:28.123Z". Infinite
// times format as "infinite-future" / "infinite-past".
std::string FormatRfc3339(absl::Time time);

// Dates "2026-11-02" and months "2026-11" exactly as the APIs carry them:
// nullopt for any other shape or a day that does not exist ("2026-02-30").
std::optional<absl::CivilDay> ParseDate(std::string_view text);
// Today in the process's local time zone (deployments run with TZ set to
// the instance's zone; docs/ARCHITECTURE.md §12).
absl::CivilDay Today();
std::optional<absl::CivilMonth> ParseMonth(std::string_view text);
std::string FormatDate(absl::CivilDay day);
std::string FormatMonth(absl::CivilMonth month);

absl::CivilMonth AddMonths(absl::CivilMonth month, int months);

// An inclusive range of calendar months.
struct MonthWindow {
  absl::CivilMonth first;
  absl::CivilMonth last;

  friend bool operator==(const MonthWindow&, const MonthWindow&) = default;
};

// The 12 months before `month` (the income window of an application made in
// `month`): 2026-11 -> [2025-11, 2026-10].
MonthWindow TwelveMonthsBefore(absl::CivilMonth month);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real wall clock; lives for the whole process.
Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}

  void Advance(absl::Duration duration);
  void Set(absl::Time now);
  absl::Time Now() const override;

 private:
  mutable std::mutex mutex_;
  absl::Time now_;  // Guarded by mutex_.
};

}  // namespace zx::time

#endif  // ZX_COMMON_TIME_TIME_H_
