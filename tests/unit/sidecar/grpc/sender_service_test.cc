// The gRPC edge over a real server on 127.0.0.1 (port 0): Send and GetMessage through the
// generated stub, error codes, and the standard health and reflection services (spoken with
// hand-encoded protobuf through the generic stub: Debian ships no generated code for them).
#include "sidecar/grpc/sender_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <future>
#include <limits>

#include "mailroom/v1/sender.grpc.pb.h"
#include "tests/unit/sidecar/spool/temp_dir.h"

namespace mailroom::grpcapi {
namespace {

using spool::testing::TempDir;

std::string bytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer bufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

class SenderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spool_ = std::move(spool::Spool::open({.dir = tmp_.path()}).value());
    config_->hostname = "relay.example.com";
    intake_ = std::make_unique<Intake>(Intake::Deps{
        .spool = *spool_,
        .metrics = metrics_,
        .config = [this] { return std::shared_ptr<const sidecarconfig::SidecarConfig>(config_); },
        .accepted = [](const std::string&) {}});
    service_ = std::make_unique<SenderService>(*intake_);
    auto running = startServer({"127.0.0.1:0"}, *service_, config_->maxMessageBytes);
    ASSERT_TRUE(running.ok()) << running.error().message;
    server_ = std::move(running->server);
    ASSERT_GT(running->boundPorts[0], 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(running->boundPorts[0]),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Sender::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  grpc::Status unary(const std::string& method, const std::string& request, std::string* reply) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    grpc::ByteBuffer in = bufferOf(request), out;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                      [&](grpc::Status s) { done.set_value(std::move(s)); });
    auto status = done.get_future().get();
    *reply = bytesOf(out);
    return status;
  }

  TempDir tmp_;
  std::unique_ptr<spool::Spool> spool_;
  metrics::Registry metrics_;
  std::shared_ptr<sidecarconfig::SidecarConfig> config_ =
      std::make_shared<sidecarconfig::SidecarConfig>();
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<SenderService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Sender::Stub> stub_;
};

TEST_F(SenderServiceTest, SendThenGetMessage) {
  v1::SendRequest request;
  auto* s = request.mutable_structured();
  s->set_from("app@example.com");
  s->add_to("user@example.net");
  s->set_subject("hello");
  s->set_text("body");
  v1::SendResponse response;
  grpc::ClientContext ctx;
  auto status = stub_->Send(&ctx, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(spool_->readMessage(response.id()).ok());  // durable before OK

  v1::GetMessageRequest get;
  get.set_id(response.id());
  v1::Message message;
  grpc::ClientContext ctx2;
  ASSERT_TRUE(stub_->GetMessage(&ctx2, get, &message).ok());
  EXPECT_EQ(message.id(), response.id());
  ASSERT_EQ(message.recipients_size(), 1);
  EXPECT_EQ(message.recipients(0).address(), "user@example.net");
}

TEST_F(SenderServiceTest, ErrorsMapToGrpcCodes) {
  v1::SendRequest bad;
  bad.set_raw("From: app@example.com\r\nTo: not an address\r\n\r\nx\r\n");
  v1::SendResponse response;
  grpc::ClientContext ctx;
  auto status = stub_->Send(&ctx, bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(spool_->stats().operations, 0u);

  v1::GetMessageRequest get;
  get.set_id("0000000000000001-abcd");
  v1::Message message;
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub_->GetMessage(&ctx2, get, &message).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A raw message of `size` bytes: headers, then lines of 76 characters.
std::string rawMessageOf(size_t size) {
  std::string m = "From: app@example.com\r\nTo: user@example.net\r\nSubject: big\r\n\r\n";
  const std::string line(76, 'x');
  while (m.size() + line.size() + 2 <= size) m += line + "\r\n";
  m.append(size - m.size() - 2, 'y');
  m += "\r\n";
  return m;
}

// gRPC's own receive limit is 4 MB; the server's follows spool.maxMessageBytes (25 MB by default),
// so a 20 MB message is spooled, and one just over maxMessageBytes gets the clear
// INVALID_ARGUMENT, not gRPC's RESOURCE_EXHAUSTED.
TEST_F(SenderServiceTest, ReceiveLimitFollowsMaxMessageBytes) {
  ASSERT_EQ(config_->maxMessageBytes, 26214400u);
  v1::SendRequest big;
  big.set_raw(rawMessageOf(20 << 20));
  v1::SendResponse response;
  grpc::ClientContext ctx;
  auto status = stub_->Send(&ctx, big, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto stored = spool_->readMessage(response.id());
  ASSERT_TRUE(stored.ok());
  EXPECT_GE(stored->size(), size_t{20 << 20});

  v1::SendRequest over;
  over.set_raw(rawMessageOf(config_->maxMessageBytes + 1));
  grpc::ClientContext ctx2;
  status = stub_->Send(&ctx2, over, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("exceeds the limit of 26214400"), std::string::npos)
      << status.error_message();
}

TEST(MaxReceiveMessageBytesTest, AddsEnvelopeHeadroomAndStaysAnInt) {
  EXPECT_EQ(maxReceiveMessageBytes(26214400), 26214400 + (1 << 20));
  EXPECT_EQ(maxReceiveMessageBytes(1ULL << 31), std::numeric_limits<int>::max());
}

// grpc.health.v1.Health/Check with an empty HealthCheckRequest (service ""): the reply is
// HealthCheckResponse{status: SERVING(1)}, field 1 varint: bytes 08 01.
TEST_F(SenderServiceTest, HealthServiceSaysServing) {
  std::string reply;
  auto status = unary("/grpc.health.v1.Health/Check", "", &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, std::string("\x08\x01", 2));
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with list_services (field 7,
// empty string: bytes 3a 00): the reply lists mailroom.v1.Sender.
TEST_F(SenderServiceTest, ReflectionListsTheSenderService) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](int expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, reinterpret_cast<void*>(static_cast<intptr_t>(expected)));
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  call->Write(bufferOf(std::string("\x3a\x00", 2)), reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  EXPECT_NE(bytesOf(reply).find("mailroom.v1.Sender"), std::string::npos);
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// The other loopback-only transport: a Unix socket (e.g. an emptyDir shared in the pod).
TEST(StartServerTest, ServesOnAUnixSocket) {
  TempDir tmp;
  auto spool = std::move(spool::Spool::open({.dir = tmp.path() / "spool"}).value());
  metrics::Registry metrics;
  auto config = std::make_shared<sidecarconfig::SidecarConfig>();
  config->hostname = "relay.example.com";
  std::shared_ptr<const sidecarconfig::SidecarConfig> frozen = config;
  Intake intake({.spool = *spool,
                 .metrics = metrics,
                 .config = [frozen] { return frozen; },
                 .accepted = [](const std::string&) {}});
  SenderService service(intake);
  const std::string address = "unix:" + (tmp.path() / "sender.sock").string();
  auto running = startServer({address}, service, config->maxMessageBytes);
  ASSERT_TRUE(running.ok()) << running.error().message;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "sender.sock"));
  auto stub = v1::Sender::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::SendRequest request;
  request.set_raw("From: app@example.com\r\nTo: user@example.net\r\nSubject: s\r\n\r\nx\r\n");
  v1::SendResponse response;
  grpc::ClientContext ctx;
  auto status = stub->Send(&ctx, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(spool->find(response.id()));
  running->server->Shutdown();
}

TEST(StartServerTest, RefusesAnAddressItCannotBind) {
  TempDir tmp;
  auto spool = std::move(spool::Spool::open({.dir = tmp.path()}).value());
  metrics::Registry metrics;
  auto config = std::make_shared<const sidecarconfig::SidecarConfig>();
  Intake intake({.spool = *spool,
                 .metrics = metrics,
                 .config = [config] { return config; },
                 .accepted = [](const std::string&) {}});
  SenderService service(intake);
  // 198.51.100.1 is a documentation address that no interface here has.
  auto running = startServer({"198.51.100.1:0"}, service, config->maxMessageBytes);
  EXPECT_FALSE(running.ok());
}

}  // namespace
}  // namespace mailroom::grpcapi
