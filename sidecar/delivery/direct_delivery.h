// Direct delivery (RFC 5321 §5): MX hosts and their addresses (targets.h), tried in order over
// the transport's address families, one SMTP transaction for the destination's open
// recipients on a pooled session. The next address / next MX on a connection failure or a
// 4xx; a 5xx is final for that recipient — except a reverse-DNS (PTR) rejection over one
// family when the transport allows both: then the other family is tried at once, in the same
// attempt, and the recipient's summary says why; and later messages to that destination try
// the other family first for rememberRejectedFamily (learned_families.h).
#pragma once

#include <functional>
#include <random>

#include <boost/asio/ssl.hpp>

#include "lib/dns/resolver.h"
#include "sidecar/delivery/learned_families.h"
#include "sidecar/delivery/session_pool.h"
#include "sidecar/delivery/strategy.h"

namespace mailroom::delivery {

class DirectDelivery : public DeliveryStrategy {
 public:
  struct Options {
    std::function<spool::TimePoint()> now;  // for the attempt rows
    uint64_t rngSeed = 0;                   // the shuffle of equal MX preferences
    smtp::Timeouts timeouts;
    // Learned address families (nullptr: none are learned).
    LearnedFamilies* learned = nullptr;
  };

  DirectDelivery(asio::any_io_executor executor, dns::Resolver& resolver, SessionPool& pool,
                 Options options);

  Task<void> deliver(DestinationAttempt& attempt, const std::string& message,
                     const sidecarconfig::Transport& transport,
                     const sidecarconfig::SidecarConfig& config) override;

 private:
  struct Targets;
  Task<Targets> resolve(const std::string& domain, const sidecarconfig::DirectTransport& direct);

  asio::any_io_executor executor_;
  dns::Resolver& resolver_;
  SessionPool& pool_;
  Options options_;
  asio::ssl::context tls_;
  std::mt19937 rng_;
};

}  // namespace mailroom::delivery
