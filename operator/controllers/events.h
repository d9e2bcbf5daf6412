// Kubernetes Events for condition transitions (API conventions: "Events ... for state
// transitions"): when a status write flips a condition (or adds one), one core/v1 Event per flip
// tells `kubectl describe` and `kubectl get events` what happened. Pure: which transitions, and
// the Event object to POST; the controller does the write.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "operator/controllers/maildomain_status.h"
#include "operator/kube/conditions.h"

namespace mailroom::controllers {

// Conditions in `after` whose status differs from `before` (or that `before` lacks).
std::vector<kube::Condition> conditionTransitions(const std::vector<kube::Condition>& before,
                                                  const std::vector<kube::Condition>& after);

// The core/v1 Event (JSON) for one transition of a MailDomain: type Warning when a condition
// becomes False, Normal otherwise; reason and message from the condition.
std::string transitionEvent(const ObservedMailDomain& md, const kube::Condition& c,
                            std::chrono::system_clock::time_point now);

// "/api/v1/namespaces/<ns>/events"
std::string eventsPath(const std::string& namespace_);

}  // namespace mailroom::controllers
