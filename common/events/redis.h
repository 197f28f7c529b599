// A small synchronous Redis client over hiredis (binary-safe argv commands,
// pipelining, reconnect). Not thread-safe: one per thread.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zx::events {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisClient {
 public:
  // `timeout` bounds every socket read/write; blocking reads (XREADGROUP
  // BLOCK) need a longer timeout than their BLOCK.
  RedisClient(std::string host, int port, absl::Duration timeout = absl::Seconds(5));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. UNAVAILABLE on a connection error (the connection is
  // dropped and re-opened by the next call); an error *reply* is returned as
  // a reply of type REDIS_REPLY_ERROR, not as a status. READONLY, LOADING
  // and MASTERDOWN replies (a failover under way) also drop the connection,
  // so the next call reaches whichever server now answers the address.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);
  // Sends all commands, then reads all replies (one round trip); drops the
  // connection on the same replies as Command.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& cmds);

  void Disconnect();
  // Connects if not connected. Each new connection bumps connections().
  absl::Status EnsureConnected();
  // How many connections were opened so far: a change means a new server
  // may be on the other end (restart, failover).
  uint64_t connections() const { return connections_; }

 private:
  const std::string host_;
  const int port_;
  const absl::Duration timeout_;
  redisContext* ctx_ = nullptr;
  uint64_t connections_ = 0;
};

// "ERR ..." text of an error reply, empty for other replies.
std::string ErrorText(const redisReply* reply);

}  // namespace zx::events
