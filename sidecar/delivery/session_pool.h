// Idle SMTP sessions kept open for the next message to the same target (same remote address,
// source address, EHLO name and TLS policy), as Postfix's connection cache does: most of a
// small message's cost is the connection, greeting, EHLO and TLS handshake.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "sidecar/delivery/smtp/session.h"

namespace mailroom::delivery {

struct PooledSession {
  std::unique_ptr<smtp::Session> session;
  int transactions = 0;  // completed on this connection
  std::chrono::steady_clock::time_point idleSince;
};

class SessionPool {
 public:
  // An idle session for key, or an empty PooledSession.
  PooledSession take(const std::string& key);
  void put(const std::string& key, PooledSession session);
  // Closes (QUIT) sessions idle since before `cutoff`; all of them when cutoff is max().
  Task<void> closeIdle(std::chrono::steady_clock::time_point cutoff);
  size_t idle() const { return idle_.size(); }

 private:
  std::multimap<std::string, PooledSession> idle_;
};

}  // namespace mailroom::delivery
