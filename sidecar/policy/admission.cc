#include "sidecar/policy/admission.h"

#include <algorithm>

namespace mailroom::policy {

Decision admit(const Occupancy& occupancy, const DestinationLimits& limits, const RateState& rate,
               RateClock::time_point now) {
  if (occupancy.total >= std::max(limits.total, 1)) return {Admission::kWaitTotal};
  if (limits.perDestination && occupancy.destination >= std::max(*limits.perDestination, 1))
    return {Admission::kWaitDestination};
  if (limits.messagesPerMinute) {
    const auto at = earliestStart(rate, rateOf(*limits.messagesPerMinute), now);
    if (at > now) return {Admission::kWaitRate, at};
  }
  return {Admission::kStart};
}

const char* admissionName(Admission a) {
  switch (a) {
    case Admission::kStart:
      return "start";
    case Admission::kWaitTotal:
      return "wait-total";
    case Admission::kWaitDestination:
      return "wait-destination";
    case Admission::kWaitRate:
      return "wait-rate";
  }
  return "?";
}

DestinationLimits reduced(const DestinationLimits& limits) {
  DestinationLimits out = limits;
  out.perDestination = 1;
  out.messagesPerMinute =
      limits.messagesPerMinute ? std::max(1, *limits.messagesPerMinute / 2) : 30;
  return out;
}

}  // namespace mailroom::policy
