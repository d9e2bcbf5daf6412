// The per-destination message rate (a Transport's limits.perDestination[].messagesPerMinute)
// as a token bucket with a small burst, kept in the GCRA form (the generic cell rate algorithm,
// a token bucket as one time point): the bucket is the theoretical arrival time of the next
// message; a message may start once now is within the burst tolerance of it. Pure functions
// of explicit time points, like retry.h.
#pragma once

#include <chrono>

namespace mailroom::policy {

using RateClock = std::chrono::system_clock;

struct Rate {
  int perMinute = 60;
  int burst = 1;  // messages that may start at once after a quiet spell
};

// messagesPerMinute with the burst this sidecar allows: a tenth of a minute's worth, 1 to 10
// (100/min: 10 at once, then one every 0.6 s).
Rate rateOf(int messagesPerMinute);

struct RateState {
  RateClock::time_point theoreticalArrival{};  // the epoch: a full bucket
};

// When the next message may start: `now` when a token is there, else the moment one is.
RateClock::time_point earliestStart(const RateState& state, const Rate& rate,
                                    RateClock::time_point now);
// The bucket after a message started at `now` (the caller checked earliestStart).
RateState afterStart(const RateState& state, const Rate& rate, RateClock::time_point now);
// True when the bucket is full again at `now` (its state may be forgotten).
bool rested(const RateState& state, RateClock::time_point now);

}  // namespace mailroom::policy
