#include "sidecar/spool/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "lib/log/log.h"

namespace mailroom::spool {

namespace fs = std::filesystem;

namespace {

enum OpKind : uint8_t { kAccept = 1, kUpdate = 2, kRemove = 3 };
constexpr char kFrameMagic[4] = {'M', 'R', 'J', '1'};
constexpr size_t kFrameHeader = 12;  // magic, u32 length, u32 crc32c(body)

Error sysError(const std::string& what, const fs::path& path, int err = errno) {
  // Disk errors (full, I/O) may clear up: temporary, so callers retry rather than bounce.
  return Error::temporary(what + " " + path.string() + ": " + std::strerror(err));
}

Result<void> writeAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sysError("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Creates (O_EXCL) or truncates `path` and writes `data`; no fsync (the journal is durable).
Result<void> writeFile(const fs::path& path, std::string_view data, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return sysError("create", path);
  auto r = writeAll(fd, data, path);
  if (::close(fd) != 0 && r.ok()) return sysError("close", path);
  return r;
}

Result<void> replaceFile(const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (auto r = writeFile(tmp, data, false); !r.ok()) return r;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return sysError("rename", tmp);
  return {};
}

Result<std::string> readFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error::notFound("no file " + path.string());
    return sysError("open", path);
  }
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return sysError("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> syncFd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) return Error::temporary("fsync " + what + ": " + std::strerror(errno));
  return {};
}

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Ids are "<16 hex: microseconds since the epoch>-<4 hex: per-process suffix>".
bool validId(std::string_view s) {
  return s.size() == 21 && s[16] == '-' && isHex(s.substr(0, 16)) && isHex(s.substr(17));
}

uint64_t idMicros(std::string_view id) {
  return std::stoull(std::string(id.substr(0, 16)), nullptr, 16);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void appendStr(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void appendFrame(std::string& out, uint8_t type, std::string_view id, std::string_view stored,
                 std::string_view message) {
  const size_t start = out.size();
  out.append(kFrameMagic, sizeof kFrameMagic);
  out.append(8, '\0');  // length and crc, filled in below
  out.push_back(static_cast<char>(type));
  appendStr(out, id);
  appendStr(out, stored);
  putU64(out, message.size());
  out.append(message);
  std::string_view body(out.data() + start + kFrameHeader, out.size() - start - kFrameHeader);
  std::string header;
  putU32(header, static_cast<uint32_t>(body.size()));
  putU32(header, crc32c(body));
  out.replace(start + 4, 8, header);
}

struct Frame {
  uint8_t type = 0;
  std::string id, stored, message;
};

// Reads the frames of one journal segment until the first invalid one (the unwritten tail, or a
// torn write that was never acknowledged). `clean` says whether the scan stopped at zeros.
Result<void> scanSegment(const fs::path& path, const std::function<void(Frame&)>& onFrame,
                         bool& clean) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sysError("open", path);
  struct stat st {};
  ::fstat(fd, &st);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  clean = true;
  std::string body;
  for (;;) {
    char header[kFrameHeader];
    if (offset + kFrameHeader > size ||
        ::pread(fd, header, kFrameHeader, static_cast<off_t>(offset)) !=
            static_cast<ssize_t>(kFrameHeader))
      break;
    if (std::memcmp(header, kFrameMagic, 4) != 0) {
      clean = std::all_of(header, header + kFrameHeader, [](char c) { return c == 0; });
      break;
    }
    const uint32_t length = getU32(header + 4);
    if (offset + kFrameHeader + length > size) {
      clean = false;
      break;
    }
    body.resize(length);
    if (::pread(fd, body.data(), length, static_cast<off_t>(offset + kFrameHeader)) !=
            static_cast<ssize_t>(length) ||
        crc32c(body) != getU32(header + 8)) {
      clean = false;
      break;
    }
    // Parse the body; its checksum is good, so a malformed body is a bug, not a torn write.
    Frame f;
    size_t p = 0;
    auto take = [&](size_t n) -> std::string_view {
      if (p + n > body.size()) throw std::out_of_range("frame");
      std::string_view v(body.data() + p, n);
      p += n;
      return v;
    };
    try {
      f.type = static_cast<uint8_t>(take(1)[0]);
      f.id = std::string(take(getU32(take(4).data())));
      f.stored = std::string(take(getU32(take(4).data())));
      f.message = std::string(take(getU64(take(8).data())));
    } catch (const std::out_of_range&) {
      clean = false;
      break;
    }
    onFrame(f);
    offset += kFrameHeader + length;
  }
  ::close(fd);
  return {};
}

std::string quarantineName(const std::string& kind, const std::string& name) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
          .count();
  return kind + "-" + name + "-" + std::to_string(micros);
}

}  // namespace

struct Spool::Op {
  OpKind kind = kAccept;
  StoredEnvelope stored;
  std::string_view message;  // accept: the caller's bytes, alive while it waits
  bool done = false;
  std::optional<Error> error;
};

Spool::Spool(Options options) : options_(std::move(options)) {
  msgDir_ = options_.dir / "msg";
  envDir_ = options_.dir / "env";
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
  spool->checkpointer_ = std::thread([s = spool.get()] { s->checkpointerLoop(); });
  return spool;
}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  workCv_.notify_all();
  if (committer_.joinable()) committer_.join();
  // A clean shutdown checkpoints the current segment too: the next open replays nothing.
  {
    std::lock_guard lock(mu_);
    if (segmentFd_ >= 0) {
      ::close(segmentFd_);
      segmentFd_ = -1;
      sealed_.push_back(segmentPath_);
    }
    checkpointerStop_ = true;
  }
  checkpointCv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (segmentFd_ >= 0) ::close(segmentFd_);
  if (journalDirFd_ >= 0) ::close(journalDirFd_);
  if (dirFd_ >= 0) ::close(dirFd_);
}

Result<void> Spool::recover() {
  std::error_code ec;
  for (const auto& d : {options_.dir, msgDir_, envDir_, journalDir_, quarantineDir_}) {
    fs::create_directories(d, ec);
    if (ec) return Error::temporary("create " + d.string() + ": " + ec.message());
  }
  dirFd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  journalDirFd_ = ::open(journalDir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd_ < 0 || journalDirFd_ < 0) return sysError("open", options_.dir);

  auto quarantine = [&](const fs::path& file, const std::string& kind, const std::string& why) {
    fs::path to = quarantineDir_ / quarantineName(kind, file.filename().string());
    log::error("spool: quarantined a file",
               {{"file", file.string()}, {"to", to.string()}, {"reason", why}});
    fs::rename(file, to, ec);
    ++stats_.quarantined;
  };

  // Envelope candidates: the highest revision wins between env files and journal records.
  struct Candidate {
    StoredEnvelope stored;
    bool fromJournal = false;
    bool removed = false;
  };
  std::map<std::string, Candidate> best;
  std::map<std::string, std::string> unreadable;  // env file name -> why
  uint64_t maxRevision = 0;

  for (const auto& dir : {msgDir_, envDir_, journalDir_})
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
    best[name] = {std::move(*stored), false, false};
  }

  // Replay the journal in segment order.
  std::vector<std::pair<uint64_t, fs::path>> segments;
  for (const auto& e : fs::directory_iterator(journalDir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 18 && endsWith(name, ".j") && isHex(name.substr(0, 16)))
      segments.emplace_back(std::stoull(name.substr(0, 16), nullptr, 16), e.path());
    else
      quarantine(e.path(), "journal", "unexpected file in journal/");
  }
  std::sort(segments.begin(), segments.end());
  std::vector<std::pair<fs::path, bool>> replayed;  // segment, clean end
  Result<void> failure;
  for (size_t i = 0; i < segments.size(); ++i) {
    bool clean = true;
    auto r = scanSegment(
        segments[i].second,
        [&](Frame& f) {
          if (!failure.ok() || !validId(f.id)) return;
          if (f.type == kRemove) {
            uint64_t rev = f.stored.size() == 8 ? getU64(f.stored.data()) : 0;
            maxRevision = std::max(maxRevision, rev);
            auto& c = best[f.id];
            if (c.stored.revision <= rev) c = {StoredEnvelope{{}, rev}, true, true};
            return;
          }
          auto stored = decodeStored(f.stored);
          if (!stored.ok() || stored->envelope.id != f.id) return;
          if (f.type == kAccept) {
            // Restore the message bytes when the file did not survive intact.
            fs::path path = msgDir_ / f.id;
            auto onDisk = readFile(path);
            if (!onDisk.ok() || *onDisk != f.message) {
              auto w = replaceFile(path, f.message);
              if (!w.ok()) failure = w;
            }
          }
          maxRevision = std::max(maxRevision, stored->revision);
          auto it = best.find(f.id);
          if (it == best.end() || it->second.stored.revision < stored->revision)
            best[f.id] = {std::move(*stored), true, false};
        },
        clean);
    if (!r.ok()) return r;
    if (!failure.ok()) return failure;
    replayed.emplace_back(segments[i].second, clean || i + 1 == segments.size());
  }

  // Materialize what the journal decided.
  bool changed = !replayed.empty();
  for (auto it = best.begin(); it != best.end();) {
    const std::string& id = it->first;
    if (it->second.fromJournal) {
      unreadable.erase(id);
      if (it->second.removed) {
        fs::remove(msgDir_ / id, ec);
        fs::remove(envDir_ / id, ec);
        it = best.erase(it);
        continue;
      }
      if (auto w = replaceFile(envDir_ / id, encodeStored(it->second.stored)); !w.ok()) return w;
    }
    ++it;
  }
  for (const auto& [name, why] : unreadable) {
    quarantine(envDir_ / name, "env", why);
    changed = true;
  }

  // Load, checking that every pending envelope still has its message bytes.
  for (auto& [id, c] : best) {
    struct stat st {};
    const bool present = ::stat((msgDir_ / id).c_str(), &st) == 0;
    const bool intact = present && static_cast<uint64_t>(st.st_size) == c.stored.messageSize;
    if (!intact && !c.stored.envelope.final()) {
      log::error("spool: message bytes missing or truncated; dropping the envelope",
                 {{"id", id}, {"present", present}});
      quarantine(envDir_ / id, "env", "message bytes missing");
      if (present) quarantine(msgDir_ / id, "msg", "size does not match the envelope");
      changed = true;
      continue;
    }
    Entry entry{std::move(c.stored), present};
    queueDepth_ += entry.stored.envelope.pendingCount();
    if (!entry.stored.envelope.idempotencyKey.empty())
      keys_[entry.stored.envelope.idempotencyKey] = id;
    lastMicros_ = std::max(lastMicros_, idMicros(id));
    entries_.emplace(id, std::move(entry));
  }
  for (const auto& e : fs::directory_iterator(msgDir_, ec)) {
    const std::string name = e.path().filename().string();
    if (!entries_.count(name)) {
      quarantine(e.path(), "msg", "no envelope");
      changed = true;
    }
  }

  // Make the recovered state durable, then the journal is redundant.
  if (changed && options_.fsync && ::syncfs(dirFd_) != 0) return sysError("syncfs", options_.dir);
  uint64_t lastSeq = segments.empty() ? 0 : segments.back().first;
  for (const auto& [path, clean] : replayed) {
    if (clean)
      fs::remove(path, ec);
    else
      quarantine(path, "journal", "invalid record before the end of a segment");
  }
  if (options_.fsync && !replayed.empty())
    if (auto r = syncFd(journalDirFd_, "journal dir"); !r.ok()) return r;
  nextRevision_ = maxRevision + 1;
  stats_.envelopes = entries_.size();
  return openSegment(lastSeq + 1);
}

Result<void> Spool::openSegment(uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.j", static_cast<unsigned long long>(seq));
  fs::path path = journalDir_ / name;
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
  segmentPath_ = path;
  return {};
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

Result<void> Spool::submit(const std::shared_ptr<Op>& op, std::unique_lock<std::mutex>& lock) {
  queue_.push_back(op);
  ++stats_.queued;
  workCv_.notify_one();
  doneCv_.wait(lock, [&] { return op->done; });
  if (op->error) return *op->error;
  return {};
}

Result<Spool::Accepted> Spool::accept(Envelope envelope, std::string_view message) {
  if (envelope.recipients.empty()) return Error::invalidArgument("envelope: no recipients");
  auto op = std::make_shared<Op>();
  op->kind = kAccept;
  op->message = message;
  op->stored.messageSize = message.size();
  op->stored.messageCrc = crc32c(message);  // O(size), outside the lock
  envelope.size = message.size();
  for (auto& r : envelope.recipients) trimHistory(r);

  std::unique_lock lock(mu_);
  const std::string key = envelope.idempotencyKey;
  if (!key.empty()) {
    if (auto it = keys_.find(key); it != keys_.end()) {
      const Envelope& existing = entries_.at(it->second).stored.envelope;
      return Accepted{existing.id, true, existing};
    }
    if (auto it = pendingKeys_.find(key); it != pendingKeys_.end()) {
      auto first = it->second;
      doneCv_.wait(lock, [&] { return first->done; });
      if (first->error) return *first->error;
      return Accepted{first->stored.envelope.id, true, first->stored.envelope};
    }
  }
  envelope.id = newId();
  op->stored.revision = nextRevision_++;
  op->stored.envelope = std::move(envelope);
  if (!key.empty()) pendingKeys_[key] = op;
  auto r = submit(op, lock);
  if (!r.ok()) return r.error();
  return Accepted{op->stored.envelope.id, false, op->stored.envelope};
}

Result<void> Spool::update(const Envelope& envelope) {
  auto op = std::make_shared<Op>();
  op->kind = kUpdate;
  std::unique_lock lock(mu_);
  auto it = entries_.find(envelope.id);
  if (it == entries_.end()) return Error::notFound("spool: no envelope " + envelope.id);
  const StoredEnvelope& old = it->second.stored;
  op->stored = old;
  Envelope& e = op->stored.envelope;
  e.recipients = envelope.recipients;
  e.needsSmtpUtf8 = envelope.needsSmtpUtf8;
  e.eightBit = envelope.eightBit;
  e.fromDomain = envelope.fromDomain;
  e.messageId = envelope.messageId;
  e.notes = envelope.notes;
  for (auto& r : e.recipients) trimHistory(r);
  op->stored.revision = nextRevision_++;
  return submit(op, lock);
}

Result<std::string> Spool::readMessage(const std::string& id) const {
  uint64_t size = 0;
  uint32_t crc = 0;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return Error::notFound("spool: no envelope " + id);
    if (!it->second.messagePresent)
      return Error::notFound("spool: message " + id + " was purged (final)");
    size = it->second.stored.messageSize;
    crc = it->second.stored.messageCrc;
  }
  auto bytes = readFile(msgDir_ / id);
  if (!bytes.ok()) return bytes.error();
  if (bytes->size() != size || crc32c(*bytes) != crc)
    return Error::internal("spool: message " + id + " does not match its checksum");
  return bytes;
}

std::optional<Envelope> Spool::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.stored.envelope;
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
  return s;
}

Result<void> Spool::purge(TimePoint now) {
  std::vector<std::shared_ptr<Op>> removes;
  std::unique_lock lock(mu_);
  Result<void> result;
  for (auto& [id, e] : entries_) {
    const Envelope& env = e.stored.envelope;
    if (!env.final()) continue;
    if (e.messagePresent) {
      // The bytes of a final envelope are never needed again; a crash before this is durable
      // only brings the file back for the next purge.
      if (::unlink((msgDir_ / id).c_str()) == 0 || errno == ENOENT)
        e.messagePresent = false;
      else
        result = sysError("unlink", msgDir_ / id);
    }
    if (env.finishedAt() + options_.retainFinal <= now) {
      auto op = std::make_shared<Op>();
      op->kind = kRemove;
      op->stored.envelope.id = id;
      op->stored.revision = nextRevision_++;
      removes.push_back(op);
    }
  }
  if (removes.empty()) return result;
  for (auto& op : removes) queue_.push_back(op);
  stats_.queued += removes.size();
  workCv_.notify_one();
  for (auto& op : removes) {
    doneCv_.wait(lock, [&] { return op->done; });
    if (op->error && result.ok()) result = *op->error;
  }
  return result;
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
    doneCv_.notify_all();
    batch.clear();
  }
}

// Files first (page cache only), then one journal write and one flush for the whole batch, then
// the unlinks of removes (only once their remove record is durable).
Result<void> Spool::commitBatch(std::vector<std::shared_ptr<Op>>& batch) {
  std::string journal;
  std::vector<Op*> accepted;
  for (auto& op : batch) {
    const std::string& id = op->stored.envelope.id;
    if (op->kind == kRemove) {
      std::string rev;
      putU64(rev, op->stored.revision);
      appendFrame(journal, kRemove, id, rev, {});
      continue;
    }
    std::string stored = encodeStored(op->stored);
    Result<void> w;
    if (op->kind == kAccept) {
      w = writeFile(msgDir_ / id, op->message, true);
      if (w.ok()) w = writeFile(envDir_ / id, stored, true);
      if (w.ok()) accepted.push_back(op.get());
    } else {
      w = replaceFile(envDir_ / id, stored);
    }
    if (!w.ok()) {
      std::error_code ec;
      if (op->kind == kAccept) {
        fs::remove(msgDir_ / id, ec);
        fs::remove(envDir_ / id, ec);
      }
      op->error = w.error();
      continue;
    }
    appendFrame(journal, op->kind, id, stored, op->kind == kAccept ? op->message : "");
  }
  if (journal.empty()) return {};

  auto fail = [&](Error e) -> Result<void> {
    std::error_code ec;
    for (Op* op : accepted) {  // not acknowledged: leave nothing a restart would resurrect
      fs::remove(msgDir_ / op->stored.envelope.id, ec);
      fs::remove(envDir_ / op->stored.envelope.id, ec);
    }
    return e;
  };
  if (segmentOffset_ > 0 && segmentOffset_ + journal.size() > options_.journalSegmentBytes) {
    ::close(segmentFd_);
    segmentFd_ = -1;
    {
      std::lock_guard lock(mu_);
      sealed_.push_back(segmentPath_);
    }
    checkpointCv_.notify_one();
    if (auto r = openSegment(segmentSeq_ + 1); !r.ok()) return fail(r.error());
  }
  size_t done = 0;
  while (done < journal.size()) {
    ssize_t n = ::pwrite(segmentFd_, journal.data() + done, journal.size() - done,
                         static_cast<off_t>(segmentOffset_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(sysError("write", segmentPath_));
    done += static_cast<size_t>(n);
  }
  if (options_.beforeSync) options_.beforeSync();
  if (options_.fsync && ::fdatasync(segmentFd_) != 0)
    return fail(sysError("fdatasync", segmentPath_));
  segmentOffset_ += journal.size();

  std::error_code ec;
  for (auto& op : batch)
    if (op->kind == kRemove) {
      fs::remove(msgDir_ / op->stored.envelope.id, ec);
      fs::remove(envDir_ / op->stored.envelope.id, ec);
    }
  return {};
}

void Spool::apply(const Op& op) {
  const std::string& id = op.stored.envelope.id;
  auto it = entries_.find(id);
  if (it != entries_.end()) queueDepth_ -= it->second.stored.envelope.pendingCount();
  if (op.kind == kRemove) {
    if (it == entries_.end()) return;
    const std::string& key = it->second.stored.envelope.idempotencyKey;
    if (auto k = keys_.find(key); k != keys_.end() && k->second == id) keys_.erase(k);
    entries_.erase(it);
    return;
  }
  queueDepth_ += op.stored.envelope.pendingCount();
  if (it == entries_.end()) {
    entries_.emplace(id, Entry{op.stored, true});
    if (!op.stored.envelope.idempotencyKey.empty()) keys_[op.stored.envelope.idempotencyKey] = id;
  } else {
    it->second.stored = op.stored;
  }
}

void Spool::checkpointerLoop() {
  for (;;) {
    fs::path segment;
    {
      std::unique_lock lock(mu_);
      checkpointCv_.wait(lock, [&] { return checkpointerStop_ || !sealed_.empty(); });
      if (sealed_.empty()) return;
      segment = sealed_.front();
    }
    // Every file written for this segment's records was written before it was sealed, so one
    // syncfs makes them durable; then the segment is redundant. Segments go strictly in order:
    // a later remove record must never be deleted while an earlier accept record survives.
    if (options_.fsync && ::syncfs(dirFd_) != 0) {
      log::error("spool: syncfs failed; keeping the journal segment, retrying in a second",
                 {{"segment", segment.string()}, {"error", std::strerror(errno)}});
      std::unique_lock lock(mu_);
      if (checkpointCv_.wait_for(lock, std::chrono::seconds(1), [&] { return checkpointerStop_; }))
        return;  // recovery replays what is left
      continue;
    }
    std::error_code ec;
    fs::remove(segment, ec);
    if (options_.fsync) (void)::fsync(journalDirFd_);
    std::lock_guard lock(mu_);
    sealed_.pop_front();
    ++stats_.checkpoints;
  }
}

}  // namespace mailroom::spool
