#include "lib/sidecarconfig/support.h"

namespace mailroom::sidecarconfig {

Support sidecarSupport(const SidecarConfig& config) {
  Support s;
  for (size_t i = 0; i < config.transports.size(); ++i) {
    const auto& t = config.transports[i];
    const std::string p = "transports[" + std::to_string(i) + "]";
    if (t.relay())
      s.refused.push_back(p + ".relay (transport \"" + t.name +
                          "\"): relay transports are not supported by this sidecar build yet");
    for (size_t j = 0; j < t.perDestination.size(); ++j) {
      const auto& l = t.perDestination[j];
      const std::string lp = p + ".limits.perDestination[" + std::to_string(j) + "]";
      // deliveriesPerConnection is enforced (a pooled session is closed after that many), and
      // maxConnections (the scheduler's admission policy).
      if (l.messagesPerMinute) s.unenforced.push_back(lp + ".messagesPerMinute");
    }
    if (!t.warmup.empty()) s.unenforced.push_back(p + ".warmup");
    if (t.pause) s.unenforced.push_back(p + ".pause");
  }
  return s;
}

}  // namespace mailroom::sidecarconfig
