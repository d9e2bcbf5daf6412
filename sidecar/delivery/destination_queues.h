// The ready side of the scheduler, keyed by destination domain as mox's and OpenSMTPD's queues
// are: one FIFO of jobs per destination (a job is one message's recipients at that domain,
// one SMTP transaction, RFC 5321 §3.3), destinations served in rotation so that one busy or
// slow destination cannot hold the others back. A job starts only when the admission policy
// (sidecar/policy/admission.h) says so; a destination at its own limit is set aside until one
// of its jobs finishes, so a full destination costs nothing per dispatch. Plain data, no I/O:
// the engine pushes due jobs and starts what next() hands out.
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
  using LimitsFor = std::function<policy::ConcurrencyLimits(std::string_view destination)>;

  void push(DeliveryJob job);
  // The next job allowed to start now, now counted as in progress; nullopt when none may.
  std::optional<DeliveryJob> next(const LimitsFor& limitsFor);
  // A job handed out by next() no longer holds a delivery slot.
  void finished(std::string_view destination);

  int active() const { return active_; }
  int active(std::string_view destination) const;
  size_t waiting() const { return waiting_; }

 private:
  struct Destination {
    std::string name;
    std::deque<DeliveryJob> jobs;
    int active = 0;
    bool inRotation = false;  // false with jobs waiting: parked at its own limit
  };
  void enterRotation(Destination& d);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Node-based: the rotation's pointers survive rehashing.
  std::unordered_map<std::string, Destination, Hash, std::equal_to<>> destinations_;
  std::deque<Destination*> rotation_;
  int active_ = 0;
  size_t waiting_ = 0;
};

}  // namespace mailroom::delivery
