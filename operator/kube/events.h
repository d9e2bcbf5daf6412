// Kubernetes Events for any kind (API conventions: "Events ... for state transitions"). The
// recorder posts core/v1 Events best effort: a failed write is logged, never retried (the status
// is the record). conditionTransitions is the pure part controllers use to decide which
// condition flips deserve an Event.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/meta.h"
#include "operator/kube/api.h"
#include "operator/kube/conditions.h"

namespace mailroom::kube {

enum class EventType { kNormal, kWarning };

// Conditions in `after` whose status differs from `before` (or that `before` lacks).
std::vector<Condition> conditionTransitions(const std::vector<Condition>& before,
                                            const std::vector<Condition>& after);

// The core/v1 Event object for one occurrence.
api::Json renderEvent(const api::ObjectRef& object, EventType type, const std::string& reason,
                      const std::string& message, const std::string& component,
                      std::chrono::system_clock::time_point now);

// "/api/v1/namespaces/<ns>/events"
std::string eventsPath(const std::string& namespace_);

class EventRecorder {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  EventRecorder(Api& api, std::string component, WallClock now);

  void record(const api::ObjectRef& object, EventType type, const std::string& reason,
              const std::string& message);
  // One Event per flipped condition: Warning when it became False, Normal otherwise.
  void recordTransitions(const api::ObjectRef& object, const std::vector<Condition>& before,
                         const std::vector<Condition>& after);
  uint64_t failures() const { return failures_; }

 private:
  Api& api_;
  std::string component_;
  WallClock now_;
  uint64_t failures_ = 0;
};

}  // namespace mailroom::kube
