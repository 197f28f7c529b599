// gRPC handlers of zx.monitoring.v1.MonitoringService: validate, authorize,
// then one transaction through the store. Thin by design.
#pragma once

#include "common/server/server.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {

class MonitoringServiceImpl final : public zx::monitoring::v1::MonitoringService::CallbackService {
 public:
  explicit MonitoringServiceImpl(server::Runtime& runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* CreateHousehold(grpc::CallbackServerContext* ctx,
                                            const v1::CreateHouseholdRequest* request,
                                            v1::Household* response) override;
  grpc::ServerUnaryReactor* GetHousehold(grpc::CallbackServerContext* ctx,
                                         const v1::GetHouseholdRequest* request,
                                         v1::Household* response) override;
  grpc::ServerUnaryReactor* ListHouseholds(grpc::CallbackServerContext* ctx,
                                           const v1::ListHouseholdsRequest* request,
                                           v1::ListHouseholdsResponse* response) override;
  grpc::ServerUnaryReactor* AddPerson(grpc::CallbackServerContext* ctx,
                                      const v1::AddPersonRequest* request,
                                      v1::Person* response) override;
  grpc::ServerUnaryReactor* ListPersons(grpc::CallbackServerContext* ctx,
                                        const v1::ListPersonsRequest* request,
                                        v1::ListPersonsResponse* response) override;

 private:
  server::Runtime& rt_;
};

// The spec main() runs and tests start in-process.
server::ServiceSpec MonitoringSpec();

}  // namespace zx::monitoring
