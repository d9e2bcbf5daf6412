#include "sidecar/policy/retry.h"

#include <algorithm>
#include <cmath>

namespace mailroom::policy {
namespace {

// splitmix64: a well-mixed, dependency-free hash for the deterministic jitter.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::chrono::seconds backoff(const RetryPolicy& policy, int attemptsMade) {
  const auto initial = std::max<int64_t>(policy.initialBackoff.count(), 0);
  const auto cap = std::max<int64_t>(policy.maxBackoff.count(), initial);
  if (attemptsMade <= 1 || policy.factor <= 1) return std::chrono::seconds(std::min(initial, cap));
  // Computed in floating point and clamped before converting, so huge attempt counts cannot
  // overflow.
  double b = static_cast<double>(initial) * std::pow(policy.factor, attemptsMade - 1);
  if (!(b < static_cast<double>(cap))) return std::chrono::seconds(cap);
  return std::chrono::seconds(static_cast<int64_t>(b));
}

TimePoint nextAttempt(const RetryPolicy& policy, TimePoint acceptedAt, int attemptsMade,
                      TimePoint now) {
  if (attemptsMade <= 0) return now;
  std::chrono::system_clock::duration wait = backoff(policy, attemptsMade);
  if (policy.jitter > 0) {
    const double j = std::min(policy.jitter, 0.5);
    const uint64_t h = mix(policy.seed ^ mix(static_cast<uint64_t>(attemptsMade)) ^
                           static_cast<uint64_t>(acceptedAt.time_since_epoch().count()));
    const double fraction = j * static_cast<double>(h >> 11) / 9007199254740992.0;  // [0, j)
    wait -= std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(fraction * std::chrono::duration<double>(wait).count()));
  }
  const TimePoint expiry = acceptedAt + policy.queueLifetime;
  return std::max(now, std::min(now + wait, expiry));
}

bool expired(const RetryPolicy& policy, TimePoint acceptedAt, TimePoint now) {
  return now >= acceptedAt + policy.queueLifetime;
}

}  // namespace mailroom::policy
