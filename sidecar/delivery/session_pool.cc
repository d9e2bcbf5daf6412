#include "sidecar/delivery/session_pool.h"

#include <vector>

namespace mailroom::delivery {

PooledSession SessionPool::take(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return {};
  PooledSession s = std::move(it->second);
  idle_.erase(it);
  return s;
}

void SessionPool::put(const std::string& key, PooledSession session) {
  session.idleSince = std::chrono::steady_clock::now();
  idle_.emplace(key, std::move(session));
}

Task<void> SessionPool::closeIdle(std::chrono::steady_clock::time_point cutoff) {
  std::vector<std::unique_ptr<smtp::Session>> closing;
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (it->second.idleSince <= cutoff) {
      closing.push_back(std::move(it->second.session));
      it = idle_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& s : closing) co_await s->quit();
}

}  // namespace mailroom::delivery
