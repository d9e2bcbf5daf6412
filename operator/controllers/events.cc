#include "operator/controllers/events.h"

#include "lib/log/log.h"

namespace mailroom::controllers {
namespace {

void field(std::string& out, const char* key, const std::string& value, bool last = false) {
  log::appendJsonString(out, key);
  out += ':';
  log::appendJsonString(out, value);
  if (!last) out += ',';
}

}  // namespace

std::vector<kube::Condition> conditionTransitions(const std::vector<kube::Condition>& before,
                                                  const std::vector<kube::Condition>& after) {
  std::vector<kube::Condition> out;
  for (const auto& a : after) {
    const kube::Condition* b = kube::findCondition(before, a.type);
    if (!b || b->status != a.status) out.push_back(a);
  }
  return out;
}

std::string eventsPath(const std::string& namespace_) {
  return "/api/v1/namespaces/" + namespace_ + "/events";
}

std::string transitionEvent(const ObservedMailDomain& md, const kube::Condition& c,
                            std::chrono::system_clock::time_point now) {
  const std::string time = kube::formatRfc3339(now);
  const std::string type = c.status == "False" ? "Warning" : "Normal";
  std::string out = "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{";
  field(out, "generateName", md.name + ".");
  field(out, "namespace", md.namespace_, true);
  out += "},\"involvedObject\":{";
  field(out, "apiVersion", "mailroom.dev/v1alpha1");
  field(out, "kind", "MailDomain");
  field(out, "namespace", md.namespace_);
  field(out, "name", md.name);
  field(out, "uid", md.uid);
  field(out, "resourceVersion", md.resourceVersion, true);
  out += "},";
  field(out, "reason", c.reason);
  field(out, "message", c.type + "=" + c.status + ": " + c.message);
  field(out, "type", type);
  out += "\"source\":{\"component\":\"mailroom-operator\"},";
  field(out, "firstTimestamp", time);
  field(out, "lastTimestamp", time);
  out += "\"count\":1}";
  return out;
}

}  // namespace mailroom::controllers
