// Division codes (common/division): the parser every request and token goes
// through, and the divisions.csv table parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/division/division.h"
#include "tests/fuzz/fuzz_support.h"

namespace zx::division {
namespace {

void CheckCode(std::string_view text) {
  auto code = Code::Parse(text);
  // Requests carry UTF-8 only; the reason must stay UTF-8 (it is sent back).
  if (!code.ok() && errors::IsValidUtf8(text)) fuzz::CheckErrorText(code.status());
  if (!code.ok()) return;
  // A parsed code is 12 digits, re-parses to itself and keeps the digits given.
  ZX_FUZZ_CHECK(code->str().size() == 12);
  ZX_FUZZ_CHECK(code->str().compare(0, text.size(), text) == 0);
  auto again = Code::Parse(code->str());
  ZX_FUZZ_CHECK(again.ok() && *again == *code);
  // The ancestor chain is consistent with level() and IsAncestorOrSelfOf.
  for (int l = static_cast<int>(Level::kRegion); l <= static_cast<int>(code->level()); ++l) {
    const Code ancestor = code->AncestorAt(static_cast<Level>(l));
    ZX_FUZZ_CHECK(ancestor.level() == static_cast<Level>(l));
    ZX_FUZZ_CHECK(ancestor.IsAncestorOrSelfOf(*code));
  }
  if (auto parent = code->Parent(); parent.has_value()) {
    ZX_FUZZ_CHECK(parent->IsAncestorOrSelfOf(*code) && !code->IsAncestorOrSelfOf(*parent));
    ZX_FUZZ_CHECK(static_cast<int>(parent->level()) + 1 == static_cast<int>(code->level()));
  } else {
    ZX_FUZZ_CHECK(code->level() == Level::kRegion);
  }
  (void)FindKnown(*code);
  auto level = ParseLevel(LevelName(code->level()));
  ZX_FUZZ_CHECK(level.ok() && *level == code->level());
}

}  // namespace
}  // namespace zx::division

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  zx::division::CheckCode(text);
  (void)zx::division::ParseLevel(text);
  // Two codes at once: ancestry is antisymmetric except for equal codes.
  if (const size_t comma = text.find(','); comma != std::string_view::npos) {
    auto a = zx::division::Code::Parse(text.substr(0, comma));
    auto b = zx::division::Code::Parse(text.substr(comma + 1));
    if (a.ok() && b.ok() && a->IsAncestorOrSelfOf(*b) && b->IsAncestorOrSelfOf(*a)) {
      ZX_FUZZ_CHECK(*a == *b);
    }
  }
  auto table = zx::division::ParseDivisionsCsv(text);
  if (table.ok()) {
    for (const auto& info : *table) ZX_FUZZ_CHECK(info.level == info.code.level());
  }
  return 0;
}
