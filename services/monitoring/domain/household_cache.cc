#include "services/monitoring/domain/household_cache.h"

#include <limits>

#include "absl/strings/str_format.h"

namespace zx::monitoring {

std::optional<absl::uint128> HouseholdCache::KeyOf(std::string_view household_id) {
  if (household_id.size() != 23 || !household_id.starts_with("hh-")) return std::nullopt;
  absl::uint128 key = 0;
  for (char c : household_id.substr(3)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;  // ids are lower-case; any other spelling is another id
    }
    key = (key << 4) | digit;
  }
  return key;
}

std::optional<v1::Household> HouseholdCache::Find(std::string_view household_id,
                                                  absl::Time now) const {
  if (now - absl::FromUnixMicros(as_of_micros_.load(std::memory_order_acquire)) > max_lag_) {
    return std::nullopt;
  }
  const auto key = KeyOf(household_id);
  if (!key) return std::nullopt;
  Entry e;
  {
    const Shard& shard = ShardOf(*key);
    absl::ReaderMutexLock lock(&shard.mu);
    auto it = shard.households.find(*key);
    if (it == shard.households.end()) return std::nullopt;
    e = it->second;
  }
  v1::Household h;
  h.set_household_id(std::string(household_id));
  h.set_village_code(absl::StrFormat("%012d", e.village_code));
  h.set_category(static_cast<v1::HouseholdCategory>(e.category));
  h.set_relocated((e.flags & kRelocated) != 0);
  h.set_member_count(e.member_count);
  h.set_synthetic((e.flags & kSynthetic) != 0);
  h.mutable_created_at()->set_seconds(e.created_at_micros / 1'000'000);
  h.mutable_created_at()->set_nanos(static_cast<int32_t>(e.created_at_micros % 1'000'000) * 1000);
  if (h.created_at().nanos() < 0) {  // before 1970: Timestamp nanos are never negative
    h.mutable_created_at()->set_seconds(h.created_at().seconds() - 1);
    h.mutable_created_at()->set_nanos(h.created_at().nanos() + 1'000'000'000);
  }
  return h;
}

void HouseholdCache::Erase(absl::uint128 key) {
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  if (shard.households.erase(key) > 0) size_.fetch_sub(1, std::memory_order_relaxed);
}

void HouseholdCache::Clear() {
  as_of_micros_ = INT64_MIN;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    size_.fetch_sub(shard.households.size(), std::memory_order_relaxed);
    shard.households.clear();
  }
}

bool HouseholdCache::Apply(const v1::Household& h, int64_t version) {
  const auto key = KeyOf(h.household_id());
  if (!key) return false;  // not a stored household: never answered from here
  int64_t village = 0;
  bool holdable = h.village_code().size() == 12 && version > 0 &&
                  version <= std::numeric_limits<uint32_t>::max() && h.member_count() >= 0 &&
                  h.member_count() <= std::numeric_limits<int16_t>::max() && h.category() >= 0 &&
                  h.category() <= std::numeric_limits<uint8_t>::max();
  for (char c : holdable ? h.village_code() : std::string()) {
    if (c < '0' || c > '9') holdable = false;
    village = village * 10 + (c - '0');
  }
  if (!holdable) {
    Erase(*key);  // read from the database instead, as it now stands
    return false;
  }
  Entry e;
  e.created_at_micros = h.created_at().seconds() * 1'000'000 + h.created_at().nanos() / 1000;
  e.village_code = village;
  e.version = static_cast<uint32_t>(version);
  e.member_count = static_cast<int16_t>(h.member_count());
  e.category = static_cast<uint8_t>(h.category());
  e.flags = (h.relocated() ? kRelocated : 0) | (h.synthetic() ? kSynthetic : 0);
  Shard& shard = ShardOf(*key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.households.find(*key);
  if (it != shard.households.end()) {
    if (it->second.version >= e.version) return false;
    it->second = e;
    return true;
  }
  if (size_.load(std::memory_order_relaxed) >= max_) return false;
  shard.households.emplace(*key, e);
  size_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace zx::monitoring
