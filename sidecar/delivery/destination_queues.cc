#include "sidecar/delivery/destination_queues.h"

namespace mailroom::delivery {

void DestinationQueues::push(DeliveryJob job) {
  auto [it, inserted] = destinations_.try_emplace(job.destination);
  Destination& d = it->second;
  if (inserted) d.name = job.destination;
  d.jobs.push_back(std::move(job));
  ++waiting_;
  // A parked destination (at its limit) re-enters when one of its jobs finishes.
  if (!d.inRotation && d.jobs.size() == 1) enterRotation(d);
}

void DestinationQueues::enterRotation(Destination& d) {
  d.inRotation = true;
  rotation_.push_back(&d);
}

std::optional<DeliveryJob> DestinationQueues::next(const LimitsFor& limitsFor) {
  while (!rotation_.empty()) {
    Destination& d = *rotation_.front();
    switch (policy::admit({active_, d.active}, limitsFor(d.name))) {
      case policy::Admission::kWaitTotal:
        return std::nullopt;
      case policy::Admission::kWaitDestination:
        rotation_.pop_front();
        d.inRotation = false;
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
    if (d.jobs.empty())
      d.inRotation = false;
    else
      rotation_.push_back(&d);  // one job per destination per turn
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
  if (d.inRotation) return;
  if (!d.jobs.empty())
    enterRotation(d);
  else if (d.active == 0)
    destinations_.erase(it);
}

int DestinationQueues::active(std::string_view destination) const {
  auto it = destinations_.find(destination);
  return it == destinations_.end() ? 0 : it->second.active;
}

}  // namespace mailroom::delivery
