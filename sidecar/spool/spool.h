// The durable spool: a message is acknowledged only once its bytes and envelope survive kill -9
// and power loss (RFC 5321 §4.5.4: a server that accepts a message is responsible for it; §6.1:
// "the receiver-SMTP MUST NOT lose the message"). Storage in the OpenSMTPD manner (one file per
// message and one per envelope), made fast with a group-committed journal in front of it.
//
// Layout under Options::dir:
//   journal/<seq>.j   group-commit journal segments (64 MiB, preallocated). Frame: "MRJ1"
//                     u32 bodyLength u32 crc32c(body); body = u8 type (1 accept, 2 update,
//                     3 remove), str id, str storedEnvelope (remove: u64 revision),
//                     u64 length + message bytes (accept only)
//   msg/<id>          the message bytes, materialized from the journal
//   env/<id>          the stored envelope (codec.h: magic, version, length, CRC-32C, revision,
//                     message size and CRC), materialized from the journal. Files are written
//                     in place only by the materializer and only while the journal record they
//                     come from still exists, so a torn file is always superseded on recovery.
//   final/<seq>.f     envelopes already final (delivered or bounced) when materialized: stored
//                     envelope records back to back, one file per materializer pass. They never
//                     change again, so they need no file each (creating and deleting a file per
//                     message was the largest cost of a busy spool); a batch is deleted once
//                     none of its envelopes is current. An envelope removed from a batch that
//                     still holds others comes back on the next open, past its retention, and
//                     is purged again. Once batched, a final envelope is kept in memory only as
//                     its id, idempotency key, finish time and place in the batch (GetMessage
//                     reads the rest from the file), so a day of retained mail costs little RAM.
//   quarantine/       files that failed to parse, moved aside (never deleted) for a human
//   lock              flock()ed while open: a second process on the same spool fails to open
//
// Durability (group commit): callers queue operations; one committer thread takes every queued
// operation, appends one journal record per operation in a single write, fdatasyncs the journal
// once, applies the batch in memory and hands it to a completion thread, which calls each
// operation's callback (the blocking accept/update wait on their own). An acknowledged message
// therefore costs no file creation and no fsync of its own (creating files costs milliseconds
// each on a busy ext4). A materializer thread then writes msg/<id> and env/<id> (or a final/
// batch) in the background; readMessage reads from the journal until then. When a segment is full it is sealed; the
// materializer writes every file the sealed segments cover, makes them durable with one
// syncfs(), and deletes the segments strictly in order (a later remove record never outlives
// an earlier accept record).
//
// Recovery (open): delete *.tmp; load env/* and final/*; replay the journal into memory (the
// highest revision of each envelope wins; accept records locate the message bytes in the journal;
// remove records delete); hand the replayed segments to the materializer; quarantine env files
// that do not parse and that the journal does not supersede, and msg files without an envelope;
// drop (moved to quarantine, logged as an error) a pending envelope whose message bytes are
// missing; rebuild the idempotency index. Nothing is rescanned per accept.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lib/common/result.h"
#include "sidecar/spool/codec.h"
#include "sidecar/spool/envelope.h"

namespace mailroom::spool {

class Spool {
 public:
  struct Options {
    std::filesystem::path dir;
    bool fsync = true;                   // off only for benchmarks that say so
    std::chrono::hours retainFinal{24};  // how long final envelopes stay visible to GetMessage
    uint64_t journalSegmentBytes = 64ull << 20;
    // On destruction, materialize everything and delete the journal (off: leave the journal
    // for the next open to replay, e.g. benchmarks that do not want to wait for it).
    bool drainOnClose = true;
    // Test hook: called by the committer before it syncs each batch (tests block it to make
    // batching deterministic).
    std::function<void()> beforeSync;
  };

  struct Accepted {
    std::string id;
    bool duplicate = false;
    Envelope envelope;
  };

  // Observable counters (group-commit tests, metrics).
  struct Stats {
    uint64_t commits = 0;       // journal batches written (one fdatasync each when fsync is on)
    uint64_t operations = 0;    // operations committed (accepts, updates, removes)
    uint64_t checkpoints = 0;   // journal segments made redundant and deleted
    uint64_t materialized = 0;  // envelopes whose files the materializer wrote
    size_t finalBatches = 0;    // files in final/
    size_t queued = 0;          // operations waiting for the committer right now
    size_t quarantined = 0;     // files moved to quarantine/ by open()
    size_t envelopes = 0;       // envelopes in memory (pending and retained final ones)
  };

  // Creates the directories and recovers (see above).
  static Result<std::unique_ptr<Spool>> open(Options options);
  ~Spool();  // drains queued operations, checkpoints and deletes the journal
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Durable accept: returns once the message bytes and the envelope are on disk. Assigns
  // envelope.id and envelope.size. Thread-safe; concurrent callers share one journal flush.
  // If idempotencyKey is non-empty and already known (also after a restart, while the envelope
  // is retained), writes nothing and returns the existing envelope with duplicate=true; two
  // concurrent accepts with the same new key queue exactly one envelope. No recipients:
  // kInvalidArgument. Disk errors: kTemporary.
  Result<Accepted> accept(Envelope envelope, std::string_view message);
  // The same without blocking: `done` runs once the outcome is known — on the spool's completion
  // thread right after the batch's flush, or at once on the caller's thread for input errors and
  // known idempotency keys. It must be quick and must not call back into the spool and wait.
  using AcceptDone = std::function<void(Result<Accepted>)>;
  void acceptAsync(Envelope envelope, std::string message, AcceptDone done);
  // Durable update of an envelope's recipient states (same group commit: a journal record with a
  // higher revision; env/<id> follows in the background). The id must exist (kNotFound); id, size,
  // acceptedAt, mailFrom and the idempotency key are kept from the spooled envelope; history is
  // trimmed (trimHistory).
  Result<void> update(const Envelope& envelope);
  using UpdateDone = std::function<void(Result<void>)>;
  void updateAsync(const Envelope& envelope, UpdateDone done);  // `done` as for acceptAsync
  // The message bytes, verified against the size and CRC stored with the envelope.
  // kNotFound for an unknown id and after purge() deleted the bytes of a final envelope.
  Result<std::string> readMessage(const std::string& id) const;
  std::optional<Envelope> find(const std::string& id) const;  // current state, from memory
  std::vector<Envelope> pending() const;  // every envelope with a queued/deferred recipient
  size_t queueDepth() const;              // recipients queued or deferred
  // Deletes message bytes of final envelopes at once, and their envelopes once
  // finishedAt() + retainFinal <= now.
  Result<void> purge(TimePoint now);

  Stats stats() const;

 private:
  struct Op;
  struct Entry {
    StoredEnvelope stored;
    bool messagePresent = true;  // false once purge() dropped the bytes of a final envelope
    uint64_t journalSeq = 0;     // != 0: the message bytes are still only in this segment
    uint64_t journalOffset = 0;  // ... at this offset
    uint64_t finalBatch = 0;     // != 0: the envelope is materialized in final/<finalBatch>.f
    bool envFile = false;        // env/<id> may exist (written, or found on open)
    // != 0: compacted. stored.envelope keeps only id, idempotencyKey and acceptedAt (set to the
    // finish time, so final(), pendingCount() and finishedAt() still answer); the whole record
    // is at this offset and length in the batch.
    uint64_t batchOffset = 0;
    uint32_t batchLength = 0;
  };
  explicit Spool(Options options);
  Result<void> recover();
  Result<void> openSegment(uint64_t seq);
  std::filesystem::path segmentPath(uint64_t seq) const;
  void submit(std::shared_ptr<Op> op);  // with mu_ held
  // `owned` non-empty: the op keeps the bytes; else `message` outlives the op (sync accept).
  void acceptImpl(Envelope envelope, std::string owned, std::string_view message, AcceptDone done);
  void committerLoop();
  void completerLoop();
  Result<std::shared_ptr<const int>> segmentReader(uint64_t seq) const;
  void dropSegmentReader(uint64_t seq);
  Result<void> commitBatch(std::vector<std::shared_ptr<Op>>& batch);
  void apply(const Op& op);
  void materializerLoop();
  void preparerLoop();
  bool materializeOnce();
  Result<void> writeFinalBatch(std::vector<std::pair<std::string, Entry>>& finals);
  void moveToBatch(Entry& entry, uint64_t batch);  // mu_ held
  static void compact(Entry& entry, uint64_t offset, size_t length);
  Result<Envelope> envelopeOf(const Entry& entry) const;  // reads a compacted one from its batch
  std::filesystem::path batchPath(uint64_t seq) const;
  std::string newId();

  Options options_;
  std::filesystem::path msgDir_, envDir_, finalDir_, journalDir_, quarantineDir_;
  int dirFd_ = -1, journalDirFd_ = -1, lockFd_ = -1;  // lockFd_: flock on <dir>/lock

  mutable std::mutex mu_;
  std::condition_variable workCv_, materializeCv_;
  std::map<std::string, Entry> entries_;               // ordered by id = by acceptance time
  std::unordered_map<std::string, std::string> keys_;  // idempotency key -> id
  std::unordered_map<std::string, std::shared_ptr<Op>> pendingKeys_;  // keys being committed
  std::vector<std::shared_ptr<Op>> queue_;
  std::set<std::string> dirty_;           // ids whose files lag behind memory
  std::set<std::string> removed_;         // removed ids whose files must go
  std::map<uint64_t, size_t> batchLive_;  // final/ batch -> envelopes it holds that are current
  uint64_t nextBatch_ = 1;
  size_t queueDepth_ = 0;
  uint64_t nextRevision_ = 1;
  uint64_t lastMicros_ = 0;
  std::string idSuffix_;
  bool stopping_ = false;
  Stats stats_;

  // Journal state, owned by the committer thread (segmentSeq_ is also read under mu_).
  int segmentFd_ = -1;
  uint64_t segmentSeq_ = 0;
  uint64_t segmentOffset_ = 0;
  std::deque<uint64_t> sealed_;    // guarded by mu_: full segments, oldest first
  bool materializerStop_ = false;  // guarded by mu_

  // A zero-filled next segment (journal/spare.tmp): fdatasync after overwriting written blocks
  // is a plain data flush, about a third faster than filling preallocated (unwritten) extents.
  // Prepared only once the spool has filled a segment, so that idle spools write nothing.
  int spareFd_ = -1;           // guarded by mu_
  bool wantSpare_ = false;     // guarded by mu_
  bool preparerStop_ = false;  // guarded by mu_
  std::condition_variable spareCv_;

  // Completions run on their own thread, batch by batch in commit order, so that the next
  // batch's write and flush overlap the callbacks of the last one (answering gRPC, logging).
  std::mutex completionMu_;
  std::condition_variable completionCv_;
  std::deque<std::vector<std::shared_ptr<Op>>> completions_;  // guarded by completionMu_
  bool completerStop_ = false;                                // guarded by completionMu_

  mutable std::mutex readersMu_;
  mutable std::map<uint64_t, std::shared_ptr<const int>> readers_;  // segment -> read-only fd

  std::thread committer_, completer_, materializer_, preparer_;
};

}  // namespace mailroom::spool
