#include "common/errors/errors.h"

#include <cstddef>
#include <cstdint>

#include "common/base/ids.h"
#include "common/base/strings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace zx::errors {
namespace {

constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";

google::rpc::BadRequest ToBadRequest(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad_request;
  for (const auto& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  return bad_request;
}

}  // namespace

absl::Status InvalidArgument(std::vector<FieldViolation> violations) {
  std::vector<std::string> parts;
  parts.reserve(violations.size());
  for (const auto& v : violations) parts.push_back(absl::StrCat(v.field, ": ", v.description));
  absl::Status status(absl::StatusCode::kInvalidArgument, absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestUrl, absl::Cord(ToBadRequest(violations).SerializeAsString()));
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  return InvalidArgument({{std::move(field), std::move(description)}});
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestUrl);
  if (!payload.has_value()) return out;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : bad_request.field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

void Validator::Add(std::string field, std::string description) {
  if (violations_.size() >= kMaxViolations) {
    ++not_listed_;
    return;
  }
  violations_.push_back({std::move(field), std::move(description)});
}

void Validator::Check(std::string field, const absl::Status& status) {
  if (!status.ok()) Add(std::move(field), std::string(status.message()));
}

absl::Status Validator::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  if (not_listed_ == 0) return InvalidArgument(violations_);
  std::vector<FieldViolation> listed = violations_;
  listed.push_back({"request", absl::StrCat(not_listed_, " more violations not listed")});
  return InvalidArgument(std::move(listed));
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t min = 0, code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, min = 0x80, code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, min = 0x800, code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, min = 0x10000, code = lead & 0x07;
    } else {
      return false;  // a continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      code = (code << 6) | (byte(i + k) & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

namespace {

// Why `value` is not acceptable text, or empty.
std::string TextProblem(std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) return absl::StrCat("must be at most ", max_bytes, " bytes");
  if (!IsValidUtf8(value)) return "must be valid UTF-8";
  return "";
}

std::string CountProblem(size_t count, size_t max_count) {
  if (count <= max_count) return "";
  return absl::StrCat("at most ", max_count, " entries (got ", count, ")");
}

}  // namespace

absl::Status CheckText(std::string_view field, std::string_view value, size_t max_bytes) {
  std::string problem = TextProblem(value, max_bytes);
  if (problem.empty()) return absl::OkStatus();
  return InvalidField(std::string(field), std::move(problem));
}

absl::Status CheckCount(std::string_view field, size_t count, size_t max_count) {
  std::string problem = CountProblem(count, max_count);
  if (problem.empty()) return absl::OkStatus();
  return InvalidField(std::string(field), std::move(problem));
}

void Validator::CheckText(std::string field, std::string_view value, size_t max_bytes) {
  if (std::string problem = TextProblem(value, max_bytes); !problem.empty()) {
    Add(std::move(field), std::move(problem));
  }
}

void Validator::CheckId(std::string field, std::string_view id, std::string_view prefix) {
  if (!IsId(id, prefix)) {
    Add(std::move(field),
        absl::StrCat("must look like ", absl::string_view(prefix.data(), prefix.size()),
                     "- and 20 hex digits"));
  }
}

void Validator::CheckCount(std::string field, size_t count, size_t max_count) {
  if (std::string problem = CountProblem(count, max_count); !problem.empty()) {
    Add(std::move(field), std::move(problem));
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(message);
  status.ForEachPayload([&rich](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = rich.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (rich.details_size() == 0) return grpc::Status(code, message);
  return grpc::Status(code, message, rich.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const auto& any : rich.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

absl::Status Annotate(const absl::Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(AsAbsl(prefix), ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace zx::errors
