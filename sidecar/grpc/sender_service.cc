#include "sidecar/grpc/sender_service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <limits>

namespace mailroom::grpcapi {

grpc::Status toStatus(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, error.message};
    case ErrorKind::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, error.message};
    case ErrorKind::kTemporary:
      return {grpc::StatusCode::UNAVAILABLE, error.message};
    case ErrorKind::kPermanent:
      return {grpc::StatusCode::FAILED_PRECONDITION, error.message};
    case ErrorKind::kInternal:
      return {grpc::StatusCode::INTERNAL, error.message};
  }
  return {grpc::StatusCode::UNKNOWN, error.message};
}

grpc::ServerUnaryReactor* SenderService::Send(grpc::CallbackServerContext* ctx,
                                              const v1::SendRequest* request,
                                              v1::SendResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  intake_.sendAsync(*request, [response, reactor](Result<v1::SendResponse> result) {
    if (result.ok()) {
      *response = std::move(result.value());
      reactor->Finish(grpc::Status::OK);
    } else {
      reactor->Finish(toStatus(result.error()));
    }
  });
  return reactor;
}

grpc::ServerUnaryReactor* SenderService::GetMessage(grpc::CallbackServerContext* ctx,
                                                    const v1::GetMessageRequest* request,
                                                    v1::Message* response) {
  auto* reactor = ctx->DefaultReactor();
  auto result = intake_.get(request->id());  // from memory: no need to leave this thread
  if (result.ok()) {
    *response = std::move(result.value());
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(toStatus(result.error()));
  }
  return reactor;
}

int maxReceiveMessageBytes(uint64_t maxMessageBytes) {
  const uint64_t limit = maxMessageBytes + kEnvelopeHeadroomBytes;
  return static_cast<int>(std::min<uint64_t>(limit, std::numeric_limits<int>::max()));
}

Result<RunningServer> startServer(const std::vector<std::string>& listen, SenderService& service,
                                  uint64_t maxMessageBytes) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  RunningServer running;
  running.boundPorts.resize(listen.size(), 0);
  for (size_t i = 0; i < listen.size(); ++i)
    builder.AddListeningPort(listen[i], grpc::InsecureServerCredentials(), &running.boundPorts[i]);
  builder.SetMaxReceiveMessageSize(maxReceiveMessageBytes(maxMessageBytes));
  builder.RegisterService(&service);
  running.server = builder.BuildAndStart();
  if (!running.server)
    return Error::internal("gRPC server failed to start on the listen addresses");
  for (size_t i = 0; i < listen.size(); ++i) {
    if (!listen[i].starts_with("unix:") && running.boundPorts[i] == 0)
      return Error::internal("gRPC could not bind " + listen[i]);
  }
  running.server->GetHealthCheckService()->SetServingStatus(true);
  return running;
}

}  // namespace mailroom::grpcapi
