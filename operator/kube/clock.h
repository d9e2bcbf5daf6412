// An injectable monotonic clock so that workqueue delays, backoff and lease timing are tested
// with a fake clock instead of sleeps.
#pragma once

#include <atomic>
#include <chrono>

namespace mailroom::kube {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Whether now() follows real time (a blocking wait may then sleep until a deadline).
  virtual bool real() const { return false; }
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  bool real() const override { return true; }
};

// Starts at an arbitrary fixed point and moves only when a test advances it.
class FakeClock final : public Clock {
 public:
  time_point now() const override { return time_point(duration(now_.load())); }
  void advance(duration d) { now_ += d.count(); }

 private:
  std::atomic<duration::rep> now_{
      std::chrono::duration_cast<duration>(std::chrono::hours(1000)).count()};
};

}  // namespace mailroom::kube
