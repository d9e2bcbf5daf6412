// The spool through its public API over a temporary directory: round trips, reopen, idempotency,
// group commit, quarantine, purge.
#include "sidecar/spool/spool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "tests/unit/sidecar/spool/sample.h"
#include "tests/unit/sidecar/spool/temp_dir.h"

namespace mailroom::spool {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;
using testing::sampleEnvelope;
using testing::TempDir;

const TimePoint kT0 = TimePoint(seconds(1'700'000'000));

Envelope simple(std::string key = "") {
  Envelope e;
  e.mailFrom = "app@example.com";
  e.acceptedAt = kT0;
  e.idempotencyKey = std::move(key);
  Recipient r;
  r.address = "user@example.net";
  r.nextAttempt = kT0;
  e.recipients.push_back(r);
  return e;
}

std::unique_ptr<Spool> openSpool(const fs::path& dir, Spool::Options o = {}) {
  o.dir = dir;
  auto s = Spool::open(std::move(o));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(*s) : nullptr;
}

size_t filesIn(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(SpoolTest, AcceptFindUpdateReadRoundTrip) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  ASSERT_TRUE(spool);
  const std::string message = "Subject: hi\r\n\r\nhello\r\n";
  auto a = spool->accept(sampleEnvelope(), message);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_FALSE(a->duplicate);
  EXPECT_EQ(a->id.size(), 21u);
  EXPECT_EQ(a->envelope.id, a->id);
  EXPECT_EQ(a->envelope.size, message.size());

  auto found = spool->find(a->id);
  ASSERT_TRUE(found);
  Envelope expected = sampleEnvelope();
  expected.id = a->id;
  expected.size = message.size();
  EXPECT_EQ(*found, expected);
  auto bytes = spool->readMessage(a->id);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, message);
  EXPECT_EQ(spool->queueDepth(), 1u);  // alice queued, bob delivered

  Envelope changed = *found;
  changed.recipients[0].state = RecipientState::kDeferred;
  changed.recipients[0].attempts = 1;
  changed.recipients[0].nextAttempt = kT0 + seconds(300);
  changed.recipients[0].lastReply = {451, "4.7.1", "try later"};
  changed.notes["tls"] = "TLSv1.3";
  ASSERT_TRUE(spool->update(changed).ok());
  EXPECT_EQ(*spool->find(a->id), changed);
  EXPECT_EQ(spool->queueDepth(), 1u);

  changed.recipients[0].state = RecipientState::kDelivered;
  ASSERT_TRUE(spool->update(changed).ok());
  EXPECT_TRUE(spool->find(a->id)->final());
  EXPECT_EQ(spool->queueDepth(), 0u);
  EXPECT_TRUE(spool->pending().empty());
}

TEST(SpoolTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir tmp;
  auto first = openSpool(tmp.path());
  ASSERT_TRUE(first);
  auto second = Spool::open({.dir = tmp.path()});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
  first.reset();
  EXPECT_TRUE(Spool::open({.dir = tmp.path()}).ok());
}

TEST(SpoolTest, IdsAreUniqueAndTimeOrdered) {
  TempDir tmp;
  auto spool = openSpool(tmp.path(), {.fsync = false});
  std::string last;
  for (int i = 0; i < 100; ++i) {
    auto a = spool->accept(simple(), "x");
    ASSERT_TRUE(a.ok());
    EXPECT_GT(a->id, last);
    last = a->id;
  }
}

TEST(SpoolTest, RejectsBadInput) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  Envelope none = simple();
  none.recipients.clear();
  auto a = spool->accept(none, "x");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::kInvalidArgument);
  Envelope unknown = simple();
  unknown.id = "0000000000000000-0000";
  auto u = spool->update(unknown);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(spool->readMessage("nope").error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(spool->find("nope"));
}

TEST(SpoolTest, UpdateKeepsIdentityAndTrimsHistory) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  auto a = spool->accept(simple("k"), "body");
  ASSERT_TRUE(a.ok());
  Envelope e = a->envelope;
  e.mailFrom = "changed@example.com";  // identity fields are the spool's
  e.idempotencyKey = "other";
  for (int i = 0; i < 50; ++i)
    e.recipients[0].history.push_back({kT0 + seconds(i),
                                       "mx",
                                       "",
                                       "",
                                       AddressFamily::kIpv4,
                                       {451, "", std::to_string(i)},
                                       "deferred",
                                       ""});
  ASSERT_TRUE(spool->update(e).ok());
  auto found = spool->find(a->id);
  EXPECT_EQ(found->mailFrom, "app@example.com");
  EXPECT_EQ(found->idempotencyKey, "k");
  const auto& h = found->recipients[0].history;
  ASSERT_EQ(h.size(), 1 + kHistoryTail);
  EXPECT_EQ(h.front().reply.text, "0");
  EXPECT_EQ(h[1].reply.text, "30");
  EXPECT_EQ(h.back().reply.text, "49");
}

TEST(SpoolTest, ReopenResumesPendingWithStates) {
  TempDir tmp;
  std::string queued, deferred, delivered;
  {
    auto spool = openSpool(tmp.path());
    queued = spool->accept(simple(), "one").value().id;
    auto b = spool->accept(simple(), "two").value();
    auto c = spool->accept(simple(), "three").value();
    deferred = b.id;
    delivered = c.id;
    b.envelope.recipients[0].state = RecipientState::kDeferred;
    b.envelope.recipients[0].attempts = 2;
    b.envelope.recipients[0].nextAttempt = kT0 + seconds(600);
    b.envelope.recipients[0].lastReply = {421, "4.4.2", "timeout"};
    ASSERT_TRUE(spool->update(b.envelope).ok());
    c.envelope.recipients[0].state = RecipientState::kDelivered;
    ASSERT_TRUE(spool->update(c.envelope).ok());
  }
  // A clean shutdown materialized every file and deleted the journal; the delivered message's
  // bytes are never needed again, so they got no msg/ file, and its envelope went into a batch.
  EXPECT_EQ(filesIn(tmp.path() / "journal"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "msg"), 2u);
  EXPECT_EQ(filesIn(tmp.path() / "env"), 2u);
  EXPECT_EQ(filesIn(tmp.path() / "final"), 1u);
  auto spool = openSpool(tmp.path());
  auto pending = spool->pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, queued);  // in acceptance order
  EXPECT_EQ(pending[1].id, deferred);
  EXPECT_EQ(pending[1].recipients[0].state, RecipientState::kDeferred);
  EXPECT_EQ(pending[1].recipients[0].attempts, 2);
  EXPECT_EQ(pending[1].recipients[0].nextAttempt, kT0 + seconds(600));
  EXPECT_EQ(pending[1].recipients[0].lastReply.code, 421);
  EXPECT_EQ(spool->queueDepth(), 2u);
  EXPECT_EQ(spool->find(delivered)->recipients[0].state, RecipientState::kDelivered);
  EXPECT_EQ(spool->readMessage(deferred).value(), "two");
  // New ids keep increasing after a restart.
  EXPECT_GT(spool->accept(simple(), "four").value().id, delivered);
}

TEST(SpoolTest, ReplaysTheJournalWhenFilesAreLost) {
  // Simulates files that never reached the disk: only the journal survived.
  TempDir tmp;
  const fs::path copy = tmp.path() / "saved-journal";
  std::string id;
  {
    auto spool = openSpool(tmp.path() / "s");
    auto a = spool->accept(simple("replay"), "journaled bytes");
    ASSERT_TRUE(a.ok());
    id = a->id;
    a->envelope.recipients[0].state = RecipientState::kDeferred;
    a->envelope.recipients[0].attempts = 1;
    ASSERT_TRUE(spool->update(a->envelope).ok());
    fs::copy(tmp.path() / "s" / "journal", copy);  // before the clean shutdown deletes it
  }
  fs::remove(tmp.path() / "s" / "msg" / id);
  fs::remove(tmp.path() / "s" / "env" / id);
  fs::copy(copy, tmp.path() / "s" / "journal");
  auto spool = openSpool(tmp.path() / "s");
  auto e = spool->find(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->recipients[0].state, RecipientState::kDeferred);  // the newer record won
  EXPECT_EQ(spool->readMessage(id).value(), "journaled bytes");
  EXPECT_EQ(spool->accept(simple("replay"), "again").value().id, id);
  spool.reset();
  EXPECT_EQ(filesIn(tmp.path() / "s" / "journal"), 0u);
  EXPECT_TRUE(fs::exists(tmp.path() / "s" / "msg" / id));
  EXPECT_TRUE(fs::exists(tmp.path() / "s" / "env" / id));
}

TEST(SpoolTest, IdempotencyAcrossReopen) {
  TempDir tmp;
  std::string id;
  {
    auto spool = openSpool(tmp.path());
    auto a = spool->accept(simple("key-1"), "first");
    ASSERT_TRUE(a.ok());
    id = a->id;
    auto b = spool->accept(simple("key-1"), "second");
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b->duplicate);
    EXPECT_EQ(b->id, id);
  }
  auto spool = openSpool(tmp.path());
  auto c = spool->accept(simple("key-1"), "third");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->duplicate);
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(spool->readMessage(id).value(), "first");
  EXPECT_EQ(spool->stats().envelopes, 1u);
  EXPECT_EQ(filesIn(tmp.path() / "msg"), 1u);
}

TEST(SpoolTest, ConcurrentSameKeyQueuesExactlyOne) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  constexpr int kThreads = 16;
  std::vector<std::string> ids(kThreads);
  std::atomic<int> fresh{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      auto a = spool->accept(simple("same"), "m" + std::to_string(i));
      ASSERT_TRUE(a.ok());
      ids[i] = a->id;
      if (!a->duplicate) ++fresh;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(spool->stats().envelopes, 1u);
  EXPECT_EQ(spool->queueDepth(), 1u);
}

TEST(SpoolTest, GroupCommitBatchesConcurrentAccepts) {
  TempDir tmp;
  constexpr int kThreads = 20;
  Spool* raw = nullptr;
  std::atomic<int> syncs{0};
  std::promise<void> firstSyncEntered;
  // The first accept's sync is held until the 19 others are queued behind it: they must then
  // share the second sync.
  Spool::Options o{.dir = tmp.path()};
  o.beforeSync = [&] {
    if (syncs++ != 0) return;
    firstSyncEntered.set_value();
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (raw->stats().queued < kThreads - 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
  };
  auto opened = Spool::open(o);
  ASSERT_TRUE(opened.ok());
  auto spool = std::move(*opened);
  raw = spool.get();
  std::vector<std::thread> threads;
  auto acceptOne = [&] { EXPECT_TRUE(spool->accept(simple(), "m").ok()); };
  threads.emplace_back(acceptOne);
  firstSyncEntered.get_future().wait();
  for (int i = 1; i < kThreads; ++i) threads.emplace_back(acceptOne);
  for (auto& t : threads) t.join();
  auto stats = spool->stats();
  EXPECT_EQ(stats.operations, static_cast<uint64_t>(kThreads));
  EXPECT_EQ(stats.commits, 2u);
  EXPECT_EQ(syncs.load(), 2);
}

// acceptAsync returns at once and calls back only after the batch's flush: the callback never
// runs while the committer is held before its sync.
TEST(SpoolTest, AcceptAsyncCompletesAfterTheFlushWithoutBlockingTheCaller) {
  TempDir tmp;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> syncing{false};
  Spool::Options o{.dir = tmp.path()};
  o.beforeSync = [&] {
    syncing = true;
    released.wait();
  };
  auto spool = openSpool(tmp.path(), o);
  ASSERT_TRUE(spool);
  std::promise<Result<Spool::Accepted>> done;
  auto result = done.get_future();
  std::atomic<int> calls{0};
  spool->acceptAsync(simple(), "async bytes", [&](Result<Spool::Accepted> r) {
    ++calls;
    done.set_value(std::move(r));
  });
  // The caller got control back while the op is still waiting for its sync.
  while (!syncing) std::this_thread::yield();
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  auto accepted = result.get();
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(spool->readMessage(accepted->id).value(), "async bytes");  // the op owned the bytes
  EXPECT_EQ(spool->stats().commits, 1u);
}

TEST(SpoolTest, AcceptAsyncReportsErrorsAndDuplicatesAtOnce) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  Envelope none = simple();
  none.recipients.clear();
  std::optional<Result<Spool::Accepted>> invalid;
  spool->acceptAsync(none, "m", [&](Result<Spool::Accepted> r) { invalid = std::move(r); });
  ASSERT_TRUE(invalid.has_value());  // on the caller's thread, before acceptAsync returned
  EXPECT_EQ(invalid->error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(spool->stats().operations, 0u);

  auto first = spool->accept(simple("k1"), "m").value();
  std::optional<Result<Spool::Accepted>> again;
  spool->acceptAsync(simple("k1"), "other",
                     [&](Result<Spool::Accepted> r) { again = std::move(r); });
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE((*again)->duplicate);
  EXPECT_EQ((*again)->id, first.id);
  EXPECT_EQ(spool->stats().operations, 1u);
}

// A burst of async accepts from one thread needs no thread per message and shares few flushes.
TEST(SpoolTest, ManyAsyncAcceptsShareFlushes) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  constexpr int kMessages = 500;
  std::atomic<int> ok{0}, calls{0};
  std::promise<void> all;
  for (int i = 0; i < kMessages; ++i)
    spool->acceptAsync(simple(), "m" + std::to_string(i), [&](Result<Spool::Accepted> r) {
      if (r.ok()) ++ok;
      if (++calls == kMessages) all.set_value();
    });
  all.get_future().wait();
  EXPECT_EQ(ok.load(), kMessages);
  EXPECT_EQ(spool->stats().operations, static_cast<uint64_t>(kMessages));
  EXPECT_LT(spool->stats().commits, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(spool->queueDepth(), static_cast<size_t>(kMessages));
}

TEST(SpoolTest, UpdateAsyncOfAnUnknownIdIsNotFound) {
  TempDir tmp;
  auto spool = openSpool(tmp.path());
  Envelope e = simple();
  e.id = "0000000000000001-abcd";
  std::optional<Result<void>> r;
  spool->updateAsync(e, [&](Result<void> x) { r = std::move(x); });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().kind, ErrorKind::kNotFound);
}

TEST(SpoolTest, JournalRotationCheckpoints) {
  TempDir tmp;
  std::vector<std::string> ids;
  {
    auto spool = openSpool(tmp.path(), {.journalSegmentBytes = 8192});
    const std::string message(3000, 'm');
    for (int i = 0; i < 20; ++i) ids.push_back(spool->accept(simple(), message).value().id);
    // Rotations hand sealed segments to the checkpointer; the destructor drains them.
  }
  auto spool = openSpool(tmp.path());
  for (const auto& id : ids) EXPECT_EQ(spool->readMessage(id).value().size(), 3000u);
}

TEST(SpoolTest, GarbageAndTornEnvelopeFilesAreQuarantined) {
  TempDir tmp;
  std::string good, torn;
  {
    auto spool = openSpool(tmp.path());
    good = spool->accept(simple(), "good").value().id;
    torn = spool->accept(simple(), "torn").value().id;
  }
  // A torn envelope (half its bytes) and a garbage file with an id-like name.
  const fs::path tornPath = tmp.path() / "env" / torn;
  fs::resize_file(tornPath, fs::file_size(tornPath) / 2);
  std::ofstream(tmp.path() / "env" / "0000000000000001-abcd") << "not an envelope";
  std::ofstream(tmp.path() / "env" / "leftover.tmp") << "temp file from a crash";

  auto spool = openSpool(tmp.path());
  ASSERT_TRUE(spool);
  EXPECT_TRUE(spool->find(good));
  EXPECT_FALSE(spool->find(torn));
  EXPECT_FALSE(spool->find("0000000000000001-abcd"));
  EXPECT_EQ(spool->readMessage(good).value(), "good");
  // torn env, garbage env, and torn's message (no envelope any more): moved, not deleted.
  EXPECT_EQ(spool->stats().quarantined, 3u);
  EXPECT_EQ(filesIn(tmp.path() / "quarantine"), 3u);
  EXPECT_FALSE(fs::exists(tmp.path() / "env" / "leftover.tmp"));
  EXPECT_EQ(filesIn(tmp.path() / "env"), 1u);
}

TEST(SpoolTest, PendingEnvelopeWithoutMessageIsDropped) {
  TempDir tmp;
  std::string id;
  {
    auto spool = openSpool(tmp.path());
    id = spool->accept(simple(), "bytes").value().id;
  }
  fs::remove(tmp.path() / "msg" / id);
  auto spool = openSpool(tmp.path());
  EXPECT_FALSE(spool->find(id));
  EXPECT_EQ(filesIn(tmp.path() / "quarantine"), 1u);
}

TEST(SpoolTest, ReadMessageDetectsCorruption) {
  TempDir tmp;
  std::string id;
  {
    auto first = openSpool(tmp.path());
    id = first->accept(simple(), "original").value().id;
  }
  auto spool = openSpool(tmp.path());
  std::ofstream(tmp.path() / "msg" / id, std::ios::trunc) << "Original";
  auto r = spool->readMessage(id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
}

Envelope delivered(Envelope e, TimePoint at) {
  e.recipients[0].state = RecipientState::kDelivered;
  e.recipients[0].history.push_back(
      {at, "mx", "", "", AddressFamily::kIpv4, {250, "", "ok"}, "delivered", ""});
  return e;
}

// Envelopes final before they are materialized share one batch file instead of one file each;
// they stay visible after a reopen, and the batch goes once all of them are purged.
TEST(SpoolTest, FinalEnvelopesShareBatchFiles) {
  TempDir tmp;
  std::vector<std::string> ids;
  std::string pendingThenFinal;
  {
    auto spool = openSpool(tmp.path());
    for (int i = 0; i < 50; ++i) {
      auto a = spool->accept(simple(), "m" + std::to_string(i)).value();
      ASSERT_TRUE(spool->update(delivered(a.envelope, kT0 + hours(1))).ok());
      ids.push_back(a.id);
    }
  }
  EXPECT_EQ(filesIn(tmp.path() / "env"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "msg"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "final"), 1u);
  {
    auto spool = openSpool(tmp.path());
    EXPECT_EQ(spool->stats().finalBatches, 1u);
    for (const auto& id : ids)
      EXPECT_EQ(spool->find(id)->recipients[0].state, RecipientState::kDelivered) << id;
    EXPECT_EQ(spool->queueDepth(), 0u);
    // A message materialized while pending (env/ and msg/ files), delivered later: its files go,
    // the batch takes its envelope.
    auto a = spool->accept(simple(), "late").value();
    pendingThenFinal = a.id;
    spool.reset();  // drains: env/ + msg/ for the pending message
    EXPECT_EQ(filesIn(tmp.path() / "env"), 1u);
    spool = openSpool(tmp.path());
    ASSERT_TRUE(spool->update(delivered(a.envelope, kT0 + hours(1))).ok());
    ASSERT_TRUE(spool->purge(kT0 + hours(2)).ok());  // drops the bytes, keeps the envelope
  }
  EXPECT_EQ(filesIn(tmp.path() / "env"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "msg"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "final"), 2u);
  {
    auto spool = openSpool(tmp.path());
    EXPECT_EQ(spool->find(pendingThenFinal)->recipients[0].state, RecipientState::kDelivered);
    ASSERT_TRUE(spool->purge(kT0 + hours(26)).ok());  // past retention: all removed
    EXPECT_EQ(spool->stats().envelopes, 0u);
  }
  EXPECT_EQ(filesIn(tmp.path() / "final"), 0u);
  EXPECT_EQ(filesIn(tmp.path() / "quarantine"), 0u);
  auto spool = openSpool(tmp.path());
  EXPECT_EQ(spool->stats().envelopes, 0u);
}

// Once batched, a final envelope lives in memory only as a stub; everything GetMessage shows
// comes back from the batch file, in this process and after a reopen, and it can still be
// updated and found by its idempotency key.
TEST(SpoolTest, BatchedFinalEnvelopesReadBackWhole) {
  TempDir tmp;
  Envelope full;
  {
    auto spool = openSpool(tmp.path(), {.drainOnClose = false});
    auto a = spool->accept(simple("key-1"), "bytes").value();
    full = delivered(a.envelope, kT0 + hours(1));
    full.recipients[0].summary = "delivered over IPv4 to mx.example.net";
    full.recipients[0].mxHost = "mx.example.net";
    full.notes["dkim"] = "signed: d=example.com s=s1";
    ASSERT_TRUE(spool->update(full).ok());
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (spool->stats().finalBatches == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(spool->stats().finalBatches, 1u);
    auto found = spool->find(a.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->notes, full.notes);
    EXPECT_EQ(found->recipients[0].summary, full.recipients[0].summary);
    EXPECT_EQ(found->recipients[0].history.size(), 1u);
    EXPECT_EQ(found->mailFrom, "app@example.com");
    auto dup = spool->accept(simple("key-1"), "again").value();
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.envelope.recipients[0].mxHost, "mx.example.net");
    full = *found;
  }
  auto spool = openSpool(tmp.path());
  auto found = spool->find(full.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, full);
  EXPECT_EQ(spool->queueDepth(), 0u);
  EXPECT_TRUE(spool->pending().empty());
  // An update of a batched envelope starts from the whole record, not the stub.
  Envelope noted = full;
  noted.notes["later"] = "yes";
  ASSERT_TRUE(spool->update(noted).ok());
  EXPECT_EQ(spool->find(full.id)->notes.at("dkim"), "signed: d=example.com s=s1");
  EXPECT_EQ(spool->find(full.id)->notes.at("later"), "yes");
  EXPECT_EQ(spool->find(full.id)->mailFrom, "app@example.com");
  // Purge still sees when it finished.
  ASSERT_TRUE(spool->purge(kT0 + hours(2)).ok());
  EXPECT_TRUE(spool->find(full.id));
  ASSERT_TRUE(spool->purge(kT0 + hours(26)).ok());
  EXPECT_FALSE(spool->find(full.id));
}

// Batches are written without an fsync of their own: a torn tail loses only what the journal
// still holds. Here the journal is gone, so the records before the tear must survive intact.
TEST(SpoolTest, TornFinalBatchKeepsTheRecordsBeforeTheTear) {
  TempDir tmp;
  std::vector<std::string> ids;
  {
    auto spool = openSpool(tmp.path());
    for (int i = 0; i < 3; ++i) {
      auto a = spool->accept(simple(), "m").value();
      ASSERT_TRUE(spool->update(delivered(a.envelope, kT0)).ok());
      ids.push_back(a.id);
    }
  }
  fs::path batch = fs::directory_iterator(tmp.path() / "final")->path();
  const auto size = fs::file_size(batch);
  fs::resize_file(batch, size - 7);
  auto spool = openSpool(tmp.path());
  EXPECT_TRUE(spool->find(ids[0]));
  EXPECT_TRUE(spool->find(ids[1]));
  EXPECT_FALSE(spool->find(ids[2]));
  EXPECT_EQ(filesIn(tmp.path() / "quarantine"), 1u);  // a copy for a human
}

// The highest revision wins between a batch and a newer journal record of the same envelope.
TEST(SpoolTest, JournalRecordNewerThanTheBatchWins) {
  TempDir tmp;
  std::string id;
  fs::path journalCopy = tmp.path() / "journal-copy";
  {
    auto spool = openSpool(tmp.path(), {.drainOnClose = false});
    auto a = spool->accept(simple(), "m").value();
    id = a.id;
    auto d = delivered(a.envelope, kT0);
    ASSERT_TRUE(spool->update(d).ok());
    // Let the materializer batch the delivered state, then record a newer note.
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (spool->stats().finalBatches == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(spool->stats().finalBatches, 1u);
    d.notes["later"] = "yes";
    ASSERT_TRUE(spool->update(d).ok());
  }
  auto spool = openSpool(tmp.path());
  ASSERT_TRUE(spool->find(id));
  EXPECT_EQ(spool->find(id)->notes.at("later"), "yes");
}

TEST(SpoolTest, PurgeDeletesBytesAtOnceAndEnvelopesAfterRetention) {
  TempDir tmp;
  std::string id, live;
  {
    auto spool = openSpool(tmp.path());
    auto a = spool->accept(simple("purge-key"), "bytes").value();
    id = a.id;
    live = spool->accept(simple(), "still queued").value().id;
    a.envelope.recipients[0].state = RecipientState::kDelivered;
    a.envelope.recipients[0].history.push_back(
        {kT0 + hours(1), "mx", "", "", AddressFamily::kIpv4, {250, "", "ok"}, "delivered", ""});
    ASSERT_TRUE(spool->update(a.envelope).ok());

    ASSERT_TRUE(spool->purge(kT0 + hours(2)).ok());
    EXPECT_TRUE(spool->find(id));  // still visible to GetMessage
    EXPECT_EQ(spool->readMessage(id).error().kind, ErrorKind::kNotFound);
    EXPECT_TRUE(spool->accept(simple("purge-key"), "x").value().duplicate);

    ASSERT_TRUE(spool->purge(kT0 + hours(1) + hours(24)).ok());
    EXPECT_FALSE(spool->find(id));
    EXPECT_EQ(spool->readMessage(live).value(), "still queued");
  }
  // Files follow memory in the background; closing drained them.
  EXPECT_FALSE(fs::exists(tmp.path() / "msg" / id));
  EXPECT_FALSE(fs::exists(tmp.path() / "env" / id));
  EXPECT_TRUE(fs::exists(tmp.path() / "msg" / live));
  auto spool = openSpool(tmp.path());
  EXPECT_FALSE(spool->find(id));
  EXPECT_TRUE(spool->find(live));
  EXPECT_EQ(filesIn(tmp.path() / "quarantine"), 0u);
  // The key is forgotten with its envelope.
  EXPECT_FALSE(spool->accept(simple("purge-key"), "new").value().duplicate);
}

}  // namespace
}  // namespace mailroom::spool
