// Which config the sidecar runs: a generation number that grows with every reload that changes
// what is in force, and a hash of the content (the config file's bytes and every key file's), so
// that an operator can tell two pods apart and match a pod to a rendered ConfigMap and Secret.
// The hash covers key files because a key rotation changes the sidecar's behaviour without
// touching the config; it is SHA-256 (a digest of a private key reveals nothing usable).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::configwatch {

// The first 16 hex digits of SHA-256 over the parts, each prefixed with its length.
std::string contentHash(const std::vector<std::string>& parts);

// contentHash over the config file's bytes (given) and each key file's (read here).
Result<std::string> snapshotHash(const std::string& configBytes,
                                 const std::vector<std::filesystem::path>& keyFiles);

struct Generation {
  uint64_t number = 0;  // 1 = the config loaded at start
  std::string hash;
  bool operator==(const Generation&) const = default;
};

// A valid config with `hash` was read: the generation it runs next. The same hash is the same
// generation (a SIGHUP or a burst of events that changed nothing does not bump it).
Generation advance(const Generation& current, const std::string& hash);

}  // namespace mailroom::configwatch
