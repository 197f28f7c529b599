// Structured logs: one JSON object per line on stderr (spdlog underneath), so
// operators can grep by request id and principal and ship lines as they are.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace zx::logging {

using Field = std::pair<std::string_view, std::string_view>;
using Fields = std::initializer_list<Field>;

// Sets the process-wide logger; every line carries service and instance.
void Init(std::string_view service, std::string_view instance, std::string_view level);

void Debug(std::string_view event, Fields fields = {});
void Info(std::string_view event, Fields fields = {});
void Warn(std::string_view event, Fields fields = {});
void Error(std::string_view event, Fields fields = {});

// JSON string escaping (quotes not included).
std::string JsonEscape(std::string_view text);
// The body of a line after timestamp and level: "event":"x","k":"v",...
std::string FormatFields(std::string_view event, Fields fields);

}  // namespace zx::logging
