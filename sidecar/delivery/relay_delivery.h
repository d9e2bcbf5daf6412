// Relay delivery: every recipient through one smarthost over SMTP submission (RFC 6409), the
// CRD's `mode: relay` — implicit TLS on 465 (RFC 8314 §3.3) or STARTTLS on 587 (RFC 3207),
// never continuing in plaintext; the certificate verified for the relay's host name against the
// system trust store or the transport's caFile; SMTP AUTH (RFC 4954: SCRAM-SHA-256, PLAIN,
// LOGIN) with credentials read from the transport's files at each attempt (a rotated Secret
// applies to the next attempt), sent only after TLS and never logged. The relay's addresses
// are tried in turn on a connection failure or a 4xx; a 5xx — a wrong password (535 5.7.8) or
// a refused recipient — is final, with the server's reply.
//
// Not to be confused with the "handoff" queue (pods going away hand their mail to a durable
// in-cluster queue): a relay is a smarthost outside the sidecar's control.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/ssl.hpp>

#include "lib/dns/resolver.h"
#include "sidecar/delivery/session_pool.h"
#include "sidecar/delivery/strategy.h"

namespace mailroom::delivery {

class RelayDelivery : public DeliveryStrategy {
 public:
  struct Options {
    std::function<spool::TimePoint()> now;  // for the attempt rows
    smtp::Timeouts timeouts;
  };

  RelayDelivery(asio::any_io_executor executor, dns::Resolver& resolver, SessionPool& pool,
                Options options);

  Task<void> deliver(DestinationAttempt& attempt, const std::string& message,
                     const sidecarconfig::Transport& transport,
                     const sidecarconfig::SidecarConfig& config) override;

 private:
  // The client context that trusts caFile ("": the system store), made once per file.
  Result<asio::ssl::context*> contextFor(const std::filesystem::path& caFile);

  asio::any_io_executor executor_;
  dns::Resolver& resolver_;
  SessionPool& pool_;
  Options options_;
  std::map<std::filesystem::path, std::unique_ptr<asio::ssl::context>> contexts_;
};

// The username and password from the transport's files, each without a trailing newline (as
// kubelet mounts a Secret's keys); the error names the file, never its content.
Result<smtp::Credentials> readCredentials(const sidecarconfig::RelayCredentials& files);

}  // namespace mailroom::delivery
