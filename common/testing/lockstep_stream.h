// Test helper for the bulk streams (common/server/batch_stream.h): sends
// each message and reads its response before the next, half-closes, reads
// what the server still sends, and returns the status with every response.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace zx::testing {

template <typename Response>
struct LockstepResult {
  grpc::Status status;
  std::vector<Response> responses;
};

template <typename Request, typename Response>
LockstepResult<Response> RunLockstep(
    grpc::ClientContext& ctx,
    const std::function<
        std::unique_ptr<grpc::ClientReaderWriter<Request, Response>>(grpc::ClientContext*)>& open,
    const std::vector<Request>& messages) {
  auto stream = open(&ctx);
  LockstepResult<Response> out;
  for (const Request& m : messages) {
    if (!stream->Write(m)) break;
    Response response;
    if (!stream->Read(&response)) break;
    out.responses.push_back(response);
  }
  stream->WritesDone();
  Response last;
  while (stream->Read(&last)) out.responses.push_back(last);
  out.status = stream->Finish();
  return out;
}

}  // namespace zx::testing
