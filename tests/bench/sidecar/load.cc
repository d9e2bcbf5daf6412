// Load generator for tests/bench/sidecar/run.sh: N messages of S bytes with C Send calls in
// flight at all times, as fast as the sidecar acknowledges them (each acknowledgement means the
// message is durable). Prints "sent=N failed=F seconds=T rate=R" and one line per failure.
//   mailroom-bench-send --server 127.0.0.1:7587 --messages 20000 --size 4096 --concurrency 20
//       --from bench@example.com --to user@example.net
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "mailroom/v1/sender.grpc.pb.h"

int main(int argc, char** argv) {
  std::string server = "127.0.0.1:7587", from = "bench@example.com", to = "user@example.net";
  long messages = 10000, size = 4096, concurrency = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--server")
      server = v;
    else if (a == "--messages")
      messages = std::stol(v);
    else if (a == "--size")
      size = std::stol(v);
    else if (a == "--concurrency")
      concurrency = std::stol(v);
    else if (a == "--from")
      from = v;
    else if (a == "--to")
      to = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::string header = "From: " + from + "\r\nTo: " + to + "\r\nSubject: bench\r\n\r\n";
  std::string body;
  while (static_cast<long>(header.size() + body.size()) < size)
    body += "The quick brown fox jumps over the lazy dog, 0123456789 abcdefghijklmnop.\r\n";
  body.resize(size - header.size() - 2);
  body += "\r\n";
  const std::string message = header + body;

  // Like smtp-source: `concurrency` calls always in flight from one event-driven client (the
  // callback API), so that the load generator takes as little of the machine as it can.
  auto channel = grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  auto stub = mailroom::v1::Sender::NewStub(channel);
  mailroom::v1::SendRequest req;
  req.set_raw(message);
  std::atomic<long> next{0}, failed{0}, finished{0};
  std::mutex mu;
  std::condition_variable allDone;
  struct Call {
    grpc::ClientContext ctx;
    mailroom::v1::SendResponse resp;
  };
  std::function<void()> startOne = [&] {
    if (next.fetch_add(1) >= messages) return;
    auto call = std::make_shared<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stub->async()->Send(&call->ctx, &req, &call->resp, [&, call](grpc::Status status) {
      if (!status.ok() && failed.fetch_add(1) < 5)
        std::fprintf(stderr, "send failed: %s\n", status.error_message().c_str());
      if (finished.fetch_add(1) + 1 == messages) {
        std::lock_guard lock(mu);
        allDone.notify_all();
      }
      startOne();
    });
  };
  auto start = std::chrono::steady_clock::now();
  for (long w = 0; w < concurrency; ++w) startOne();
  {
    std::unique_lock lock(mu);
    allDone.wait(lock, [&] { return finished.load() >= messages; });
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent=%ld failed=%ld seconds=%.3f rate=%.1f\n", messages - failed.load(),
              failed.load(), seconds, (messages - failed.load()) / seconds);
  return failed.load() ? 1 : 0;
}
