// Record ids: "<prefix>-" and 20 lower-case hex digits (server::NewId makes
// them). Checked here, without I/O, by every service's request validation.
#pragma once

#include <algorithm>
#include <string_view>

namespace zx {

inline bool IsId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 21 || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '-') {
    return false;
  }
  return std::all_of(id.begin() + prefix.size() + 1, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace zx
