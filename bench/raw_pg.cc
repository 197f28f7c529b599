// raw.pg_copy / raw.pg_point_read: PostgreSQL baselines on household-shaped
// rows. COPY (pqxx::stream_to) of 1,000,000 x scale rows into a normal, logged
// table with its primary key in place, committed in one transaction; then
// point reads by primary key with a prepared statement from 64 threads, each
// with its own connection.

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench/bench.h"

namespace zx::bench {
namespace {

constexpr const char* kTable = "bench_households";
constexpr double kBaseRows = 1'000'000;
constexpr int64_t kMinRows = 1'000;
constexpr int64_t kMaxRows = 100'000'000;
constexpr auto kCopyTimeLimit = std::chrono::seconds(300);  // time bound of the COPY
constexpr int kReadClients = 64;
constexpr uint64_t kMaxReads = 50'000'000;  // count bound of the read loop

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser: cheap deterministic spread
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Value pools so that generating a row costs little next to sending it.
struct RowPools {
  std::vector<std::string> county_codes;   // 6-digit administrative codes
  std::vector<std::string> village_codes;  // 12-digit, prefixed by the county
  std::vector<size_t> village_county;      // village index -> county index
  std::vector<std::string> head_names;
  std::vector<std::string> created_at;

  RowPools() {
    for (int c = 0; c < 64; ++c) {
      county_codes.push_back(std::to_string(520100 + c * 101));
    }
    for (int v = 0; v < 4096; ++v) {
      size_t county = Mix(static_cast<uint64_t>(v)) % county_codes.size();
      char suffix[8];
      std::snprintf(suffix, sizeof suffix, "%03d%03d", v % 37 + 1, v % 211 + 1);
      village_codes.push_back(county_codes[county] + suffix);
      village_county.push_back(county);
    }
    const std::array<const char*, 16> surnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                                  "吴", "周", "徐", "孙", "马", "朱", "胡", "罗"};
    const std::array<const char*, 16> given = {"建国", "秀英", "志强", "桂兰", "国华", "玉梅",
                                               "德明", "春花", "永红", "海涛", "金凤", "文斌",
                                               "丽娟", "小军", "光荣", "淑珍"};
    for (const char* s : surnames) {
      for (const char* g : given) head_names.push_back(std::string(s) + g);
    }
    for (int d = 0; d < 365; ++d) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "2023-%02d-%02d %02d:%02d:00+08", d / 31 % 12 + 1, d % 28 + 1,
                    8 + d % 10, d % 60);
      created_at.push_back(buf);
    }
  }
};

void CreateTable(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  tx.exec(std::string("DROP TABLE IF EXISTS ") + kTable);
  tx.exec(std::string("CREATE TABLE ") + kTable +
          " ("
          "  id bigint PRIMARY KEY,"
          "  county_code text NOT NULL,"
          "  village_code text NOT NULL,"
          "  category smallint NOT NULL,"
          "  member_count smallint NOT NULL,"
          "  income_fen bigint NOT NULL,"
          "  head_name text NOT NULL,"
          "  created_at timestamptz NOT NULL"
          ")");
}

// Returns rows written; *seconds gets the time from opening the stream to commit.
int64_t CopyRows(pqxx::connection& conn, int64_t rows, double* seconds) {
  const RowPools pools;
  const auto start = std::chrono::steady_clock::now();
  int64_t written = 0;
  {
    pqxx::work tx{conn};
    pqxx::stream_to stream{
        tx, kTable,
        std::vector<std::string>{"id", "county_code", "village_code", "category", "member_count",
                                 "income_fen", "head_name", "created_at"}};
    for (int64_t id = 1; id <= rows; ++id) {
      const uint64_t h = Mix(static_cast<uint64_t>(id));
      const size_t village = h % pools.village_codes.size();
      stream << std::make_tuple(
          id, pools.county_codes[pools.village_county[village]], pools.village_codes[village],
          static_cast<int16_t>(1 + (h >> 12) % 4),                // household category
          static_cast<int16_t>(1 + (h >> 16) % 8),                // members
          static_cast<int64_t>(300'000 + (h >> 20) % 3'000'000),  // annual income, fen
          pools.head_names[(h >> 40) % pools.head_names.size()],
          pools.created_at[(h >> 48) % pools.created_at.size()]);
      written = id;
      if ((id & 0xFFF) == 0 && std::chrono::steady_clock::now() - start > kCopyTimeLimit) {
        spdlog::warn("pg copy: time limit reached after {} of {} rows", id, rows);
        break;
      }
    }
    stream.complete();
    tx.commit();
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return written;
}

}  // namespace

void RawPgSuite(BenchContext& ctx) {
  const int64_t rows = std::clamp<int64_t>(std::llround(kBaseRows * ctx.scale), kMinRows, kMaxRows);
  pqxx::connection conn{ctx.pg_conninfo};
  {
    pqxx::nontransaction tx{conn};
    ctx.SetInfo("postgres", tx.exec1("SHOW server_version")[0].c_str());
  }
  CreateTable(conn);

  double copy_seconds = 0;
  const int64_t written = CopyRows(conn, rows, &copy_seconds);
  spdlog::info("pg copy: {} rows in {:.2f} s", written, copy_seconds);
  ctx.Add({.id = "raw.pg_copy.rows_per_s",
           .value = copy_seconds > 0 ? static_cast<double>(written) / copy_seconds : 0,
           .unit = "rows/s",
           .baseline_id = std::nullopt,
           .target = std::nullopt,
           .better = Figure::Better::kHigher});
  {
    pqxx::nontransaction tx{conn};
    tx.exec(std::string("ANALYZE ") + kTable);
  }

  const std::string conninfo = ctx.pg_conninfo;
  LoopResult reads = RunClosedLoop(ctx, kReadClients, kMaxReads, [&](int client) {
    auto worker = std::make_shared<pqxx::connection>(conninfo);
    worker->prepare("household_by_id",
                    std::string("SELECT id, county_code, village_code, category, member_count, "
                                "income_fen, head_name, created_at FROM ") +
                        kTable + " WHERE id = $1");
    std::mt19937_64 rng(static_cast<uint64_t>(client) * 7919 + 1);
    std::uniform_int_distribution<int64_t> pick(1, written);
    return std::function<uint64_t()>([worker, rng, pick]() mutable -> uint64_t {
      const int64_t id = pick(rng);
      pqxx::nontransaction tx{*worker};
      pqxx::result r = tx.exec_prepared("household_by_id", id);
      if (r.size() != 1 || r[0][0].as<int64_t>() != id) {
        throw std::runtime_error("pg point read: household " + std::to_string(id) + " missing");
      }
      return 1;
    });
  });
  spdlog::info("pg point read: {} reads in {:.2f} s from {} clients", reads.ops, reads.seconds,
               kReadClients);
  ctx.Add({.id = "raw.pg_point_read.qps_c64",
           .value = reads.PerSecond(),
           .unit = "req/s",
           .baseline_id = std::nullopt,
           .target = std::nullopt,
           .better = Figure::Better::kHigher});

  pqxx::nontransaction tx{conn};
  tx.exec(std::string("DROP TABLE IF EXISTS ") + kTable);
}

}  // namespace zx::bench
