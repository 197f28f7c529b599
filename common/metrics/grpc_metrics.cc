#include "common/metrics/grpc_metrics.h"

#include <chrono>
#include <string_view>

namespace zx::metrics {

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

GrpcMetrics::GrpcMetrics(prometheus::Registry& registry)
    : handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, regardless of success or failure")
                   .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Response latency of RPCs handled by the server")
                   .Register(registry)) {}

void GrpcMetrics::Record(const char* full_method, grpc::StatusCode code, double seconds,
                         std::string_view type) {
  std::lock_guard lock(mu_);
  auto it = methods_.find(std::string_view(full_method));
  if (it == methods_.end()) {
    // "/zx.monitoring.v1.MonitoringService/CreateHousehold"
    std::string_view m(full_method);
    PerMethod pm;
    const auto slash = m.rfind('/');
    pm.service = std::string(m.substr(1, slash - 1));
    pm.method = std::string(m.substr(slash + 1));
    pm.type = std::string(type);
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    pm.seconds = &seconds_.Add(
        {{"grpc_service", pm.service}, {"grpc_method", pm.method}, {"grpc_type", pm.type}},
        kBuckets);
    it = methods_.emplace(std::string(m), std::move(pm)).first;
  }
  PerMethod& pm = it->second;
  auto counter = pm.handled.find(static_cast<int>(code));
  if (counter == pm.handled.end()) {
    counter =
        pm.handled
            .emplace(static_cast<int>(code), &handled_.Add({{"grpc_service", pm.service},
                                                            {"grpc_method", pm.method},
                                                            {"grpc_type", pm.type},
                                                            {"grpc_code", StatusCodeName(code)}}))
            .first;
  }
  counter->second->Increment();
  pm.seconds->Observe(seconds);
}

namespace {

std::string_view TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case Type::CLIENT_STREAMING:
      return "client_stream";
    case Type::SERVER_STREAMING:
      return "server_stream";
    case Type::BIDI_STREAMING:
      return "bidi_stream";
    default:
      return "unary";
  }
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info, GrpcMetrics* metrics)
      : info_(info), metrics_(metrics) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_->Record(info_->method(), methods->GetSendStatus().error_code(), elapsed.count(),
                       TypeName(info_->type()));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  GrpcMetrics* metrics_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info, metrics_);
}

}  // namespace zx::metrics
