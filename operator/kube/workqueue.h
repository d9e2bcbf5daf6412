// A level-based work queue with client-go's semantics (k8s.io/client-go/util/workqueue):
// - add(key) dedupes: a key waiting in the queue is held once however often it is added;
// - one worker per key: a key re-added while a worker processes it is queued again only when
//   that worker calls done(key), so the latest state is always reconciled once more;
// - addAfter(key, d) delays; addRateLimited(key) delays by per-key exponential backoff
//   (5 ms doubling to 1000 s, ItemExponentialFailureRateLimiter's defaults); forget(key)
//   resets the backoff after a success.
// Thread-safe. Time comes from an injected Clock; tryGet() never blocks (tests), get() waits
// for work, a delay to expire, shutdown or its timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "operator/kube/clock.h"

namespace mailroom::kube {

struct BackoffConfig {
  std::chrono::milliseconds base{5};
  std::chrono::milliseconds max{1000 * 1000};
};

// base * 2^(failures-1), capped at max; failures >= 1. Pure.
std::chrono::milliseconds backoffDelay(int failures, const BackoffConfig& config = {});

class WorkQueue {
 public:
  explicit WorkQueue(const Clock& clock, BackoffConfig backoff = {});

  void add(const std::string& key);
  void addAfter(const std::string& key, Clock::duration delay);
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;

  // The next ready key, marked as processing; nullopt if none is ready now.
  std::optional<std::string> tryGet();
  // Like tryGet but waits up to timeout (real clock only) for a key; nullopt on timeout or
  // shutdown.
  std::optional<std::string> get(std::chrono::milliseconds timeout);
  // The worker finished key; if it was added meanwhile it is queued again.
  void done(const std::string& key);

  void shutdown();
  bool shuttingDown() const;
  size_t len() const;           // keys ready to be handed out
  size_t waitingCount() const;  // keys delayed by addAfter

 private:
  void addLocked(const std::string& key);
  void promoteDueLocked();
  std::optional<std::string> popLocked();

  const Clock& clock_;
  BackoffConfig backoff_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;                       // queued or to be requeued after done()
  std::set<std::string> processing_;                  // handed to a worker
  std::map<std::string, Clock::time_point> waiting_;  // key -> earliest ready time
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace mailroom::kube
