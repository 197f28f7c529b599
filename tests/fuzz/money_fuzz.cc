// Yuan amounts (common/money): parsed from survey files and printed in
// reports; the arithmetic must report overflow, never wrap.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "common/money/money.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace money = zx::money;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto fen = money::ParseYuan(text);
  if (!fen.ok() && zx::errors::IsValidUtf8(text)) zx::fuzz::CheckErrorText(fen.status());
  if (fen.ok()) {
    // What parses prints in a form that parses back to the same amount.
    auto again = money::ParseYuan(money::FormatYuan(*fen));
    ZX_FUZZ_CHECK(again.ok() && *again == *fen);
  }
  // The first 16 bytes as two amounts: checked arithmetic agrees with 128-bit.
  if (size >= 16) {
    int64_t a = 0, b = 0;
    std::memcpy(&a, data, 8);
    std::memcpy(&b, data + 8, 8);
    const __int128 max = std::numeric_limits<int64_t>::max();
    const __int128 min = std::numeric_limits<int64_t>::min();
    const auto fits = [&](__int128 v) { return v >= min && v <= max; };
    auto sum = money::Add(a, b);
    ZX_FUZZ_CHECK(sum.ok() == fits(__int128{a} + b) && (!sum.ok() || *sum == a + b));
    auto diff = money::Sub(a, b);
    ZX_FUZZ_CHECK(diff.ok() == fits(__int128{a} - b) && (!diff.ok() || *diff == a - b));
    auto product = money::Mul(a, b);
    ZX_FUZZ_CHECK(product.ok() == fits(__int128{a} * b) && (!product.ok() || *product == a * b));
    (void)money::MulRatio(a, b, 10'000);
    const std::string printed = money::FormatYuan(a);
    auto parsed = money::ParseYuan(printed);
    ZX_FUZZ_CHECK(parsed.ok() && *parsed == a);
  }
  return 0;
}
