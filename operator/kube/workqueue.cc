#include "operator/kube/workqueue.h"

#include <algorithm>

namespace mailroom::kube {

std::chrono::milliseconds backoffDelay(int failures, const BackoffConfig& config) {
  if (failures < 1) failures = 1;
  // Shift at most 40 times: beyond that any sane base is already past max (and 2^63 overflows).
  int shift = std::min(failures - 1, 40);
  long double d =
      static_cast<long double>(config.base.count()) * static_cast<long double>(1ULL << shift);
  if (d >= static_cast<long double>(config.max.count())) return config.max;
  return std::chrono::milliseconds(static_cast<int64_t>(d));
}

WorkQueue::WorkQueue(const Clock& clock, BackoffConfig backoff)
    : clock_(clock), backoff_(backoff) {}

void WorkQueue::addLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  // A key being processed goes back to the queue in done(), never to a second worker.
  if (processing_.count(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, Clock::duration delay) {
  std::lock_guard lock(mu_);
  if (shutdown_) return;
  if (delay <= Clock::duration::zero()) {
    addLocked(key);
    return;
  }
  auto at = clock_.now() + delay;
  auto it = waiting_.find(key);
  if (it == waiting_.end()) {
    waiting_.emplace(key, at);
  } else if (at < it->second) {
    it->second = at;  // the earlier request wins, as in client-go's delaying queue
  }
  cv_.notify_one();
}

void WorkQueue::addRateLimited(const std::string& key) {
  Clock::duration delay;
  {
    std::lock_guard lock(mu_);
    int n = ++failures_[key];
    delay = backoffDelay(n, backoff_);
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked() {
  auto now = clock_.now();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second <= now) {
      std::string key = it->first;
      it = waiting_.erase(it);
      addLocked(key);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> WorkQueue::popLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::tryGet() {
  std::lock_guard lock(mu_);
  if (shutdown_) return std::nullopt;
  promoteDueLocked();
  return popLocked();
}

std::optional<std::string> WorkQueue::get(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!shutdown_) {
    promoteDueLocked();
    if (auto key = popLocked()) return key;
    if (!clock_.real() || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    auto wakeAt = deadline;
    for (const auto& [key, at] : waiting_) wakeAt = std::min(wakeAt, at);
    cv_.wait_until(lock, wakeAt);
  }
  return std::nullopt;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutdown_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lock(mu_);
  return shutdown_;
}

size_t WorkQueue::len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkQueue::waitingCount() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

}  // namespace mailroom::kube
