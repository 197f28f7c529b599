// gRPC server metrics under the names Prometheus users know from
// go-grpc-prometheus: grpc_server_handled_total{grpc_service,grpc_method,
// grpc_code} and the grpc_server_handling_seconds histogram.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace zx::metrics {

class GrpcMetrics {
 public:
  explicit GrpcMetrics(prometheus::Registry& registry);
  // `type`: "unary", "client_stream", "server_stream" or "bidi_stream"
  // (go-grpc-prometheus names); fixed per method.
  void Record(const char* full_method, grpc::StatusCode code, double seconds,
              std::string_view type = "unary");

 private:
  struct PerMethod {
    std::string service, method, type;
    prometheus::Histogram* seconds = nullptr;
    std::map<int, prometheus::Counter*> handled;  // by code
  };
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  std::mutex mu_;
  std::map<std::string, PerMethod, std::less<>> methods_;
};

// Name of a status code as gRPC spells it ("OK", "INVALID_ARGUMENT", ...).
const char* StatusCodeName(grpc::StatusCode code);

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  GrpcMetrics* metrics_;
};

}  // namespace zx::metrics
