// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so the two must be converted explicitly at the seams.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace zx {

inline absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view AsStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace zx
