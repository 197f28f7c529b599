// Federation across instances (issue 7, criteria 1–3): a region
// (650000000000), a prefecture (Kashgar 653100000000) and two counties
// (Shufu 653121000000, Shule 653122000000), each with its own database and
// Redis namespace, a monitoring service and a federation service whose
// instances talk mutual TLS with certificates from tools/zxca. Every link
// between instances runs through a loopback TCP relay the test can cut.
// Shule runs as in production: its monitoring accepts no development
// tokens, and its gateway signs its calls there with a service key.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/auth/auth.h"
#include "common/base/ports.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/federation/api/federation_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/federation/v1/federation.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx {
namespace {

namespace v1 = zx::federation::v1;
namespace mv1 = zx::monitoring::v1;

constexpr char kRegion[] = "650000000000";
constexpr char kKashgar[] = "653100000000";
constexpr char kShufu[] = "653121000000";
constexpr char kShule[] = "653122000000";

constexpr char kRegionOfficial[] = "dev.650000000000.region_official.r1";
constexpr char kKashgarOfficial[] = "dev.653100000000.prefecture_official.p1";
constexpr char kHotanOfficial[] = "dev.653200000000.prefecture_official.h1";
constexpr char kShufuOfficial[] = "dev.653121000000.county_official.a1";
constexpr char kShuleOfficial[] = "dev.653122000000.county_official.b1";

// The body of a plain HTTP/1.0 GET on loopback (the /metrics page).
std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

// A loopback TCP relay in front of one instance's TLS listener: Cut()
// drops every connection and refuses new ones (a lost link) until Heal().
class LinkRelay {
 public:
  explicit LinkRelay(int target_port) : target_port_(target_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listener_, 64);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~LinkRelay() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    Cut();
    for (auto& t : pumps_) t.join();
  }
  int port() const { return port_; }
  void Cut() {
    cut_ = true;
    std::lock_guard lock(mu_);
    for (int fd : open_) shutdown(fd, SHUT_RDWR);
  }
  void Heal() { cut_ = false; }

 private:
  void Accept() {
    while (!stop_) {
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      if (cut_) {
        close(client);
        continue;
      }
      int upstream = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(target_port_));
      if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(client);
        close(upstream);
        continue;
      }
      std::lock_guard lock(mu_);
      open_.insert(open_.end(), {client, upstream});
      pumps_.emplace_back([this, client, upstream] { Pump(client, upstream); });
    }
  }
  // Copies both ways until either side closes (or the link is cut).
  void Pump(int a, int b) {
    char buf[16384];
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (!stop_ && !cut_) {
      if (poll(fds, 2, 200) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (fds[i].revents == 0) continue;
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0 || write(fds[1 - i].fd, buf, static_cast<size_t>(n)) != n) closed = true;
      }
      if (closed) break;
    }
    std::lock_guard lock(mu_);
    shutdown(a, SHUT_RDWR);
    shutdown(b, SHUT_RDWR);
    close(a);
    close(b);
    std::erase(open_, a);
    std::erase(open_, b);
  }

  int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

struct Instance {
  std::string name;
  std::string division;
  std::string level;  // county, prefecture, region
  std::string db;
  int tls_port = 0;
  std::unique_ptr<server::Server> monitoring;
  std::unique_ptr<server::Server> federation;
  std::unique_ptr<mv1::MonitoringService::Stub> mon;
  std::unique_ptr<v1::FederationService::Stub> fed;
  std::string config_text;  // peers part of the federation config
  // Production tokens: monitoring refuses development tokens and verifies
  // signed ones for this instance (--instance is `name`); the gateway signs
  // its calls there with its service key.
  bool signed_tokens = false;
};

class FederationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::filesystem::temp_directory_path() / absl::StrCat("zx-fed-pki-", getpid());
    const std::string zxca = absl::StrCat(ZX_SOURCE_DIR, "/tools/zxca/zxca");
    auto run = [&](const std::string& args) {
      const std::string cmd = absl::StrCat(zxca, " ", args, " >/dev/null 2>&1");
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    };
    const std::string dir = pki_.string();
    run("init " + dir);
    for (const char* cert :
         {"region 650000000000", "prefecture 653100000000", "county 653121000000",
          "county 653122000000", "county 653123000000", "county 653201000000",
          "partner 370000000000", "partner 440000000000"}) {
      run(absl::StrCat("issue ", dir, " ", cert));
    }
    run(absl::StrCat("issue ", dir, " county 653121000000 --expired --name expired"));
    // Token keys as zx-token keygen writes them: the issuer of people's
    // tokens (this test, for its own calls to a signed-token monitoring) and
    // the gateway's service key; the token key file lists both public keys.
    const auth::KeyPair issuer = auth::GenerateKeyPair();
    const auth::KeyPair service = auth::GenerateKeyPair();
    issuer_secret_ = issuer.secret_key;
    std::ofstream(ServiceSecretFile()) << auth::Base64UrlEncode(service.secret_key) << "\n";
    std::ofstream(TokenKeysFile())
        << "people-1 " << auth::Base64UrlEncode(issuer.public_key) << "\n"
        << kServiceKeyId << " " << auth::Base64UrlEncode(service.public_key) << "\n";
    // gRPC's own log lines (a refused handshake) go through spdlog.
    log_sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(2000);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(pki_); }

  void SetUp() override {
    spdlog::default_logger()->sinks().push_back(log_sink_);
    add(kRegion, "xj", "region");
    add(kKashgar, "kashgar", "prefecture");
    add(kShufu, "shufu", "county");
    add(kShule, "shule", "county");
    instances_[kShule].signed_tokens = true;
    for (auto& [division, inst] : instances_) inst.tls_port = base::PortOutsideEphemeralRange();
    // One relay per direction of every link, so one link can be cut alone.
    auto peer = [&](const char* from, const char* relation, const char* to, const char* level) {
      auto& relay = links_[{from, to}];
      relay = std::make_unique<LinkRelay>(instances_[to].tls_port);
      return absl::StrCat(relation, " { division_code: '", to, "' level: LEVEL_", level,
                          " address: '127.0.0.1:", relay->port(), "' }\n");
    };
    instances_[kRegion].config_text =
        absl::StrCat("level: LEVEL_REGION\n", peer(kRegion, "children", kKashgar, "PREFECTURE"));
    instances_[kKashgar].config_text = absl::StrCat(
        "level: LEVEL_PREFECTURE\n", peer(kKashgar, "parent", kRegion, "REGION"),
        peer(kKashgar, "children", kShufu, "COUNTY"), peer(kKashgar, "children", kShule, "COUNTY"),
        "partners { division_code: '370000000000' level: LEVEL_PARTNER "
        "grants: 'federation.report.read' }\n",
        "partners { division_code: '440000000000' level: LEVEL_PARTNER }\n");
    instances_[kShufu].config_text =
        absl::StrCat("level: LEVEL_COUNTY\n", peer(kShufu, "parent", kKashgar, "PREFECTURE"));
    instances_[kShule].config_text =
        absl::StrCat("level: LEVEL_COUNTY\n", peer(kShule, "parent", kKashgar, "PREFECTURE"));
    for (auto& [division, inst] : instances_) StartInstance(inst);
  }

  void TearDown() override {
    for (auto& [division, inst] : instances_) {
      if (inst.federation) inst.federation->Shutdown(absl::Seconds(1));
      if (inst.monitoring) inst.monitoring->Shutdown(absl::Seconds(1));
    }
    auto& sinks = spdlog::default_logger()->sinks();
    std::erase(sinks, log_sink_);
  }

  void add(const char* division, const char* name, const char* level) {
    Instance& inst = instances_[division];
    inst.name = name;
    inst.division = division;
    inst.level = level;
  }

  std::string Cert(const std::string& name) const { return (pki_ / (name + ".crt")).string(); }
  std::string Key(const std::string& name) const { return (pki_ / (name + ".key")).string(); }
  static std::string ServiceSecretFile() { return (pki_ / "federation-service.secret").string(); }
  static std::string TokenKeysFile() { return (pki_ / "token.keys").string(); }

  // The token the test presents to `inst`'s monitoring for the person of
  // development token `dev`: itself, or that person's signed token (from the
  // issuer key) where monitoring takes signed tokens only.
  static std::string MonitoringToken(const Instance& inst, const std::string& dev) {
    if (!inst.signed_tokens) return dev;
    auto person = auth::ParseDevToken(dev);
    EXPECT_TRUE(person.ok()) << person.status();
    return auth::SignServiceToken(*person, inst.name, "people-1", issuer_secret_, absl::Now());
  }

  void StartInstance(Instance& inst) {
    auto& stack = testing::Stack::Get();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    inst.db = stack.FreshDatabase(absl::StrCat("fed_", inst.name));
    const std::string ns = absl::StrCat("zx:it-fed-", test, ":", inst.name);
    auto mconfig = stack.ServiceConfig("monitoring", inst.db);
    mconfig.division_code = inst.division;
    mconfig.redis_namespace = ns;
    if (inst.signed_tokens) {
      mconfig.instance = inst.name;
      mconfig.allow_dev_tokens = false;
      mconfig.token_keys_file = TokenKeysFile();
    }
    auto monitoring = server::Server::Start(monitoring::MonitoringSpec(), mconfig);
    ASSERT_TRUE(monitoring.ok()) << monitoring.status();
    inst.monitoring = std::move(*monitoring);
    inst.mon = mv1::MonitoringService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", inst.monitoring->grpc_port()),
                            grpc::InsecureChannelCredentials()));
    StartFederation(inst);
  }

  void StartFederation(Instance& inst) {
    auto& stack = testing::Stack::Get();
    const std::string path = (pki_ / absl::StrCat(inst.name, "-federation.txtpb")).string();
    std::ofstream(path) << inst.config_text << "local_services { name: 'monitoring' address: "
                        << "'127.0.0.1:" << inst.monitoring->grpc_port() << "' }\n"
                        << "backoff_initial_ms: 50 backoff_max_ms: 500 delivery_deadline_ms: 3000\n"
                        << "directive_sweep_seconds: 1\n";
    auto fconfig = stack.ServiceConfig("federation", inst.db);
    fconfig.division_code = inst.division;
    if (inst.signed_tokens) {
      // The service key: local calls are signed for this instance.
      std::ofstream(path, std::ios::app)
          << "service_token_key_id: '" << kServiceKeyId << "' service_token_secret_file: '"
          << ServiceSecretFile() << "'\n";
      fconfig.instance = inst.name;
    }
    fconfig.redis_namespace = absl::StrCat("zx:it-fed:", inst.name);
    fconfig.tls_port = inst.tls_port;
    fconfig.tls_cert = Cert(absl::StrCat(inst.level, "-", inst.division));
    fconfig.tls_key = Key(absl::StrCat(inst.level, "-", inst.division));
    fconfig.tls_ca = (pki_ / "ca.crt").string();
    fconfig.federation_config = path;
    auto federation = server::Server::Start(federation::FederationSpec(), fconfig);
    ASSERT_TRUE(federation.ok()) << federation.status();
    inst.federation = std::move(*federation);
    inst.fed = v1::FederationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", inst.federation->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  static grpc::Status Call(Stub* stub, Method method, const Request& req, Response* resp,
                           const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stub->*method)(&ctx, req, resp);
  }
  template <typename Response, typename Stub, typename Method, typename Request>
  static Response Ok(Stub* stub, Method method, const Request& req, const std::string& token) {
    Response out;
    const grpc::Status s = Call(stub, method, req, &out, token);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return out;
  }

  // Polls `probe` every 100 ms until it returns true (at most `seconds`).
  static bool Eventually(const std::function<bool()>& probe, int seconds = 20) {
    const absl::Time until = absl::Now() + absl::Seconds(seconds);
    while (absl::Now() < until) {
      if (probe()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return probe();
  }

  std::string Rid(const char* what) { return absl::StrCat(what, "-", ++requests_); }

  // A household of four in the first village of `county` living on 1,500
  // yuan of wages a month for the last 12 months (4,500 yuan a head), all
  // guarantees met.
  std::string SeedHousehold(Instance& county, const std::string& village,
                            const std::string& dev_token) {
    const std::string token = MonitoringToken(county, dev_token);
    mv1::CreateHouseholdRequest create;
    create.set_request_id(Rid("hh"));
    create.mutable_household()->set_village_code(village);
    create.mutable_household()->set_category(mv1::HOUSEHOLD_CATEGORY_LIFTED);
    create.mutable_household()->set_member_count(4);
    auto household = Ok<mv1::Household>(
        county.mon.get(), &mv1::MonitoringService::Stub::CreateHousehold, create, token);
    mv1::SetGuaranteesRequest g;
    g.set_request_id(Rid("g"));
    g.set_household_id(household.household_id());
    auto* met = g.mutable_guarantees();
    met->set_food_clothing(mv1::GUARANTEE_STATUS_MET);
    met->set_compulsory_education(mv1::GUARANTEE_STATUS_MET);
    met->set_basic_medical(mv1::GUARANTEE_STATUS_MET);
    met->set_safe_housing(mv1::GUARANTEE_STATUS_MET);
    met->set_safe_water(mv1::GUARANTEE_STATUS_MET);
    Ok<mv1::Guarantees>(county.mon.get(), &mv1::MonitoringService::Stub::SetGuarantees, g, token);
    const absl::CivilMonth now(time::Today());
    for (int i = 12; i >= 1; --i) {
      mv1::RecordIncomeRequest req;
      req.set_request_id(Rid("inc"));
      auto* r = req.mutable_record();
      r->set_household_id(household.household_id());
      r->set_kind(mv1::INCOME_KIND_WAGE);
      r->set_source(mv1::RECORD_SOURCE_SURVEY);
      r->set_month(time::FormatMonth(now - i));
      r->set_amount_fen(150000);
      Ok<mv1::IncomeRecord>(county.mon.get(), &mv1::MonitoringService::Stub::RecordIncome, req,
                            token);
    }
    return household.household_id();
  }

  v1::PolicyRelease PublishLine(const std::string& version, int64_t line_fen,
                                const std::string& effective_from) {
    v1::PublishPolicyRequest req;
    req.set_request_id(Rid("pol"));
    auto* p = req.mutable_policy();
    p->set_version(version);
    p->set_owner_division_code(kRegion);
    p->set_year(static_cast<int32_t>(absl::CivilYear(time::Today()).year()));
    p->set_effective_from(effective_from);
    p->set_monitoring_line_fen(line_fen);
    return Ok<v1::PolicyRelease>(instances_[kRegion].fed.get(),
                                 &v1::FederationService::Stub::PublishPolicy, req, kRegionOfficial);
  }

  mv1::Rollup CountyRollup(Instance& county, const std::string& token) {
    mv1::GetRollupRequest req;
    req.set_division_code(county.division);
    mv1::Rollup out;
    Call(county.mon.get(), &mv1::MonitoringService::Stub::GetRollup, req, &out,
         MonitoringToken(county, token));
    return out;
  }

  v1::FederationStatus Status(Instance& inst, const std::string& token) {
    return Ok<v1::FederationStatus>(inst.fed.get(),
                                    &v1::FederationService::Stub::GetFederationStatus,
                                    v1::GetFederationStatusRequest{}, token);
  }
  static int64_t Backlog(const v1::FederationStatus& status, const std::string& peer) {
    for (const auto& p : status.peers()) {
      if (p.division_code() == peer) return p.backlog();
    }
    return -1;
  }

  // A PeerService stub on `target`'s TLS listener presenting certificate `cert`.
  std::unique_ptr<v1::PeerService::Stub> PeerAs(Instance& target, const std::string& cert) {
    auto credentials =
        server::MutualTlsChannelCredentials((pki_ / "ca.crt").string(), Cert(cert), Key(cert));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return v1::PeerService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", target.federation->tls_port()), *credentials));
  }

  std::string Period() const { return time::FormatMonth(absl::CivilMonth(time::Today())); }

  static constexpr char kServiceKeyId[] = "fed-shule-1";
  static std::filesystem::path pki_;
  static std::string issuer_secret_;
  static std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_sink_;
  std::map<std::string, Instance> instances_;
  // (dialing instance, dialed instance) -> the relay between them.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<LinkRelay>> links_;
  int requests_ = 0;
};

std::filesystem::path FederationTest::pki_;
std::string FederationTest::issuer_secret_;
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> FederationTest::log_sink_;

// Criterion 1.
TEST_F(FederationTest, PolicyReportsApprovalDirectiveAndDrillDownAcrossFourInstances) {
  Instance& region = instances_[kRegion];
  Instance& kashgar = instances_[kKashgar];
  Instance& shufu = instances_[kShufu];
  Instance& shule = instances_[kShule];
  const std::string shufu_household = SeedHousehold(shufu, "653121101201", kShufuOfficial);
  const std::string shule_household = SeedHousehold(shule, "653122100201", kShuleOfficial);
  // Shule's monitoring takes no development token, even from loopback: its
  // gateway's policy, report and drill-down calls below go signed.
  {
    mv1::GetRollupRequest req;
    req.set_division_code(kShule);
    mv1::Rollup out;
    const grpc::Status dev =
        Call(shule.mon.get(), &mv1::MonitoringService::Stub::GetRollup, req, &out, kShuleOfficial);
    EXPECT_EQ(dev.error_code(), grpc::StatusCode::UNAUTHENTICATED) << dev.error_message();
  }

  // ---- Policy down: the region's line reaches both counties and changes
  // their assessments (4,500 yuan a head: above a 3,000 line, below 6,000).
  auto acked_by_all = [&](const std::string& version) {
    return Eventually([&] {
      v1::GetPolicyReleaseRequest get;
      get.set_owner_division_code(kRegion);
      get.set_version(version);
      v1::PolicyRelease release;
      Call(region.fed.get(), &v1::FederationService::Stub::GetPolicyRelease, get, &release,
           kRegionOfficial);
      std::set<std::string> acks;
      for (const auto& a : release.acks()) acks.insert(a.division_code());
      return acks == std::set<std::string>{kRegion, kKashgar, kShufu, kShule};
    });
  };
  PublishLine("xj-fed-1", 300000, absl::StrCat(absl::CivilYear(time::Today()).year(), "-01-01"));
  ASSERT_TRUE(acked_by_all("xj-fed-1")) << "every instance below acknowledges the policy";
  for (auto [county, token] :
       {std::pair{&shufu, kShufuOfficial}, std::pair{&shule, kShuleOfficial}}) {
    ASSERT_TRUE(Eventually([&] {
      auto r = CountyRollup(*county, token);
      return r.assessed_households() == 1 && r.household_colours().red() == 0;
    })) << county->name
        << " assessed against the 3,000-yuan line";
  }
  // A later version takes effect today (two on one day would conflict).
  PublishLine("xj-fed-2", 600000, time::FormatDate(time::Today()));
  ASSERT_TRUE(acked_by_all("xj-fed-2"));
  for (auto [county, token] :
       {std::pair{&shufu, kShufuOfficial}, std::pair{&shule, kShuleOfficial}}) {
    ASSERT_TRUE(Eventually([&] {
      return CountyRollup(*county, token).household_colours().red() == 1;
    })) << county->name
        << " turned red under the 6,000-yuan line";
    mv1::GetEffectivePolicyRequest effective;
    effective.set_division_code(county->division);
    auto policy = Ok<mv1::MonitoringPolicy>(county->mon.get(),
                                            &mv1::MonitoringService::Stub::GetEffectivePolicy,
                                            effective, MonitoringToken(*county, token));
    EXPECT_EQ(policy.version(), "xj-fed-2");
    EXPECT_EQ(policy.owner_division_code(), kRegion);
  }

  // ---- Reports up; approval only after both counties reported.
  const std::string period = Period();
  v1::SubmitReportRequest submit;
  submit.set_period(period);
  submit.set_request_id(Rid("rep"));
  auto shufu_report = Ok<v1::Report>(shufu.fed.get(), &v1::FederationService::Stub::SubmitReport,
                                     submit, kShufuOfficial);
  EXPECT_EQ(shufu_report.monitoring().households(), 1);
  EXPECT_EQ(shufu_report.revision(), 1);
  v1::GetChildrenReportRequest children;
  children.set_period(period);
  ASSERT_TRUE(Eventually([&] {
    return Ok<v1::ChildrenReport>(kashgar.fed.get(),
                                  &v1::FederationService::Stub::GetChildrenReport, children,
                                  kKashgarOfficial)
               .children_size() == 1;
  }));
  v1::ApprovePeriodRequest approve;
  approve.set_period(period);
  approve.set_request_id(Rid("appr"));
  v1::ChildrenReport approved;
  grpc::Status early = Call(kashgar.fed.get(), &v1::FederationService::Stub::ApprovePeriod, approve,
                            &approved, kKashgarOfficial);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find(kShule), std::string::npos) << early.error_message();

  submit.set_request_id(Rid("rep"));
  Ok<v1::Report>(shule.fed.get(), &v1::FederationService::Stub::SubmitReport, submit,
                 kShuleOfficial);
  ASSERT_TRUE(Eventually([&] {
    return Ok<v1::ChildrenReport>(kashgar.fed.get(),
                                  &v1::FederationService::Stub::GetChildrenReport, children,
                                  kKashgarOfficial)
        .missing_children()
        .empty();
  }));
  approve.set_request_id(Rid("appr"));
  approved = Ok<v1::ChildrenReport>(kashgar.fed.get(), &v1::FederationService::Stub::ApprovePeriod,
                                    approve, kKashgarOfficial);
  EXPECT_TRUE(approved.all_approved());
  EXPECT_EQ(approved.aggregate().households(), 2);
  EXPECT_EQ(approved.aggregate().household_colours().red(), 2);
  // The prefecture's aggregate went up to the region.
  ASSERT_TRUE(Eventually([&] {
    v1::ChildrenReport view;
    Call(region.fed.get(), &v1::FederationService::Stub::GetChildrenReport, children, &view,
         kRegionOfficial);
    return view.children_size() == 1 && view.children(0).division_code() == kKashgar &&
           view.children(0).monitoring().households() == 2 &&
           view.children(0).included_children_size() == 2;
  }));
  // Approval locked the counties' period: a later report is refused...
  ASSERT_TRUE(Eventually([&] {
    submit.set_request_id(Rid("rep"));
    v1::Report r;
    return Call(shufu.fed.get(), &v1::FederationService::Stub::SubmitReport, submit, &r,
                kShufuOfficial)
               .error_code() == grpc::StatusCode::FAILED_PRECONDITION;
  })) << "the approved period is locked at the county";
  // ...until the higher level withdraws the approval.
  v1::UnapprovePeriodRequest unapprove;
  unapprove.set_request_id(Rid("unappr"));
  unapprove.set_period(period);
  unapprove.set_child_division_code(kShufu);
  unapprove.set_reason("household count to be re-checked");
  auto reopened =
      Ok<v1::ChildrenReport>(kashgar.fed.get(), &v1::FederationService::Stub::UnapprovePeriod,
                             unapprove, kKashgarOfficial);
  EXPECT_FALSE(reopened.all_approved());
  ASSERT_TRUE(Eventually([&] {
    submit.set_request_id(Rid("rep"));
    v1::Report r;
    return Call(shufu.fed.get(), &v1::FederationService::Stub::SubmitReport, submit, &r,
                kShufuOfficial)
        .ok();
  })) << "after un-approval the county reports again";

  // ---- A directive to one county: acknowledged, started, completed.
  v1::IssueDirectiveRequest issue;
  issue.set_request_id(Rid("dir"));
  issue.set_target_division_code(kShufu);
  issue.set_subject("verify_households");
  issue.set_title("核实红色预警户");
  issue.add_items(shufu_household);
  issue.set_deadline(time::FormatDate(time::Today() + 7));
  auto directive = Ok<v1::Directive>(
      kashgar.fed.get(), &v1::FederationService::Stub::IssueDirective, issue, kKashgarOfficial);
  v1::ListDirectivesRequest received;
  received.set_direction("received");
  ASSERT_TRUE(Eventually([&] {
    return Ok<v1::ListDirectivesResponse>(shufu.fed.get(),
                                          &v1::FederationService::Stub::ListDirectives, received,
                                          kShufuOfficial)
               .directives_size() == 1;
  }));
  EXPECT_EQ(
      Ok<v1::ListDirectivesResponse>(shule.fed.get(), &v1::FederationService::Stub::ListDirectives,
                                     received, kShuleOfficial)
          .directives_size(),
      0)
      << "only the targeted county receives it";
  for (auto step :
       {v1::DIRECTIVE_STEP_ACKNOWLEDGE, v1::DIRECTIVE_STEP_START, v1::DIRECTIVE_STEP_COMPLETE}) {
    v1::AdvanceDirectiveRequest advance;
    advance.set_request_id(Rid("adv"));
    advance.set_directive_id(directive.directive_id());
    advance.set_step(step);
    advance.set_note("入户核实完成");
    Ok<v1::Directive>(shufu.fed.get(), &v1::FederationService::Stub::AdvanceDirective, advance,
                      kShufuOfficial);
  }
  v1::GetDirectiveRequest get_directive;
  get_directive.set_directive_id(directive.directive_id());
  ASSERT_TRUE(Eventually([&] {
    auto d = Ok<v1::Directive>(kashgar.fed.get(), &v1::FederationService::Stub::GetDirective,
                               get_directive, kKashgarOfficial);
    return d.status() == v1::DIRECTIVE_STATUS_COMPLETED && d.history_size() == 4;
  })) << "the issuer sees the directive completed, each step once";

  // ---- An escalation up: Shufu asks to dispose of an asset above its
  // limit; Kashgar approves; the decision comes back.
  v1::RaiseEscalationRequest raise;
  raise.set_request_id(Rid("esc"));
  raise.set_kind("asset_disposal");
  raise.set_subject_division_code("653121101201");
  raise.set_title("报废提灌站水泵");
  raise.set_amount_fen(8'000'000);
  auto escalation = Ok<v1::Escalation>(
      shufu.fed.get(), &v1::FederationService::Stub::RaiseEscalation, raise, kShufuOfficial);
  v1::ListEscalationsRequest incoming;
  incoming.set_direction("received");
  ASSERT_TRUE(Eventually([&] {
    return Ok<v1::ListEscalationsResponse>(kashgar.fed.get(),
                                           &v1::FederationService::Stub::ListEscalations, incoming,
                                           kKashgarOfficial)
               .escalations_size() == 1;
  }));
  v1::DecideEscalationRequest decide;
  decide.set_request_id(Rid("dec"));
  decide.set_escalation_id(escalation.escalation_id());
  decide.set_decision(v1::ESCALATION_STATUS_APPROVED);
  decide.set_note("同意按程序报废");
  v1::Escalation decided;
  EXPECT_EQ(Call(shufu.fed.get(), &v1::FederationService::Stub::DecideEscalation, decide, &decided,
                 kShufuOfficial)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a county does not decide";
  Ok<v1::Escalation>(kashgar.fed.get(), &v1::FederationService::Stub::DecideEscalation, decide,
                     kKashgarOfficial);
  v1::ListEscalationsRequest mine;
  mine.set_direction("raised");
  mine.set_status(v1::ESCALATION_STATUS_APPROVED);
  ASSERT_TRUE(Eventually([&] {
    auto list = Ok<v1::ListEscalationsResponse>(
        shufu.fed.get(), &v1::FederationService::Stub::ListEscalations, mine, kShufuOfficial);
    return list.escalations_size() == 1 && list.escalations(0).decision_note() == "同意按程序报废";
  })) << "the decision came back to the county";

  // ---- Drill-down: one county's households, only within jurisdiction.
  v1::DrillDownHouseholdsRequest drill;
  drill.set_division_code(kShufu);
  auto shufu_list = Ok<mv1::ListHouseholdsResponse>(
      kashgar.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill,
      kKashgarOfficial);
  ASSERT_EQ(shufu_list.households_size(), 1);
  EXPECT_EQ(shufu_list.households(0).household_id(), shufu_household);
  drill.set_division_code(kShule);
  auto shule_list = Ok<mv1::ListHouseholdsResponse>(
      kashgar.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill,
      kKashgarOfficial);
  ASSERT_EQ(shule_list.households_size(), 1);
  EXPECT_EQ(shule_list.households(0).household_id(), shule_household);
  mv1::ListHouseholdsResponse denied;
  EXPECT_EQ(Call(kashgar.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill,
                 &denied, kHotanOfficial)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "another prefecture's official";
  EXPECT_EQ(Call(kashgar.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill,
                 &denied, kShufuOfficial)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a county official drilling into the neighbouring county";
  drill.set_division_code("653201000000");
  EXPECT_EQ(Call(kashgar.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill,
                 &denied, kKashgarOfficial)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "not inside any child instance";
  // The region reaches a county through the prefecture (relayed, same person).
  drill.set_division_code(kShufu);
  auto from_region = Ok<mv1::ListHouseholdsResponse>(
      region.fed.get(), &v1::FederationService::Stub::DrillDownHouseholds, drill, kRegionOfficial);
  ASSERT_EQ(from_region.households_size(), 1);
  EXPECT_EQ(from_region.households(0).household_id(), shufu_household);
  EXPECT_EQ(testing::QueryInt(kashgar.db, "SELECT count(*) FROM monitoring.households"), 0)
      << "the prefecture never copies households";
}

// Criterion 2: the link prefecture <-> Shule is cut while both sides work.
TEST_F(FederationTest, PartitionedCountyCatchesUpExactlyOnceAndInOrder) {
  Instance& kashgar = instances_[kKashgar];
  Instance& shule = instances_[kShule];
  Instance& shufu = instances_[kShufu];
  // One directive delivered before the cut, so the county can work on it
  // while cut off.
  v1::IssueDirectiveRequest issue;
  issue.set_request_id(Rid("dir"));
  issue.set_target_division_code(kShule);
  issue.set_subject("buyers_below_target");
  issue.set_deadline(time::FormatDate(time::Today() + 3));
  auto first = Ok<v1::Directive>(kashgar.fed.get(), &v1::FederationService::Stub::IssueDirective,
                                 issue, kKashgarOfficial);
  v1::ListDirectivesRequest received;
  received.set_direction("received");
  ASSERT_TRUE(Eventually([&] {
    return Ok<v1::ListDirectivesResponse>(shule.fed.get(),
                                          &v1::FederationService::Stub::ListDirectives, received,
                                          kShuleOfficial)
               .directives_size() == 1;
  }));

  // Cut both directions.
  links_[{kKashgar, kShule}]->Cut();
  links_[{kShule, kKashgar}]->Cut();
  constexpr int kDown = 20;
  for (int i = 0; i < kDown; ++i) {
    issue.set_request_id(Rid("dir"));
    issue.set_title(absl::StrCat("directive ", i));
    Ok<v1::Directive>(kashgar.fed.get(), &v1::FederationService::Stub::IssueDirective, issue,
                      kKashgarOfficial);
  }
  for (auto step :
       {v1::DIRECTIVE_STEP_ACKNOWLEDGE, v1::DIRECTIVE_STEP_START, v1::DIRECTIVE_STEP_COMPLETE}) {
    v1::AdvanceDirectiveRequest advance;
    advance.set_request_id(Rid("adv"));
    advance.set_directive_id(first.directive_id());
    advance.set_step(step);
    Ok<v1::Directive>(shule.fed.get(), &v1::FederationService::Stub::AdvanceDirective, advance,
                      kShuleOfficial);
  }
  v1::SubmitReportRequest submit;
  submit.set_request_id(Rid("rep"));
  submit.set_period(Period());
  Ok<v1::Report>(shule.fed.get(), &v1::FederationService::Stub::SubmitReport, submit,
                 kShuleOfficial);
  // The other county is unaffected.
  submit.set_request_id(Rid("rep"));
  Ok<v1::Report>(shufu.fed.get(), &v1::FederationService::Stub::SubmitReport, submit,
                 kShufuOfficial);
  absl::SleepFor(absl::Seconds(3));  // several failed attempts with backoff
  auto during_k = Status(kashgar, kKashgarOfficial);
  auto during_s = Status(shule, kShuleOfficial);
  EXPECT_EQ(Backlog(during_k, kShule), kDown) << "queued at the prefecture";
  EXPECT_EQ(Backlog(during_s, kKashgar), 4) << "three steps and a report queued at the county";
  EXPECT_EQ(Backlog(during_k, kShufu), 0) << "Shufu's link is up";
  for (const auto& p : during_k.peers()) {
    if (p.division_code() == kShule) {
      EXPECT_GT(p.attempts(), 1) << "retried with backoff";
      EXPECT_FALSE(p.last_error().empty());
    }
  }
  v1::GetChildrenReportRequest children;
  children.set_period(Period());
  EXPECT_EQ(
      Ok<v1::ChildrenReport>(kashgar.fed.get(), &v1::FederationService::Stub::GetChildrenReport,
                             children, kKashgarOfficial)
          .children_size(),
      1)
      << "only Shufu's report arrived";

  links_[{kKashgar, kShule}]->Heal();
  links_[{kShule, kKashgar}]->Heal();
  ASSERT_TRUE(Eventually(
      [&] {
        return Backlog(Status(kashgar, kKashgarOfficial), kShule) == 0 &&
               Backlog(Status(shule, kShuleOfficial), kKashgar) == 0;
      },
      30))
      << "both backlogs drain after healing";

  // Exactly once: every queued directive arrived once; in order: the steps
  // of the first directive were applied in the order they were taken, each
  // once (a duplicate or a reordering would show in the history).
  EXPECT_EQ(
      Ok<v1::ListDirectivesResponse>(shule.fed.get(), &v1::FederationService::Stub::ListDirectives,
                                     received, kShuleOfficial)
          .directives_size(),
      kDown + 1);
  v1::GetDirectiveRequest get;
  get.set_directive_id(first.directive_id());
  auto d = Ok<v1::Directive>(kashgar.fed.get(), &v1::FederationService::Stub::GetDirective, get,
                             kKashgarOfficial);
  EXPECT_EQ(d.status(), v1::DIRECTIVE_STATUS_COMPLETED);
  std::vector<int> statuses;
  for (const auto& e : d.history()) statuses.push_back(e.status());
  EXPECT_EQ(statuses,
            (std::vector<int>{v1::DIRECTIVE_STATUS_ISSUED, v1::DIRECTIVE_STATUS_ACKNOWLEDGED,
                              v1::DIRECTIVE_STATUS_IN_PROGRESS, v1::DIRECTIVE_STATUS_COMPLETED}));
  EXPECT_EQ(
      Ok<v1::ChildrenReport>(kashgar.fed.get(), &v1::FederationService::Stub::GetChildrenReport,
                             children, kKashgarOfficial)
          .children_size(),
      2);
  // Sequences: what each side sent is what the other applied, no more.
  EXPECT_EQ(testing::QueryInt(shule.db,
                              "SELECT last_seq FROM federation.peer_inbox "
                              "WHERE sender_division = '653100000000'"),
            testing::QueryInt(kashgar.db,
                              "SELECT last_seq FROM federation.peer_links "
                              "WHERE peer_division = '653122000000'"));
  EXPECT_EQ(testing::QueryInt(kashgar.db,
                              "SELECT last_seq FROM federation.peer_inbox "
                              "WHERE sender_division = '653122000000'"),
            testing::QueryInt(shule.db,
                              "SELECT last_seq FROM federation.peer_links "
                              "WHERE peer_division = '653100000000'"));
  EXPECT_EQ(testing::QueryInt(kashgar.db, "SELECT count(*) FROM federation.peer_outbox"), 0);
  // The backlog metric is back to 0 on the prefecture's /metrics.
  const std::string metrics = HttpGet(kashgar.federation->metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("zx_federation_backlog{peer=\"653122000000\",relation=\"child\"} 0"),
            std::string::npos)
      << metrics.substr(0, 2000);
}

// A sender restored from an older backup queues new envelopes under
// sequences its peer already applied: the peer skips them as duplicates and
// answers with its higher sequence. The sender must stop with DATA_LOSS and
// keep them, not delete them as delivered.
TEST_F(FederationTest, ASenderBehindItsPeerStopsWithDataLossAndDeletesNothing) {
  Instance& kashgar = instances_[kKashgar];
  Instance& shule = instances_[kShule];
  testing::QueryInt(shule.db,
                    "WITH ahead AS (INSERT INTO federation.peer_inbox (sender_division, last_seq) "
                    "VALUES ('653100000000', 10) ON CONFLICT (sender_division) DO UPDATE "
                    "SET last_seq = federation.peer_inbox.last_seq + 10 RETURNING last_seq) "
                    "SELECT last_seq FROM ahead");
  v1::IssueDirectiveRequest issue;
  issue.set_request_id(Rid("dir"));
  issue.set_target_division_code(kShule);
  issue.set_subject("buyers_below_target");
  issue.set_title("sent while the sender is behind");
  issue.set_deadline(time::FormatDate(time::Today() + 3));
  Ok<v1::Directive>(kashgar.fed.get(), &v1::FederationService::Stub::IssueDirective, issue,
                    kKashgarOfficial);
  std::string last_error;
  ASSERT_TRUE(Eventually([&] {
    const v1::FederationStatus status = Status(kashgar, kKashgarOfficial);
    for (const auto& p : status.peers()) {
      if (p.division_code() == kShule) last_error = p.last_error();
    }
    return !last_error.empty();
  }));
  EXPECT_NE(last_error.find("DATA_LOSS"), std::string::npos) << last_error;
  EXPECT_EQ(testing::QueryInt(kashgar.db,
                              "SELECT count(*) FROM federation.peer_outbox "
                              "WHERE peer_division = '653122000000'"),
            1)
      << "the envelope the peer skipped is kept";
  EXPECT_EQ(Backlog(Status(kashgar, kKashgarOfficial), kShule), 1);
  v1::ListDirectivesRequest received;
  received.set_direction("received");
  EXPECT_EQ(
      Ok<v1::ListDirectivesResponse>(shule.fed.get(), &v1::FederationService::Stub::ListDirectives,
                                     received, kShuleOfficial)
          .directives_size(),
      0);
}
// Criterion 3: refusals, each logged in the audit log.
TEST_F(FederationTest, ForeignExpiredUngrantedAndMisplacedCallersAreRefusedAndLogged) {
  Instance& kashgar = instances_[kKashgar];
  auto report_from = [](const std::string& division) {
    v1::DeliverRequest req;
    auto* e = req.add_envelopes();
    e->set_sender_division_code(division);
    e->set_seq(1);
    e->mutable_report()->mutable_report()->set_division_code(division);
    e->mutable_report()->mutable_report()->set_period("2026-11");
    e->mutable_report()->mutable_report()->set_revision(1);
    return req;
  };
  auto deliver = [&](const std::string& cert, const v1::DeliverRequest& req) {
    auto stub = PeerAs(kashgar, cert);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::DeliverResponse resp;
    return stub->Deliver(&ctx, req, &resp);
  };

  // Shule's certificate sending Shufu's report.
  grpc::Status s = deliver("county-653122000000", report_from(kShufu));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("certificate presents 653122000000"), std::string::npos)
      << s.error_message();
  // A county of Kashgar that is not configured (Yengisar, 653123).
  s = deliver("county-653123000000", report_from("653123000000"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("not a configured child"), std::string::npos)
      << s.error_message();
  // A child claiming a parent it does not belong to (Hotan city, 653201).
  s = deliver("county-653201000000", report_from("653201000000"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("does not belong to 653100000000"), std::string::npos)
      << s.error_message();
  // An expired certificate never completes the handshake.
  s = deliver("expired", report_from(kShufu));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // A partner calling an operation it was not granted, and one it was.
  v1::GetAgreedReportRequest agreed;
  agreed.set_period("2026-11");
  v1::Report report;
  {
    auto stub = PeerAs(kashgar, "partner-440000000000");
    grpc::ClientContext ctx;
    s = stub->GetAgreedReport(&ctx, agreed, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("not granted"), std::string::npos) << s.error_message();
  }
  {
    auto stub = PeerAs(kashgar, "partner-370000000000");
    grpc::ClientContext ctx;
    s = stub->GetAgreedReport(&ctx, agreed, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << "granted: refused only for want of "
                                                              "a report, "
                                                           << s.error_message();
  }
  // Partner operations need their grant (Shandong holds report reading
  // only) and a partner: a child's certificate is refused before any grant.
  {
    zx::consumption::v1::SubmitOrderRequest order;
    order.set_request_id("r-partner-order");
    order.set_buyer_id("by-0a0a0a0a0a0a0a0a0a0a");
    zx::consumption::v1::Order placed;
    grpc::ClientContext ctx;
    s = PeerAs(kashgar, "partner-370000000000")->PartnerSubmitOrder(&ctx, order, &placed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("consumption.order.submit is not granted"), std::string::npos)
        << s.error_message();
    zx::employment::v1::UpsertJobRequest job;
    job.set_request_id("r-child-job");
    zx::employment::v1::Job posted;
    grpc::ClientContext ctx2;
    s = PeerAs(kashgar, "county-" + std::string(kShufu))->PartnerUpsertJob(&ctx2, job, &posted);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("only partner provinces"), std::string::npos)
        << s.error_message();
  }
  // A partner may not deliver anything, a person's token is no certificate.
  s = deliver("partner-370000000000", report_from("370000000000"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  {
    auto stub = v1::PeerService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", kashgar.federation->grpc_port()),
                            grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kShufuOfficial));
    v1::DeliverResponse resp;
    EXPECT_EQ(stub->Deliver(&ctx, report_from(kShufu), &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The parent may act only for people of its own jurisdiction: Kashgar's
  // certificate asking Shufu for households on behalf of a Hotan official.
  {
    auto stub = PeerAs(instances_[kShufu], "prefecture-653100000000");
    v1::PeerListHouseholdsRequest req;
    req.set_acting_user_id("h1");
    req.set_acting_role("prefecture_official");
    req.set_acting_division_code("653200000000");
    req.mutable_request()->set_division_code(kShufu);
    grpc::ClientContext ctx;
    mv1::ListHouseholdsResponse resp;
    s = stub->ListHouseholds(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("own jurisdiction"), std::string::npos) << s.error_message();
    EXPECT_EQ(testing::WaitForInt(instances_[kShufu].db,
                                  "SELECT count(*) FROM federation.audit_log WHERE kind = "
                                  "'refusal' AND result_message LIKE '%own jurisdiction%'",
                                  1),
              1);
    // Nor may it claim a local role that sees personal data in clear.
    req.set_acting_role("county_official");
    req.set_acting_division_code(kShufu);
    req.mutable_request()->set_division_code(kShufu);
    grpc::ClientContext ctx2;
    s = stub->ListHouseholds(&ctx2, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("may not drill down"), std::string::npos) << s.error_message();
  }
  // Logged: each refusal is an audit entry with its reason; the handshake
  // failure is in the service log.
  EXPECT_EQ(testing::WaitForInt(kashgar.db,
                                "SELECT count(*) FROM federation.audit_log WHERE kind = 'refusal' "
                                "AND method LIKE '/zx.federation.v1.PeerService/%'",
                                8),
            8);
  EXPECT_EQ(testing::QueryInt(kashgar.db,
                              "SELECT count(*) FROM federation.audit_log WHERE kind = 'refusal' "
                              "AND result_message LIKE '%does not belong to%'"),
            1);
  bool handshake_logged = false;
  for (const std::string& line : log_sink_->last_formatted()) {
    handshake_logged |= line.find("andshake") != std::string::npos &&
                        (line.find("expired") != std::string::npos ||
                         line.find("CERTIFICATE") != std::string::npos ||
                         line.find("certificate") != std::string::npos);
  }
  EXPECT_TRUE(handshake_logged) << "the refused handshake is in the service log";
  // Nothing refused reached the database.
  EXPECT_EQ(testing::QueryInt(kashgar.db, "SELECT count(*) FROM federation.reports"), 0);
  EXPECT_EQ(testing::QueryInt(kashgar.db,
                              "SELECT count(*) FROM federation.peer_inbox "
                              "WHERE last_seq > 0"),
            0);
}

// A county configured under a prefecture that is not its own never starts.
TEST_F(FederationTest, ACountyConfiguredUnderAnotherPrefectureDoesNotStart) {
  Instance& shufu = instances_[kShufu];
  shufu.federation->Shutdown(absl::Seconds(1));
  shufu.federation.reset();
  shufu.config_text =
      "level: LEVEL_COUNTY\n"
      "parent { division_code: '653200000000' level: LEVEL_PREFECTURE address: '127.0.0.1:1' }\n";
  const std::string path = (pki_ / "misplaced-federation.txtpb").string();
  std::ofstream(path) << shufu.config_text;
  auto fconfig = testing::Stack::Get().ServiceConfig("federation", shufu.db);
  fconfig.division_code = kShufu;
  fconfig.tls_cert = Cert("county-653121000000");
  fconfig.tls_key = Key("county-653121000000");
  fconfig.tls_ca = (pki_ / "ca.crt").string();
  fconfig.federation_config = path;
  auto started = server::Server::Start(federation::FederationSpec(), fconfig);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(started.status().message().find("can only be the child of 653100000000"),
            std::string::npos)
      << started.status();
}

// The gateway's service key is checked with its configuration: a gateway
// that could not sign its local calls does not start.
TEST(FederationConfigTest, TheServiceKeyIsCheckedBeforeStart) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string config_path = (dir / absl::StrCat("zx-fed-key-", getpid(), ".txtpb")).string();
  const std::string secret_path = (dir / absl::StrCat("zx-fed-key-", getpid(), ".secret")).string();
  const auth::KeyPair kp = auth::GenerateKeyPair();
  std::ofstream(secret_path) << auth::Base64UrlEncode(kp.secret_key) << "\n";
  config::ServiceConfig c;
  c.instance = "shufu";
  c.division_code = kShufu;
  c.federation_config = config_path;
  auto load = [&](const std::string& key_lines) {
    std::ofstream(config_path, std::ios::trunc) << "level: LEVEL_COUNTY\n" << key_lines;
    return federation::LoadFederationConfig(c);
  };
  auto fails_on = [&](const std::string& key_lines, const std::string& field,
                      const std::string& words) {
    const auto loaded = load(key_lines);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << key_lines;
    EXPECT_NE(loaded.status().message().find(field), std::string_view::npos) << loaded.status();
    EXPECT_NE(loaded.status().message().find(words), std::string_view::npos) << loaded.status();
  };
  const std::string key_file = absl::StrCat("service_token_secret_file: '", secret_path, "'\n");

  auto none = load("");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->service_token_secret.empty()) << "development tokens";
  auto with_key = load("service_token_key_id: 'fed-shufu-1'\n" + key_file);
  ASSERT_TRUE(with_key.ok()) << with_key.status();
  EXPECT_EQ(with_key->service_token_secret, kp.secret_key);

  fails_on("service_token_key_id: 'fed-shufu-1'\n", "service_token_secret_file", "go together");
  fails_on(key_file, "service_token_key_id", "go together");
  fails_on("service_token_key_id: 'fed.shufu'\n" + key_file, "service_token_key_id", "letters");
  fails_on("service_token_key_id: 'fed-shufu-1' service_token_secret_file: '/nonexistent/k'\n",
           "service_token_secret_file", "/nonexistent/k");
  // The public half is no secret key.
  std::ofstream(secret_path, std::ios::trunc) << auth::Base64UrlEncode(kp.public_key) << "\n";
  fails_on("service_token_key_id: 'fed-shufu-1'\n" + key_file, "service_token_secret_file",
           "does not hold a secret key");
  std::filesystem::remove(config_path);
  std::filesystem::remove(secret_path);
}

}  // namespace
}  // namespace zx
