#include "lib/sidecarconfig/support.h"

namespace mailroom::sidecarconfig {

Support sidecarSupport(const SidecarConfig& config) {
  Support s;
  for (size_t i = 0; i < config.transports.size(); ++i) {
    const auto& t = config.transports[i];
    const std::string p = "transports[" + std::to_string(i) + "]";
    // Relay transports are delivered (sidecar/delivery/relay_delivery.h).
    // Every perDestination limit is enforced: deliveriesPerConnection (a pooled session is
    // closed after that many), maxConnections and messagesPerMinute (the scheduler's admission).
    if (!t.warmup.empty()) s.unenforced.push_back(p + ".warmup");
    if (t.pause) s.unenforced.push_back(p + ".pause");
  }
  return s;
}

}  // namespace mailroom::sidecarconfig
