// zxctl: one command line over gRPC for every zhenxing service (issue 9).
// This header is the shared core: where an instance's services listen, how
// a call is authenticated, how answers are printed (table, JSON, CSV) and
// how failures become exit codes. The commands live in commands_*.cc.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace CLI {
class App;
}

namespace zx::zxctl {

// Exit codes (docs/OPERATIONS.md, "zxctl"): scripts branch on these.
enum Exit : int {
  kOk = 0,
  kCheckFailed = 1,  // the call worked and found a problem (unhealthy, unbalanced, broken)
  kUsage = 2,        // bad command line, unknown instance
  kInvalid = 3,      // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS
  kDenied = 4,       // UNAUTHENTICATED, PERMISSION_DENIED
  kUnavailable = 5,  // UNAVAILABLE, DEADLINE_EXCEEDED
  kNotFound = 6,     // NOT_FOUND
  kServerError = 7,  // anything else (INTERNAL, ...)
};

enum class Format { kTable, kJson, kCsv };

struct Options {
  std::string instance;        // --instance: a name in the instances file
  std::string token;           // --token, or $ZX_TOKEN
  std::string role;            // --role: of the development token made when no token is given
  std::string user = "zxctl";  // --user: of that development token
  std::string output = "table";
  std::string instances_file;  // --instances-file, or $ZX_INSTANCES_FILE
  std::string host = "127.0.0.1";
  double timeout_seconds = 30;
  bool no_colour = false;
};

struct ServicePorts {
  int grpc = 0;
  int metrics = 0;
};

struct Instance {
  std::string name;      // "shufu"
  std::string division;  // "653121000000"
  std::string level;     // "county"
  std::string name_zh;   // "疏附县"
  std::vector<std::string> service_order;
  std::map<std::string, ServicePorts> services;
};

// Reads the instances file (deploy/local/instances.tsv format).
std::vector<Instance> LoadInstances(const std::string& path, std::string* error);

class Session {
 public:
  explicit Session(Options& options) : options_(options) {}

  // Loads the instances once; prints why and returns false when it cannot.
  bool Ready();
  Format format() const;
  bool colour() const;  // ANSI colour on stdout
  const std::vector<Instance>& instances() const { return instances_; }
  // The --instance (default: the first prefecture, else the first listed).
  const Instance& instance() const { return *selected_; }
  bool instance_chosen() const { return !options_.instance.empty(); }

  std::shared_ptr<grpc::Channel> Channel(const Instance& instance, absl::string_view service);
  std::shared_ptr<grpc::Channel> Channel(absl::string_view service) {
    return Channel(instance(), service);
  }
  // A context with the deadline and the caller's token: --token/$ZX_TOKEN,
  // else a development token "dev.<division>.<role>.<user>" (accepted on
  // loopback by services started with --allow-dev-tokens, as ./zx up does).
  std::unique_ptr<grpc::ClientContext> Context(absl::string_view default_role,
                                               const Instance* instance = nullptr) const;
  double timeout_seconds() const { return options_.timeout_seconds; }
  const std::string& host() const { return options_.host; }

 private:
  Options& options_;
  bool loaded_ = false;
  std::vector<Instance> instances_;
  const Instance* selected_ = nullptr;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// The role a development token gets by default at an instance of `level`.
std::string OfficialRole(const std::string& level);

// Prints a failed call (code, message, every field violation) to stderr
// and returns its exit code.
int Fail(const grpc::Status& status, absl::string_view what);

// One call with the session's token and deadline: `invoke(context)` makes
// it; kOk, or the failure printed and its exit code.
template <typename Invoke>
int Call(Session& session, absl::string_view what, Invoke invoke, absl::string_view role = "") {
  auto context = session.Context(role);
  const grpc::Status status = invoke(context.get());
  return status.ok() ? kOk : Fail(status, what);
}
int ExitCodeFor(grpc::StatusCode code);

// ---- Output -----------------------------------------------------------------

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Aligned columns (east-Asian wide characters count two, ANSI colour
  // codes nothing) or RFC 4180 CSV with the header row.
  void Print(Format format, std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// A vertical "label: value" table for one record.
using Fields = std::vector<std::pair<std::string, std::string>>;
void PrintFields(const Fields& fields, Format format, std::ostream& out);

// The message as JSON (proto field names, defaults included).
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);
void PrintJson(const google::protobuf::Message& message, std::ostream& out);
// The message as a JSON value, to nest inside other JSON output.
google::protobuf::Value ToValue(const google::protobuf::Message& message);

// Terminal display width of UTF-8 text.
int DisplayWidth(absl::string_view text);

// "RED" → a coloured "● 红 RED" on colour terminals, "红 RED" elsewhere.
// `colour_number` is zx.monitoring.v1.Colour.
std::string ColourMarker(int colour_number, bool ansi);

// The value name of an enum without its type prefix, lower case:
// LEDGER_KIND_MASTER → "master".
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value);
// The reverse for command-line values ("master", "MASTER" or the full name).
std::optional<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view text);
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

std::string Time(const google::protobuf::Timestamp& t);  // "2026-11-24 03:45:54Z" or ""
std::string NewRequestId();                              // "zxctl-<24 hex>"

// A progress bar on stderr, drawn only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string label, int64_t total);
  void Update(int64_t done, int64_t total = -1);
  void Finish();

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  bool drawn_ = false;
};

// GET http://host:port/metrics; empty on failure.
std::string FetchMetrics(const std::string& host, int port);
// Sum of every sample of `family` in Prometheus text; nullopt if absent.
std::optional<double> SumMetric(absl::string_view text, absl::string_view family);

// ---- Commands ------------------------------------------------------------------

// A subcommand callback: loads the instances, runs `command`, keeps its exit code.
template <typename Command>
std::function<void()> Run(Session& session, int& exit_code, Command command) {
  return [&session, &exit_code, command] { exit_code = session.Ready() ? command() : kUsage; };
}

// Each adds its subcommands; a command's callback stores its exit code.
void AddOperationsCommands(CLI::App& app, Session& session, int& exit_code);
void AddMonitoringCommands(CLI::App& app, Session& session, int& exit_code);
void AddDomainCommands(CLI::App& app, Session& session, int& exit_code);
void AddFederationCommands(CLI::App& app, Session& session, int& exit_code);

}  // namespace zx::zxctl
