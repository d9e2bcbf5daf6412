#include "operator/kube/events.h"

#include "lib/log/log.h"

namespace mailroom::kube {

std::vector<Condition> conditionTransitions(const std::vector<Condition>& before,
                                            const std::vector<Condition>& after) {
  std::vector<Condition> out;
  for (const auto& a : after) {
    const Condition* b = findCondition(before, a.type);
    if (!b || b->status != a.status) out.push_back(a);
  }
  return out;
}

std::string eventsPath(const std::string& namespace_) {
  return "/api/v1/namespaces/" + namespace_ + "/events";
}

api::Json renderEvent(const api::ObjectRef& object, EventType type, const std::string& reason,
                      const std::string& message, const std::string& component,
                      std::chrono::system_clock::time_point now) {
  const std::string time = formatRfc3339(now);
  api::Json involved = {{"apiVersion", object.apiVersion},
                        {"kind", object.kind},
                        {"namespace", object.namespace_},
                        {"name", object.name},
                        {"uid", object.uid},
                        {"resourceVersion", object.resourceVersion}};
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"generateName", object.name + "."}, {"namespace", object.namespace_}}},
          {"involvedObject", std::move(involved)},
          {"reason", reason},
          {"message", message},
          {"type", type == EventType::kWarning ? "Warning" : "Normal"},
          {"source", {{"component", component}}},
          {"reportingComponent", component},
          {"firstTimestamp", time},
          {"lastTimestamp", time},
          {"count", 1}};
}

EventRecorder::EventRecorder(Api& api, std::string component, WallClock now)
    : api_(api), component_(std::move(component)), now_(std::move(now)) {}

void EventRecorder::record(const api::ObjectRef& object, EventType type, const std::string& reason,
                           const std::string& message) {
  auto body = renderEvent(object, type, reason, message, component_, now_());
  auto resp = api_.create(eventsPath(object.namespace_), body.dump());
  if (resp && resp->ok()) return;
  ++failures_;
  log::warn("event not recorded",
            {{"object", object.kind + " " + object.namespace_ + "/" + object.name},
             {"reason", reason},
             {"error", resp ? std::to_string(resp->code) : resp.error().message}});
}

void EventRecorder::recordTransitions(const api::ObjectRef& object,
                                      const std::vector<Condition>& before,
                                      const std::vector<Condition>& after) {
  for (const auto& c : conditionTransitions(before, after)) {
    record(object, c.status == "False" ? EventType::kWarning : EventType::kNormal, c.reason,
           c.type + "=" + c.status + ": " + c.message);
  }
}

}  // namespace mailroom::kube
