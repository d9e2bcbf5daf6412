#include "sidecar/policy/admission.h"

#include <algorithm>

namespace mailroom::policy {

Admission admit(const Occupancy& occupancy, const ConcurrencyLimits& limits) {
  if (occupancy.total >= std::max(limits.total, 1)) return Admission::kWaitTotal;
  if (limits.perDestination && occupancy.destination >= std::max(*limits.perDestination, 1))
    return Admission::kWaitDestination;
  return Admission::kStart;
}

const char* admissionName(Admission a) {
  switch (a) {
    case Admission::kStart:
      return "start";
    case Admission::kWaitTotal:
      return "wait-total";
    case Admission::kWaitDestination:
      return "wait-destination";
  }
  return "?";
}

}  // namespace mailroom::policy
