// Whether a delivery to a destination may start now (DESIGN "Pure core"): the scheduler asks
// this for the destination at the head of its rotation and starts the job only on kStart. Like
// Postfix's per-destination concurrency (default_destination_concurrency_limit) under its
// process limit: deliveries in progress are counted in total and per destination domain; a
// job over a limit waits in its destination's queue — it is neither bounced nor counted as an
// attempt. Warm-up, pause, learned address family and the per-minute rate are added here as
// further inputs of the same decision.
#pragma once

#include <optional>

namespace mailroom::policy {

// What is in progress right now.
struct Occupancy {
  int total = 0;        // deliveries in progress, all destinations
  int destination = 0;  // deliveries in progress to this destination
};

// Configured limits; a value below 1 counts as 1 (nothing would ever start at 0).
struct ConcurrencyLimits {
  int total = 20;                     // delivery.concurrency
  std::optional<int> perDestination;  // the destination's maxConnections; unset: none
};

enum class Admission {
  kStart,
  kWaitTotal,        // every slot is taken: no destination may start
  kWaitDestination,  // this destination is full; others may start
};

Admission admit(const Occupancy& occupancy, const ConcurrencyLimits& limits);

const char* admissionName(Admission a);  // "start", "wait-total", "wait-destination"

}  // namespace mailroom::policy
