// The names of the gRPC services a ServerBuilder registers, as gRPC itself
// records them — read by the startup check that every RPC is in the
// permission table (auth::CheckEveryRpcIsDeclared).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

namespace zx::server {

// Installs a builder plugin that copies the registered service names into
// `*names` while the server is built. `names` must outlive BuildAndStart.
void CaptureServiceNames(grpc::ServerBuilder& builder, std::vector<std::string>* names);

}  // namespace zx::server
