#include "sidecar/delivery/targets.h"

#include <algorithm>

namespace mailroom::delivery {

MxPlan planMx(const std::string& domain, const dns::Answer<dns::MxRecord>& answer,
              std::mt19937& rng) {
  MxPlan plan;
  switch (answer.status) {
    case dns::Status::kOk:
      break;
    case dns::Status::kNoData:
      // RFC 5321 §5.1: no MX records → the domain itself is the implicit MX (preference 0).
      plan.kind = MxPlan::Kind::kHosts;
      plan.hosts.push_back({0, dns::normalizeName(domain)});
      return plan;
    case dns::Status::kNxDomain:
    case dns::Status::kBadName:
      plan.kind = MxPlan::Kind::kNoSuchDomain;
      plan.reason = "domain " + domain + " does not exist (NXDOMAIN)";
      return plan;
    case dns::Status::kTempFail:
    case dns::Status::kTimeout:
      plan.kind = MxPlan::Kind::kTempFail;
      plan.reason = "MX lookup for " + domain + " failed: " + dns::statusName(answer.status) +
                    (answer.detail.empty() ? "" : " (" + answer.detail + ")");
      return plan;
  }
  std::vector<dns::MxRecord> hosts;
  bool nullMx = false;
  for (const auto& r : answer.records) {
    if (r.host.empty())
      nullMx = true;  // "0 ." (RFC 7505)
    else
      hosts.push_back(r);
  }
  if (hosts.empty() && nullMx) {
    plan.kind = MxPlan::Kind::kNullMx;
    plan.reason = domain + " does not accept mail (null MX, RFC 7505)";
    return plan;
  }
  // Shuffle first, then a stable sort: equal preferences end up in random order (§5.1).
  std::shuffle(hosts.begin(), hosts.end(), rng);
  std::stable_sort(hosts.begin(), hosts.end(),
                   [](const auto& a, const auto& b) { return a.preference < b.preference; });
  plan.kind = MxPlan::Kind::kHosts;
  plan.hosts = std::move(hosts);
  return plan;
}

bool wantsIpv4(const sidecarconfig::DirectTransport& t) {
  return t.family.allows(AddressFamily::kIpv4);
}
bool wantsIpv6(const sidecarconfig::DirectTransport& t) {
  return t.family.allows(AddressFamily::kIpv6);
}

TargetPlan planTargets(const std::vector<HostAddresses>& hosts,
                       const sidecarconfig::DirectTransport& transport) {
  TargetPlan plan;
  bool v6First = transport.family.first() == AddressFamily::kIpv6;
  bool anyTemporary = false;
  std::vector<std::string> notes;
  for (const auto& h : hosts) {
    std::vector<const dns::Answer<dns::Address>*> order;
    if (v6First) {
      if (wantsIpv6(transport)) order.push_back(&h.aaaa);
      if (wantsIpv4(transport)) order.push_back(&h.a);
    } else {
      if (wantsIpv4(transport)) order.push_back(&h.a);
      if (wantsIpv6(transport)) order.push_back(&h.aaaa);
    }
    size_t before = plan.targets.size();
    for (const auto* answer : order) {
      if (dns::isTemporary(answer->status)) anyTemporary = true;
      if (!answer->ok()) continue;
      for (const auto& addr : answer->records) {
        // Never connect to an address the receiver could not reply from or that loops back.
        if (addr.is_unspecified() || addr.is_multicast()) continue;
        plan.targets.push_back({h.mx.host, h.mx.preference, addr});
      }
    }
    if (plan.targets.size() == before) {
      const auto& only = transport.family.only;
      notes.push_back(h.mx.host + " has no " + (only ? familyName(*only) + std::string(" ") : "") +
                      "address");
    }
  }
  for (size_t i = 0; i < notes.size(); ++i) plan.reason += (i ? "; " : "") + notes[i];
  if (plan.targets.empty()) {
    plan.permanent = !anyTemporary;
    if (anyTemporary)
      plan.reason += (plan.reason.empty() ? "" : "; ") + std::string("DNS lookup failed");
    if (transport.family.only && plan.permanent)
      plan.reason +=
          std::string(" (the transport is ") + familyName(*transport.family.only) + "-only)";
  }
  return plan;
}

}  // namespace mailroom::delivery
