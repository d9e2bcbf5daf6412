// Where to deliver a domain's mail (RFC 5321 §5.1): MX hosts in preference order with equal
// preferences shuffled, the implicit MX when a domain has no MX records, RFC 7505 null MX as a
// permanent failure; then each host's addresses in the order the transport's address family
// policy asks for (IPv4-only, IPv6-only, or both with a preferred family first per host, as
// Postfix's smtp_address_preference does).
#pragma once

#include <random>
#include <string>
#include <vector>

#include "lib/dns/resolver.h"
#include "lib/sidecarconfig/config.h"

namespace mailroom::delivery {

struct MxPlan {
  enum class Kind { kHosts, kNullMx, kNoSuchDomain, kTempFail };
  Kind kind = Kind::kTempFail;
  std::vector<dns::MxRecord> hosts;  // in the order to try them
  std::string reason;                // for kNullMx, kNoSuchDomain, kTempFail
};

// Decides the MX host order from the MX answer for `domain`.
MxPlan planMx(const std::string& domain, const dns::Answer<dns::MxRecord>& answer,
              std::mt19937& rng);

struct Target {
  std::string mxHost;
  uint16_t preference = 0;
  dns::Address address;
  bool ipv6() const { return address.is_v6(); }
};

// One MX host's address lookups, as resolved.
struct HostAddresses {
  dns::MxRecord mx;
  dns::Answer<dns::Address> a;     // not looked up for IPv6-only transports (status kNoData)
  dns::Answer<dns::Address> aaaa;  // not looked up for IPv4-only transports
};

struct TargetPlan {
  std::vector<Target> targets;
  // No target, and every lookup was definitive: delivery cannot succeed without a DNS change.
  bool permanent = false;
  std::string reason;  // why there is no target (or why some hosts were skipped)
};

bool wantsIpv4(const sidecarconfig::DirectTransport& t);
bool wantsIpv6(const sidecarconfig::DirectTransport& t);

TargetPlan planTargets(const std::vector<HostAddresses>& hosts,
                       const sidecarconfig::DirectTransport& transport);

}  // namespace mailroom::delivery
