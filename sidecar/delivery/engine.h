// The delivery engine: the scheduler keyed by destination. Spooled messages whose recipients
// are due become one job per destination domain (one SMTP transaction per domain, RFC 5321
// §3.3) in that destination's queue (destination_queues.h); a job starts when the admission
// policy (sidecar/policy/admission.h) allows it under delivery.concurrency and the
// destination's maxConnections and messagesPerMinute (the routed transport's
// limits.perDestination) —
// until then it waits, neither bounced nor counted as an attempt. A started job is routed to
// its Transport and handed to the transport's delivery strategy (strategy.h: direct or relay),
// which keeps its books in a DestinationAttempt; the engine then writes the outcome to the
// spool and, once durable, publishes each recipient's outcome to the outcome sinks
// (outcome.h: metrics, logs, later reports).
//
// Jobs of one message run independently; they share the message's envelope (each changes only
// its own recipients) and each writes it whole, so the latest write holds every finished job.
// Everything runs on one io_context thread; spool writes complete asynchronously (group
// commit) and resume the job on that thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/common/asio.h"
#include "lib/dns/resolver.h"
#include "lib/metrics/metrics.h"
#include "lib/sidecarconfig/config.h"
#include "sidecar/delivery/destination_queues.h"
#include "sidecar/delivery/direct_delivery.h"
#include "sidecar/delivery/outcome_subscribers.h"
#include "sidecar/delivery/relay_delivery.h"
#include "sidecar/delivery/session_pool.h"
#include "sidecar/policy/response_rules.h"
#include "sidecar/spool/spool.h"

namespace mailroom::delivery {

class Engine {
 public:
  struct Options {
    std::shared_ptr<const sidecarconfig::SidecarConfig> config;
    std::function<spool::TimePoint()> now = [] { return spool::Clock::now(); };
    uint64_t rngSeed = std::random_device{}();
    std::chrono::seconds purgeInterval{60};
    smtp::Timeouts smtpTimeouts = {};  // RFC 5321 defaults; tests shorten them
    // Subscribers besides the metrics and the logs; they must outlive the engine.
    std::vector<OutcomeSink*> sinks = {};
    // Where durable delivery state lives (learned address families); "": memory only.
    std::filesystem::path stateDirectory = {};
  };

  Engine(asio::io_context& io, spool::Spool& spool, dns::Resolver& resolver,
         metrics::Registry& metrics, Options options);
  ~Engine();

  // Schedules everything the spool holds (after a restart) and starts the scheduler.
  void start();
  // A message was accepted: deliver it now. Thread-safe.
  void enqueue(const std::string& id);
  // Replaces transports, routes, limits and retry settings for new attempts. Thread-safe.
  void setConfig(std::shared_ptr<const sidecarconfig::SidecarConfig> config);
  // Stops scheduling new attempts and closes idle sessions. Thread-safe.
  void stop();

  // Deliveries in progress (holding a slot), and jobs waiting for one.
  int active() const { return queues_.active(); }
  size_t waiting() const { return queues_.waiting(); }

 private:
  struct Due {
    spool::TimePoint at;
    std::string id;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  // A message with jobs queued or running. The envelope and bytes are held only while a job
  // runs or saves (busy > 0): waiting jobs cost no copy of the message.
  struct Message {
    std::vector<std::string> destinations;  // with a job queued, running or saving
    int busy = 0;
    spool::Envelope envelope;
    std::optional<std::string> bytes;
  };

  void schedule(const std::string& id, spool::TimePoint at);
  void wake();
  Task<void> schedulerLoop();
  void makeJobs(const std::string& id, spool::TimePoint now);
  void dispatch(spool::TimePoint now);
  Task<void> runJob(DeliveryJob job);
  Task<bool> attempt(Message& m, const DeliveryJob& job,
                     std::shared_ptr<const sidecarconfig::SidecarConfig> config);
  Task<Result<void>> saveOutcome(const spool::Envelope& envelope);  // durable spool update
  void publish(const Message& m, const DestinationAttempt& attempt);
  void jobDone(const DeliveryJob& job, bool failed);
  void obeyResponseRules(const DestinationAttempt& books, const sidecarconfig::Transport* transport,
                         const std::shared_ptr<const sidecarconfig::SidecarConfig>& config);
  // The transport's own response rules, then the built-in ones it did not replace, compiled
  // once per config.
  const std::vector<policy::ResponseRule>& responseRules(
      const sidecarconfig::Transport* transport,
      const std::shared_ptr<const sidecarconfig::SidecarConfig>& config);
  DeliveryStrategy* strategyFor(const sidecarconfig::Transport& transport);

  asio::io_context& io_;
  spool::Spool& spool_;
  metrics::Registry* metrics_ = nullptr;
  Options options_;
  std::shared_ptr<const sidecarconfig::SidecarConfig> config_;
  SessionPool pool_;
  LearnedFamilies learned_;
  DirectDelivery direct_;
  RelayDelivery relay_;
  OutcomeMetrics outcomeMetrics_;
  OutcomeLog outcomeLog_;
  std::vector<OutcomeSink*> sinks_;

  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::unordered_map<std::string, Message> messages_;
  DestinationQueues queues_;
  std::shared_ptr<const sidecarconfig::SidecarConfig> rulesConfig_;
  std::unordered_map<std::string, std::vector<policy::ResponseRule>> rules_;
  bool stopping_ = false;
  asio::steady_timer wakeup_;
  spool::TimePoint lastPurge_{};
};

}  // namespace mailroom::delivery
