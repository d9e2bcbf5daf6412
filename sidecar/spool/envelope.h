// The spooled envelope: who a message goes to and what happened to each recipient. The SMTP
// envelope (RFC 5321 §2.3.1: reverse-path, forward-paths) plus per-recipient delivery state and
// attempt history (the facts behind RFC 3464 delivery status). Plain data; the spool
// (sidecar/spool/spool.h) stores it, the delivery engine changes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/common/address_family.h"

namespace mailroom::spool {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

enum class RecipientState { kQueued, kDeferred, kDelivered, kBounced };

struct Reply {
  int code = 0;
  std::string enhanced;  // "5.7.25" or ""
  std::string text;      // full reply text, lines joined with "\n", no CRLF
  bool operator==(const Reply&) const = default;
};

struct Attempt {
  TimePoint at;
  std::string mxHost, ip, sourceIp;
  std::optional<AddressFamily> family;  // unset: no connection was made
  Reply reply;                          // code 0 when no SMTP reply (connection failure)
  std::string
      outcome;       // "delivered" | "deferred" | "bounced" | "connect-failed" | "family-fallback"
  std::string note;  // e.g. "rejected over IPv6 from 2001:db8:5::10 (no PTR); retrying over IPv4"
  bool operator==(const Attempt&) const = default;
};

struct Recipient {
  std::string address;
  RecipientState state = RecipientState::kQueued;
  Reply lastReply;
  TimePoint nextAttempt;  // when kQueued/kDeferred
  int attempts = 0;       // delivery attempts made (each may contain several Attempt rows)
  std::string mxHost, ip, sourceIp;
  std::optional<AddressFamily> family;  // when delivered
  std::string summary;  // "rejected over IPv6 from 2001:db8:5::10 (no PTR); delivered over IPv4"
  std::vector<Attempt> history;  // capped by the spool: the first row and the last kHistoryTail
  bool pending() const {
    return state == RecipientState::kQueued || state == RecipientState::kDeferred;
  }
  bool operator==(const Recipient&) const = default;
};

struct Envelope {
  std::string id;        // assigned by Spool::accept: unique, time-ordered, safe as a file name
  std::string mailFrom;  // "" = null reverse-path
  std::vector<Recipient> recipients;
  std::string idempotencyKey;  // optional
  TimePoint acceptedAt;
  uint64_t size = 0;  // message bytes (the spool sets it on accept)
  bool needsSmtpUtf8 = false, eightBit = false;
  std::string fromDomain, messageId;
  // Free-form facts the status shows, e.g. {"dkim", "signed by example.com s=rsa1, ed1"}.
  std::map<std::string, std::string> notes;

  bool final() const;  // every recipient delivered or bounced
  // Recipients queued or deferred.
  size_t pendingCount() const;
  // When a final envelope became final: its latest attempt, else acceptedAt (the clock is the
  // delivery engine's, so purge decisions follow injected clocks too).
  TimePoint finishedAt() const;
  bool operator==(const Envelope&) const = default;
};

// History keeps the first row (how it started) and the last kHistoryTail rows (how it is going).
inline constexpr size_t kHistoryTail = 20;
void trimHistory(Recipient& recipient);
void appendAttempt(Recipient& recipient, Attempt attempt);  // push_back + trimHistory

const char* toString(RecipientState state);

}  // namespace mailroom::spool
