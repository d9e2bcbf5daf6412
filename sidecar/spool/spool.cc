#include "sidecar/spool/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <random>
#include <set>

#include "lib/log/log.h"
#include "sidecar/spool/internal.h"

namespace mailroom::spool {

namespace fs = std::filesystem;
using namespace internal;

Spool::Spool(Options options) : options_(std::move(options)) {
  msgDir_ = options_.dir / "msg";
  envDir_ = options_.dir / "env";
  finalDir_ = options_.dir / "final";
  journalDir_ = options_.dir / "journal";
  quarantineDir_ = options_.dir / "quarantine";
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rd() & 0xffff));
  idSuffix_ = suffix;
}

Result<std::unique_ptr<Spool>> Spool::open(Options options) {
  if (options.dir.empty()) return Error::invalidArgument("spool: no directory");
  if (options.journalSegmentBytes < 4096) options.journalSegmentBytes = 4096;
  std::unique_ptr<Spool> spool(new Spool(std::move(options)));
  if (auto r = spool->recover(); !r.ok()) return r.error();
  spool->committer_ = std::thread([s = spool.get()] { s->committerLoop(); });
  spool->completer_ = std::thread([s = spool.get()] { s->completerLoop(); });
  spool->materializer_ = std::thread([s = spool.get()] { s->materializerLoop(); });
  spool->preparer_ = std::thread([s = spool.get()] { s->preparerLoop(); });
  return spool;
}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  workCv_.notify_all();
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard lock(completionMu_);
    completerStop_ = true;
  }
  completionCv_.notify_all();
  if (completer_.joinable()) completer_.join();  // after running every queued completion
  {
    std::lock_guard lock(mu_);
    materializerStop_ = true;
  }
  materializeCv_.notify_all();
  if (materializer_.joinable()) materializer_.join();
  {
    std::lock_guard lock(mu_);
    preparerStop_ = true;
  }
  spareCv_.notify_all();
  if (preparer_.joinable()) preparer_.join();
  if (spareFd_ >= 0) {
    ::close(spareFd_);
    std::error_code ec;
    fs::remove(journalDir_ / "spare.tmp", ec);
  }
  if (segmentFd_ >= 0) ::close(segmentFd_);
  // A clean shutdown materializes everything: the next open replays nothing.
  if (options_.drainOnClose && segmentFd_ >= 0) {
    {
      std::lock_guard lock(mu_);
      sealed_.push_back(segmentSeq_);
    }
    materializeOnce();
  }
  if (journalDirFd_ >= 0) ::close(journalDirFd_);
  if (dirFd_ >= 0) ::close(dirFd_);
  if (lockFd_ >= 0) ::close(lockFd_);  // releases the flock
}

fs::path Spool::batchPath(uint64_t seq) const {
  return finalDir_ / seqFileName(seq, 'f');
}

fs::path Spool::segmentPath(uint64_t seq) const {
  return journalDir_ / seqFileName(seq, 'j');
}

std::string Spool::newId() {
  uint64_t micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
          .count());
  lastMicros_ = std::max(micros, lastMicros_ + 1);
  char id[32];
  std::snprintf(id, sizeof id, "%016llx-%s", static_cast<unsigned long long>(lastMicros_),
                idSuffix_.c_str());
  return id;
}

void Spool::submit(std::shared_ptr<Op> op) {
  queue_.push_back(std::move(op));
  ++stats_.queued;
  workCv_.notify_one();
}

Result<Spool::Accepted> Spool::accept(Envelope envelope, std::string_view message) {
  std::promise<Result<Accepted>> result;
  auto future = result.get_future();
  acceptImpl(std::move(envelope), {}, message,
             [&result](Result<Accepted> r) { result.set_value(std::move(r)); });
  return future.get();  // `message` stays alive until the op is done
}

void Spool::acceptAsync(Envelope envelope, std::string message, AcceptDone done) {
  acceptImpl(std::move(envelope), std::move(message), {}, std::move(done));
}

void Spool::acceptImpl(Envelope envelope, std::string owned, std::string_view message,
                       AcceptDone done) {
  if (envelope.recipients.empty()) return done(Error::invalidArgument("envelope: no recipients"));
  auto op = std::make_shared<Op>();
  op->kind = kAccept;
  op->ownedMessage = std::move(owned);
  op->message = op->ownedMessage.empty() ? message : std::string_view(op->ownedMessage);
  op->stored.messageSize = op->message.size();
  op->stored.messageCrc = crc32c(op->message);  // O(size), outside the lock
  envelope.size = op->message.size();
  for (auto& r : envelope.recipients) trimHistory(r);
  std::unique_lock lock(mu_);
  const std::string& key = envelope.idempotencyKey;
  if (!key.empty()) {
    if (auto it = keys_.find(key); it != keys_.end()) {
      auto existing = envelopeOf(entries_.at(it->second));
      lock.unlock();
      if (!existing.ok()) return done(existing.error());
      return done(acceptedFrom(*existing, true));
    }
  }
  auto finish = [done = std::move(done)](const Op& o, bool duplicate) {
    if (o.error) return done(*o.error);
    done(acceptedFrom(o.stored.envelope, duplicate));
  };
  if (!key.empty()) {
    if (auto it = pendingKeys_.find(key); it != pendingKeys_.end()) {
      it->second->followers.push_back([finish](const Op& first) { finish(first, true); });
      return;
    }
  }
  envelope.id = newId();
  op->stored.revision = nextRevision_++;
  op->stored.envelope = std::move(envelope);
  op->onDone = [finish](const Op& o) { finish(o, false); };
  if (!op->stored.envelope.idempotencyKey.empty())
    pendingKeys_[op->stored.envelope.idempotencyKey] = op;
  submit(std::move(op));
}

Result<void> Spool::update(const Envelope& envelope) {
  std::promise<Result<void>> result;
  auto future = result.get_future();
  updateAsync(envelope, [&result](Result<void> r) { result.set_value(std::move(r)); });
  return future.get();
}

void Spool::updateAsync(const Envelope& envelope, UpdateDone done) {
  auto op = std::make_shared<Op>();
  op->kind = kUpdate;
  std::unique_lock lock(mu_);
  auto it = entries_.find(envelope.id);
  if (it == entries_.end()) {
    lock.unlock();
    return done(Error::notFound("spool: no envelope " + envelope.id));
  }
  auto current = envelopeOf(it->second);
  if (!current.ok()) {
    lock.unlock();
    return done(current.error());
  }
  op->stored = it->second.stored;
  op->stored.envelope = std::move(*current);
  Envelope& e = op->stored.envelope;
  e.recipients = envelope.recipients;
  e.needsSmtpUtf8 = envelope.needsSmtpUtf8;
  e.eightBit = envelope.eightBit;
  e.fromDomain = envelope.fromDomain;
  e.messageId = envelope.messageId;
  e.notes = envelope.notes;
  for (auto& r : e.recipients) trimHistory(r);
  op->stored.revision = nextRevision_++;
  op->onDone = [done = std::move(done)](const Op& o) {
    if (o.error) return done(*o.error);
    done(Result<void>{});
  };
  submit(std::move(op));
}

Result<std::string> Spool::readMessage(const std::string& id) const {
  // The materializer may move the bytes from the journal to msg/<id> (and delete the segment)
  // between our look-up and our read: look again then.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Entry entry;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(id);
      if (it == entries_.end()) return Error::notFound("spool: no envelope " + id);
      if (!it->second.messagePresent)
        return Error::notFound("spool: message " + id + " was purged (final)");
      entry.stored.messageSize = it->second.stored.messageSize;
      entry.stored.messageCrc = it->second.stored.messageCrc;
      entry.journalSeq = it->second.journalSeq;
      entry.journalOffset = it->second.journalOffset;
    }
    const uint64_t size = entry.stored.messageSize;
    Result<std::string> bytes = std::string();
    if (entry.journalSeq != 0) {
      auto fd = segmentReader(entry.journalSeq);
      if (!fd.ok()) {
        if (fd.error().kind == ErrorKind::kNotFound) continue;
        return fd.error();
      }
      bytes->resize(size);
      ssize_t n = ::pread(**fd, bytes->data(), size, static_cast<off_t>(entry.journalOffset));
      if (n < 0) return sysError("read", segmentPath(entry.journalSeq));
      bytes->resize(static_cast<size_t>(n));
    } else {
      bytes = readFile(msgDir_ / id);
      if (!bytes.ok()) {
        if (bytes.error().kind == ErrorKind::kNotFound) continue;  // purged meanwhile
        return bytes.error();
      }
    }
    if (bytes->size() != size || crc32c(*bytes) != entry.stored.messageCrc)
      return Error::internal("spool: message " + id + " does not match its checksum");
    return bytes;
  }
  return Error::notFound("spool: message " + id + " vanished while reading");
}

// Delivery reads most messages from the journal: one descriptor per live segment instead of an
// open and close per message. Shared so that dropping a segment never closes it under a reader.
Result<std::shared_ptr<const int>> Spool::segmentReader(uint64_t seq) const {
  std::lock_guard lock(readersMu_);
  if (auto it = readers_.find(seq); it != readers_.end()) return it->second;
  const fs::path path = segmentPath(seq);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error::notFound("no segment " + path.string());
    return sysError("open", path);
  }
  std::shared_ptr<const int> shared(new int(fd), [](const int* p) {
    ::close(*p);
    delete p;
  });
  readers_.emplace(seq, shared);
  return shared;
}

void Spool::dropSegmentReader(uint64_t seq) {
  std::lock_guard lock(readersMu_);
  readers_.erase(seq);
}

std::optional<Envelope> Spool::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  auto envelope = envelopeOf(it->second);
  if (!envelope.ok()) {
    log::error("spool: cannot read a final envelope",
               {{"id", id}, {"error", envelope.error().message}});
    return std::nullopt;
  }
  return std::move(*envelope);
}

std::vector<Envelope> Spool::pending() const {
  std::lock_guard lock(mu_);
  std::vector<Envelope> out;
  for (const auto& [id, e] : entries_)
    if (!e.stored.envelope.final()) out.push_back(e.stored.envelope);
  return out;
}

size_t Spool::queueDepth() const {
  std::lock_guard lock(mu_);
  return queueDepth_;
}

Spool::Stats Spool::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.envelopes = entries_.size();
  s.finalBatches = batchLive_.size();
  return s;
}

Result<void> Spool::purge(TimePoint now) {
  std::vector<std::shared_ptr<Op>> removes;
  std::vector<std::future<std::optional<Error>>> outcomes;
  std::unique_lock lock(mu_);
  Result<void> result;
  for (auto& [id, e] : entries_) {
    const Envelope& env = e.stored.envelope;
    if (!env.final()) continue;
    if (e.messagePresent) {
      // The bytes of a final envelope are never needed again. Still in the journal: they go
      // with their segment. A crash before the unlink is durable brings the file back for the
      // next purge.
      if (e.journalSeq != 0 || ::unlink((msgDir_ / id).c_str()) == 0 || errno == ENOENT) {
        e.messagePresent = false;
        e.journalSeq = 0;
      } else {
        result = sysError("unlink", msgDir_ / id);
      }
    }
    if (env.finishedAt() + options_.retainFinal <= now) {
      auto op = std::make_shared<Op>();
      op->kind = kRemove;
      op->stored.envelope.id = id;
      op->stored.revision = nextRevision_++;
      auto outcome = std::make_shared<std::promise<std::optional<Error>>>();
      outcomes.push_back(outcome->get_future());
      op->onDone = [outcome](const Op& o) { outcome->set_value(o.error); };
      removes.push_back(op);
    }
  }
  if (removes.empty()) return result;
  for (auto& op : removes) submit(std::move(op));
  lock.unlock();
  for (auto& outcome : outcomes)
    if (auto error = outcome.get(); error && result.ok()) result = *error;
  return result;
}

void Spool::apply(const Op& op) {
  const std::string& id = op.stored.envelope.id;
  auto it = entries_.find(id);
  if (op.kind == kAccept) {
    queueDepth_ += op.stored.envelope.pendingCount();
    entries_.emplace(id, Entry{op.stored, true, op.journalSeq, op.journalOffset});
    if (!op.stored.envelope.idempotencyKey.empty()) keys_[op.stored.envelope.idempotencyKey] = id;
    dirty_.insert(id);
    return;
  }
  if (it == entries_.end()) return;  // removed meanwhile
  queueDepth_ -= it->second.stored.envelope.pendingCount();
  if (op.kind == kRemove) {
    const std::string& key = it->second.stored.envelope.idempotencyKey;
    if (auto k = keys_.find(key); k != keys_.end() && k->second == id) keys_.erase(k);
    Entry& e = it->second;
    // Only files that may exist need unlinking (a batch is deleted when it empties).
    const bool files = e.envFile || (e.messagePresent && e.journalSeq == 0);
    moveToBatch(e, 0);
    entries_.erase(it);
    dirty_.erase(id);
    if (files) removed_.insert(id);
    return;
  }
  queueDepth_ += op.stored.envelope.pendingCount();
  it->second.stored = op.stored;
  it->second.batchOffset = 0;
  it->second.batchLength = 0;
  dirty_.insert(id);
}

}  // namespace mailroom::spool
