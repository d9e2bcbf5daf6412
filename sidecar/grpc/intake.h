// Accepting a message: compose or validate it, build its envelope, spool it durably, and hand
// it to delivery. Independent of gRPC so that it is tested directly; SenderService is the thin
// gRPC edge over it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lib/common/result.h"
#include "lib/metrics/metrics.h"
#include "lib/sidecarconfig/config.h"
#include "mailroom/v1/sender.pb.h"
#include "sidecar/spool/spool.h"

namespace mailroom::grpcapi {

// Signs a composed message: returns the header fields to prepend (CRLF-terminated) and a
// note for the status ("signed by example.com s=rsa1"), or an error when signing is required
// and impossible.
struct Signature {
  std::string headers;
  std::string note;
};
using SignFn =
    std::function<Result<Signature>(const std::string& message, const std::string& fromDomain)>;

class Intake {
 public:
  struct Deps {
    spool::Spool& spool;
    metrics::Registry& metrics;
    std::function<std::shared_ptr<const sidecarconfig::SidecarConfig>()> config;
    std::function<void(const std::string& id)> accepted;  // hands the id to delivery
    std::function<spool::TimePoint()> now = [] { return spool::Clock::now(); };
    SignFn sign;  // optional
    // Whether `sign` holds a key for a From domain, i.e. will do a private-key operation (up to
    // ~0.3 ms for RSA-2048): such messages are signed through `offload`, so that gRPC's threads
    // stay free for I/O. Both optional: without them everything runs on the caller's thread.
    std::function<bool(const std::string& fromDomain)> signs;
    std::function<void(std::function<void()>)> offload;
  };
  explicit Intake(Deps deps);

  using SendDone = std::function<void(Result<v1::SendResponse>)>;
  // Composes and validates on the caller's thread, signs (offloaded when the From domain has a
  // key), and spools without blocking: `done` runs once the message is durable (on the spool's
  // completion thread) or at once with the error. INVALID_ARGUMENT-kind errors name the field;
  // other errors are internal (spool failures).
  void sendAsync(const v1::SendRequest& request, SendDone done);
  Result<v1::SendResponse> send(const v1::SendRequest& request);  // waits for sendAsync
  Result<v1::Message> get(const std::string& id) const;

 private:
  struct Prepared {
    spool::Envelope envelope;
    std::string message;
    uint64_t maxMessageBytes = 0;
    bool sign = false;  // the signer holds a key for the From domain
  };
  Result<Prepared> prepare(const v1::SendRequest& request);
  void signAndSpool(std::shared_ptr<Prepared> prepared, SendDone done);
  void spooled(Result<spool::Spool::Accepted> accepted, const SendDone& done);

  Deps deps_;
};

}  // namespace mailroom::grpcapi
