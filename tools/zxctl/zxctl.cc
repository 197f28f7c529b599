#include "tools/zxctl/zxctl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace zx::zxctl {

// ---- Instances and calls ------------------------------------------------------

std::vector<Instance> LoadInstances(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read the instances file " + path;
    return {};
  }
  std::vector<Instance> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    ServicePorts ports;
    if (cols.size() != 7 || !absl::SimpleAtoi(cols[5], &ports.grpc) ||
        !absl::SimpleAtoi(cols[6], &ports.metrics)) {
      *error = absl::StrCat(path, ":", number, ": expected 7 columns");
      return {};
    }
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Instance& i) { return i.name == cols[0]; });
    if (it == out.end()) {
      out.push_back(Instance{cols[0], cols[1], cols[2], cols[3], {}, {}});
      it = out.end() - 1;
    }
    it->service_order.push_back(cols[4]);
    it->services[cols[4]] = ports;
  }
  return out;
}

bool Session::Ready() {
  if (loaded_) return selected_ != nullptr;
  loaded_ = true;
  if (options_.instances_file.empty()) {
    const char* env = std::getenv("ZX_INSTANCES_FILE");
    options_.instances_file = env != nullptr ? env : ZX_DEFAULT_INSTANCES_FILE;
  }
  if (options_.token.empty()) {
    if (const char* env = std::getenv("ZX_TOKEN")) options_.token = env;
  }
  std::string error;
  instances_ = LoadInstances(options_.instances_file, &error);
  if (instances_.empty()) {
    std::cerr << "zxctl: " << (error.empty() ? "no instances in " + options_.instances_file : error)
              << "\n";
    return false;
  }
  if (options_.instance.empty()) {
    auto prefecture = std::find_if(instances_.begin(), instances_.end(),
                                   [](const Instance& i) { return i.level == "prefecture"; });
    selected_ = prefecture != instances_.end() ? &*prefecture : &instances_.front();
    return true;
  }
  for (const Instance& i : instances_) {
    if (i.name == options_.instance || i.division == options_.instance) selected_ = &i;
  }
  if (selected_ == nullptr) {
    std::string known;
    for (const Instance& i : instances_) absl::StrAppend(&known, known.empty() ? "" : ", ", i.name);
    std::cerr << "zxctl: unknown instance \"" << options_.instance << "\" (known: " << known
              << "; from " << options_.instances_file << ")\n";
  }
  return selected_ != nullptr;
}

Format Session::format() const {
  if (options_.output == "json") return Format::kJson;
  if (options_.output == "csv") return Format::kCsv;
  return Format::kTable;
}

bool Session::colour() const {
  if (options_.no_colour || std::getenv("NO_COLOR") != nullptr) return false;
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && term != nullptr && absl::string_view(term) != "dumb";
}

std::shared_ptr<grpc::Channel> Session::Channel(const Instance& instance,
                                                absl::string_view service) {
  auto port = instance.services.find(std::string(service));
  const std::string target =
      absl::StrCat(options_.host, ":", port == instance.services.end() ? 0 : port->second.grpc);
  auto& channel = channels_[target];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // loopback calls never go through a proxy
    channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  return channel;
}

std::string OfficialRole(const std::string& level) {
  if (level == "prefecture") return "prefecture_official";
  if (level == "region") return "region_official";
  return "county_official";
}

std::unique_ptr<grpc::ClientContext> Session::Context(absl::string_view default_role,
                                                      const Instance* instance) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000)));
  const Instance& at = instance != nullptr ? *instance : *selected_;
  std::string token = options_.token;
  if (token.empty()) {
    const std::string role = !options_.role.empty() ? options_.role
                             : default_role.empty() ? OfficialRole(at.level)
                                                    : std::string(default_role);
    token = absl::StrCat("dev.", at.division, ".", role, ".", options_.user);
  }
  if (!absl::StartsWith(token, "Bearer ")) token = "Bearer " + token;
  ctx->AddMetadata("authorization", token);
  return ctx;
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::ALREADY_EXISTS:
      return kInvalid;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kUnavailable;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    default:
      return kServerError;
  }
}

namespace {

absl::string_view CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

}  // namespace

int Fail(const grpc::Status& status, absl::string_view what) {
  std::cerr << "zxctl: " << what << ": " << CodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  google::rpc::Status rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const auto& any : rich.details()) {
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
        }
      }
      google::rpc::PreconditionFailure pre;
      if (any.UnpackTo(&pre)) {
        for (const auto& v : pre.violations()) {
          std::cerr << "  precondition " << v.subject() << ": " << v.description() << "\n";
        }
      }
    }
  }
  return ExitCodeFor(status.error_code());
}

// ---- Output ----------------------------------------------------------------------

int DisplayWidth(absl::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // ANSI escape: ESC [ ... letter
      size_t j = i + 1;
      while (j < text.size() && !std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
      i = j + 1;
      continue;
    }
    uint32_t cp = c;
    int len = 1;
    if (c >= 0xf0) {
      cp = c & 0x07, len = 4;
    } else if (c >= 0xe0) {
      cp = c & 0x0f, len = 3;
    } else if (c >= 0xc0) {
      cp = c & 0x1f, len = 2;
    }
    for (int k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += len;
    const bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                      (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                      (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000;
    width += wide ? 2 : 1;
  }
  return width;
}

namespace {

std::string Csv(const std::string& cell) {
  if (cell.find_first_of(",\"\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// CSV cells carry no colour codes.
std::string StripAnsi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == 0x1b) {
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

}  // namespace

void Table::Print(Format format, std::ostream& out) const {
  if (format == Format::kCsv) {
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) {
        out << (i ? "," : "") << Csv(StripAnsi(cells[i]));
      }
      out << "\n";
    };
    line(headers_);
    for (const auto& r : rows_) line(r);
    return;
  }
  std::vector<int> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  measure(headers_);
  for (const auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    out << text << "\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

void PrintFields(const Fields& fields, Format format, std::ostream& out) {
  Table t({"field 项目", "value 值"});
  for (const auto& [k, v] : fields) t.Add({k, v});
  t.Print(format, out);
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!pretty && !json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

void PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  std::string json = ToJson(message);
  out << json << (json.empty() || json.back() != '\n' ? "\n" : "");
}

google::protobuf::Value ToValue(const google::protobuf::Message& message) {
  google::protobuf::Value value;
  (void)google::protobuf::util::JsonStringToMessage(ToJson(message, false), &value);
  return value;
}

std::string ColourMarker(int colour_number, bool ansi) {
  struct Look {
    const char* zh;
    const char* en;
    const char* ansi;
  };
  static const Look kLooks[] = {{"未评", "NONE", "\033[90m"},
                                {"红", "RED", "\033[31m"},
                                {"橙", "ORANGE", "\033[38;5;208m"},
                                {"黄", "YELLOW", "\033[33m"},
                                {"绿", "GREEN", "\033[32m"}};
  const Look& look = kLooks[colour_number >= 0 && colour_number <= 4 ? colour_number : 0];
  if (!ansi) return absl::StrCat(look.zh, " ", look.en);
  return absl::StrCat(look.ansi, "●\033[0m ", look.zh, " ", look.en);
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value) {
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  std::string name = v->name();
  // The prefix is the type name in UPPER_SNAKE: LedgerKind → LEDGER_KIND_.
  std::string prefix;
  for (char c : type->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += '_';
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

std::optional<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view text) {
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* v = type->value(i);
    if (v->number() == 0) continue;
    if (absl::EqualsIgnoreCase(v->name(), text) ||
        absl::EqualsIgnoreCase(EnumLabel(type, v->number()), text)) {
      return v->number();
    }
  }
  return std::nullopt;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::string out;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : "|", EnumLabel(type, type->value(i)->number()));
  }
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string NewRequestId() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[25];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return absl::StrCat("zxctl-", hex);
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), tty_(isatty(STDERR_FILENO)) {}

void Progress::Update(int64_t done, int64_t total) {
  if (total >= 0) total_ = total;
  if (!tty_) return;
  constexpr int kWidth = 30;
  const double share = total_ > 0 ? std::min(1.0, static_cast<double>(done) / total_) : 0;
  const int filled = static_cast<int>(share * kWidth);
  std::cerr << "\r" << label_ << " [" << std::string(filled, '#')
            << std::string(kWidth - filled, '.') << "] " << done;
  if (total_ > 0) std::cerr << "/" << total_ << " (" << static_cast<int>(share * 100) << "%)";
  std::cerr << std::flush;
  drawn_ = true;
}

void Progress::Finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
}

std::string FetchMetrics(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string body;
  const std::string ip = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1 &&
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request =
        absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", host, "\r\nConnection: close\r\n\r\n");
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[16384];
      for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) body.append(buf, n);
    }
  }
  close(fd);
  const auto header_end = body.find("\r\n\r\n");
  if (!absl::StartsWith(body, "HTTP/1.") || body.find(" 200 ") > 12 ||
      header_end == std::string::npos) {
    return "";
  }
  return body.substr(header_end + 4);
}

std::optional<double> SumMetric(absl::string_view text, absl::string_view family) {
  std::optional<double> sum;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, family)) continue;
    const absl::string_view rest = line.substr(family.size());
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '{')) continue;
    const auto space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &value)) {
      sum = sum.value_or(0) + value;
    }
  }
  return sum;
}

}  // namespace zx::zxctl
