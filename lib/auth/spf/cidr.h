// Network matching for SPF's ip4/ip6/a/mx mechanisms (RFC 7208 §5.6, §5.3) and the handling of
// IPv4-mapped IPv6 clients (§5: such a client is checked as the IPv4 address it carries).
#pragma once

#include "lib/dns/resolver.h"

namespace mailroom::spf {

// True if ip lies in network/prefix. Families must match: an IPv4 client never matches an IPv6
// network and vice versa (§5.6). Prefixes beyond the family's width are clamped.
bool inNetwork(const dns::Address& ip, const dns::Address& network, int prefix);

// ::ffff:a.b.c.d -> a.b.c.d; every other address unchanged.
dns::Address unmapV4(const dns::Address& ip);

}  // namespace mailroom::spf
