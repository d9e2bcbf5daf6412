// Whether a delivery to a destination may start now (DESIGN "Pure core"): the scheduler asks
// this for the destination at the head of its rotation and starts the job only on kStart. Like
// Postfix's per-destination concurrency under its process limit: deliveries in progress are
// counted in total and per destination domain; then the destination's message rate (rate.h).
// A job over a limit waits in its destination's queue — it is neither bounced nor counted as
// an attempt. Warm-up, pause and the learned address family become further inputs of the same
// decision.
#pragma once

#include <optional>

#include "sidecar/policy/rate.h"

namespace mailroom::policy {

// What is in progress right now.
struct Occupancy {
  int total = 0;        // deliveries in progress, all destinations
  int destination = 0;  // deliveries in progress to this destination
};

// Configured limits; a value below 1 counts as 1 (nothing would ever start at 0).
struct DestinationLimits {
  int total = 20;                        // delivery.concurrency
  std::optional<int> perDestination;     // the destination's maxConnections; unset: none
  std::optional<int> messagesPerMinute;  // the destination's rate; unset: none
};

enum class Admission {
  kStart,
  kWaitTotal,        // every slot is taken: no destination may start
  kWaitDestination,  // this destination is full until one of its deliveries ends
  kWaitRate,         // this destination's rate allows the next message at `notBefore`
};

struct Decision {
  Admission admission = Admission::kStart;
  RateClock::time_point notBefore{};  // with kWaitRate
};

Decision admit(const Occupancy& occupancy, const DestinationLimits& limits, const RateState& rate,
               RateClock::time_point now);

// The limits while a receiver asked us to slow down (a reduce-rate response rule, "421 too many
// connections"): one connection at a time, and half the configured message rate (30 a minute
// when none is configured).
DestinationLimits reduced(const DestinationLimits& limits);

const char* admissionName(Admission a);  // "start", "wait-total", ...

}  // namespace mailroom::policy
