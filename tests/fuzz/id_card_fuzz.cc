// PRC identity card numbers (common/id_card): parsed from requests and
// survey files, masked for logs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "common/id_card/id_card.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace id_card = zx::id_card;
  const std::string_view id(reinterpret_cast<const char*>(data), size);
  const absl::CivilDay today(2026, 11, 23);
  auto info = id_card::Parse(id, today);
  if (!info.ok() && zx::errors::IsValidUtf8(id)) zx::fuzz::CheckErrorText(info.status());
  if (info.ok()) {
    // A valid number: 18 characters, its check digit recomputes, its fields
    // are its digits, and normalising keeps it valid.
    ZX_FUZZ_CHECK(id.size() == 18);
    const char check = id_card::CheckDigit(id.substr(0, 17));
    ZX_FUZZ_CHECK(check != '\0' && (id[17] == check || (check == 'X' && id[17] == 'x')));
    ZX_FUZZ_CHECK(info->region_code == id.substr(0, 6));
    ZX_FUZZ_CHECK(info->birth_date <= today && info->birth_date >= absl::CivilDay(1900, 1, 1));
    ZX_FUZZ_CHECK(((id[16] - '0') % 2 == 1) == (info->sex == id_card::Sex::kMale));
    const std::string normal = id_card::Normalize(id);
    auto again = id_card::Parse(normal, today);
    ZX_FUZZ_CHECK(again.ok() && again->birth_date == info->birth_date);
    ZX_FUZZ_CHECK(id_card::Normalize(normal) == normal);
  }
  // Masking never reveals the middle and keeps the length.
  const std::string masked = id_card::Mask(id);
  ZX_FUZZ_CHECK(masked.size() == id.size());
  if (id.size() >= 10) {
    ZX_FUZZ_CHECK(masked.substr(6, id.size() - 10).find_first_not_of('*') == std::string::npos);
  } else {
    ZX_FUZZ_CHECK(masked.find_first_not_of('*') == std::string::npos);
  }
  (void)id_card::CheckDigit(id);
  return 0;
}
