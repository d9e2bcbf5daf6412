// Crash consistency: a child process accepts messages from several threads and reports every
// acknowledged id through a pipe; the parent SIGKILLs it at a random moment, reopens the spool
// and checks that every acknowledged message is there with intact bytes, and every acknowledged
// delivery outcome with its state (final envelopes go into batch files in the background).
// Repeated over the same directory, so recovery also runs over the state a previous recovery
// left behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "sidecar/spool/spool.h"
#include "tests/unit/sidecar/spool/temp_dir.h"

namespace mailroom::spool {
namespace {

std::string messageFor(const std::string& tag) {
  // Sizes vary so that torn writes land at different offsets.
  size_t n = 200 + std::hash<std::string>{}(tag) % 6000;
  std::string m = "X-Tag: " + tag + "\r\n\r\n";
  while (m.size() < n) m += tag;
  return m;
}

[[noreturn]] void child(const std::filesystem::path& dir, int fd, int round) {
  // Small segments so that rotations and checkpoints happen while we are killed.
  auto spool = Spool::open({.dir = dir, .journalSegmentBytes = 256 * 1024});
  if (!spool.ok()) _exit(2);
  std::mutex writeMu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const std::string tag =
            std::to_string(round) + "." + std::to_string(t) + "." + std::to_string(i);
        Envelope e;
        e.mailFrom = "crash@example.com";
        e.idempotencyKey = "key-" + tag;
        Recipient r;
        r.address = "rcpt@example.net";
        e.recipients.push_back(r);
        auto a = (*spool)->accept(std::move(e), messageFor(tag));
        if (!a.ok()) _exit(3);
        bool final = false;
        if (i % 3 == 0) {  // some updates too, so env files get replaced under the kill
          a->envelope.recipients[0].state = RecipientState::kDeferred;
          a->envelope.recipients[0].attempts = 1;
          if (!(*spool)->update(a->envelope).ok()) _exit(4);
        } else if (i % 3 == 1) {  // and some delivered: batched, compacted, read back
          a->envelope.recipients[0].state = RecipientState::kDelivered;
          a->envelope.recipients[0].attempts = 1;
          a->envelope.recipients[0].mxHost = "mx-" + tag;
          if (!(*spool)->update(a->envelope).ok()) _exit(4);
          final = true;
        }
        std::string line = a->id + " " + tag + (final ? " F" : "") + "\n";
        std::lock_guard lock(writeMu);
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(5);
      }
    });
  for (auto& t : threads) t.join();
  _exit(0);
}

TEST(SpoolCrashTest, EveryAcknowledgedMessageSurvivesKill9) {
  testing::TempDir tmp;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::map<std::string, std::string> acknowledged;  // id -> tag
  std::set<std::string> delivered;                  // ids acknowledged as delivered
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child(tmp.path(), fds[1], round);
    }
    ::close(fds[1]);
    FILE* in = ::fdopen(fds[0], "r");
    const int killAfter = std::uniform_int_distribution<int>(1, 400)(rng);
    auto readLine = [&]() -> bool {
      char buf[256];
      if (!std::fgets(buf, sizeof buf, in)) return false;
      std::string line(buf);
      auto space = line.find(' ');
      if (space == std::string::npos || line.back() != '\n') return false;
      std::string id = line.substr(0, space), tag = line.substr(space + 1, line.size() - space - 2);
      if (tag.ends_with(" F")) {
        tag.resize(tag.size() - 2);
        delivered.insert(id);
      }
      acknowledged[id] = tag;
      return true;
    };
    int seen = 0;
    while (seen < killAfter && readLine()) ++seen;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while (readLine()) {  // acknowledgements still in the pipe count too
    }
    std::fclose(in);
    ASSERT_GE(acknowledged.size(), static_cast<size_t>(seen));

    auto spool = Spool::open({.dir = tmp.path()});
    ASSERT_TRUE(spool.ok()) << spool.error().message;
    size_t missing = 0;
    for (const auto& [id, tag] : acknowledged) {
      auto e = (*spool)->find(id);
      bool intact = e && e->idempotencyKey == "key-" + tag;
      if (delivered.count(id)) {  // bytes no longer needed; the outcome must be there whole
        intact = intact && e->recipients[0].state == RecipientState::kDelivered &&
                 e->recipients[0].mxHost == "mx-" + tag;
      } else {
        auto bytes = (*spool)->readMessage(id);
        intact = intact && bytes.ok() && *bytes == messageFor(tag);
      }
      if (!intact) {
        ++missing;
        ADD_FAILURE() << "round " << round << ": acknowledged " << id << " (" << tag
                      << ") lost or damaged";
      }
    }
    EXPECT_EQ(missing, 0u);
  }
  EXPECT_GT(acknowledged.size(), 6u);
}

}  // namespace
}  // namespace mailroom::spool
