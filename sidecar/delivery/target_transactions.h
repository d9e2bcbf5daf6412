// One destination's open recipients sent to one target (an address and port, as direct and relay
// delivery both reach them): mail transactions of at most maxRecipients RCPTs, one after the
// other on one session, a new session after deliveriesPerConnection transactions, idle sessions
// to and from the pool. A recipient the server refuses only for the number of RCPTs goes into a
// later transaction at once (RFC 5321 §4.5.3.1.10), not into the retry queue; a server that
// takes none of a transaction's recipients defers them. What each reply means for a recipient
// is the strategy's (TargetVerdicts): direct delivery, for one, falls back to the other address
// family on a reverse-DNS rejection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/asio.h"
#include "lib/sidecarconfig/config.h"
#include "sidecar/delivery/attempt.h"
#include "sidecar/delivery/session_pool.h"

namespace mailroom::delivery {

struct TargetConnection {
  asio::ip::tcp::endpoint remote;
  std::optional<asio::ip::address> bindTo;
  std::string source;  // bindTo as text, "" for the kernel's choice: rows of failed connects
  // What a new session is opened with (views into the caller's config: a pooled session, the
  // usual case, needs none of it copied).
  std::string_view ehloHostname, serverName;
  TlsPolicy tls = TlsPolicy::kOpportunistic;
  bool verifyCertificate = false;
  boost::asio::ssl::context* tlsContext = nullptr;
  const smtp::Credentials* auth = nullptr;
  smtp::Timeouts timeouts;
  std::string poolKey;  // everything the session depends on
  size_t maxRecipients = sidecarconfig::kDefaultMaxRecipientsPerTransaction;
  int deliveriesPerConnection = sidecarconfig::kDefaultDeliveriesPerConnection;
};

// maxRecipientsPerTransaction and deliveriesPerConnection from the destination's limits entry
// (nullptr: none), else the defaults.
void applyLimits(const sidecarconfig::DestinationLimits* limits, TargetConnection& target);

class TargetVerdicts {
 public:
  virtual ~TargetVerdicts() = default;
  // A history row for this target, sent from sourceIp.
  virtual spool::Attempt row(const std::string& sourceIp) = 0;
  virtual void delivered(RecipientTrack& t, const spool::Reply& reply, spool::Attempt row,
                         const smtp::Session& session) = 0;
  virtual void permanent(RecipientTrack& t, const spool::Reply& reply, const std::string& sourceIp,
                         spool::Attempt row) = 0;
  // True when nothing more goes to this target in this attempt.
  virtual bool stop() const { return false; }
};

// A temporary failure at this target: the recipient stays open for the next target and ends
// with this reply if none takes it.
void temporaryAt(DestinationAttempt& attempt, RecipientTrack& t, const spool::Reply& reply,
                 spool::Attempt row, const char* outcome);

spool::Reply toSpool(const smtp::Reply& reply);

// `txn` carries the envelope and message; its recipients are set per transaction. References
// must outlive the call.
Task<void> sendToTarget(asio::any_io_executor executor, SessionPool& pool,
                        const TargetConnection& target, std::vector<RecipientTrack*> open,
                        smtp::Transaction& txn, DestinationAttempt& attempt,
                        TargetVerdicts& verdicts);

}  // namespace mailroom::delivery
