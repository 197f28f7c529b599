// zx-bench: runs the benchmark suites, prints a table and writes results.json.
// See bench/README.md for the figure semantics and how to add a suite.

#include <absl/strings/numbers.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench.h"
#include "common/logging/logging.h"

namespace zx::bench {
namespace {

constexpr std::string_view kBenchDatabase = "zx_bench";

// The suites in run order. Raw baselines come first so that later suites'
// ratios find them. To add a suite: declare it in bench.h, add its .cc to
// bench/CMakeLists.txt and add one line here.
struct SuiteEntry {
  const char* name;
  Suite run;
  bool needs_pg;
  bool needs_redis;
};
constexpr SuiteEntry kSuites[] = {
    {"raw.grpc_echo", RawGrpcEchoSuite, false, false},
    {"raw.pg", RawPgSuite, true, false},
    {"raw.redis", RawRedisSuite, false, true},
    {"events", EventsSuite, true, true},
    {"monitoring", MonitoringSuite, true, true},
    {"assets", AssetsSuite, true, true},
    {"employment", EmploymentSuite, true, true},
    {"consumption", ConsumptionSuite, true, true},
    {"federation", FederationSuite, true, true},
};

struct SuiteError {
  SuiteError(std::string s, std::string m) : suite(std::move(s)), message(std::move(m)) {
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
      message.pop_back();
    }
  }
  std::string suite;
  std::string message;
};

bool IsLocalHost(std::string_view host) {
  return host.empty() || host.front() == '/' || host == "localhost" || host == "127.0.0.1" ||
         host == "::1";
}

// Appends libpq parameters to a key/value or URI conninfo (the last one wins).
std::string WithParam(const std::string& conninfo, std::string_view key, std::string_view value) {
  const bool uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  if (uri) {
    return fmt::format("{}{}{}={}", conninfo, conninfo.find('?') == std::string::npos ? '?' : '&',
                       key, value);
  }
  return fmt::format("{} {}={}", conninfo, key, value);
}

// Creates the bench's own database (dropping a leftover one) and returns a
// conninfo for it.
std::string CreateBenchDatabase(const std::string& admin_conninfo, bool allow_remote) {
  pqxx::connection admin{admin_conninfo};
  const char* host = admin.hostname();
  if (!allow_remote && !IsLocalHost(host ? host : "")) {
    throw std::runtime_error(
        fmt::format("refusing non-local PostgreSQL host '{}' (pass --allow-remote)", host));
  }
  pqxx::nontransaction tx{admin};
  tx.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", kBenchDatabase));
  tx.exec(fmt::format(
      "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
      kBenchDatabase));
  return WithParam(admin_conninfo, "dbname", kBenchDatabase);
}

void DropBenchDatabase(const std::string& admin_conninfo) {
  pqxx::connection admin{admin_conninfo};
  pqxx::nontransaction tx{admin};
  tx.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", kBenchDatabase));
}

// ---- machine description --------------------------------------------------

std::string ReadField(const char* path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> MachineStrings() {
  std::vector<std::pair<std::string, std::string>> out;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  out.emplace_back("hostname", host);
  out.emplace_back("cpu_model", ReadField("/proc/cpuinfo", "model name"));
  utsname u{};
  if (uname(&u) == 0) out.emplace_back("kernel", fmt::format("{} {}", u.sysname, u.release));
#if defined(__clang__)
  out.emplace_back("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  out.emplace_back("compiler", "g++ " __VERSION__);
#else
  out.emplace_back("compiler", "unknown");
#endif
  out.emplace_back("timestamp",
                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  return out;
}

double MemoryGiB() {
  // "MemTotal:  8049136 kB"
  double kib = 0;
  std::string value = ReadField("/proc/meminfo", "MemTotal");
  if (!absl::SimpleAtod(value.substr(0, value.find(' ')), &kib)) return 0;
  return std::round(kib / (1024.0 * 1024.0) * 10) / 10;
}

// ---- JSON -----------------------------------------------------------------

// One JSON string escaper for the project: common/logging's.
std::string JsonString(std::string_view s) { return "\"" + zx::logging::JsonEscape(s) + "\""; }

std::string JsonNumber(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "null";
  return fmt::format("{}", *v);
}

std::string Json(const BenchContext& ctx, const std::vector<Result>& results,
                 const std::vector<SuiteError>& errors) {
  std::string j = "{\n  \"machine\": {\n";
  std::vector<std::string> machine;
  for (const auto& [k, v] : MachineStrings()) {
    machine.push_back(fmt::format("    {}: {}", JsonString(k), JsonString(v)));
  }
  machine.push_back(fmt::format("    \"nproc\": {}", sysconf(_SC_NPROCESSORS_ONLN)));
  machine.push_back(fmt::format("    \"memory_gib\": {}", JsonNumber(MemoryGiB())));
  for (const auto& [k, v] : ctx.info()) {
    machine.push_back(fmt::format("    {}: {}", JsonString(k), JsonString(v)));
  }
  j += fmt::format("{}\n  }},\n", fmt::join(machine, ",\n"));
  j += fmt::format("  \"scale\": {},\n", JsonNumber(ctx.scale));
  j += fmt::format("  \"warmup_s\": {},\n", JsonNumber(ctx.warmup.count()));
  j += fmt::format("  \"duration_s\": {},\n", JsonNumber(ctx.duration.count()));
  std::vector<std::string> figures;
  for (const Result& r : results) {
    const Figure& f = r.figure;
    figures.push_back(fmt::format(
        "    {{\"id\": {}, \"value\": {}, \"unit\": {}, \"baseline_id\": {}, \"ratio\": {}, "
        "\"target\": {}, \"better\": {}, \"pass\": {}}}",
        JsonString(f.id), JsonNumber(f.value), JsonString(f.unit),
        f.baseline_id ? JsonString(*f.baseline_id) : "null", JsonNumber(r.ratio),
        JsonNumber(f.target), JsonString(f.better == Figure::Better::kHigher ? "higher" : "lower"),
        r.pass ? (*r.pass ? "true" : "false") : "null"));
  }
  j += fmt::format("  \"figures\": [\n{}\n  ],\n", fmt::join(figures, ",\n"));
  std::vector<std::string> errs;
  for (const SuiteError& e : errors) {
    errs.push_back(fmt::format("    {{\"suite\": {}, \"message\": {}}}", JsonString(e.suite),
                               JsonString(e.message)));
  }
  j += errs.empty() ? "  \"errors\": []\n"
                    : fmt::format("  \"errors\": [\n{}\n  ]\n", fmt::join(errs, ",\n"));
  return j + "}\n";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, p);
}

// ---- table ----------------------------------------------------------------

std::string FormatValue(double v) {
  if (!std::isfinite(v)) return "nan";
  const double a = std::fabs(v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.3f}", v);
}

void PrintTable(const std::vector<Result>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"figure", "value", "unit", "baseline", "ratio", "target", "pass"});
  for (const Result& r : results) {
    const Figure& f = r.figure;
    const char* op = f.better == Figure::Better::kHigher ? ">=" : "<=";
    std::string target = "-";
    if (f.target)
      target = fmt::format("{} {}{}", op, FormatValue(*f.target), f.baseline_id ? "x" : "");
    std::string pass = "-";
    if (r.pass) {
      pass = *r.pass ? "PASS" : "FAIL";
    } else if (f.baseline_id && !r.ratio) {
      pass = "n/a (no baseline)";
    }
    rows.push_back({f.id, FormatValue(f.value), f.unit, f.baseline_id.value_or("-"),
                    r.ratio ? fmt::format("{:.3f}", *r.ratio) : "-", target, pass});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      const bool numeric = i == 1 || i == 4;
      line += numeric ? fmt::format("{:>{}}", rows[n][i], width[i])
                      : fmt::format("{:<{}}", rows[n][i], width[i]);
      if (i + 1 < rows[n].size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
    if (n == 0) {
      size_t total = 0;
      for (size_t w : width) total += w + 2;
      std::cout << std::string(total - 2, '-') << "\n";
    }
  }
  std::cout.flush();
}

bool Selected(const SuiteEntry& suite, const std::vector<std::string>& only) {
  if (only.empty()) return true;
  return std::any_of(only.begin(), only.end(), [&](const std::string& s) {
    return std::string_view(suite.name).find(s) != std::string_view::npos;
  });
}

int Main(int argc, char** argv) {
  CLI::App app{"zx-bench: zhenxing benchmark harness (raw baselines and ratio figures)"};
  std::string pg = "host=127.0.0.1 port=5432 user=postgres dbname=postgres";
  std::string redis = "127.0.0.1:6379";
  double scale = 1.0;
  double warmup = 0.5;
  double duration = 3.0;
  std::string out = "var/bench/results.json";
  std::vector<std::string> only;
  bool list = false;
  bool allow_remote = false;
  app.add_option("--pg", pg,
                 "libpq conninfo of a role that may CREATE DATABASE; the bench creates and "
                 "drops its own database zx_bench")
      ->capture_default_str();
  app.add_option("--redis", redis, "Redis host:port (a throwaway stream key is used and deleted)")
      ->capture_default_str();
  app.add_option("--scale", scale, "data volume multiplier, e.g. 0.1 for a quick run")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 100.0));
  app.add_option("--warmup", warmup, "seconds of warm-up before each measured window")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--duration", duration, "seconds of each measured window")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--out", out, "results JSON path")->capture_default_str();
  app.add_option("--only", only, "run only suites whose name contains this (repeatable)");
  app.add_flag("--list", list, "list the suites and exit");
  app.add_flag("--allow-remote", allow_remote, "allow non-loopback PostgreSQL/Redis targets");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_color_mt("zx-bench"));
  if (list) {
    for (const SuiteEntry& s : kSuites) std::cout << s.name << "\n";
    return 0;
  }

  std::vector<const SuiteEntry*> selected;
  for (const SuiteEntry& s : kSuites) {
    if (Selected(s, only)) selected.push_back(&s);
  }
  if (selected.empty()) {
    std::cerr << "no suite matches --only; see --list\n";
    return 2;
  }

  BenchContext ctx;
  ctx.scale = scale;
  ctx.warmup = std::chrono::duration<double>(warmup);
  ctx.duration = std::chrono::duration<double>(duration);
  {
    const size_t colon = redis.rfind(':');
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(redis.substr(colon + 1), &ctx.redis_port) || ctx.redis_port <= 0 ||
        ctx.redis_port > 65535) {
      std::cerr << "--redis wants host:port, got '" << redis << "'\n";
      return 2;
    }
    ctx.redis_host = redis.substr(0, colon);
  }

  std::vector<SuiteError> errors;
  const bool need_pg = std::any_of(selected.begin(), selected.end(),
                                   [](const SuiteEntry* s) { return s->needs_pg; });
  const bool need_redis = std::any_of(selected.begin(), selected.end(),
                                      [](const SuiteEntry* s) { return s->needs_redis; });
  if (need_redis && !allow_remote && !IsLocalHost(ctx.redis_host)) {
    std::cerr << "refusing non-local Redis host '" << ctx.redis_host << "' (pass --allow-remote)\n";
    return 2;
  }
  const std::string admin_pg = WithParam(pg, "connect_timeout", "10");
  bool pg_ready = false;
  if (need_pg) {
    try {
      ctx.pg_conninfo = CreateBenchDatabase(admin_pg, allow_remote);
      pg_ready = true;
    } catch (const std::exception& e) {
      spdlog::error("postgres set-up: {}", e.what());
      errors.push_back({"postgres set-up", e.what()});
    }
  }

  for (const SuiteEntry* suite : selected) {
    if (suite->needs_pg && !pg_ready) {
      errors.push_back({suite->name, "skipped: PostgreSQL set-up failed"});
      continue;
    }
    spdlog::info("suite {}: running", suite->name);
    const double started = NowSeconds();
    try {
      suite->run(ctx);
      spdlog::info("suite {}: done in {:.1f} s", suite->name, NowSeconds() - started);
    } catch (const std::exception& e) {
      spdlog::error("suite {}: {}", suite->name, e.what());
      errors.push_back({suite->name, e.what()});
    }
  }

  if (pg_ready) {
    try {
      DropBenchDatabase(admin_pg);
    } catch (const std::exception& e) {
      spdlog::error("dropping database {}: {}", kBenchDatabase, e.what());
      errors.push_back({"postgres clean-up", e.what()});
    }
  }

  std::vector<Result> results;
  for (const Figure& f : ctx.figures()) results.push_back(Evaluate(f, ctx.figures()));
  PrintTable(results);
  for (const SuiteError& e : errors) std::cout << "ERROR " << e.suite << ": " << e.message << "\n";

  try {
    WriteFile(out, Json(ctx, results, errors));
    std::cout << "wrote " << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "cannot write " << out << ": " << e.what() << "\n";
    return 1;
  }
  const bool failed = std::any_of(results.begin(), results.end(),
                                  [](const Result& r) { return r.pass && !*r.pass; });
  return errors.empty() && !failed ? 0 : 1;
}

}  // namespace
}  // namespace zx::bench

int main(int argc, char** argv) { return zx::bench::Main(argc, argv); }
