#include "operator/kube/conditions.h"

#include <cctype>
#include <cstdio>
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

std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19)
    return std::nullopt;
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  }
  long offset = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int h = 0, m = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &h, &m) != 2 || i + 6 != text.size())
      return std::nullopt;
    offset = (text[i] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
  } else if (i + 1 != text.size() || (text[i] != 'Z' && text[i] != 'z')) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs - offset);
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
