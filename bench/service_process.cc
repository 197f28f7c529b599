#include "bench/service_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace zx::bench {

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ServiceProcess::ServiceProcess(const BenchContext& ctx, const std::string& service,
                               const std::string& division,
                               const std::vector<std::string>& extra_args,
                               const std::string& redis_namespace, const std::string& instance)
    : name_("zx-" + service) {
  port_ = FreePort();
  const std::string bin =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name_).string();
  const std::string log_name = instance == "bench"
                                   ? absl::StrCat("zx-bench-", service, ".log")
                                   : absl::StrCat("zx-bench-", instance, "-", service, ".log");
  log_ = (std::filesystem::temp_directory_path() / log_name).string();
  const char* level = std::getenv("ZX_BENCH_SERVICE_LOG_LEVEL");
  std::vector<std::string> args = {
      bin,
      "--instance",
      instance,
      "--division",
      division,
      "--host",
      "127.0.0.1",
      "--grpc-port",
      std::to_string(port_),
      "--metrics-port",
      std::to_string(FreePort()),
      "--pg",
      ctx.pg_conninfo,
      "--redis",
      absl::StrCat(ctx.redis_host, ":", ctx.redis_port),
      "--redis-namespace",
      redis_namespace.empty() ? "zx:bench-" + service : redis_namespace,
      "--allow-dev-tokens",
      "--log-level",
      level != nullptr ? level : "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  Check(pid_ >= 0, "fork");
  if (pid_ == 0) {
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  sampler_ = std::thread([this] { SampleRss(); });
}

ServiceProcess::~ServiceProcess() {
  stop_ = true;
  if (sampler_.joinable()) sampler_.join();
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string ServiceProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

void ServiceProcess::WaitServing(const std::function<bool()>& probe) const {
  for (int i = 0; i < 600; ++i) {
    if (probe()) return;
    int status = 0;
    Check(waitpid(pid_, &status, WNOHANG) == 0, name_ + " exited; see " + log_);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error(name_ + " did not serve within 60 s; see " + log_);
}

void ServiceProcess::SampleRss() {
  while (!stop_) {
    std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0 || line.rfind("VmRSS:", 0) == 0) {
        const long kib = std::atol(line.c_str() + 6);
        if (kib > max_rss_kib_) max_rss_kib_ = kib;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace zx::bench
