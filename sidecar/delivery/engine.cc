#include "sidecar/delivery/engine.h"

#include <algorithm>
#include <set>

#include "lib/log/log.h"
#include "sidecar/policy/response_rules.h"
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

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// delivery.concurrency, and the maxConnections and messagesPerMinute of the transport that
// serves the destination (its most specific perDestination entry, "*" the default).
policy::DestinationLimits limitsFor(const sidecarconfig::SidecarConfig& config,
                                    std::string_view destination) {
  policy::DestinationLimits limits{config.delivery.concurrency, std::nullopt, std::nullopt};
  if (const auto* transport = sidecarconfig::routeFor(config, destination)) {
    if (const auto* l = sidecarconfig::limitsFor(*transport, destination)) {
      limits.perDestination = l->maxConnections;
      limits.messagesPerMinute = l->messagesPerMinute;
    }
  }
  return limits;
}

policy::RetryPolicy retryPolicy(const sidecarconfig::Retry& retry) {
  return {retry.initialBackoff, retry.maxBackoff, 2.0, retry.queueLifetime};
}

Outcome outcomeOf(const spool::Recipient& r) {
  if (r.state == spool::RecipientState::kDelivered) return Outcome::kDelivered;
  if (r.state == spool::RecipientState::kBounced) return Outcome::kBounced;
  return Outcome::kDeferred;
}

}  // namespace

Engine::Engine(asio::io_context& io, spool::Spool& spool, dns::Resolver& resolver,
               metrics::Registry& metrics, Options options)
    : io_(io),
      spool_(spool),
      options_(std::move(options)),
      config_(options_.config),
      learned_(options_.stateDirectory, metrics),
      direct_(io.get_executor(), resolver, pool_,
              {options_.now, options_.rngSeed, options_.smtpTimeouts, &learned_}),
      relay_(io.get_executor(), resolver, pool_, {options_.now, options_.smtpTimeouts}),
      outcomeMetrics_(metrics),
      wakeup_(io, asio::steady_timer::time_point::max()) {
  metrics_ = &metrics;
  metrics.describe("mailroom_destination_deferred_total", "counter",
                   "Destinations held as a whole after a receiver's reply matched a "
                   "defer-destination or pause response rule.");
  metrics.describe("mailroom_destination_slowed_total", "counter",
                   "Destinations limited to one connection and half the rate after a receiver's "
                   "reply matched a reduce-rate response rule.");
  learned_.load(options_.now());
  sinks_ = {&outcomeMetrics_, &outcomeLog_};
  sinks_.insert(sinks_.end(), options_.sinks.begin(), options_.sinks.end());
  metrics.gaugeFn("mailroom_queue_depth",
                  [this] { return static_cast<double>(spool_.queueDepth()); });
  // Group commit at work: operations per flush is the batching factor.
  metrics.gaugeFn("mailroom_spool_flushes_total",
                  [this] { return static_cast<double>(spool_.stats().commits); });
  metrics.describe("mailroom_spool_flushes_total", "counter",
                   "Journal batches written, each with one fdatasync.");
  metrics.gaugeFn("mailroom_spool_operations_total",
                  [this] { return static_cast<double>(spool_.stats().operations); });
  metrics.describe("mailroom_spool_operations_total", "counter",
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
  asio::post(io_, [this, config = std::move(config)] {
    config_ = config;
    wake();  // raised limits may let waiting jobs start
  });
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
      makeJobs(id, now);
    }
    dispatch(now);
    if (now - lastPurge_ >= options_.purgeInterval) {
      lastPurge_ = now;
      queues_.forgetIdle(now);
      if (auto r = spool_.purge(now); !r.ok())
        log::warn("spool purge failed", {{"error", r.error().message}});
      co_await pool_.closeIdle(std::chrono::steady_clock::now() - std::chrono::seconds(5));
    }
    // Sleep until the next due time, a rate-limited destination's turn, the next purge, or a
    // wake-up (enqueue, job done).
    auto next = std::min(lastPurge_ + options_.purgeInterval, queues_.nextWake());
    if (!due_.empty()) next = std::min(next, due_.top().at);
    auto delay = next - options_.now();
    wakeup_.expires_after(
        std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay),
                 std::chrono::steady_clock::duration::zero()));
    boost::system::error_code ec;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// The message's due recipients, one job per destination domain that has none queued or running
// (that job reschedules the message when it ends).
void Engine::makeJobs(const std::string& id, spool::TimePoint now) {
  auto it = messages_.find(id);
  std::optional<spool::Envelope> loaded;
  const spool::Envelope* env = nullptr;
  if (it != messages_.end() && it->second.busy > 0) {
    env = &it->second.envelope;
  } else {
    loaded = spool_.find(id);
    if (!loaded) return;
    env = &*loaded;
  }
  std::vector<DeliveryJob> jobs;  // in the order of the recipients; usually one
  for (size_t i = 0; i < env->recipients.size(); ++i) {
    const auto& r = env->recipients[i];
    if (!pending(r) || r.nextAttempt > now) continue;
    auto domain = domainOf(r.address);
    auto job = std::find_if(jobs.begin(), jobs.end(),
                            [&](const DeliveryJob& j) { return j.destination == domain; });
    if (job != jobs.end())
      job->recipients.push_back(i);
    else
      jobs.push_back({id, std::move(domain), {i}});
  }
  if (jobs.empty()) return;
  Message& m = it != messages_.end() ? it->second : messages_[id];
  for (auto& job : jobs) {
    if (contains(m.destinations, job.destination)) continue;
    m.destinations.push_back(job.destination);
    queues_.push(std::move(job));
  }
  if (m.destinations.empty()) messages_.erase(id);
}

void Engine::dispatch(spool::TimePoint now) {
  if (stopping_) return;
  const DestinationQueues::LimitsFor limits = [this](std::string_view destination) {
    return limitsFor(*config_, destination);
  };
  while (auto job = queues_.next(limits, now))
    asio::co_spawn(io_, runJob(std::move(*job)), asio::detached);
}

Task<void> Engine::runJob(DeliveryJob job) {
  auto config = config_;                     // this attempt keeps the config it started with
  Message& m = messages_.at(job.messageId);  // stays until this job's jobDone
  bool failed = false;
  try {
    const bool made = co_await attempt(m, job, std::move(config));
    failed = !made;
  } catch (const std::exception& e) {
    // A broken invariant in one job must not stop the others; retry in a minute.
    log::error("delivery job failed", {{"id", job.messageId}, {"error", e.what()}});
    failed = true;
  }
  jobDone(job, failed);
}

// One attempt: false when it could not be made (nothing to save; retry in a minute).
Task<bool> Engine::attempt(Message& m, const DeliveryJob& job,
                           std::shared_ptr<const sidecarconfig::SidecarConfig> config) {
  bool holdsSlot = true;
  auto freeSlot = [&] {
    if (!holdsSlot) return;
    holdsSlot = false;
    queues_.finished(job.destination);
    wake();
  };
  struct Busy {  // the envelope stays loaded while this job runs or saves
    Message& m;
    ~Busy() { --m.busy; }
  };
  if (m.busy++ == 0) {
    auto env = spool_.find(job.messageId);
    m.envelope = env ? std::move(*env) : spool::Envelope{};
    m.bytes.reset();
  }
  Busy busy{m};
  if (m.envelope.id.empty()) {
    freeSlot();
    co_return false;
  }
  if (!m.bytes) {
    auto read = spool_.readMessage(job.messageId);
    if (!read.ok()) {
      log::error("cannot read spooled message",
                 {{"id", job.messageId}, {"error", read.error().message}});
      freeSlot();
      co_return false;
    }
    m.bytes = std::move(*read);
  }
  std::vector<size_t> due;
  for (size_t i : job.recipients)
    if (pending(m.envelope.recipients[i])) due.push_back(i);
  const sidecarconfig::Transport* transport = sidecarconfig::routeFor(*config, job.destination);
  DestinationAttempt books(m.envelope, job.destination, due,
                           retryPolicy(transport ? transport->retry : sidecarconfig::Retry{}),
                           options_.now());
  try {
    if (!transport) {
      books.finishAll(true, {0, "5.3.5", ""}, "no transport routes mail for " + job.destination);
    } else if (DeliveryStrategy* strategy = strategyFor(*transport)) {
      co_await strategy->deliver(books, *m.bytes, *transport, *config);
      books.finishOpen();
    } else {  // a mode this build does not know: never lose mail
      books.finishAll(false, {0, "4.3.5", ""},
                      "transport \"" + transport->name + "\" has no delivery strategy");
    }
  } catch (...) {
    freeSlot();
    throw;
  }
  obeyResponseRules(books, transport, config);
  // The SMTP work is done: free the slot for the next job while this one waits for the durable
  // write of its outcome (the destination stays taken for this message until then).
  freeSlot();
  auto saved = co_await saveOutcome(m.envelope);
  if (!saved.ok()) {
    // The attempt happened but its outcome is not durable: try again (a duplicate is possible,
    // bounded by this one message) rather than lose the recipients.
    log::error("spool update failed", {{"id", job.messageId}, {"error", saved.error().message}});
  }
  publish(m, books);
  co_return true;
}

// A reply that speaks for the whole destination (policy/response_rules.h): defer-destination
// and pause hold every job of the destination until their time (the later messages wait
// instead of meeting the same reply); reduce-rate slows it down. The others act on the message
// in hand (switch-family: the family fallback and the learned family; bounce: the 5xx bounced it;
// reduce-rate: one connection and half the rate there for a while, policy::reduced()).
void Engine::obeyResponseRules(const DestinationAttempt& books,
                               const sidecarconfig::Transport* transport,
                               const std::shared_ptr<const sidecarconfig::SidecarConfig>& config) {
  const std::vector<policy::ResponseRule>* rules = nullptr;
  for (const auto& t : books.tracks()) {
    const auto& r = books.envelope().recipients[t.index];
    if (r.state == spool::RecipientState::kDelivered || r.lastReply.code < 400) continue;
    const std::string_view mxHost = r.history.empty() ? "" : r.history.back().mxHost;
    if (!rules) rules = &responseRules(transport, config);  // only once a reply failed
    const auto* rule = policy::matchResponse(*rules, r.lastReply.code, r.lastReply.enhanced,
                                             r.lastReply.text, mxHost);
    if (!rule) continue;
    if (rule->action == policy::ResponseAction::kReduceRate) {
      queues_.slowDestination(books.destination(), options_.now() + rule->duration);
      log::warn("the receiver asked for fewer connections: one at a time, half the rate",
                {{"rcpt_domain", books.destination()},
                 {"rule", rule->name},
                 {"seconds", static_cast<long long>(rule->duration.count())},
                 {"reply", describe(r.lastReply)}});
      metrics_->inc("mailroom_destination_slowed_total",
                    {{"domain", books.destination()}, {"rule", rule->name}});
      return;
    }
    const bool pause = rule->action == policy::ResponseAction::kPause;
    if (!pause && rule->action != policy::ResponseAction::kDeferDestination) continue;
    queues_.deferDestination(books.destination(), options_.now() + rule->duration);
    log::warn(pause ? "the receiver refuses us (a block list): this destination is paused"
                    : "the receiver asked to slow down: nothing goes to this destination for a "
                      "while",
              {{"rcpt_domain", books.destination()},
               {"action", policy::responseActionName(rule->action)},
               {"rule", rule->name},
               {"seconds", static_cast<long long>(rule->duration.count())},
               {"reply", describe(r.lastReply)}});
    metrics_->inc("mailroom_destination_deferred_total",
                  {{"domain", books.destination()}, {"rule", rule->name}});
    return;  // one hold per attempt
  }
}

const std::vector<policy::ResponseRule>& Engine::responseRules(
    const sidecarconfig::Transport* transport,
    const std::shared_ptr<const sidecarconfig::SidecarConfig>& config) {
  if (!transport) return policy::defaultResponseRules();
  if (rulesConfig_ != config) {
    rules_.clear();
    rulesConfig_ = config;
  }
  auto [it, inserted] = rules_.try_emplace(transport->name);
  if (!inserted) return it->second;
  std::vector<policy::ResponseRule>& out = it->second;
  std::set<std::string> named;
  for (const auto& c : transport->responseRules) {
    named.insert(c.name);
    const auto action = policy::parseResponseAction(c.action);
    if (!action) continue;  // "none": the built-in rule of that name is off
    policy::ResponseRule r;
    r.name = c.name;
    r.codes = c.codes;
    r.enhanced = c.enhanced;
    // The parser compiled the expression once already: it is valid.
    if (!c.text.empty()) r.text = std::regex(c.text, std::regex::ECMAScript | std::regex::icase);
    r.mxSuffix = c.mxSuffix;
    r.action = *action;
    r.duration = c.duration;
    out.push_back(std::move(r));
  }
  for (const auto& d : policy::defaultResponseRules())
    if (!named.count(d.name)) out.push_back(d);
  return out;
}

void Engine::jobDone(const DeliveryJob& job, bool failed) {
  auto it = messages_.find(job.messageId);
  Message& m = it->second;
  std::erase(m.destinations, job.destination);
  // The recipients no other job of this message will reschedule: those of this job's domain,
  // and every other one when no other job is queued or running.
  spool::TimePoint next = spool::TimePoint::max();
  if (failed) {
    next = options_.now() + std::chrono::minutes(1);
  } else {
    for (const auto& r : m.envelope.recipients)
      if (pending(r) && (m.destinations.empty() || !contains(m.destinations, domainOf(r.address))))
        next = std::min(next, r.nextAttempt);
  }
  if (m.busy == 0) {
    m.envelope = {};
    m.bytes.reset();
  }
  const std::string id = job.messageId;
  if (m.destinations.empty()) messages_.erase(it);
  if (next != spool::TimePoint::max()) schedule(id, next);
}

DeliveryStrategy* Engine::strategyFor(const sidecarconfig::Transport& transport) {
  if (transport.direct()) return &direct_;
  if (transport.relay()) return &relay_;
  return nullptr;
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

void Engine::publish(const Message& m, const DestinationAttempt& attempt) {
  const auto now = options_.now();
  for (const auto& t : attempt.tracks()) {
    const auto& r = m.envelope.recipients[t.index];
    RecipientOutcome o;
    o.outcome = outcomeOf(r);
    o.messageId = m.envelope.id;
    o.recipient = r.address;
    o.destination = attempt.destination();
    o.attempt = r.attempts;
    o.rows = std::span<const spool::Attempt>(r.history).subspan(t.firstRow);
    if (o.outcome == Outcome::kDelivered) {
      o.mxHost = r.mxHost;
      o.ip = r.ip;
      o.sourceIp = r.sourceIp;
      o.family = r.family;
    } else {
      if (!o.rows.empty()) {
        const auto& last = o.rows.back();
        o.mxHost = last.mxHost;
        o.ip = last.ip;
        o.sourceIp = last.sourceIp;
        o.family = last.family;
      }
      o.classification = classifyReply(r.lastReply.code, r.lastReply.enhanced, r.lastReply.text);
    }
    o.reply = &r.lastReply;
    o.summary = r.summary;
    o.acceptedAt = m.envelope.acceptedAt;
    o.at = now;
    for (auto* sink : sinks_) sink->onOutcome(o);
  }
}

}  // namespace mailroom::delivery
