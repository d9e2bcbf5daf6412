// The ready side of the scheduler, keyed by destination domain as mox's and OpenSMTPD's queues
// are: one FIFO of jobs per destination (a job is one message's recipients at that domain,
// one SMTP transaction, RFC 5321 §3.3), destinations served in rotation so that one busy or
// slow destination cannot hold the others back. A job starts only when the admission policy
// (sidecar/policy/admission.h) says so. A destination at its own connection limit is set aside
// until one of its jobs finishes, one over its message rate (or deferred as a whole by a
// receiver's reply) until the time the rate names, so a waiting destination costs nothing per
// dispatch. Plain data, no I/O: the engine pushes due
// jobs, starts what next() hands out and sleeps until nextWake().
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sidecar/policy/admission.h"

namespace mailroom::delivery {

struct DeliveryJob {
  std::string messageId;
  std::string destination;         // lower-case recipient domain
  std::vector<size_t> recipients;  // indices into the envelope's recipients
};

class DestinationQueues {
 public:
  using TimePoint = policy::RateClock::time_point;
  using LimitsFor = std::function<policy::DestinationLimits(std::string_view destination)>;

  void push(DeliveryJob job);
  // The next job allowed to start at `now`, now counted as in progress (and against its
  // destination's rate); nullopt when none may.
  std::optional<DeliveryJob> next(const LimitsFor& limitsFor, TimePoint now);
  // A job handed out by next() no longer holds a delivery slot.
  void finished(std::string_view destination);
  // The receiver said "not now" for the whole destination (a defer-destination response rule,
  // sidecar/policy/response_rules.h): none of its jobs starts before `until`, queued or new.
  void deferDestination(std::string_view destination, TimePoint until);
  // The receiver asked for fewer connections (a reduce-rate rule): until `until` the
  // destination's limits are policy::reduced().
  void slowDestination(std::string_view destination, TimePoint until);
  // When a destination waiting for its rate may start again (max() when none waits so).
  TimePoint nextWake() const;
  // Drops the state of destinations with nothing queued or running whose rate has rested.
  void forgetIdle(TimePoint now);

  int active() const { return active_; }
  int active(std::string_view destination) const;
  size_t waiting() const { return waiting_; }
  size_t destinations() const { return destinations_.size(); }

 private:
  enum class State {
    kIdle,         // no job waiting
    kInRotation,   // jobs waiting, asked in turn
    kFull,         // jobs waiting, at its connection limit until a job finishes
    kRateLimited,  // jobs waiting until rateUntil
  };
  struct Destination {
    std::string name;
    std::deque<DeliveryJob> jobs;
    int active = 0;
    State state = State::kIdle;
    policy::RateState rate;
    TimePoint rateUntil{};
    TimePoint heldUntil{};  // deferDestination
    TimePoint slowUntil{};  // slowDestination
  };
  void enterRotation(Destination& d);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Node-based: the pointers below survive rehashing.
  std::unordered_map<std::string, Destination, Hash, std::equal_to<>> destinations_;
  std::deque<Destination*> rotation_;
  std::vector<Destination*> rateLimited_;
  int active_ = 0;
  size_t waiting_ = 0;
};

}  // namespace mailroom::delivery
