// The retry schedule for deferred recipients, OpenSMTPD/Postfix style (RFC 5321 §4.5.4.1: retry
// at least 30 minutes apart in general, give up after 4-5 days). Pure functions of explicit time
// points: the first retry comes initialBackoff after an attempt, each further one `factor` times
// later, capped at maxBackoff (Postfix minimal_backoff_time / maximal_backoff_time), and a
// recipient still undelivered queueLifetime after acceptance bounces with its last reply
// (Postfix maximal_queue_lifetime).
#pragma once

#include <chrono>
#include <cstdint>

namespace mailroom::policy {

using TimePoint = std::chrono::system_clock::time_point;

struct RetryPolicy {
  std::chrono::seconds initialBackoff{300};
  std::chrono::seconds maxBackoff{4000};
  double factor = 2;
  // Seconds (not hours) so that config durations convert without loss; hours convert implicitly.
  std::chrono::seconds queueLifetime{std::chrono::hours(120)};
  // Optional spread so that messages deferred together do not retry in lockstep: the backoff is
  // shortened by up to this fraction (0..0.5), derived from `seed`, the acceptance time and the
  // attempt count, so it is deterministic (tests inject the seed).
  double jitter = 0;
  uint64_t seed = 0;
};

// The backoff after `attemptsMade` attempts (>= 1): initial * factor^(attemptsMade-1), capped.
std::chrono::seconds backoff(const RetryPolicy& policy, int attemptsMade);

// When to try again after `attemptsMade` attempts, the last one ending at `now`: now + backoff
// (minus jitter), never later than the expiry (one last attempt at the end of the lifetime),
// and `now` itself when nothing has been tried yet.
TimePoint nextAttempt(const RetryPolicy& policy, TimePoint acceptedAt, int attemptsMade,
                      TimePoint now);

// True once the queue lifetime is over: the recipient bounces with its last reply.
bool expired(const RetryPolicy& policy, TimePoint acceptedAt, TimePoint now);

}  // namespace mailroom::policy
