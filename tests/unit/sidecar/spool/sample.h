// A fully populated envelope for codec and spool tests.
#pragma once

#include "sidecar/spool/envelope.h"

namespace mailroom::spool::testing {

inline Envelope sampleEnvelope() {
  using std::chrono::seconds;
  const TimePoint t0 = TimePoint(seconds(1'700'000'000));
  Envelope e;
  e.mailFrom = "bounces@example.com";
  e.idempotencyKey = "order-42";
  e.acceptedAt = t0;
  e.size = 4096;
  e.needsSmtpUtf8 = true;
  e.eightBit = true;
  e.fromDomain = "example.com";
  e.messageId = "<42@example.com>";
  e.notes = {{"dkim", "signed by example.com s=rsa1, ed1"}, {"spf", "pass"}};
  Recipient a;
  a.address = "alice@example.net";
  a.nextAttempt = t0;
  Recipient b;
  b.address = "bob@example.org";
  b.state = RecipientState::kDelivered;
  b.attempts = 2;
  b.mxHost = "mx.example.org";
  b.ip = "198.51.100.25";
  b.sourceIp = "203.0.113.10";
  b.family = AddressFamily::kIpv4;
  b.lastReply = {250, "2.0.0", "Ok: queued as 4F2"};
  b.summary = "rejected over IPv6 from 2001:db8:5::10 (no PTR); delivered over IPv4";
  b.history.push_back({t0 + seconds(1),
                       "mx.example.org",
                       "2001:db8::25",
                       "2001:db8:5::10",
                       AddressFamily::kIpv6,
                       {550, "5.7.25", "no PTR\nfor 2001:db8:5::10"},
                       "family-fallback",
                       "rejected over IPv6; retrying over IPv4"});
  b.history.push_back({t0 + seconds(2),
                       "mx.example.org",
                       "198.51.100.25",
                       "203.0.113.10",
                       AddressFamily::kIpv4,
                       {250, "2.0.0", "Ok"},
                       "delivered",
                       ""});
  e.recipients = {a, b};
  return e;
}

}  // namespace mailroom::spool::testing
