// Shared by the fuzz targets: an invariant check that aborts (so libFuzzer
// and the replay driver both report it with the input), and quiet protobuf
// logging (the parser logs every invalid UTF-8 string it rejects).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

namespace zx::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
  std::abort();
}

// Silences protobuf's log (kept for FATAL, which aborts anyway).
inline void QuietProtobuf() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char*, int, const std::string& message) {
        if (level >= google::protobuf::LOGLEVEL_FATAL)
          std::fprintf(stderr, "%s\n", message.c_str());
      });
}

}  // namespace zx::fuzz

// Holds in every build type (not assert(): RelWithDebInfo defines NDEBUG).
#define ZX_FUZZ_CHECK(cond)                                   \
  do {                                                        \
    if (!(cond)) ::zx::fuzz::Fail(__FILE__, __LINE__, #cond); \
  } while (0)

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include "absl/status/status.h"
#include "common/errors/errors.h"

namespace zx::fuzz {

// Parses `bytes` as `message`; false (input skipped) when it is not one.
inline bool Parse(std::string_view bytes, google::protobuf::Message& message) {
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// Every string field of a parsed message is valid UTF-8: the finding that
// Debian's protobuf 3.21 rejects invalid UTF-8 in proto3 `string` fields on
// parse (docs/ARCHITECTURE.md §16), checked on every input of every target.
inline void CheckStringsAreUtf8(const google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          ZX_FUZZ_CHECK(errors::IsValidUtf8(reflection->GetRepeatedString(message, field, k)));
        }
      } else {
        ZX_FUZZ_CHECK(errors::IsValidUtf8(reflection->GetString(message, field)));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          CheckStringsAreUtf8(reflection->GetRepeatedMessage(message, field, k));
        }
      } else if (reflection->HasField(message, field)) {
        CheckStringsAreUtf8(reflection->GetMessage(message, field));
      }
    }
  }
}

// An error's message is valid UTF-8: it travels in google.rpc.Status.message
// and BadRequest descriptions (proto3 strings), which a client's parser
// rejects otherwise, losing the whole error detail.
inline void CheckErrorText(const absl::Status& status) {
  ZX_FUZZ_CHECK(
      errors::IsValidUtf8(std::string_view(status.message().data(), status.message().size())));
}

// A validator's outcome is OK, or INVALID_ARGUMENT listing 1..kMaxViolations
// field violations (plus one counting the rest), each naming a field, all
// valid UTF-8.
inline void CheckValidationOutcome(const absl::Status& status) {
  if (status.ok()) return;
  ZX_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CheckErrorText(status);
  const auto violations = errors::FieldViolationsOf(status);
  ZX_FUZZ_CHECK(!violations.empty() && violations.size() <= errors::Validator::kMaxViolations + 1);
  for (const auto& v : violations) {
    ZX_FUZZ_CHECK(!v.field.empty() && !v.description.empty());
    ZX_FUZZ_CHECK(errors::IsValidUtf8(v.field) && errors::IsValidUtf8(v.description));
  }
}

}  // namespace zx::fuzz
