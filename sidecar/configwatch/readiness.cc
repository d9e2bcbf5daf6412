#include "sidecar/configwatch/readiness.h"

#include <sys/statvfs.h>
#include <unistd.h>

namespace mailroom::configwatch {

SpoolSpace spoolSpace(const std::filesystem::path& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return {};
  return {.known = true,
          .readOnly = (fs.f_flag & ST_RDONLY) != 0,
          .writable = ::access(dir.c_str(), W_OK) == 0,
          .freeBytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize};
}

std::string notReadyReason(const SpoolSpace& space, uint64_t maxMessageBytes, bool stopping) {
  if (stopping) return "shutting down";
  if (!space.known) return "spool directory cannot be examined";
  if (space.readOnly) return "spool cannot accept: read-only file system";
  if (!space.writable) return "spool cannot accept: directory not writable";
  if (space.freeBytes < maxMessageBytes)
    return "spool cannot accept: " + std::to_string(space.freeBytes) +
           " bytes free, less than spool.maxMessageBytes (" + std::to_string(maxMessageBytes) + ")";
  return "";
}

}  // namespace mailroom::configwatch
