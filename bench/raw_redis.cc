// raw.redis_xadd: XADD of event-shaped entries to a throwaway stream, one
// connection, first one command per round trip, then pipelined 64 deep
// (64 x redisAppendCommandArgv, then 64 x redisGetReply). The stream is
// deleted after each phase.

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/bench.h"

namespace zx::bench {
namespace {

constexpr int kPipelineDepth = 64;
constexpr uint64_t kMaxEvents = 2'000'000;  // count bound of one phase

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(void* r) const { freeReplyObject(r); }
};
using RedisConn = std::unique_ptr<redisContext, RedisFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

RedisConn Connect(const BenchContext& ctx) {
  const timeval connect_timeout{2, 0};
  RedisConn conn{redisConnectWithTimeout(ctx.redis_host.c_str(), ctx.redis_port, connect_timeout)};
  if (!conn) throw std::runtime_error("redis: cannot allocate context");
  if (conn->err) {
    throw std::runtime_error("redis: connect to " + ctx.redis_host + ":" +
                             std::to_string(ctx.redis_port) + ": " + conn->errstr);
  }
  const timeval io_timeout{5, 0};
  if (redisSetTimeout(conn.get(), io_timeout) != REDIS_OK) {
    throw std::runtime_error("redis: cannot set timeout");
  }
  return conn;
}

Reply Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply reply{static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()))};
  if (!reply) throw std::runtime_error(std::string("redis: ") + c->errstr);
  if (reply->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error("redis: " + args[0] + ": " + std::string(reply->str, reply->len));
  }
  return reply;
}

// One XADD's arguments; household_id changes per event.
class XaddArgs {
 public:
  explicit XaddArgs(std::string key) : key_(std::move(key)) {
    payload_ = R"({"county_code":"520102","village_code":"520102001001","category":2,)"
               R"("member_count":4,"income_fen":1234500,"risk":"income_drop"})";
  }

  void Set(uint64_t n) {
    id_len_ = static_cast<size_t>(
        std::snprintf(id_, sizeof id_, "%llu", static_cast<unsigned long long>(n)));
    static constexpr std::string_view kArgs[] = {
        "XADD", "*", "type", "household.risk_flagged", "household_id", "payload"};
    argv_ = {kArgs[0].data(), key_.c_str(), kArgs[1].data(), kArgs[2].data(), kArgs[3].data(),
             kArgs[4].data(), id_,          kArgs[5].data(), payload_.c_str()};
    lens_ = {kArgs[0].size(), key_.size(), kArgs[1].size(), kArgs[2].size(), kArgs[3].size(),
             kArgs[4].size(), id_len_,     kArgs[5].size(), payload_.size()};
  }
  int argc() const { return static_cast<int>(argv_.size()); }
  const char** argv() { return argv_.data(); }
  const size_t* lens() const { return lens_.data(); }

 private:
  std::string key_;
  std::string payload_;
  char id_[24] = {};
  size_t id_len_ = 0;
  std::array<const char*, 9> argv_{};
  std::array<size_t, 9> lens_{};
};

void CheckXaddReply(redisContext* c, redisReply* reply) {
  if (!reply) throw std::runtime_error(std::string("redis: XADD: ") + c->errstr);
  if (reply->type != REDIS_REPLY_STRING) {
    std::string what = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                        : "unexpected reply type";
    throw std::runtime_error("redis: XADD: " + what);
  }
}

std::string RedisVersion(redisContext* c) {
  Reply info = Command(c, {"INFO", "server"});
  std::string_view text(info->str, info->len);
  const std::string_view field = "redis_version:";
  size_t at = text.find(field);
  if (at == std::string_view::npos) return "unknown";
  size_t end = text.find_first_of("\r\n", at);
  return std::string(text.substr(at + field.size(), end - at - field.size()));
}

}  // namespace

void RawRedisSuite(BenchContext& ctx) {
  const std::string key = "zx:bench:raw_xadd:" + std::to_string(::getpid());
  RedisConn admin = Connect(ctx);
  ctx.SetInfo("redis", RedisVersion(admin.get()));
  Command(admin.get(), {"DEL", key});

  auto run = [&](int depth) {
    return RunClosedLoop(ctx, 1, kMaxEvents, [&](int) {
      auto conn = std::shared_ptr<redisContext>(Connect(ctx).release(), RedisFree{});
      auto args = std::make_shared<XaddArgs>(key);
      auto counter = std::make_shared<uint64_t>(0);
      return std::function<uint64_t()>([conn, args, counter, depth]() -> uint64_t {
        redisContext* c = conn.get();
        if (depth == 1) {
          args->Set(++*counter);
          Reply reply{static_cast<redisReply*>(
              redisCommandArgv(c, args->argc(), args->argv(), args->lens()))};
          CheckXaddReply(c, reply.get());
          return 1;
        }
        for (int i = 0; i < depth; ++i) {
          args->Set(++*counter);  // hiredis copies the arguments into its buffer
          if (redisAppendCommandArgv(c, args->argc(), args->argv(), args->lens()) != REDIS_OK) {
            throw std::runtime_error(std::string("redis: append: ") + c->errstr);
          }
        }
        for (int i = 0; i < depth; ++i) {
          void* raw = nullptr;
          if (redisGetReply(c, &raw) != REDIS_OK) {
            throw std::runtime_error(std::string("redis: XADD: ") + c->errstr);
          }
          Reply reply{static_cast<redisReply*>(raw)};
          CheckXaddReply(c, reply.get());
        }
        return static_cast<uint64_t>(depth);
      });
    });
  };

  try {
    LoopResult single = run(1);
    Command(admin.get(), {"DEL", key});
    spdlog::info("redis xadd unpipelined: {} events in {:.2f} s", single.ops, single.seconds);
    ctx.Add({.id = "raw.redis_xadd.unpipelined_events_per_s",
             .value = single.PerSecond(),
             .unit = "events/s",
             .baseline_id = std::nullopt,
             .target = std::nullopt,
             .better = Figure::Better::kHigher});

    LoopResult piped = run(kPipelineDepth);
    Command(admin.get(), {"DEL", key});
    spdlog::info("redis xadd pipelined x{}: {} events in {:.2f} s", kPipelineDepth, piped.ops,
                 piped.seconds);
    ctx.Add({.id = "raw.redis_xadd.events_per_s",
             .value = piped.PerSecond(),
             .unit = "events/s",
             .baseline_id = std::nullopt,
             .target = std::nullopt,
             .better = Figure::Better::kHigher});
  } catch (...) {
    try {
      Command(admin.get(), {"DEL", key});
    } catch (...) {
      // best effort: the original error matters more
    }
    throw;
  }
}

}  // namespace zx::bench
