#include "sidecar/configwatch/plan.h"

#include <sys/inotify.h>

namespace mailroom::configwatch {
namespace fs = std::filesystem;

namespace {
constexpr const char* kKubeletData = "..data";

void add(WatchPlan& plan, const fs::path& file) {
  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  plan[dir].insert(file.filename().string());
}
}  // namespace

WatchPlan watchPlan(const fs::path& configFile, const std::vector<fs::path>& keyFiles) {
  WatchPlan plan;
  add(plan, configFile);
  for (const auto& key : keyFiles) add(plan, key);
  return plan;
}

uint32_t directoryMask() {
  // IN_CLOSE_WRITE: rewritten in place; IN_MOVED_TO: renamed over (kubelet, editors);
  // IN_CREATE: a new symlink or file under a watched name.
  return IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR;
}

std::vector<std::string> changedNames(const std::set<std::string>& names,
                                      const std::string& eventName, uint32_t mask) {
  if (!(mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE))) return {};
  if (eventName == kKubeletData) return {names.begin(), names.end()};
  if (names.contains(eventName)) return {eventName};
  return {};
}

PlanDiff diffPlans(const WatchPlan& before, const WatchPlan& after) {
  PlanDiff diff;
  for (const auto& [dir, _] : after)
    if (!before.contains(dir)) diff.add.push_back(dir);
  for (const auto& [dir, _] : before)
    if (!after.contains(dir)) diff.remove.push_back(dir);
  return diff;
}

}  // namespace mailroom::configwatch
