#include "common/events/redis.h"

#include "absl/strings/str_cat.h"

namespace zx::events {

namespace {

// The server answering is no longer (or not yet) the primary: after a
// failover the old primary turns replica and keeps the connections it had
// (READONLY), a restarted one loads its data (LOADING). Only a new
// connection can reach the new primary behind the same address.
bool IsServerSwitching(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return false;
  const std::string_view text(reply->str, reply->len);
  return text.starts_with("READONLY") || text.starts_with("LOADING") ||
         text.starts_with("MASTERDOWN");
}

void ToArgv(const std::vector<std::string>& argv, std::vector<const char*>& ptrs,
            std::vector<size_t>& lens) {
  ptrs.clear();
  lens.clear();
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
}

}  // namespace

RedisClient::RedisClient(std::string host, int port, absl::Duration timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

RedisClient::~RedisClient() { Disconnect(); }

void RedisClient::Disconnect() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

absl::Status RedisClient::EnsureConnected() {
  if (ctx_ != nullptr) return absl::OkStatus();
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, absl::ToTimeval(absl::Seconds(2)));
  if (ctx_ == nullptr || ctx_->err != 0) {
    std::string why = ctx_ != nullptr ? ctx_->errstr : "out of memory";
    Disconnect();
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Redis ", host_, ":", port_, ": ", why));
  }
  redisSetTimeout(ctx_, absl::ToTimeval(timeout_));
  redisEnableKeepAlive(ctx_);
  ++connections_;
  return absl::OkStatus();
}

absl::StatusOr<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  if (auto s = EnsureConnected(); !s.ok()) return s;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ToArgv(argv, ptrs, lens);
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (raw == nullptr) {
    std::string why = ctx_->errstr;
    Disconnect();
    return absl::UnavailableError(absl::StrCat("Redis ", argv[0], " failed: ", why));
  }
  Reply reply(raw);
  if (IsServerSwitching(reply.get())) Disconnect();
  return reply;
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& cmds) {
  if (auto s = EnsureConnected(); !s.ok()) return s;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& argv : cmds) {
    ToArgv(argv, ptrs, lens);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
      Disconnect();
      return absl::UnavailableError("Redis pipeline append failed");
    }
  }
  std::vector<Reply> replies;
  replies.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = ctx_->errstr;
      Disconnect();
      return absl::UnavailableError(absl::StrCat("Redis pipeline read failed: ", why));
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  for (const Reply& reply : replies) {
    if (IsServerSwitching(reply.get())) {
      Disconnect();
      break;
    }
  }
  return replies;
}

std::string ErrorText(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return {};
  return std::string(reply->str, reply->len);
}

}  // namespace zx::events
