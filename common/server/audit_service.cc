#include "common/server/audit_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_log.h"
#include "common/base/strings.h"
#include "common/server/server.h"
#include "common/time/time.h"
#include "zx/common/v1/audit.grpc.pb.h"

namespace zx::server {
namespace {

namespace v1 = zx::common::v1;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kMaxExportEntries = 10000;

v1::AuditChainBreak ToProto(audit::BreakKind kind) {
  switch (kind) {
    case audit::BreakKind::kEdited:
      return v1::AUDIT_CHAIN_BREAK_EDITED;
    case audit::BreakKind::kMissing:
      return v1::AUDIT_CHAIN_BREAK_MISSING;
    case audit::BreakKind::kLink:
      return v1::AUDIT_CHAIN_BREAK_LINK;
    case audit::BreakKind::kHead:
      return v1::AUDIT_CHAIN_BREAK_HEAD;
  }
  return v1::AUDIT_CHAIN_BREAK_UNSPECIFIED;
}

v1::AuditEntry ToProto(const audit::Entry& e) {
  v1::AuditEntry out;
  out.set_seq(e.seq);
  *out.mutable_at() = time::ToProto(e.at);
  out.set_request_id(e.request_id);
  out.set_user_id(e.user_id);
  out.set_role(e.role);
  out.set_principal_division(e.principal_division);
  out.set_department(e.department);
  out.set_kind(e.kind);
  out.set_action(e.action);
  out.set_method(e.method);
  out.set_resource_division(e.resource_division);
  out.set_resource_id(e.resource_id);
  out.set_purpose(e.purpose);
  out.set_personal_data_read(e.personal_data_read);
  out.set_result_code(e.result_code);
  out.set_result_message(e.result_message);
  out.set_prev_hash(e.prev_hash);
  out.set_hash(e.hash);
  return out;
}

std::string CsvField(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvLine(const audit::Entry& e) {
  const std::vector<std::string> fields = {
      std::to_string(e.seq),
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", e.at, absl::UTCTimeZone()),
      e.request_id,
      e.user_id,
      e.role,
      e.principal_division,
      e.department,
      e.kind,
      e.action,
      e.method,
      e.resource_division,
      e.resource_id,
      e.purpose,
      e.personal_data_read ? "true" : "false",
      std::to_string(e.result_code),
      e.result_message,
      pg::HexBytes(e.prev_hash),
      pg::HexBytes(e.hash)};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += CsvField(fields[i]);
  }
  line += "\r\n";
  return line;
}

constexpr char kCsvHeader[] =
    "seq,at,request_id,user_id,role,principal_division,department,kind,action,method,"
    "resource_division,resource_id,purpose,personal_data_read,result_code,result_message,"
    "prev_hash,hash\r\n";

// Validates the filter and the page token and authorizes `action` on the
// filter's division (default: the caller's): entries are scoped to it.
absl::StatusOr<std::pair<audit::Filter, int64_t>> ScopedFilter(const CallContext& call,
                                                               std::string_view action,
                                                               const v1::AuditFilter& f,
                                                               const std::string& page_token,
                                                               errors::Validator& v) {
  audit::Filter filter;
  std::optional<division::Code> division = call.principal.division;
  if (!f.division_code().empty()) {
    auto parsed = division::Code::Parse(f.division_code());
    if (!parsed.ok()) {
      v.Add("filter.division_code", std::string(parsed.status().message()));
      division.reset();
    } else {
      division = *parsed;
    }
  }
  if (f.user_id().size() > 128) v.Add("filter.user_id", "must be at most 128 bytes");
  if (f.action().size() > 128) v.Add("filter.action", "must be at most 128 bytes");
  if (!f.kind().empty() && f.kind() != audit::kKindWrite && f.kind() != audit::kKindRefusal &&
      f.kind() != audit::kKindRead) {
    v.Add("filter.kind", "must be write, refusal or read");
  }
  if (f.has_from_time()) filter.from_time = time::FromProto(f.from_time());
  if (f.has_to_time()) filter.to_time = time::FromProto(f.to_time());
  if (filter.from_time && filter.to_time && *filter.to_time < *filter.from_time) {
    v.Add("filter.to_time", "must not be before filter.from_time");
  }
  int64_t after = 0;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &after) || after < 0)) {
    v.Add("page_token", "is not a token this service returned");
  }
  if (!v.ok()) return v.ToStatus();
  if (auto s = call.Authorize(action, *division); !s.ok()) return s;
  filter.division_prefix = audit::DivisionPrefix(division->str());
  filter.user_id = f.user_id();
  filter.action = f.action();
  filter.kind = f.kind();
  return std::make_pair(std::move(filter), after);
}

class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  explicit AuditServiceImpl(Runtime& rt) : rt_(rt) {}

  grpc::ServerUnaryReactor* VerifyAuditChain(grpc::CallbackServerContext* ctx,
                                             const v1::VerifyAuditChainRequest* req,
                                             v1::VerifyAuditChainResponse* resp) override {
    return Handle(ctx, rt_, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      if (req->from_seq() < 0) v.Add("from_seq", "must not be negative");
      if (req->to_seq() < 0) v.Add("to_seq", "must not be negative");
      if (req->to_seq() > 0 && req->to_seq() < req->from_seq()) {
        v.Add("to_seq", "must not be below from_seq");
      }
      if (!v.ok()) return v.ToStatus();
      // The whole log belongs to the instance: verifying it is for callers
      // whose jurisdiction holds the instance's division.
      if (auto s = call.Authorize("audit.chain.verify", rt_.division); !s.ok()) return s;
      auto result = audit::Verify(*rt_.pool, call.deadline, req->from_seq(), req->to_seq());
      if (!result.ok()) return result.status();
      resp->Clear();
      resp->set_ok(!result->broken.has_value());
      resp->set_entries_checked(result->checked);
      resp->set_head_seq(result->head_seq);
      resp->set_head_hash(result->head_hash);
      if (result->broken) {
        resp->set_first_broken_seq(result->broken->seq);
        resp->set_break_kind(ToProto(result->broken->kind));
        resp->set_problem(result->broken->detail);
      }
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* ctx,
                                             const v1::ListAuditEntriesRequest* req,
                                             v1::ListAuditEntriesResponse* resp) override {
    return Handle(ctx, rt_, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
        v.Add("page_size", absl::StrCat("must be 0..", kMaxPageSize));
      }
      auto scoped = ScopedFilter(call, "audit.entry.list", req->filter(), req->page_token(), v);
      if (!scoped.ok()) return scoped.status();
      const int page_size = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        resp->Clear();
        const auto entries = audit::List(tx, scoped->first, scoped->second, page_size);
        for (const auto& e : entries) *resp->add_entries() = ToProto(e);
        if (static_cast<int>(entries.size()) == page_size) {
          resp->set_next_page_token(std::to_string(entries.back().seq));
        }
        return absl::OkStatus();
      });
    });
  }

  grpc::ServerUnaryReactor* ExportAuditEntries(grpc::CallbackServerContext* ctx,
                                               const v1::ExportAuditEntriesRequest* req,
                                               v1::ExportAuditEntriesResponse* resp) override {
    return Handle(ctx, rt_, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      if (req->max_entries() < 0 || req->max_entries() > kMaxExportEntries) {
        v.Add("max_entries", absl::StrCat("must be 0..", kMaxExportEntries));
      }
      auto scoped = ScopedFilter(call, "audit.entry.export", req->filter(), req->page_token(), v);
      if (!scoped.ok()) return scoped.status();
      const int limit = req->max_entries() == 0 ? kMaxExportEntries : req->max_entries();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        resp->Clear();
        const auto entries = audit::List(tx, scoped->first, scoped->second, limit);
        std::string csv = kCsvHeader;
        for (const auto& e : entries) csv += CsvLine(e);
        resp->set_csv(std::move(csv));
        resp->set_entries(static_cast<int32_t>(entries.size()));
        if (static_cast<int>(entries.size()) == limit) {
          resp->set_next_page_token(std::to_string(entries.back().seq));
        }
        return absl::OkStatus();
      });
    });
  }

 private:
  Runtime& rt_;
};

}  // namespace

std::unique_ptr<grpc::Service> MakeAuditService(Runtime& runtime) {
  return std::make_unique<AuditServiceImpl>(runtime);
}

}  // namespace zx::server
