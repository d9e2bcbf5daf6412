// The RFC2136 provider: any primary server that takes dynamic updates (RFC 2136) signed with
// TSIG (RFC 8945) — BIND9 with update-policy, PowerDNS with dnsupdate=yes, Knot.
//
// records() reads the zone with a TSIG-signed AXFR over TCP (RFC 5936; the server must allow
// the key to transfer the zone) and returns its TXT record sets. applyChanges() sends one
// UPDATE for the whole change list, which the server applies atomically (RFC 2136 §3.7), with
// prerequisites so that a concurrent writer makes it fail instead of being clobbered:
//
//   - a change to an existing RRset requires "RRset exists (value dependent)" (§2.4.2) with
//     every RR of the RRset exactly as read, then deletes the values it removes (§2.5.4, class
//     NONE) and adds the ones it adds (§2.5.1, with the RRset's TTL as read);
//   - a change creating an RRset requires "RRset does not exist" (§2.4.3).
//
// If anyone changed one of those RRsets since the read, the server answers NXRRSET/YXRRSET,
// nothing is written, and the error says so (temporary: the next sync re-reads and re-plans).
// The RDATA of values read is kept as read (a foreign TXT split into other character-strings
// than ours still matches), so prerequisites and deletions name the exact records.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "operator/dns/provider.h"
#include "operator/dns/providers/rfc2136/transport.h"
#include "operator/dns/providers/rfc2136/tsig.h"

namespace mailroom::dnspub::rfc2136 {

struct Rfc2136Config {
  TsigKey key;  // the secret is never in messages
  uint16_t fudge = 300;
  // Seconds since the epoch, for TSIG (tests inject a clock).
  std::function<uint64_t()> now;
};

class Rfc2136Provider final : public Provider {
 public:
  Rfc2136Provider(Rfc2136Config config, DnsTransport& transport);
  std::string name() const override { return "RFC2136"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  struct ReadRRset {
    uint32_t ttl = 0;
    std::vector<std::pair<std::string, Bytes>> values;  // logical value, RDATA as read
  };
  // One signed exchange: every answer message verified, decoded and handed to onMessage, which
  // returns whether more are expected.
  std::optional<ProviderError> signedExchange(
      const Message& query, const std::string& zone, const std::string& what,
      const std::function<std::optional<ProviderError>(const Message&, bool& more)>& onMessage);
  ProviderError error(ProviderErrorReason reason, std::string message) const;
  Result<Message> buildUpdate(const std::string& zone, const std::vector<Change>& changes) const;

  Rfc2136Config config_;
  DnsTransport& transport_;
  std::map<RecordKey, ReadRRset> lastRead_;  // of the last records() call
  std::string lastReadZone_;
};

}  // namespace mailroom::dnspub::rfc2136
