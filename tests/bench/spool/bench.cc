// Durable accepts per second: N threads accept M-byte messages into a fresh spool for a fixed
// time, with fsync on (pass --no-fsync to measure without it, and say so when quoting numbers).
//   mailroom-bench-spool [--threads 20] [--size 4096] [--seconds 5] [--dir PATH] [--no-fsync]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sidecar/spool/spool.h"

using namespace mailroom::spool;

int main(int argc, char** argv) {
  int threads = 20, seconds = 5;
  size_t size = 4096;
  bool fsync = true;
  std::filesystem::path dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "--size")
      size = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--seconds")
      seconds = std::atoi(next().c_str());
    else if (a == "--dir")
      dir = next();
    else if (a == "--no-fsync")
      fsync = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  bool cleanup = false;
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/spool-bench-XXXXXX";
    if (!::mkdtemp(pattern.data())) return 1;
    dir = pattern;
    cleanup = true;
  }
  auto opened = Spool::open({.dir = dir, .fsync = fsync});
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& spool = *opened;
  const std::string message(size, 'x');
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> accepted{0}, failed{0};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        Envelope e;
        e.mailFrom = "bench@example.com";
        e.acceptedAt = Clock::now();
        Recipient r;
        r.address = "sink@example.net";
        e.recipients.push_back(r);
        if (spool->accept(std::move(e), message).ok())
          ++accepted;
        else
          ++failed;
      }
    });
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // the measurement window
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto stats = spool->stats();
  std::printf(
      "threads=%d size=%zu fsync=%s seconds=%.2f accepted=%llu failed=%llu "
      "accepts/s=%.0f commits=%llu avg-batch=%.1f checkpoints=%llu materialized=%llu\n",
      threads, size, fsync ? "on" : "off", elapsed, static_cast<unsigned long long>(accepted),
      static_cast<unsigned long long>(failed), accepted / elapsed,
      static_cast<unsigned long long>(stats.commits),
      stats.commits ? static_cast<double>(stats.operations) / stats.commits : 0.0,
      static_cast<unsigned long long>(stats.checkpoints),
      static_cast<unsigned long long>(stats.materialized));
  // Closing materializes every file and deletes the journal: the background cost of the run.
  const auto closeStart = std::chrono::steady_clock::now();
  spool.reset();
  std::printf("close (materialize %llu envelopes, delete journal) took %.2fs\n",
              static_cast<unsigned long long>(accepted),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - closeStart).count());
  if (cleanup) std::filesystem::remove_all(dir);
  return failed ? 1 : 0;
}
