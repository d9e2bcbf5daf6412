// What this build's sidecar does with a config it parsed: what it refuses to run (nothing at
// the moment: relay transports are delivered since #11) and which fields it reads but does not
// enforce yet, so nothing is silently ignored. The sidecar refuses or logs one warning at
// load; the operator can surface the same. Shrinks as the sidecar learns each field.
#pragma once

#include <string>
#include <vector>

#include "lib/sidecarconfig/config.h"

namespace mailroom::sidecarconfig {

struct Support {
  std::vector<std::string> refused;     // one sentence per field path the sidecar cannot run
  std::vector<std::string> unenforced;  // field paths parsed but not enforced yet
};

Support sidecarSupport(const SidecarConfig& config);

}  // namespace mailroom::sidecarconfig
