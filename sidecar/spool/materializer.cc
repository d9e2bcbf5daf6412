// Files behind the journal: msg/ and env/ for pending messages, final/ batches for the rest,
// compacted in-memory stubs, and checkpoints that let sealed segments go (see spool.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "lib/log/log.h"
#include "sidecar/spool/internal.h"
#include "sidecar/spool/spool.h"

namespace mailroom::spool {

namespace fs = std::filesystem;
using namespace internal;

void Spool::materializerLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Sealed segments wake us at once; otherwise files catch up once a second.
      materializeCv_.wait_for(lock, std::chrono::seconds(1),
                              [&] { return materializerStop_ || !sealed_.empty(); });
      if (materializerStop_) return;
      if (sealed_.empty() && dirty_.empty() && removed_.empty()) continue;
    }
    if (!materializeOnce()) {
      std::unique_lock lock(mu_);  // back off after an error (disk full, I/O)
      if (materializeCv_.wait_for(lock, std::chrono::seconds(1), [&] { return materializerStop_; }))
        return;
    }
  }
}

void Spool::moveToBatch(Entry& entry, uint64_t batch) {
  if (entry.finalBatch != 0) --batchLive_[entry.finalBatch];  // at 0 the materializer deletes it
  entry.finalBatch = batch;
  if (batch != 0) ++batchLive_[batch];
}

// Writes the envelopes already final into one new final/ batch and points their entries at it.
Result<void> Spool::writeFinalBatch(std::vector<std::pair<std::string, Entry>>& finals) {
  if (finals.empty()) return {};
  std::string bytes;
  std::vector<size_t> offsets;
  for (const auto& [id, e] : finals) {
    offsets.push_back(bytes.size());
    bytes += encodeStored(e.stored);
  }
  offsets.push_back(bytes.size());
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    seq = nextBatch_++;
  }
  if (auto w = writeFile(batchPath(seq), bytes, true); !w.ok()) return w;
  std::vector<std::string> staleEnv;
  {
    std::lock_guard lock(mu_);
    batchLive_.try_emplace(seq, 0);
    for (size_t i = 0; i < finals.size(); ++i) {
      const auto& [id, e] = finals[i];
      ++stats_.materialized;
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;  // removed while we wrote
      Entry& current = it->second;
      moveToBatch(current, seq);  // a later revision, if any, is dirty again and moves it on
      if (current.stored.revision == e.stored.revision)
        compact(current, offsets[i], offsets[i + 1] - offsets[i]);
      if (e.journalSeq != 0 && current.journalSeq == e.journalSeq) {
        current.journalSeq = 0;  // the bytes stay only in the journal, never to be read again
        current.messagePresent = false;
      }
      if (current.envFile) {
        current.envFile = false;
        staleEnv.push_back(id);
      }
    }
  }
  std::error_code ec;
  for (const auto& id : staleEnv) fs::remove(envDir_ / id, ec);
  return {};
}

// Writes the files of every dirty envelope, then makes the sealed segments redundant: every
// record in them was applied (so marked dirty) before they were sealed, hence before this pass.
bool Spool::materializeOnce() {
  std::vector<uint64_t> segments, emptyBatches;
  std::vector<std::pair<std::string, Entry>> work, finals;
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    segments.assign(sealed_.begin(), sealed_.end());
    for (const auto& id : dirty_) {
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;
      if (it->second.batchLength != 0) continue;  // compacted: its record is in its batch
      // A message already final (delivered or bounced) is never read again: no msg/ file for
      // bytes still in the journal, and its envelope goes into a batch.
      if (it->second.stored.envelope.final())
        finals.emplace_back(id, it->second);
      else
        work.emplace_back(id, it->second);
    }
    dirty_.clear();
    gone.assign(removed_.begin(), removed_.end());
    removed_.clear();
  }
  bool ok = true;
  std::error_code ec;
  if (auto w = writeFinalBatch(finals); !w.ok()) {
    log::error("spool: cannot write a final batch; the journal keeps it",
               {{"error", w.error().message}});
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : finals)
      if (entries_.count(id)) dirty_.insert(id);
    ok = false;
  }
  for (auto& [id, e] : work) {
    Result<void> w;
    if (e.journalSeq != 0 && e.messagePresent) {
      auto bytes = readMessage(id);
      if (bytes.ok())
        w = writeFile(msgDir_ / id, *bytes, false);
      else if (bytes.error().kind != ErrorKind::kNotFound)
        w = bytes.error();
    }
    if (w.ok()) w = writeFile(envDir_ / id, encodeStored(e.stored), false);
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (!w.ok()) {
      log::error("spool: cannot write files; the journal keeps them",
                 {{"id", id}, {"error", w.error().message}});
      if (it != entries_.end()) dirty_.insert(id);
      ok = false;
      continue;
    }
    ++stats_.materialized;
    if (it == entries_.end()) {
      removed_.insert(id);  // removed while we wrote: the next pass deletes the files
      continue;
    }
    it->second.envFile = true;
    moveToBatch(it->second, 0);  // env/<id> is now the newest copy
    if (!it->second.messagePresent) {
      fs::remove(msgDir_ / id, ec);  // purged while we wrote
    } else if (it->second.journalSeq == e.journalSeq) {
      it->second.journalSeq = 0;  // the bytes now live in msg/<id>
    }
  }
  for (const auto& id : gone) {
    fs::remove(msgDir_ / id, ec);
    fs::remove(envDir_ / id, ec);
  }
  {
    std::lock_guard lock(mu_);
    for (auto it = batchLive_.begin(); it != batchLive_.end();) {
      if (it->second == 0) {
        emptyBatches.push_back(it->first);
        it = batchLive_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (uint64_t seq : emptyBatches) fs::remove(batchPath(seq), ec);
  if (!ok || segments.empty()) return ok;
  if (options_.fsync && ::syncfs(dirFd_) != 0) {
    log::error("spool: syncfs failed; keeping the journal", {{"error", std::strerror(errno)}});
    return false;
  }
  for (uint64_t seq : segments) {
    dropSegmentReader(seq);
    fs::remove(segmentPath(seq), ec);
    if (options_.fsync) (void)::fsync(journalDirFd_);  // in order: see the header
    std::lock_guard lock(mu_);
    if (!sealed_.empty() && sealed_.front() == seq) sealed_.pop_front();
    ++stats_.checkpoints;
  }
  return true;
}

void Spool::compact(Entry& entry, uint64_t offset, size_t length) {
  Envelope& full = entry.stored.envelope;
  Envelope small;
  small.id = std::move(full.id);
  small.idempotencyKey = std::move(full.idempotencyKey);
  small.acceptedAt = full.finishedAt();
  full = std::move(small);
  entry.batchOffset = offset;
  entry.batchLength = static_cast<uint32_t>(length);
}

// A small pread from a file in the page cache; callers may hold mu_ (the batch cannot go while
// an entry points into it: its live count is not zero).
Result<Envelope> Spool::envelopeOf(const Entry& entry) const {
  if (entry.batchLength == 0) return entry.stored.envelope;
  const fs::path path = batchPath(entry.finalBatch);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sysError("open", path);
  std::string bytes(entry.batchLength, '\0');
  ssize_t n = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(entry.batchOffset));
  ::close(fd);
  if (n != static_cast<ssize_t>(bytes.size())) return sysError("read", path);
  auto stored = decodeStored(bytes);
  if (!stored.ok()) return Error::internal(path.string() + ": " + stored.error().message);
  return std::move(stored->envelope);
}

}  // namespace mailroom::spool
