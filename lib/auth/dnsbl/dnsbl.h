// DNS blocklist (DNSBL, "DNSxL") lookups for a sending address, RFC 5782. The address is
// turned into a name under each list's zone (§2.1 IPv4: octets reversed; §2.4 IPv6: nibbles
// reversed, as in ip6.arpa) and looked up as an A record: NXDOMAIN means "not listed", an
// answer in 127.0.0.0/8 means listed, the value saying why (127.0.0.2 is the generic listing and
// the test entry every list must have, §5). The TXT record at the same name, when there is one,
// carries the list's explanation (§2.1).
//
// Some lists refuse to answer queries that reach them through large public resolvers (Google,
// Cloudflare, Quad9) or from unregistered heavy users. Spamhaus then answers 127.255.255.254
// (or .255, .252) instead of NXDOMAIN; others answer 127.0.0.1 or nothing. Such answers mean
// "could not check", never "listed" and never "clean": point the resolver at one that queries
// the lists directly (a local recursive resolver) or use the list's registered query service.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/resolver.h"

namespace mailroom::auth::dnsbl {

struct DnsblVerdict {
  std::string zone;
  bool listed = false;
  std::vector<dns::Address> returnCodes;  // the A records of the query name
  std::string txtReason;                  // the list's TXT explanation, if listed and published
  std::string meaning;                    // what the return codes (or their absence) mean
  bool tempError = false;                 // could not check (DNS failure or refused query)
};

// "2.0.0.127.zen.spamhaus.org" / "<32 nibbles>.zen.spamhaus.org" (RFC 5782 §2.1, §2.4). An
// IPv4-mapped IPv6 address is queried as IPv4.
std::string dnsblQueryName(const dns::Address& ip, std::string_view zone);

// What a set of return codes from zone means (pure; the zone picks list-specific meanings).
struct Interpretation {
  bool listed = false;
  bool tempError = false;
  std::string meaning;
};
Interpretation interpret(std::string_view zone, const std::vector<dns::Address>& codes);

// Looks the address up in every zone, in order; one verdict per zone.
Task<std::vector<DnsblVerdict>> checkDnsbl(dns::Resolver& resolver, dns::Address ip,
                                           std::vector<std::string> zones);

}  // namespace mailroom::auth::dnsbl
