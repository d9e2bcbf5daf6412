// Whether a DKIM record is live: asked of the zone's authoritative servers directly, never of a
// recursive resolver, whose cache could answer with what it saw before the change (or could be
// the only one to have seen the change). A key signs only after every authoritative server
// serves its record (lifecycle.h), so no verifier anywhere can be the first to look.
//
// The real checker finds the servers the way a resolver would: the zone's NS names (RFC 1035
// §3.3.11) and their A/AAAA addresses through the recursive resolver, then one TXT query per
// address with a resolver pointed at that address alone. An override list of addresses replaces
// the NS lookup, for zones whose NS names do not resolve from where the operator runs (a lab or
// a split-horizon setup).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dkimkeys {

class AuthoritativeChecker {
 public:
  virtual ~AuthoritativeChecker() = default;
  // true: every authoritative server answers fqdn TXT with exactly one record whose strings,
  // concatenated, equal expected. false: some server answers otherwise (NXDOMAIN, no TXT,
  // another value, several records). An error: it could not be told (no NS, no address, a
  // server that does not answer); the caller treats that as "not yet" and says why.
  virtual Result<bool> served(const std::string& zone, const std::string& fqdn,
                              const std::string& expected) = 0;
};

struct DnsCheckerOptions {
  // "ip" or "ip:port" ("[v6]:port"): ask these and nothing else. Empty: the zone's NS.
  std::vector<std::string> servers;
  // The recursive resolver for the NS and address lookups; empty: /etc/resolv.conf.
  std::vector<std::string> recursiveServers;
  uint16_t port = 53;  // of the servers found through NS
  std::chrono::milliseconds timeout{2000};
  int tries = 2;
};

// The checker over lib/dns's c-ares resolver. served() runs its queries on an event loop of its
// own and blocks until they finish (the controllers reconcile on worker threads). Each NS host
// counts once: it must answer on at least one of its addresses, and every address that answers
// must serve the value (an unreachable IPv6 address of a host that answers over IPv4 is skipped,
// since many clusters have no IPv6 route).
class DnsAuthoritativeChecker : public AuthoritativeChecker {
 public:
  explicit DnsAuthoritativeChecker(DnsCheckerOptions options) : options_(std::move(options)) {}
  Result<bool> served(const std::string& zone, const std::string& fqdn,
                      const std::string& expected) override;

 private:
  DnsCheckerOptions options_;
};

}  // namespace mailroom::dkimkeys
