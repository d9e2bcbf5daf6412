#include "sidecar/delivery/engine.h"

#include <algorithm>

#include "lib/log/log.h"
#include "sidecar/policy/retry.h"

namespace mailroom::delivery {
namespace {

std::string domainOf(const std::string& address) {
  auto at = address.rfind('@');
  std::string d = at == std::string::npos ? "" : address.substr(at + 1);
  std::transform(d.begin(), d.end(), d.begin(), ::tolower);
  return d;
}

bool pending(const spool::Recipient& r) {
  return r.state == spool::RecipientState::kQueued || r.state == spool::RecipientState::kDeferred;
}

const char* familyLabel(std::optional<AddressFamily> f) {
  if (!f) return "none";
  return *f == AddressFamily::kIpv4 ? "ipv4" : "ipv6";
}

}  // namespace

Engine::Engine(asio::io_context& io, spool::Spool& spool, dns::Resolver& resolver,
               metrics::Registry& metrics, Options options)
    : io_(io),
      spool_(spool),
      resolver_(resolver),
      metrics_(metrics),
      options_(std::move(options)),
      config_(options_.config),
      tls_(asio::ssl::context::tls_client),
      rng_(static_cast<std::mt19937::result_type>(options_.rngSeed)),
      wakeup_(io, asio::steady_timer::time_point::max()) {
  tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  tls_.set_default_verify_paths();
  metrics_.describe("mailroom_delivered_total", "counter",
                    "Recipients delivered, by destination domain and address family.");
  metrics_.describe("mailroom_deferred_total", "counter",
                    "Recipient delivery attempts deferred, by destination domain and family.");
  metrics_.describe("mailroom_bounced_total", "counter",
                    "Recipients bounced, by destination domain and address family.");
  metrics_.describe("mailroom_family_fallback_total", "counter",
                    "Retries over the other address family after a PTR rejection.");
  metrics_.describe("mailroom_delivery_seconds", "histogram",
                    "Time from acceptance to delivery of a recipient.");
  metrics_.describe("mailroom_smtp_replies_total", "counter", "SMTP replies by class.");
  metrics_.gaugeFn("mailroom_queue_depth",
                   [this] { return static_cast<double>(spool_.queueDepth()); });
  // Group commit at work: operations per flush is the batching factor.
  metrics_.gaugeFn("mailroom_spool_flushes_total",
                   [this] { return static_cast<double>(spool_.stats().commits); });
  metrics_.describe("mailroom_spool_flushes_total", "counter",
                    "Journal batches written, each with one fdatasync.");
  metrics_.gaugeFn("mailroom_spool_operations_total",
                   [this] { return static_cast<double>(spool_.stats().operations); });
  metrics_.describe("mailroom_spool_operations_total", "counter",
                    "Spool operations (accepts, updates, removes) committed.");
}

Engine::~Engine() = default;

void Engine::start() {
  for (const auto& env : spool_.pending()) {
    spool::TimePoint at = spool::TimePoint::max();
    for (const auto& r : env.recipients)
      if (pending(r)) at = std::min(at, r.nextAttempt);
    schedule(env.id, at);
  }
  asio::co_spawn(io_, schedulerLoop(), asio::detached);
}

void Engine::enqueue(const std::string& id) {
  asio::post(io_, [this, id] { schedule(id, spool::TimePoint::min()); });
}

void Engine::setConfig(std::shared_ptr<const sidecarconfig::SidecarConfig> config) {
  asio::post(io_, [this, config = std::move(config)] { config_ = config; });
}

void Engine::stop() {
  asio::post(io_, [this] {
    stopping_ = true;
    wake();
    asio::co_spawn(io_, pool_.closeIdle(std::chrono::steady_clock::time_point::max()),
                   asio::detached);
  });
}

void Engine::schedule(const std::string& id, spool::TimePoint at) {
  due_.push({at, id});
  wake();
}

void Engine::wake() {
  wakeup_.cancel();
}

Task<void> Engine::schedulerLoop() {
  while (!stopping_) {
    auto now = options_.now();
    while (!due_.empty() && due_.top().at <= now) {
      auto id = due_.top().id;
      due_.pop();
      if (!inFlight_.count(id) && readySet_.insert(id).second) ready_.push_back(id);
    }
    while (!ready_.empty() && active_ < config_->delivery.concurrency) {
      auto id = std::move(ready_.front());
      ready_.pop_front();
      readySet_.erase(id);
      ++active_;
      inFlight_.insert(id);
      asio::co_spawn(io_, runJob(std::move(id)), asio::detached);
    }
    if (now - lastPurge_ >= options_.purgeInterval) {
      lastPurge_ = now;
      if (auto r = spool_.purge(now); !r.ok())
        log::warn("spool purge failed", {{"error", r.error().message}});
      co_await pool_.closeIdle(std::chrono::steady_clock::now() - std::chrono::seconds(5));
    }
    // Sleep until the next due time, the next purge, or a wake-up (enqueue, job done).
    auto next = lastPurge_ + options_.purgeInterval;
    if (!due_.empty()) next = std::min(next, due_.top().at);
    auto delay = next - options_.now();
    wakeup_.expires_after(
        std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay),
                 std::chrono::steady_clock::duration::zero()));
    boost::system::error_code ec;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> Engine::runJob(std::string id) {
  bool slot = true;  // this job's share of delivery.concurrency
  if (auto env = spool_.find(id)) {
    try {
      co_await deliverEnvelope(std::move(*env), slot);
    } catch (const std::exception& e) {
      // A broken invariant in one job must not stop the others; retry in a minute.
      log::error("delivery job failed", {{"id", id}, {"error", e.what()}});
      schedule(id, options_.now() + std::chrono::minutes(1));
    }
  }
  inFlight_.erase(id);
  releaseSlot(slot);
}

void Engine::releaseSlot(bool& slot) {
  if (!slot) return;
  slot = false;
  --active_;
  wake();
}

Task<void> Engine::deliverEnvelope(spool::Envelope envelope, bool& slot) {
  const auto now = options_.now();
  const spool::Envelope before = envelope;
  auto message = spool_.readMessage(envelope.id);
  if (!message.ok()) {
    log::error("cannot read spooled message",
               {{"id", envelope.id}, {"error", message.error().message}});
    schedule(envelope.id, now + std::chrono::minutes(5));
    co_return;
  }
  // One transaction per destination domain, recipients in their original order.
  std::map<std::string, std::vector<size_t>> byDomain;
  for (size_t i = 0; i < envelope.recipients.size(); ++i) {
    const auto& r = envelope.recipients[i];
    if (pending(r) && r.nextAttempt <= now) byDomain[domainOf(r.address)].push_back(i);
  }
  for (const auto& [domain, indices] : byDomain)
    co_await deliverDomain(envelope, *message, domain, indices);
  // The SMTP work is done: free the slot for the next job while this one waits for the
  // durable write of its outcome (the id stays in flight until then).
  releaseSlot(slot);

  auto saved = co_await saveOutcome(envelope);
  if (!saved.ok()) {
    // The attempt happened but its outcome is not durable: try again (a duplicate is possible,
    // bounded by this one message) rather than lose the recipients.
    log::error("spool update failed", {{"id", envelope.id}, {"error", saved.error().message}});
  }
  recordOutcome(before, envelope);

  spool::TimePoint next = spool::TimePoint::max();
  for (const auto& r : envelope.recipients)
    if (pending(r)) next = std::min(next, r.nextAttempt);
  if (next != spool::TimePoint::max()) schedule(envelope.id, next);
}

Task<Result<void>> Engine::saveOutcome(const spool::Envelope& envelope) {
  auto initiation = [this, &envelope](auto handler) {
    // The spool's callback must be copyable; the coroutine's handler is move-only.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    auto work = asio::make_work_guard(io_);
    spool_.updateAsync(envelope, [shared, work](Result<void> r) {
      asio::post(work.get_executor(),
                 [shared, r = std::move(r)]() mutable { std::move (*shared)(std::move(r)); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<void>)>(
      initiation, asio::use_awaitable);
}

void Engine::recordOutcome(const spool::Envelope& before, const spool::Envelope& after) {
  for (size_t i = 0; i < after.recipients.size(); ++i) {
    const auto& b = before.recipients[i];
    const auto& a = after.recipients[i];
    if (a.attempts == b.attempts) continue;
    metrics::Labels labels{{"domain", domainOf(a.address)}, {"family", familyLabel(a.family)}};
    std::vector<log::Field> fields;
    switch (a.state) {
      case spool::RecipientState::kDelivered:
        metrics_.inc("mailroom_delivered_total", labels);
        metrics_.observe("mailroom_delivery_seconds", {},
                         std::chrono::duration<double>(options_.now() - after.acceptedAt).count());
        log::info("delivered", {{"id", after.id},
                                {"rcpt_domain", domainOf(a.address)},
                                {"mx", a.mxHost},
                                {"ip", a.ip},
                                {"source_ip", a.sourceIp},
                                {"code", a.lastReply.code},
                                {"summary", a.summary}});
        break;
      case spool::RecipientState::kBounced:
        metrics_.inc("mailroom_bounced_total", labels);
        log::warn("bounced", {{"id", after.id},
                              {"rcpt_domain", domainOf(a.address)},
                              {"code", a.lastReply.code},
                              {"enhanced", a.lastReply.enhanced},
                              {"summary", a.summary}});
        break;
      default:
        metrics_.inc("mailroom_deferred_total", labels);
        log::info("deferred", {{"id", after.id},
                               {"rcpt_domain", domainOf(a.address)},
                               {"code", a.lastReply.code},
                               {"summary", a.summary}});
    }
  }
}

}  // namespace mailroom::delivery
