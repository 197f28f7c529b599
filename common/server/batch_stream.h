// Bulk loads over one bidirectional stream (survey rows, 832-platform
// orders): each request message is applied in one transaction on the worker
// pool and answered by one response with a result per row; the stream is
// named by a batch id that must be the same on every message, and ends in
// one audit entry (rows accepted, or the refusal).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/server/server.h"

namespace zx::server {

template <typename Request, typename Response>
struct BatchStreamSpec {
  std::string action;  // authorized on the caller's own division, then per row by `apply`
  int max_rows_per_message = 5000;
  std::function<const std::string&(const Request&)> batch_id;
  std::function<int(const Request&)> row_count;
  // Applies one message inside `tx`, filling `response`; returns the rows accepted.
  std::function<absl::StatusOr<int64_t>(pqxx::transaction_base& tx, const auth::Principal&,
                                        const Request&, Response&)>
      apply;
  // After the client half-closes, a last response (written when it returns
  // true); runs when at least one row was accepted.
  std::function<absl::StatusOr<bool>(const std::string& batch_id, const Request& first, Response&)>
      close;
};

template <typename Request, typename Response>
class BatchStreamReactor final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  BatchStreamReactor(grpc::CallbackServerContext* ctx, Runtime& rt,
                     BatchStreamSpec<Request, Response> spec)
      : ctx_(ctx), rt_(rt), spec_(std::move(spec)), request_id_(RequestIdOf(*ctx)) {
    auto principal = Authenticate(*ctx, rt);
    if (!principal.ok()) {
      FinishWith(principal.status());
      return;
    }
    // The role must hold the action before any row is read; each row is
    // then checked against the caller's jurisdiction by `apply`.
    principal_ = *std::move(principal);
    if (auto held = auth::Authorize(*principal_, spec_.action, principal_->division); !held.ok()) {
      FinishWith(held);
      return;
    }
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed
      Submit([this] { Close(); });
      return;
    }
    Submit([this] { Apply(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishWith(absl::CancelledError("the client went away"));
      return;
    }
    this->StartRead(&request_);
  }

  void OnDone() override {
    logging::Info("batch_stream_done",
                  {{"action", spec_.action},
                   {"batch_id", batch_id_},
                   {"principal", principal_ ? principal_->ToString() : std::string("-")},
                   {"rows_accepted", std::to_string(accepted_)},
                   {"messages", std::to_string(messages_)}});
    delete this;
  }

 private:
  void Submit(std::function<void()> work) {
    if (!rt_.workers->TrySubmit(std::move(work))) {
      FinishWith(absl::ResourceExhaustedError("server is at capacity; retry the stream later"));
    }
  }

  // The append blocks, so it runs on the worker pool; when the pool is full
  // it runs here rather than leave the stream unaudited.
  void FinishWith(const absl::Status& status) {
    if (!rt_.workers->TrySubmit(
            [this, status] { this->Finish(errors::ToGrpcStatus(Audited(status))); })) {
      this->Finish(errors::ToGrpcStatus(Audited(status)));
    }
  }

  absl::Status Audited(const absl::Status& result) {
    CallAudit audit;
    if (principal_) {
      audit.action = spec_.action;
      audit.access = auth::Access::kWrite;
      audit.resource_division = principal_->division.str();
      audit.resource_id = batch_id_;
      audit.note = absl::StrCat(accepted_, " rows accepted in ", messages_, " messages");
    }
    return AuditCall(rt_, *ctx_, request_id_, principal_ ? &*principal_ : nullptr, audit, result);
  }

  void Apply() {
    errors::Validator v;
    const std::string& batch_id = spec_.batch_id(request_);
    if (auto s = idempotency::ValidateRequestId(batch_id); !s.ok()) {
      v.Add("batch_id", std::string(s.message()));
    } else if (!batch_id_.empty() && batch_id != batch_id_) {
      v.Add("batch_id", "must be the same on every message of a stream");
    }
    if (spec_.row_count(request_) > spec_.max_rows_per_message) {
      v.Add("rows", absl::StrCat("at most ", spec_.max_rows_per_message, " rows per message"));
    }
    if (!v.ok()) return FinishWith(v.ToStatus());
    if (messages_++ == 0) {
      batch_id_ = batch_id;
      first_ = request_;
      first_.clear_rows();
    }
    int64_t accepted = 0;
    absl::Status status;
    try {
      status = pg::WithTransaction(*rt_.pool, pg::TxOptions{}, [&](pqxx::transaction_base& tx) {
        response_.Clear();
        auto applied = spec_.apply(tx, *principal_, request_, response_);
        if (!applied.ok()) return applied.status();
        accepted = *applied;
        return absl::OkStatus();
      });
    } catch (const std::exception& e) {
      status = pg::StatusFromException(e);
    }
    if (!status.ok()) return FinishWith(status);
    accepted_ += accepted;
    this->StartWrite(&response_);
  }

  void Close() {
    if (accepted_ == 0 || !spec_.close) return FinishWith(absl::OkStatus());
    response_.Clear();
    auto write = spec_.close(batch_id_, first_, response_);
    if (!write.ok()) return FinishWith(write.status());
    if (auto audited = Audited(absl::OkStatus()); !audited.ok()) {
      this->Finish(errors::ToGrpcStatus(audited));
      return;
    }
    if (*write) {
      this->StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      this->Finish(grpc::Status::OK);
    }
  }

  grpc::CallbackServerContext* ctx_;
  Runtime& rt_;
  const BatchStreamSpec<Request, Response> spec_;
  const std::string request_id_;
  std::optional<auth::Principal> principal_;
  Request request_;
  Request first_;  // the first message without its rows (stream options)
  Response response_;
  std::string batch_id_;
  int64_t accepted_ = 0;
  int messages_ = 0;
};

}  // namespace zx::server
