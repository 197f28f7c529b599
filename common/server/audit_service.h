// zx.common.v1.AuditService, served by every server (docs/ARCHITECTURE.md
// §17): VerifyAuditChain, ListAuditEntries, ExportAuditEntries over the
// service's own audit log.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

namespace zx::server {

struct Runtime;

std::unique_ptr<grpc::Service> MakeAuditService(Runtime& runtime);

}  // namespace zx::server
