#include "operator/kube/conditions.h"

#include <ctime>

namespace mailroom::kube {

std::string formatRfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const Condition* findCondition(const std::vector<Condition>& list, const std::string& type) {
  for (const auto& c : list) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool setCondition(std::vector<Condition>& list, const Condition& cond,
                  std::chrono::system_clock::time_point now) {
  for (auto& existing : list) {
    if (existing.type != cond.type) continue;
    Condition next = cond;
    // The transition time records when the status last flipped, not when we last looked.
    next.lastTransitionTime =
        existing.status == cond.status ? existing.lastTransitionTime : formatRfc3339(now);
    if (next == existing) return false;
    existing = std::move(next);
    return true;
  }
  Condition next = cond;
  next.lastTransitionTime = formatRfc3339(now);
  list.push_back(std::move(next));
  return true;
}

}  // namespace mailroom::kube
