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

// Returns the offset of the message bytes in `out`.
size_t appendFrame(std::string& out, uint8_t type, std::string_view id, std::string_view stored,
                   std::string_view message) {
  const size_t start = out.size();
  out.append(kFrameMagic, sizeof kFrameMagic);
  out.append(8, '\0');  // length and crc, filled in below
  out.push_back(static_cast<char>(type));
  appendStr(out, id);
  appendStr(out, stored);
  putU64(out, message.size());
  const size_t messageAt = out.size();
  out.append(message);
  std::string_view body(out.data() + start + kFrameHeader, out.size() - start - kFrameHeader);
  std::string header;
  putU32(header, static_cast<uint32_t>(body.size()));
  putU32(header, crc32c(body));
  out.replace(start + 4, 8, header);
  return messageAt;
}

struct Frame {
  uint8_t type = 0;
  std::string id, stored;
  uint64_t messageOffset = 0, messageSize = 0;  // in the segment file
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
      if (n > body.size() - p) throw std::out_of_range("frame");
      std::string_view v(body.data() + p, n);
      p += n;
      return v;
    };
    try {
      f.type = static_cast<uint8_t>(take(1)[0]);
      f.id = std::string(take(getU32(take(4).data())));
      f.stored = std::string(take(getU32(take(4).data())));
      f.messageSize = getU64(take(8).data());
      f.messageOffset = offset + kFrameHeader + p;
      take(f.messageSize);
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
  using Done = std::function<void(const Op&)>;
  OpKind kind = kAccept;
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

namespace {

Spool::Accepted acceptedFrom(const Envelope& envelope, bool duplicate) {
  return Spool::Accepted{envelope.id, duplicate, envelope};
}

}  // namespace

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
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.f", static_cast<unsigned long long>(seq));
  return finalDir_ / name;
}

fs::path Spool::segmentPath(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.j", static_cast<unsigned long long>(seq));
  return journalDir_ / name;
}

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
    if (name.size() != 18 || !endsWith(name, ".f") || !isHex(name.substr(0, 16))) {
      quarantine(e.path(), "final", "unexpected file in final/");
      continue;
    }
    const uint64_t seq = std::stoull(name.substr(0, 16), nullptr, 16);
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
    if (name.size() == 18 && endsWith(name, ".j") && isHex(name.substr(0, 16)))
      segments.push_back(std::stoull(name.substr(0, 16), nullptr, 16));
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
    if (loc != inJournal.end()) {
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
      if (!c.fromJournal && entry.stored.envelope.final())
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
      if (it->second.batchLength != 0) {
        // Compacted: its current record is already in a batch (e.g. replayed from the journal
        // at open, the batch winning); only the journal's copy of the bytes is let go.
        if (it->second.journalSeq != 0) {
          it->second.journalSeq = 0;
          it->second.messagePresent = false;
        }
        continue;
      }
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
