// Shared by the spool's source files (spool.cc: the API; recover.cc: open; committer.cc: the
// journal's group commit; materializer.cc: files behind the journal): file helpers, ids, the
// journal frame format and the queued operation. Not part of the spool's interface.
#pragma once

#include <cerrno>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"
#include "sidecar/spool/spool.h"

namespace mailroom::spool {
namespace internal {

enum OpKind : uint8_t { kAccept = 1, kUpdate = 2, kRemove = 3 };

// Disk errors (full, I/O) may clear up: temporary, so callers retry rather than bounce.
Error sysError(const std::string& what, const std::filesystem::path& path, int err = errno);
Result<void> writeAll(int fd, std::string_view data, const std::filesystem::path& path);
// Creates (O_EXCL) or truncates `path` and writes `data`; no fsync (the journal is durable).
Result<void> writeFile(const std::filesystem::path& path, std::string_view data, bool exclusive);
Result<std::string> readFile(const std::filesystem::path& path);  // kNotFound when missing
Result<void> syncFd(int fd, const std::string& what);

bool isHex(std::string_view s);
// Ids are "<16 hex: microseconds since the epoch>-<4 hex: per-process suffix>".
bool validId(std::string_view s);
uint64_t idMicros(std::string_view id);
bool endsWith(std::string_view s, std::string_view suffix);
// Journal segments and final batches are numbered files: "<16 hex digits>.<extension>".
std::string seqFileName(uint64_t seq, char extension);
std::optional<uint64_t> parseSeqFileName(std::string_view name, char extension);
// "<kind>-<name>-<microseconds>": a name in quarantine/ that never collides with an earlier one.
std::string quarantineName(const std::string& kind, const std::string& name);

// Journal frames (layout in spool.h). Returns the offset of the message bytes in `out`.
size_t appendFrame(std::string& out, uint8_t type, std::string_view id, std::string_view stored,
                   std::string_view message);
struct Frame {
  uint8_t type = 0;
  std::string id, stored;
  uint64_t messageOffset = 0, messageSize = 0;  // in the segment file
};

// Reads the frames of one journal segment until the first invalid one (the unwritten tail, or a
// torn write that was never acknowledged). `clean` says whether the scan stopped at zeros.
Result<void> scanSegment(const std::filesystem::path& path,
                         const std::function<void(Frame&)>& onFrame, bool& clean);

inline Spool::Accepted acceptedFrom(const Envelope& envelope, bool duplicate) {
  return Spool::Accepted{envelope.id, duplicate, envelope};
}

}  // namespace internal

struct Spool::Op {
  using Done = std::function<void(const Op&)>;
  internal::OpKind kind = internal::kAccept;
  StoredEnvelope stored;
  std::string ownedMessage;  // accept: the bytes, when the op owns them (acceptAsync)
  std::string_view message;  // accept: the bytes (ownedMessage, or the waiting caller's)
  uint64_t journalSeq = 0, journalOffset = 0;  // accept: where the committer put the bytes
  bool done = false;
  std::optional<Error> error;
  // Run on the completer thread without mu_ once the op is durable (or failed), in queue order.
  // Each waiter is woken on its own: no condition variable shared by every caller.
  Done onDone;
  std::vector<Done> followers;  // accepts that found this op's idempotency key pending
};

}  // namespace mailroom::spool
