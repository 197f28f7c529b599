// An in-memory copy of the household registry, from which GetHousehold
// answers without a database round trip. Filled and kept current by the
// refresher (store/household_cache_refresh.cc); each update of a household
// raises its stored version, and the copy keeps only the newest version it
// has seen of each one, whatever order the copies arrive in.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

class HouseholdCache {
 public:
  // Holds at most `max_households` (about 50 bytes each); beyond that new
  // households are read from the database. 0 keeps nothing.
  explicit HouseholdCache(size_t max_households) : max_(max_households) {}
  HouseholdCache(const HouseholdCache&) = delete;
  HouseholdCache& operator=(const HouseholdCache&) = delete;

  // The household, when this copy holds it and is current (see AsOf).
  std::optional<v1::Household> Find(std::string_view household_id, absl::Time now) const;

  // Keeps `household` at `version` unless the copy holds that version or a
  // newer one, or is full. Returns whether it was kept. A household the copy
  // cannot hold (not a stored id, village or figures out of range) is
  // dropped from it, so an older copy never stands in for it.
  bool Apply(const v1::Household& household, int64_t version);

  // Drops everything and answers nothing until SetAsOf: for a reload after
  // the refresher lost its connection (the database it reconnects to may
  // be a restored or promoted one, whose versions are not comparable).
  void Clear();

  // The copy holds every change committed before `as_of` (the refresher's
  // last complete poll). Find answers only while `now - as_of <= max_lag`:
  // a refresher that cannot reach the database must not leave the copy
  // answering from an ever older state.
  void SetAsOf(absl::Time as_of) { as_of_micros_ = absl::ToUnixMicros(as_of); }
  void set_max_lag(absl::Duration lag) { max_lag_ = lag; }

  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  // 48 bytes with its (16-byte aligned) key and 1 of control: a
  // prefecture's registry (a million households) takes 55 to 100 MiB, as
  // the hash tables stand between two doublings.
  struct Entry {
    int64_t created_at_micros = 0;
    int64_t village_code = 0;
    uint32_t version = 0;
    int16_t member_count = 0;
    uint8_t category = 0;
    uint8_t flags = 0;  // kRelocated | kSynthetic
  };
  static constexpr uint8_t kRelocated = 1, kSynthetic = 2;
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<absl::uint128, Entry> households ABSL_GUARDED_BY(mu);
  };
  // "hh-" and 20 hex digits: 80 bits.
  static std::optional<absl::uint128> KeyOf(std::string_view household_id);
  void Erase(absl::uint128 key);
  Shard& ShardOf(absl::uint128 key) const { return shards_[static_cast<uint64_t>(key) % kShards]; }

  const size_t max_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<size_t> size_{0};
  std::atomic<int64_t> as_of_micros_{INT64_MIN};
  absl::Duration max_lag_ = absl::Seconds(2);
};

}  // namespace zx::monitoring
