// The outcome sink (DESIGN "How status flows back"): after each delivery attempt's outcome is
// durable in the spool, the engine publishes one RecipientOutcome per recipient it tried to
// every subscriber — the metrics and the logs (outcome_subscribers.h) and, later, the reports
// to the operator. Subscribers observe; the spool write stays the engine's. They run on the
// engine's thread and must not block; the views in an outcome are valid during the call only.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "sidecar/delivery/classify.h"
#include "sidecar/spool/envelope.h"

namespace mailroom::delivery {

enum class Outcome { kDelivered, kDeferred, kBounced };
const char* outcomeName(Outcome o);  // "delivered", "deferred", "bounced"

struct RecipientOutcome {
  Outcome outcome = Outcome::kDeferred;
  std::string_view messageId;
  std::string_view recipient;    // the address
  std::string_view destination;  // its lower-case domain
  int attempt = 0;               // 1 for the first attempt
  // Where the last try of this attempt went (empty when no target was reached: no MX, no
  // route); for a delivered recipient, where it was delivered.
  std::string_view mxHost, ip, sourceIp;
  std::optional<AddressFamily> family;
  const spool::Reply* reply = nullptr;                    // the final reply (code 0 when none came)
  Classification classification = Classification::kNone;  // of the final reply
  std::string_view summary;
  // The attempt's rows: every target tried, a "family-fallback" row per PTR rejection that
  // was retried over the other family.
  std::span<const spool::Attempt> rows;
  spool::TimePoint acceptedAt, at;
};

class OutcomeSink {
 public:
  virtual ~OutcomeSink() = default;
  virtual void onOutcome(const RecipientOutcome& outcome) = 0;
};

}  // namespace mailroom::delivery
