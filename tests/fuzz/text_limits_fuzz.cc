// The input-limit helpers of common/errors (docs/ARCHITECTURE.md §16):
// IsValidUtf8 agrees with protobuf's own UTF-8 check, CheckText/CheckCount
// name the field, and a Validator never lists more than kMaxViolations.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/common.h>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace errors = zx::errors;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = errors::IsValidUtf8(text);
  ZX_FUZZ_CHECK(valid == google::protobuf::internal::IsStructurallyValidUTF8(
                             text.data(), static_cast<int>(text.size())));
  const size_t max_bytes = size == 0 ? 0 : data[0];
  const absl::Status checked = errors::CheckText("note", text, max_bytes);
  ZX_FUZZ_CHECK(checked.ok() == (valid && text.size() <= max_bytes));
  if (!checked.ok()) {
    const auto violations = errors::FieldViolationsOf(checked);
    ZX_FUZZ_CHECK(violations.size() == 1 && violations[0].field == "note");
  }
  ZX_FUZZ_CHECK(errors::CheckCount("rows", size, max_bytes).ok() == (size <= max_bytes));

  // One violation per input byte: at most kMaxViolations listed, plus one
  // entry counting the rest.
  errors::Validator v;
  for (size_t i = 0; i < size; ++i) v.Add(absl::StrCat("rows[", i, "]"), "is bad");
  const auto listed = errors::FieldViolationsOf(v.ToStatus());
  if (size <= errors::Validator::kMaxViolations) {
    ZX_FUZZ_CHECK(listed.size() == size);
  } else {
    ZX_FUZZ_CHECK(listed.size() == errors::Validator::kMaxViolations + 1);
    ZX_FUZZ_CHECK(listed.back().field == "request");
  }
  return 0;
}
