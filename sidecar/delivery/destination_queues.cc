#include "sidecar/delivery/destination_queues.h"

#include <algorithm>

namespace mailroom::delivery {

void DestinationQueues::push(DeliveryJob job) {
  auto [it, inserted] = destinations_.try_emplace(job.destination);
  Destination& d = it->second;
  if (inserted) d.name = job.destination;
  d.jobs.push_back(std::move(job));
  ++waiting_;
  // A waiting destination keeps waiting for its slot or its time.
  if (d.state == State::kIdle) enterRotation(d);
}

void DestinationQueues::enterRotation(Destination& d) {
  d.state = State::kInRotation;
  rotation_.push_back(&d);
}

std::optional<DeliveryJob> DestinationQueues::next(const LimitsFor& limitsFor, TimePoint now) {
  // Destinations whose rate allows them again rejoin at the end of the rotation.
  std::erase_if(rateLimited_, [&](Destination* d) {
    if (d->rateUntil > now) return false;
    enterRotation(*d);
    return true;
  });
  while (!rotation_.empty()) {
    Destination& d = *rotation_.front();
    if (d.heldUntil > now) {  // deferred as a whole: wait like a rate-limited destination
      rotation_.pop_front();
      d.state = State::kRateLimited;
      d.rateUntil = d.heldUntil;
      rateLimited_.push_back(&d);
      continue;
    }
    policy::DestinationLimits limits = limitsFor(d.name);
    if (d.slowUntil > now) limits = policy::reduced(limits);
    const policy::Decision decision = policy::admit({active_, d.active}, limits, d.rate, now);
    switch (decision.admission) {
      case policy::Admission::kWaitTotal:
        return std::nullopt;
      case policy::Admission::kWaitDestination:
        rotation_.pop_front();
        d.state = State::kFull;
        continue;
      case policy::Admission::kWaitRate:
        rotation_.pop_front();
        d.state = State::kRateLimited;
        d.rateUntil = decision.notBefore;
        rateLimited_.push_back(&d);
        continue;
      case policy::Admission::kStart:
        break;
    }
    rotation_.pop_front();
    DeliveryJob job = std::move(d.jobs.front());
    d.jobs.pop_front();
    --waiting_;
    ++d.active;
    ++active_;
    if (limits.messagesPerMinute)
      d.rate = policy::afterStart(d.rate, policy::rateOf(*limits.messagesPerMinute), now);
    if (d.jobs.empty())
      d.state = State::kIdle;
    else
      enterRotation(d);  // one job per destination per turn
    return job;
  }
  return std::nullopt;
}

void DestinationQueues::finished(std::string_view destination) {
  auto it = destinations_.find(destination);
  if (it == destinations_.end()) return;
  Destination& d = it->second;
  --d.active;
  --active_;
  if (d.state == State::kFull) enterRotation(d);
}

void DestinationQueues::deferDestination(std::string_view destination, TimePoint until) {
  auto [it, inserted] = destinations_.try_emplace(std::string(destination));
  Destination& d = it->second;
  if (inserted) d.name = std::string(destination);
  d.heldUntil = std::max(d.heldUntil, until);
  if (d.state == State::kRateLimited) d.rateUntil = std::max(d.rateUntil, d.heldUntil);
}

void DestinationQueues::slowDestination(std::string_view destination, TimePoint until) {
  auto [it, inserted] = destinations_.try_emplace(std::string(destination));
  Destination& d = it->second;
  if (inserted) d.name = std::string(destination);
  d.slowUntil = std::max(d.slowUntil, until);
}

DestinationQueues::TimePoint DestinationQueues::nextWake() const {
  TimePoint wake = TimePoint::max();
  for (const Destination* d : rateLimited_) wake = std::min(wake, d->rateUntil);
  return wake;
}

void DestinationQueues::forgetIdle(TimePoint now) {
  std::erase_if(destinations_, [&](const auto& entry) {
    const Destination& d = entry.second;
    return d.state == State::kIdle && d.active == 0 && policy::rested(d.rate, now) &&
           d.heldUntil <= now && d.slowUntil <= now;
  });
}

int DestinationQueues::active(std::string_view destination) const {
  auto it = destinations_.find(destination);
  return it == destinations_.end() ? 0 : it->second.active;
}

}  // namespace mailroom::delivery
