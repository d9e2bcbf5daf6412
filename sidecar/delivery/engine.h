// The delivery engine: takes spooled messages whose recipients are due, groups recipients by
// destination domain (one SMTP transaction per domain, RFC 5321 §3.3), routes each domain to
// its Transport, resolves MX and addresses, and tries targets in order: next address / next MX
// on connection failure or 4xx, 5xx permanent for that recipient — except a reverse-DNS (PTR)
// rejection over one address family when the transport allows the other: that is retried over
// the other family at once, in the same attempt, and the recipient's status says why.
//
// Everything runs on one io_context thread; spool writes complete asynchronously (group commit)
// and resume the job on that thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "lib/common/asio.h"
#include "lib/dns/resolver.h"
#include "lib/metrics/metrics.h"
#include "lib/sidecarconfig/config.h"
#include "sidecar/delivery/session_pool.h"
#include "sidecar/spool/spool.h"

namespace mailroom::delivery {

class Engine {
 public:
  struct Options {
    std::shared_ptr<const sidecarconfig::SidecarConfig> config;
    std::function<spool::TimePoint()> now = [] { return spool::Clock::now(); };
    uint64_t rngSeed = std::random_device{}();
    std::chrono::seconds purgeInterval{60};
  };

  Engine(asio::io_context& io, spool::Spool& spool, dns::Resolver& resolver,
         metrics::Registry& metrics, Options options);
  ~Engine();

  // Schedules everything the spool holds (after a restart) and starts the scheduler.
  void start();
  // A message was accepted: deliver it now. Thread-safe.
  void enqueue(const std::string& id);
  // Replaces transports, routes and retry settings for new attempts. Thread-safe.
  void setConfig(std::shared_ptr<const sidecarconfig::SidecarConfig> config);
  // Stops scheduling new attempts and closes idle sessions. Thread-safe.
  void stop();

  size_t inFlight() const { return inFlight_.size(); }

 private:
  struct Due {
    spool::TimePoint at;
    std::string id;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  void schedule(const std::string& id, spool::TimePoint at);
  void wake();
  Task<void> schedulerLoop();
  Task<void> runJob(std::string id);
  Task<void> deliverEnvelope(spool::Envelope envelope, bool& slot);
  void releaseSlot(bool& slot);
  Task<void> deliverDomain(spool::Envelope& envelope, const std::string& message,
                           const std::string& domain, const std::vector<size_t>& recipients);
  Task<Result<void>> saveOutcome(const spool::Envelope& envelope);  // durable spool update
  void recordOutcome(const spool::Envelope& before, const spool::Envelope& after);

  asio::io_context& io_;
  spool::Spool& spool_;
  dns::Resolver& resolver_;
  metrics::Registry& metrics_;
  Options options_;
  std::shared_ptr<const sidecarconfig::SidecarConfig> config_;
  asio::ssl::context tls_;
  std::mt19937 rng_;
  SessionPool pool_;

  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::set<std::string> inFlight_;
  std::deque<std::string> ready_;
  std::set<std::string> readySet_;  // membership of ready_, so dedupe is O(log n)
  int active_ = 0;
  bool stopping_ = false;
  asio::steady_timer wakeup_;
  spool::TimePoint lastPurge_{};
};

}  // namespace mailroom::delivery
