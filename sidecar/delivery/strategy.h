// How mail for one destination leaves, per its Transport's mode: DirectDelivery (MX lookup,
// the address family policy, SMTP to port 25; direct_delivery.h) and, later, RelayDelivery
// (SMTP submission with AUTH to a smarthost on 465/587). The engine routes, counts the attempt and
// keeps the books in a DestinationAttempt; a strategy only decides where to connect and what
// each reply means for each open recipient. Recipients it leaves open are ended by their last
// reply (DestinationAttempt::finishOpen).
#pragma once

#include <string>

#include "lib/common/asio.h"
#include "lib/sidecarconfig/config.h"
#include "sidecar/delivery/attempt.h"

namespace mailroom::delivery {

class DeliveryStrategy {
 public:
  virtual ~DeliveryStrategy() = default;
  // One attempt for the open recipients of `attempt`. The config outlives the call (the
  // attempt keeps the config it started with).
  virtual Task<void> deliver(DestinationAttempt& attempt, const std::string& message,
                             const sidecarconfig::Transport& transport,
                             const sidecarconfig::SidecarConfig& config) = 0;
};

}  // namespace mailroom::delivery
