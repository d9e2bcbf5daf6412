// The gRPC edge (callback API): Send and GetMessage over Intake, plus the standard health
// service and server reflection. Nothing here blocks: Send composes on gRPC's thread and
// finishes the call from the spool's completion once the message is durable, so no thread
// waits on fsync and no thread hand-off sits between the request and the journal.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "mailroom/v1/sender.grpc.pb.h"
#include "sidecar/grpc/intake.h"

namespace mailroom::grpcapi {

class SenderService final : public v1::Sender::CallbackService {
 public:
  explicit SenderService(Intake& intake) : intake_(intake) {}

  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* ctx, const v1::SendRequest* request,
                                 v1::SendResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(grpc::CallbackServerContext* ctx,
                                       const v1::GetMessageRequest* request,
                                       v1::Message* response) override;

 private:
  Intake& intake_;
};

grpc::Status toStatus(const Error& error);

// The largest Send request the server reads: the config's largest message plus room for the
// envelope and the structured fields (a structured message grows when composed, so its request
// is smaller than the message it makes). A message over maxMessageBytes but under this gets the
// clear INVALID_ARGUMENT from Intake instead of gRPC's "Received message larger than max".
inline constexpr uint64_t kEnvelopeHeadroomBytes = 1 << 20;  // ~20,000 recipients
int maxReceiveMessageBytes(uint64_t maxMessageBytes);

// Builds and starts the server on every listen address ("127.0.0.1:7587", "[::1]:7587",
// "unix:/path"); port 0 picks a free port, reported in boundPorts (0 for unix sockets).
struct RunningServer {
  std::unique_ptr<grpc::Server> server;
  std::vector<int> boundPorts;
};
Result<RunningServer> startServer(const std::vector<std::string>& listen, SenderService& service,
                                  uint64_t maxMessageBytes);

}  // namespace mailroom::grpcapi
