// A stop flag that interruptible waits observe (shutdown on SIGTERM must not wait out a backoff).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace mailroom::kube {

class StopSignal {
 public:
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  // Waits up to d; returns true if stopped meanwhile.
  bool waitFor(std::chrono::steady_clock::duration d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [&] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace mailroom::kube
