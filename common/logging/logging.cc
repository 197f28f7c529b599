#include "common/logging/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zx::logging {
namespace {

std::string& Prefix() {
  static std::string prefix;
  return prefix;
}

void Log(spdlog::level::level_enum level, std::string_view event, Fields fields) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}{}", Prefix(), FormatFields(event, fields));
}

}  // namespace

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through unchanged
        }
    }
  }
  return out;
}

std::string FormatFields(std::string_view event, Fields fields) {
  std::string out = absl::StrCat("\"event\":\"", JsonEscape(event), "\"");
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&out, ",\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"");
  }
  return out;
}

void Init(std::string_view service, std::string_view instance, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("zx");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  Prefix() = absl::StrCat("\"service\":\"", JsonEscape(service), "\",\"instance\":\"",
                          JsonEscape(instance), "\",");
}

void Debug(std::string_view event, Fields fields) { Log(spdlog::level::debug, event, fields); }
void Info(std::string_view event, Fields fields) { Log(spdlog::level::info, event, fields); }
void Warn(std::string_view event, Fields fields) { Log(spdlog::level::warn, event, fields); }
void Error(std::string_view event, Fields fields) { Log(spdlog::level::err, event, fields); }

}  // namespace zx::logging
