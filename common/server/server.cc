#include "common/server/server.h"

#include "common/base/strings.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sodium.h>

#include <grpc/support/log.h>
#include <prometheus/counter.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/metrics/grpc_metrics.h"
#include "common/server/audit_service.h"
#include "common/server/service_names.h"
#include "common/time/time.h"
#include "zx/common/v1/types.grpc.pb.h"

#ifndef ZX_VERSION
#define ZX_VERSION "dev"
#endif

namespace zx::server {

std::string_view Version() { return ZX_VERSION; }

zx::common::v1::AuditStamp Stamp(const auth::Principal& principal, absl::Time at) {
  zx::common::v1::AuditStamp s;
  s.set_user_id(principal.user_id);
  s.set_role(std::string(auth::RoleName(principal.role)));
  s.set_division_code(principal.division.str());
  *s.mutable_at() = time::ToProto(absl::FromUnixMicros(absl::ToUnixMicros(at)));
  return s;
}

absl::StatusOr<division::Code> StoredDivision(const std::string& code) {
  auto d = division::Code::Parse(code);
  if (!d.ok()) return absl::InternalError("stored division code is invalid");
  return d;
}

std::optional<absl::CivilDay> DateOrToday(const std::string& text, const std::string& field,
                                          errors::Validator& v) {
  if (text.empty()) return time::Today();
  auto d = time::ParseDate(text);
  if (!d) v.Add(field, "must be a date like 2026-11-02");
  return d;
}

std::string NewId(std::string_view prefix) {
  unsigned char bytes[10];
  randombytes_buf(bytes, sizeof bytes);
  char hex[21];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(prefix) + "-" + hex;
}

namespace {

constexpr absl::Duration kMaxCallDeadline = absl::Seconds(30);
// Often enough for alerts on minutes; rare enough that counting a
// prefecture's households costs the database next to nothing.
constexpr absl::Duration kStateGaugeInterval = absl::Seconds(30);
constexpr absl::Duration kIdempotencyPurgeInterval = absl::Hours(1);
constexpr int kIdempotencyPurgeBatch = 5000;

// Purges expired idempotency records at start and then every interval, in
// short transactions of a batch each, so no writer waits on a long delete.
void PurgeExpiredIdempotencyRecords(Runtime& runtime, const std::atomic<bool>& stop) {
  const int days = runtime.config.idempotency_retention_days;
  auto& purged_total = prometheus::BuildCounter()
                           .Name("zx_idempotency_purged_total")
                           .Help("Idempotency records purged after the retention window")
                           .Register(*runtime.registry)
                           .Add({});
  while (!stop) {
    int64_t purged = 0;
    for (int64_t batch = kIdempotencyPurgeBatch; batch == kIdempotencyPurgeBatch && !stop;) {
      const absl::Status s = pg::WithTransaction(*runtime.pool, [&](pqxx::transaction_base& tx) {
        batch = idempotency::PurgeOlderThan(tx, days, kIdempotencyPurgeBatch);
        return absl::OkStatus();
      });
      if (!s.ok()) {
        logging::Warn("idempotency_purge_failed", {{"error", s.ToString()}});
        break;
      }
      purged += batch;
      purged_total.Increment(static_cast<double>(batch));
    }
    if (purged > 0) {
      logging::Info("idempotency_purged",
                    {{"records", absl::StrCat(purged)}, {"retention_days", absl::StrCat(days)}});
    }
    for (absl::Time until = absl::Now() + kIdempotencyPurgeInterval;
         !stop && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
}

std::string NewRequestId() { return "req-" + events::NewEventId(); }

bool IsLoopbackPeer(const std::string& peer) {
  return peer.starts_with("ipv4:127.") || peer.starts_with("ipv6:[::1]") ||
         peer.starts_with("ipv6:%5B::1%5D") || peer.starts_with("unix:");
}

std::string Metadata(const grpc::ServerContextBase& ctx, std::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string(it->second.data(), it->second.size());
}

// gRPC does not tell a handler its method; an interceptor sees it. It notes
// the method of each live call here, for the audit entry (CallMethod).
class CallMethods {
 public:
  static CallMethods& Get() {
    static auto* methods = new CallMethods();
    return *methods;
  }
  void Note(const grpc::ServerContextBase* ctx, const char* method) {
    std::lock_guard lock(mu_);
    methods_[ctx] = method;
  }
  void Forget(const grpc::ServerContextBase* ctx) {
    std::lock_guard lock(mu_);
    methods_.erase(ctx);
  }
  std::string Find(const grpc::ServerContextBase* ctx) {
    std::lock_guard lock(mu_);
    auto it = methods_.find(ctx);
    return it == methods_.end() || it->second == nullptr ? std::string() : it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<const grpc::ServerContextBase*, const char*> methods_;
};

// Lives as long as its call (gRPC destroys it with the call's context).
class MethodNoteInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MethodNoteInterceptor(grpc::experimental::ServerRpcInfo* info)
      : ctx_(info->server_context()) {
    CallMethods::Get().Note(ctx_, info->method());
  }
  ~MethodNoteInterceptor() override { CallMethods::Get().Forget(ctx_); }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  const grpc::ServerContextBase* ctx_;
};

class MethodNoteInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MethodNoteInterceptor(info);
  }
};

// zx.common.v1.ServiceInfo, served by every server.
class ServiceInfoImpl final : public zx::common::v1::ServiceInfo::CallbackService {
 public:
  ServiceInfoImpl(Runtime& rt, std::string name) : rt_(rt), name_(std::move(name)) {}

  grpc::ServerUnaryReactor* GetServiceInfo(grpc::CallbackServerContext* ctx,
                                           const zx::common::v1::GetServiceInfoRequest*,
                                           zx::common::v1::GetServiceInfoResponse* resp) override {
    return Handle(ctx, rt_, [this, resp](CallContext& call) -> absl::Status {
      // Service facts, no division's data: the role check alone decides.
      if (auto s = call.Authorize("service.info.get", call.principal.division); !s.ok()) return s;
      resp->set_service(name_);
      resp->set_version(std::string(Version()));
      resp->set_instance(rt_.config.instance);
      resp->set_division_code(rt_.division.str());
      resp->set_level(division::ToProto(rt_.division.level()));
      *resp->mutable_started_at() = time::ToProto(rt_.started_at);
      return pg::WithTransaction(*rt_.pool, call.tx(), [resp](pqxx::transaction_base& tx) {
        resp->set_outbox_depth(
            tx.exec1("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0].as<int64_t>());
        return absl::OkStatus();
      });
    });
  }

 private:
  Runtime& rt_;
  std::string name_;
};

}  // namespace

std::string CallMethod(const grpc::ServerContextBase& ctx) { return CallMethods::Get().Find(&ctx); }

namespace {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(flag), ": cannot read ", path));
  }
  return text.str();
}

// gRPC's own log lines (a refused TLS handshake: an expired or foreign
// certificate) go to the service log, not bare stderr.
void RouteGrpcLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function([](gpr_log_func_args* args) {
      const std::string where = absl::StrCat(args->file, ":", args->line);
      const logging::Fields fields = {{"where", where}, {"message", args->message}};
      if (args->severity == GPR_LOG_SEVERITY_ERROR) {
        logging::Error("grpc", fields);
      } else if (args->severity == GPR_LOG_SEVERITY_INFO) {
        logging::Info("grpc", fields);
      } else {
        logging::Debug("grpc", fields);
      }
    });
  });
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const config::ServiceConfig& config) {
  auto ca = ReadPemFile(config.tls_ca, "--tls-ca");
  if (!ca.ok()) return ca.status();
  auto cert = ReadPemFile(config.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(config.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file) {
  auto ca = ReadPemFile(ca_file, "tls_ca");
  if (!ca.ok()) return ca.status();
  auto cert = ReadPemFile(cert_file, "tls_cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPemFile(key_file, "tls_key");
  if (!key.ok()) return key.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ca;
  options.pem_private_key = *key;
  options.pem_cert_chain = *cert;
  return grpc::SslCredentials(options);
}

std::string RequestIdOf(const grpc::ServerContextBase& ctx) {
  std::string request_id = Metadata(ctx, "x-request-id");
  if (request_id.empty() || request_id.size() > 128) request_id = NewRequestId();
  return request_id;
}

void CallAudit::Record(std::string_view authorized_action, const division::Code& resource,
                       const absl::Status& outcome) {
  if (!outcome.ok()) {
    if (refused_action.empty()) {
      refused_action = std::string(authorized_action);
      refused_division = resource.str();
    }
    return;
  }
  const auto& declared = auth::DeclaredActions();
  const auto it = declared.find(authorized_action);
  const auth::Access kind = it == declared.end() ? auth::Access::kRead : it->second;
  if (action.empty() || (kind == auth::Access::kWrite && access != auth::Access::kWrite)) {
    action = std::string(authorized_action);
    access = kind;
    resource_division = resource.str();
  }
}

audit::Entry AuditEntryOf(const Runtime& runtime, std::string method, const std::string& request_id,
                          const auth::Principal* principal, const CallAudit& facts,
                          const absl::Status& result) {
  const bool refused = result.code() == absl::StatusCode::kUnauthenticated ||
                       result.code() == absl::StatusCode::kPermissionDenied;
  const bool write = !facts.action.empty() && facts.access == auth::Access::kWrite;
  const bool personal_data_read = facts.personal_data_read && result.ok();
  audit::Entry e;
  e.at = absl::Now();
  e.request_id = audit::Clean(request_id, 128);
  if (principal != nullptr) {
    e.user_id = audit::Clean(principal->user_id, 128);
    e.role = std::string(auth::RoleName(principal->role));
    e.principal_division = principal->division.str();
    e.department = audit::Clean(principal->department, 64);
  }
  e.kind = refused ? audit::kKindRefusal : write ? audit::kKindWrite : audit::kKindRead;
  const bool by_refusal = refused && !facts.refused_action.empty();
  e.action = by_refusal ? facts.refused_action : facts.action;
  e.resource_division = by_refusal ? facts.refused_division : facts.resource_division;
  // Nothing named a division (e.g. no token): the entry belongs to the instance.
  if (e.resource_division.empty()) e.resource_division = runtime.division.str();
  e.method = std::move(method);
  e.resource_id = audit::Clean(facts.resource_id, 128);
  e.purpose = audit::Clean(facts.purpose, 200);
  e.personal_data_read = personal_data_read;
  e.result_code = static_cast<int32_t>(result.code());
  e.result_message =
      audit::Clean(result.ok() ? std::string_view(facts.note) : AsStd(result.message()), 200);
  return e;
}

audit::Entry CallContext::OkAuditEntry() const {
  CallAudit facts = audit;
  if (!audit_resource.empty()) facts.resource_id = audit_resource;
  return AuditEntryOf(runtime, method, request_id, &principal, facts, absl::OkStatus());
}

absl::Status AuditCall(Runtime& runtime, const grpc::ServerContextBase& ctx,
                       const std::string& request_id, const auth::Principal* principal,
                       const CallAudit& facts, const absl::Status& result) {
  const bool refused = result.code() == absl::StatusCode::kUnauthenticated ||
                       result.code() == absl::StatusCode::kPermissionDenied;
  const bool write = !facts.action.empty() && facts.access == auth::Access::kWrite;
  const bool personal_data_read = facts.personal_data_read && result.ok();
  if ((!refused && !write && !personal_data_read) || runtime.audit_log == nullptr) return result;
  if (result.ok() && facts.ok_entry_committed) return result;  // audited with its writes
  const absl::Status appended = runtime.audit_log->Append(
      AuditEntryOf(runtime, CallMethod(ctx), request_id, principal, facts, result));
  if (appended.ok()) return result;
  return absl::UnavailableError(
      absl::StrCat("the call's audit entry could not be written (", appended.message(),
                   "); nothing is answered unaudited: retry with the same request_id"));
}

void Runtime::AddConsumer(std::string_view source_service, events::Handler handler) {
  AddConsumer(source_service, events::PerEventWork(std::move(handler)));
}

void Runtime::AddConsumer(std::string_view source_service, events::BatchWorkFactory make_work) {
  for (int i = 0; i < config.consumer_workers; ++i) {
    events::ConsumerOptions options;
    options.stream_key = events::StreamKey(config.redis_namespace, source_service);
    options.group = config.service;
    // Distinct names: Redis hands each consumer its own entries.
    options.consumer_name = absl::StrCat(events::DefaultConsumerName(), "-", i);
    options.redis_host = config.redis_host;
    options.redis_port = config.redis_port;
    consumers.push_back(
        std::make_unique<events::Consumer>(std::move(options), *pool, make_work, registry.get()));
  }
}

namespace {

constexpr std::string_view kPeerServicePrefix = "/zx.federation.v1.PeerService/";

// The instance certificate the peer presented over mutual TLS, if any.
std::optional<std::string> PeerCertificateName(const grpc::ServerContextBase& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return std::nullopt;
  std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.empty()) return std::nullopt;
  return std::string(names.front().data(), names.front().size());
}

absl::StatusOr<auth::Principal> AuthenticateInstance(const grpc::ServerContextBase& ctx) {
  std::optional<std::string> name = PeerCertificateName(ctx);
  if (!name.has_value()) {
    return absl::UnauthenticatedError(
        "peer calls need an instance certificate (mutual TLS listener)");
  }
  return auth::PrincipalFromCertificate(*name);
}

}  // namespace

absl::StatusOr<auth::Principal> Authenticate(const grpc::CallbackServerContext& ctx,
                                             const Runtime& runtime) {
  // Instances call each other's PeerService with their certificates; those
  // calls take no token, and a certificate authenticates nothing else.
  if (CallMethod(ctx).starts_with(kPeerServicePrefix)) return AuthenticateInstance(ctx);
  std::string header = Metadata(ctx, "authorization");
  if (header.empty()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer <token>\" metadata");
  }
  if (!header.starts_with("Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  const std::string token = header.substr(7);
  if (token.empty()) return absl::UnauthenticatedError("the bearer token is empty");
  if (token.starts_with("dev.")) {
    if (!runtime.config.allow_dev_tokens) {
      return absl::UnauthenticatedError("development tokens are disabled on this server");
    }
    if (!IsLoopbackPeer(ctx.peer())) {
      return absl::UnauthenticatedError("development tokens are accepted only from loopback");
    }
    return auth::ParseDevToken(token);
  }
  if (!runtime.token_verifier.has_value()) {
    return absl::UnauthenticatedError("this server has no token keys configured");
  }
  return runtime.token_verifier->Verify(token, runtime.config.instance, absl::Now());
}

grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Runtime& runtime,
                                 std::function<absl::Status(CallContext&)> fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string request_id = RequestIdOf(*ctx);
  ctx->AddTrailingMetadata("x-request-id", request_id);

  absl::Time deadline = absl::FromChrono(ctx->deadline());
  deadline = std::min(deadline, absl::Now() + kMaxCallDeadline);

  auto task = [ctx, reactor, &runtime, fn = std::move(fn), request_id, deadline]() {
    const absl::Time start = absl::Now();
    absl::Status status;
    std::string who = "-";
    auto principal = Authenticate(*ctx, runtime);
    CallAudit audit;
    if (!principal.ok()) {
      status = principal.status();
    } else if (ctx->IsCancelled()) {
      status = absl::CancelledError("the client cancelled the call");
    } else if (absl::Now() >= deadline) {
      status = absl::DeadlineExceededError("the deadline passed before the call ran");
    } else {
      who = principal->ToString();
      CallContext call{runtime, *principal, request_id, deadline, CallMethod(*ctx)};
      try {
        status = fn(call);
      } catch (const std::exception& e) {
        // Never let an exception become UNKNOWN: map database errors, else INTERNAL.
        status = pg::StatusFromException(e);
      }
      audit = std::move(call.audit);
      if (!call.audit_resource.empty()) audit.resource_id = call.audit_resource;
    }
    // Durable before the answer (a separate transaction from the handler's,
    // unless the handler committed its OK entry with its writes).
    status =
        AuditCall(runtime, *ctx, request_id, principal.ok() ? &*principal : nullptr, audit, status);
    const auto ms = absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start));
    const std::string code(absl::StatusCodeToString(status.code()));
    if (status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
        status.code() == absl::StatusCode::kNotFound ||
        status.code() == absl::StatusCode::kAlreadyExists ||
        status.code() == absl::StatusCode::kFailedPrecondition) {
      logging::Debug("rpc",
                     {{"request_id", request_id}, {"principal", who}, {"code", code}, {"ms", ms}});
    } else {
      logging::Warn("rpc", {{"request_id", request_id},
                            {"principal", who},
                            {"code", code},
                            {"ms", ms},
                            {"error", AsStd(status.message())}});
    }
    reactor->Finish(errors::ToGrpcStatus(status));
  };
  if (!runtime.workers->TrySubmit(std::move(task))) {
    reactor->Finish(errors::ToGrpcStatus(
        absl::ResourceExhaustedError("server is at capacity; retry with backoff")));
  }
  return reactor;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServiceSpec spec,
                                                      config::ServiceConfig config) {
  std::unique_ptr<Server> server(new Server());
  server->spec_ = std::move(spec);
  auto division = division::Code::Parse(config.division_code);
  if (!division.ok()) return division.status();
  if (server->spec_.check_config) {
    if (auto checked = server->spec_.check_config(config); !checked.ok()) return checked;
  }
  auto rt = std::make_unique<Runtime>(*division);
  rt->config = std::move(config);
  rt->schema = server->spec_.name;
  rt->stream_key = events::StreamKey(rt->config.redis_namespace, server->spec_.name);
  rt->started_at = absl::Now();
  rt->registry = std::make_shared<prometheus::Registry>();
  if (!rt->config.token_keys_file.empty()) {
    auto verifier = auth::TokenVerifier::FromFile(rt->config.token_keys_file);
    if (!verifier.ok()) return verifier.status();
    rt->token_verifier = std::move(*verifier);
  }

  if (rt->config.personal_data_keys_file.empty()) {
    logging::Warn("personal_data_dev_key",
                  {{"detail", "no --personal-data-keys: sealing with a random key lost at exit"}});
    rt->vault = personal_data::Vault::Random("dev-ephemeral");
  } else {
    auto vault = personal_data::Vault::FromFile(rt->config.personal_data_keys_file);
    if (!vault.ok()) return vault.status();
    rt->vault = std::move(*vault);
  }

  // Metrics first, so a taken port fails fast with a clear message.
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(
        absl::StrCat(rt->config.host, ":", rt->config.metrics_port));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve /metrics on ", rt->config.host, ":",
                                               rt->config.metrics_port, ": ", e.what()));
  }
  server->exposer_->RegisterCollectable(rt->registry);
  server->metrics_port_ = server->exposer_->GetListeningPorts().front();

  // Schema: wait for PostgreSQL for a while (it may be starting alongside).
  absl::Status migrated;
  for (int attempt = 0; attempt < 30; ++attempt) {
    try {
      pqxx::connection conn(rt->config.pg);
      migrated = migrations::Apply(conn, rt->schema, "common", migrations::CommonMigrations());
      if (migrated.ok() && server->spec_.migrations != nullptr) {
        migrated = migrations::Apply(conn, rt->schema, "service", *server->spec_.migrations);
      }
      break;
    } catch (const std::exception& e) {
      migrated = pg::StatusFromException(e);
      logging::Warn("waiting_for_postgres", {{"error", e.what()}});
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (!migrated.ok()) return migrated;

  rt->pool = std::make_unique<pg::Pool>(pg::PoolOptions{.conninfo = rt->config.pg,
                                                        .size = rt->config.pg_pool_size,
                                                        .search_path = rt->schema,
                                                        .name = server->spec_.name},
                                        rt->registry.get());
  rt->audit_log = std::make_unique<audit::Log>(*rt->pool);
  rt->workers = std::make_unique<WorkerPool>(rt->config.worker_threads,
                                             static_cast<size_t>(rt->config.worker_threads) * 64);

  server->relay_ =
      std::make_unique<events::Relay>(events::RelayOptions{.pg_conninfo = rt->config.pg,
                                                           .schema = rt->schema,
                                                           .stream_key = rt->stream_key,
                                                           .redis_host = rt->config.redis_host,
                                                           .redis_port = rt->config.redis_port},
                                      rt->registry.get());

  Runtime& runtime = *rt;
  server->runtime_ = std::move(rt);
  if (server->spec_.make_services) server->services_ = server->spec_.make_services(runtime);
  server->services_.push_back(std::make_unique<ServiceInfoImpl>(runtime, server->spec_.name));
  server->services_.push_back(MakeAuditService(runtime));

  RouteGrpcLogs();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(runtime.config.host, ":", runtime.config.grpc_port),
                           grpc::InsecureServerCredentials(), &server->grpc_port_);
  if (!runtime.config.tls_cert.empty()) {
    auto credentials = MutualTlsServerCredentials(runtime.config);
    if (!credentials.ok()) return credentials.status();
    builder.AddListeningPort(absl::StrCat(runtime.config.tls_host, ":", runtime.config.tls_port),
                             *credentials, &server->tls_port_);
  }
  for (auto& s : server->services_) builder.RegisterService(s.get());
  // Input hardening (docs/ARCHITECTURE.md §16): a request above this is
  // refused by gRPC with RESOURCE_EXHAUSTED before it is parsed.
  builder.SetMaxReceiveMessageSize(runtime.config.max_message_bytes);
  server->grpc_metrics_ = std::make_unique<metrics::GrpcMetrics>(*runtime.registry);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(
      std::make_unique<metrics::MetricsInterceptorFactory>(server->grpc_metrics_.get()));
  factories.push_back(std::make_unique<MethodNoteInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  std::vector<std::string> service_names;
  CaptureServiceNames(builder, &service_names);
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0 ||
      (!runtime.config.tls_cert.empty() && server->tls_port_ == 0)) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", runtime.config.host, ":",
                                               runtime.config.grpc_port,
                                               " (port taken or address invalid)"));
  }
  // No unlisted endpoint: every RPC served must have a row in the table.
  if (auto declared = auth::CheckEveryRpcIsDeclared(service_names); !declared.ok()) {
    server->grpc_server_->Shutdown(std::chrono::system_clock::now());
    return declared;
  }
  server->relay_->Start();
  for (auto& consumer : runtime.consumers) consumer->Start();
  if (!runtime.state_gauges.empty()) {
    runtime.background_tasks.push_back([&runtime](const std::atomic<bool>& stop) {
      RunStateGauges(runtime.state_gauges, *runtime.pool, *runtime.registry, kStateGaugeInterval,
                     stop);
    });
  }
  if (runtime.config.idempotency_retention_days > 0) {
    runtime.background_tasks.push_back([&runtime](const std::atomic<bool>& stop) {
      PurgeExpiredIdempotencyRecords(runtime, stop);
    });
  }
  for (auto& task : runtime.background_tasks) {
    server->background_threads_.emplace_back(
        [task, stop = &server->stop_background_] { task(*stop); });
  }

  auto* health = server->grpc_server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  if (!server->spec_.grpc_service_name.empty()) {
    health->SetServingStatus(server->spec_.grpc_service_name, true);
  }
  logging::Info("serving", {{"grpc_port", std::to_string(server->grpc_port_)},
                            {"metrics_port", std::to_string(server->metrics_port_)},
                            {"version", std::string(Version())}});
  return server;
}

void Server::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  logging::Info("shutting_down", {{"grace_s", absl::StrCat(absl::ToInt64Seconds(grace))}});
  grpc_server_->GetHealthCheckService()->SetServingStatus(false);
  runtime_->stopping = true;  // server streams end themselves (UNAVAILABLE)
  // Stop accepting; in-flight calls get until the deadline, then are cancelled.
  grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  runtime_->workers->Drain();
  stop_background_ = true;
  for (auto& t : background_threads_) t.join();
  // All asked first, then joined: each may be blocked in a read for up to
  // its block time, and they wait out that time together, not in turn.
  for (auto& consumer : runtime_->consumers) consumer->RequestStop();
  for (auto& consumer : runtime_->consumers) consumer->Stop();
  relay_->Stop(absl::Seconds(5));  // flush what committed before we stopped
  logging::Info("stopped");
}

Server::~Server() {
  if (grpc_server_ != nullptr) Shutdown(absl::ZeroDuration());
}

int RunServiceMain(ServiceSpec spec, int argc, char** argv) {
  // Signals are taken synchronously by the main thread; block them before any
  // thread starts so no other thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = config::ParseServiceConfig(spec.name, argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "zx-%s: invalid configuration: %s\n", spec.name.c_str(),
                 std::string(config.status().message()).c_str());
    return 2;
  }
  logging::Init(spec.name, config->instance, config->log_level);
  logging::Info("config", {{"settings", config::Describe(*config)}});
  const absl::Duration grace = absl::Seconds(config->shutdown_grace_seconds);
  auto server = Server::Start(std::move(spec), std::move(*config));
  if (!server.ok()) {
    logging::Error("start_failed", {{"error", server.status().ToString()}});
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  logging::Info("signal", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(grace);
  return 0;
}

}  // namespace zx::server
