#include "sidecar/policy/rate.h"

#include <algorithm>

namespace mailroom::policy {
namespace {

RateClock::duration interval(const Rate& rate) {
  return std::chrono::duration_cast<RateClock::duration>(std::chrono::minutes(1)) /
         std::max(rate.perMinute, 1);
}

}  // namespace

Rate rateOf(int messagesPerMinute) {
  return {std::max(messagesPerMinute, 1), std::clamp(messagesPerMinute / 10, 1, 10)};
}

RateClock::time_point earliestStart(const RateState& state, const Rate& rate,
                                    RateClock::time_point now) {
  const auto tolerance = interval(rate) * (std::max(rate.burst, 1) - 1);
  return std::max(now, state.theoreticalArrival - tolerance);
}

RateState afterStart(const RateState& state, const Rate& rate, RateClock::time_point now) {
  return {std::max(state.theoreticalArrival, now) + interval(rate)};
}

bool rested(const RateState& state, RateClock::time_point now) {
  return state.theoreticalArrival <= now;
}

}  // namespace mailroom::policy
