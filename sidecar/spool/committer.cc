// The journal: group commit (one write and one fdatasync per batch), completions on their own
// thread, and zero-filled spare segments (see spool.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "lib/log/log.h"
#include "sidecar/spool/internal.h"
#include "sidecar/spool/spool.h"

namespace mailroom::spool {

namespace fs = std::filesystem;
using namespace internal;

Result<void> Spool::openSegment(uint64_t seq) {
  const fs::path path = segmentPath(seq);
  int spare = -1;
  {
    std::lock_guard lock(mu_);
    spare = spareFd_;
  }
  if (spare >= 0) {
    // The preparer makes no new spare until spareFd_ is cleared, after this rename.
    const bool renamed = ::rename((journalDir_ / "spare.tmp").c_str(), path.c_str()) == 0;
    {
      std::lock_guard lock(mu_);
      spareFd_ = -1;
    }
    spareCv_.notify_one();
    if (renamed && (!options_.fsync || syncFd(journalDirFd_, "journal dir").ok())) {
      segmentFd_ = spare;
      segmentSeq_ = seq;
      segmentOffset_ = 0;
      return {};
    }
    ::close(spare);
    std::error_code ec;
    fs::remove(renamed ? path : journalDir_ / "spare.tmp", ec);
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sysError("create", path);
  // Preallocated so that appends need no block allocation; the unwritten tail reads as zeros.
  (void)::posix_fallocate(fd, 0, static_cast<off_t>(options_.journalSegmentBytes));
  if (options_.fsync) {
    if (auto r = syncFd(fd, path.string()); !r.ok()) {
      ::close(fd);
      return r;
    }
    if (auto r = syncFd(journalDirFd_, "journal dir"); !r.ok()) {
      ::close(fd);
      return r;
    }
  }
  segmentFd_ = fd;
  segmentSeq_ = seq;
  segmentOffset_ = 0;
  return {};
}

void Spool::committerLoop() {
  std::vector<std::shared_ptr<Op>> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      workCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      batch.swap(queue_);
      stats_.queued -= batch.size();
    }
    Result<void> r = commitBatch(batch);
    {
      std::lock_guard lock(mu_);
      for (auto& op : batch) {
        if (!r.ok() && !op->error) op->error = r.error();
        if (!op->error) apply(*op);
        if (op->kind == kAccept && !op->stored.envelope.idempotencyKey.empty())
          pendingKeys_.erase(op->stored.envelope.idempotencyKey);
        op->done = true;
      }
      if (r.ok()) {
        ++stats_.commits;
        stats_.operations += batch.size();
      }
    }
    {
      std::lock_guard lock(completionMu_);
      completions_.push_back(std::move(batch));
    }
    completionCv_.notify_one();
    batch = {};
  }
}

void Spool::completerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Op>> batch;
    {
      std::unique_lock lock(completionMu_);
      completionCv_.wait(lock, [&] { return completerStop_ || !completions_.empty(); });
      if (completions_.empty()) return;  // stopping, and every completion ran
      batch = std::move(completions_.front());
      completions_.pop_front();
    }
    for (auto& op : batch) {
      if (op->onDone) op->onDone(*op);
      for (auto& follower : op->followers) follower(*op);
    }
  }
}

// One journal write and one flush for the whole batch.
Result<void> Spool::commitBatch(std::vector<std::shared_ptr<Op>>& batch) {
  std::string journal;
  for (auto& op : batch) {
    const std::string& id = op->stored.envelope.id;
    if (op->kind == kRemove) {
      std::string rev;
      putU64(rev, op->stored.revision);
      appendFrame(journal, kRemove, id, rev, {});
    } else {
      op->journalOffset = appendFrame(journal, op->kind, id, encodeStored(op->stored),
                                      op->kind == kAccept ? op->message : "");
    }
  }
  if (segmentOffset_ > 0 && segmentOffset_ + journal.size() > options_.journalSegmentBytes) {
    ::close(segmentFd_);
    segmentFd_ = -1;
    {
      std::lock_guard lock(mu_);
      sealed_.push_back(segmentSeq_);
      wantSpare_ = true;
    }
    materializeCv_.notify_one();
    spareCv_.notify_one();
    if (auto r = openSegment(segmentSeq_ + 1); !r.ok()) return r;
  }
  size_t done = 0;
  while (done < journal.size()) {
    ssize_t n = ::pwrite(segmentFd_, journal.data() + done, journal.size() - done,
                         static_cast<off_t>(segmentOffset_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sysError("write", segmentPath(segmentSeq_));
    done += static_cast<size_t>(n);
  }
  if (options_.beforeSync) options_.beforeSync();
  if (options_.fsync && ::fdatasync(segmentFd_) != 0)
    return sysError("fdatasync", segmentPath(segmentSeq_));
  for (auto& op : batch) {
    op->journalSeq = segmentSeq_;
    op->journalOffset += segmentOffset_;
  }
  // A failed write leaves garbage after segmentOffset_ that the next batch overwrites.
  segmentOffset_ += journal.size();
  return {};
}

void Spool::preparerLoop() {
  const fs::path path = journalDir_ / "spare.tmp";
  const std::string zeros(1 << 20, '\0');
  for (;;) {
    {
      std::unique_lock lock(mu_);
      spareCv_.wait(lock, [&] { return preparerStop_ || (wantSpare_ && spareFd_ < 0); });
      if (preparerStop_) return;
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (uint64_t off = 0; ok && off < options_.journalSegmentBytes; off += zeros.size()) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(zeros.size(), options_.journalSegmentBytes - off));
      ok = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(off)) == static_cast<ssize_t>(n);
      std::lock_guard lock(mu_);
      if (preparerStop_) ok = false;
    }
    if (ok && options_.fsync) ok = ::fdatasync(fd) == 0;
    std::unique_lock lock(mu_);
    if (ok && !preparerStop_) {
      spareFd_ = fd;
      continue;
    }
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    fs::remove(path, ec);
    if (preparerStop_) return;
    log::warn("spool: cannot prepare a journal segment; new segments are preallocated instead",
              {{"path", path.string()}});
    // Without a spare the committer falls back to fallocate; try again in a minute.
    if (spareCv_.wait_for(lock, std::chrono::minutes(1), [&] { return preparerStop_; })) return;
  }
}

}  // namespace mailroom::spool
