// Spool::open's recovery: env files, final batches and the journal, the highest revision
// winning (see spool.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/file.h>

#include <algorithm>
#include <map>
#include <set>

#include "lib/log/log.h"
#include "sidecar/spool/internal.h"
#include "sidecar/spool/spool.h"

namespace mailroom::spool {

namespace fs = std::filesystem;
using namespace internal;

Result<void> Spool::recover() {
  std::error_code ec;
  for (const auto& d : {options_.dir, msgDir_, envDir_, finalDir_, journalDir_, quarantineDir_}) {
    fs::create_directories(d, ec);
    if (ec) return Error::temporary("create " + d.string() + ": " + ec.message());
  }
  const fs::path lockPath = options_.dir / "lock";
  lockFd_ = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockFd_ < 0) return sysError("open", lockPath);
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0)
    return Error::temporary("spool " + options_.dir.string() + " is in use by another process");
  dirFd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  journalDirFd_ = ::open(journalDir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd_ < 0 || journalDirFd_ < 0) return sysError("open", options_.dir);

  auto quarantine = [&](const fs::path& file, const std::string& kind, const std::string& why,
                        bool copy = false) {
    fs::path to = quarantineDir_ / quarantineName(kind, file.filename().string());
    log::error("spool: quarantined a file",
               {{"file", file.string()}, {"to", to.string()}, {"reason", why}});
    if (copy)
      fs::copy_file(file, to, ec);
    else
      fs::rename(file, to, ec);
    ++stats_.quarantined;
  };

  // Envelope candidates: the highest revision wins between env files, final batches and
  // journal records.
  struct Candidate {
    StoredEnvelope stored;
    bool fromJournal = false;
    bool removed = false;
    uint64_t batch = 0;  // from final/<batch>.f, at this offset and length
    uint64_t batchOffset = 0;
    size_t batchLength = 0;
  };
  std::set<std::string> envFiles;
  std::map<std::string, Candidate> best;
  std::map<std::string, std::pair<uint64_t, uint64_t>> inJournal;  // id -> segment, offset
  std::map<std::string, std::string> unreadable;                   // env file name -> why
  uint64_t maxRevision = 0;

  for (const auto& dir : {msgDir_, envDir_, finalDir_, journalDir_})
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (endsWith(e.path().filename().string(), ".tmp")) fs::remove(e.path(), ec);

  for (const auto& e : fs::directory_iterator(envDir_, ec)) {
    const std::string name = e.path().filename().string();
    auto bytes = readFile(e.path());
    if (!bytes.ok()) return bytes.error();
    auto stored = decodeStored(*bytes);
    if (!stored.ok()) {
      unreadable[name] = stored.error().message;
      continue;
    }
    if (!validId(name) || stored->envelope.id != name) {
      unreadable[name] = "file name does not match the envelope id";
      continue;
    }
    maxRevision = std::max(maxRevision, stored->revision);
    envFiles.insert(name);
    best[name] = {std::move(*stored), false, false, 0};
  }

  for (const auto& e : fs::directory_iterator(finalDir_, ec)) {
    const std::string name = e.path().filename().string();
    const auto parsed = parseSeqFileName(name, 'f');
    if (!parsed) {
      quarantine(e.path(), "final", "unexpected file in final/");
      continue;
    }
    const uint64_t seq = *parsed;
    nextBatch_ = std::max(nextBatch_, seq + 1);
    batchLive_[seq] = 0;
    auto bytes = readFile(e.path());
    if (!bytes.ok()) return bytes.error();
    auto batch = decodeStoredBatch(*bytes);
    if (batch.validBytes != bytes->size()) {
      // Batches are written without fsync: the journal holds whatever a torn tail lost, unless
      // the disk damaged a synced batch. A copy goes to quarantine for a human either way.
      quarantine(e.path(), "final",
                 "unreadable record at offset " + std::to_string(batch.validBytes), true);
    }
    for (size_t i = 0; i < batch.records.size(); ++i) {
      auto& stored = batch.records[i];
      if (!validId(stored.envelope.id)) continue;
      maxRevision = std::max(maxRevision, stored.revision);
      auto it = best.find(stored.envelope.id);
      if (it == best.end() || it->second.stored.revision < stored.revision) {
        const size_t end = i + 1 < batch.offsets.size() ? batch.offsets[i + 1] : batch.validBytes;
        std::string id = stored.envelope.id;
        best[id] = {std::move(stored), false, false, seq, batch.offsets[i], end - batch.offsets[i]};
      }
    }
  }

  // Replay the journal in segment order.
  std::vector<uint64_t> segments;
  for (const auto& e : fs::directory_iterator(journalDir_, ec)) {
    const std::string name = e.path().filename().string();
    if (const auto seq = parseSeqFileName(name, 'j'))
      segments.push_back(*seq);
    else
      quarantine(e.path(), "journal", "unexpected file in journal/");
  }
  std::sort(segments.begin(), segments.end());
  for (size_t i = 0; i < segments.size(); ++i) {
    const uint64_t seq = segments[i];
    bool clean = true;
    auto r = scanSegment(
        segmentPath(seq),
        [&](Frame& f) {
          if (!validId(f.id)) return;
          if (f.type == kRemove) {
            uint64_t rev = f.stored.size() == 8 ? getU64(f.stored.data()) : 0;
            maxRevision = std::max(maxRevision, rev);
            auto& c = best[f.id];
            if (c.stored.revision <= rev) c = {StoredEnvelope{{}, rev}, true, true, 0};
            return;
          }
          auto stored = decodeStored(f.stored);
          if (!stored.ok() || stored->envelope.id != f.id) return;
          if (f.type == kAccept) inJournal[f.id] = {seq, f.messageOffset};
          maxRevision = std::max(maxRevision, stored->revision);
          auto it = best.find(f.id);
          if (it == best.end() || it->second.stored.revision < stored->revision)
            best[f.id] = {std::move(*stored), true, false, 0};
        },
        clean);
    if (!r.ok()) return r;
    // A bad record before the end of an older segment is damage, not a torn tail: keep a copy.
    if (!clean && i + 1 < segments.size())
      quarantine(segmentPath(seq), "journal", "invalid record before the end", true);
    sealed_.push_back(seq);
  }

  for (auto& [id, c] : best) {
    if (c.fromJournal) unreadable.erase(id);
    if (c.removed) {
      removed_.insert(id);
      continue;
    }
    const auto loc = inJournal.find(id);
    Entry entry{std::move(c.stored), true, 0, 0, 0, envFiles.count(id) > 0};
    // A batch record won: the message is final, so bytes still in the journal are never needed
    // and there is nothing to materialize.
    if (loc != inJournal.end() && c.batch == 0) {
      entry.journalSeq = loc->second.first;
      entry.journalOffset = loc->second.second;
      dirty_.insert(id);
    } else {
      struct stat st {};
      const bool present = ::stat((msgDir_ / id).c_str(), &st) == 0;
      entry.messagePresent =
          present && static_cast<uint64_t>(st.st_size) == entry.stored.messageSize;
      if (!entry.messagePresent && !entry.stored.envelope.final()) {
        log::error("spool: message bytes missing or truncated; dropping the envelope",
                   {{"id", id}, {"present", present}});
        if (fs::exists(envDir_ / id, ec)) quarantine(envDir_ / id, "env", "message bytes missing");
        if (present) quarantine(msgDir_ / id, "msg", "size does not match the envelope");
        continue;
      }
    }
    if (c.fromJournal) dirty_.insert(id);
    if (c.batch != 0) {
      entry.finalBatch = c.batch;
      ++batchLive_[c.batch];
      compact(entry, c.batchOffset, c.batchLength);
    }
    queueDepth_ += entry.stored.envelope.pendingCount();
    if (!entry.stored.envelope.idempotencyKey.empty())
      keys_[entry.stored.envelope.idempotencyKey] = id;
    lastMicros_ = std::max(lastMicros_, idMicros(id));
    entries_.emplace(id, std::move(entry));
  }
  for (const auto& [name, why] : unreadable) quarantine(envDir_ / name, "env", why);
  for (const auto& e : fs::directory_iterator(msgDir_, ec)) {
    const std::string name = e.path().filename().string();
    if (!entries_.count(name) && !removed_.count(name)) quarantine(e.path(), "msg", "no envelope");
  }
  // Batches whose every envelope is superseded or removed.
  for (auto it = batchLive_.begin(); it != batchLive_.end();) {
    if (it->second == 0) {
      fs::remove(batchPath(it->first), ec);
      it = batchLive_.erase(it);
    } else {
      ++it;
    }
  }
  nextRevision_ = maxRevision + 1;
  return openSegment(segments.empty() ? 1 : segments.back() + 1);
}

}  // namespace mailroom::spool
