#include "sidecar/delivery/session_pool.h"

#include <vector>

namespace mailroom::delivery {

PooledSession SessionPool::take(const std::string& key) {
  // Servers close idle connections on their own schedule; skip the ones already gone.
  for (auto it = idle_.find(key); it != idle_.end(); it = idle_.find(key)) {
    PooledSession s = std::move(it->second);
    idle_.erase(it);
    if (s.session->usable() && s.session->checkIdle()) return s;
  }
  return {};
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
