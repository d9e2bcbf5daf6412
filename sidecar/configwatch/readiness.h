// Whether the sidecar is ready to take mail (/readyz, the kubelet's readiness probe). The spool
// has no "cannot accept" state of its own (a failed journal write is an error per batch), so
// readiness is judged before a Send would fail: a config is loaded (always, once started), the
// spool is open and its directory's file system is writable with room for the largest message
// the config allows, and the sidecar is not shutting down.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace mailroom::configwatch {

struct SpoolSpace {
  bool known = false;  // statvfs succeeded
  bool readOnly = false;
  bool writable = false;  // access(W_OK) for this process
  uint64_t freeBytes = 0;
};

// statvfs + access on the spool directory.
SpoolSpace spoolSpace(const std::filesystem::path& dir);

// "" when ready, else the reason (the body of /readyz's 503).
std::string notReadyReason(const SpoolSpace& space, uint64_t maxMessageBytes, bool stopping);

}  // namespace mailroom::configwatch
