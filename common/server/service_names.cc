#include "common/server/service_names.h"

#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

namespace zx::server {
namespace {

class NamesPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit NamesPlugin(std::vector<std::string>* names) : names_(names) {}
  std::string name() override { return "zx_service_names"; }
  void InitServer(grpc::ServerInitializer* si) override {
    if (const auto* list = si->GetServiceList()) *names_ = *list;
  }
  void Finish(grpc::ServerInitializer*) override {}
  void ChangeArguments(const std::string&, void*) override {}
  bool has_sync_methods() const override { return false; }
  bool has_async_methods() const override { return false; }

 private:
  std::vector<std::string>* names_;
};

class NamesOption final : public grpc::ServerBuilderOption {
 public:
  explicit NamesOption(std::vector<std::string>* names) : names_(names) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<NamesPlugin>(names_));
  }

 private:
  std::vector<std::string>* names_;
};

}  // namespace

void CaptureServiceNames(grpc::ServerBuilder& builder, std::vector<std::string>* names) {
  builder.SetOption(std::make_unique<NamesOption>(names));
}

}  // namespace zx::server
