// Accepting a message: compose or validate it, build its envelope, spool it durably, and hand
// it to delivery. Independent of gRPC so that it is tested directly; SenderService is the thin
// gRPC edge over it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lib/common/result.h"
#include "lib/metrics/metrics.h"
#include "mailroom/v1/sender.pb.h"
#include "sidecar/config/config.h"
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
    std::function<std::shared_ptr<const config::SidecarConfig>()> config;
    std::function<void(const std::string& id)> accepted;  // hands the id to delivery
    std::function<spool::TimePoint()> now = [] { return spool::Clock::now(); };
    SignFn sign;  // optional
  };
  explicit Intake(Deps deps);

  // INVALID_ARGUMENT-kind errors name the field; other errors are internal (spool failures).
  Result<v1::SendResponse> send(const v1::SendRequest& request);
  Result<v1::Message> get(const std::string& id) const;

 private:
  Deps deps_;
};

}  // namespace mailroom::grpcapi
