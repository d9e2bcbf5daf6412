#include "lib/auth/ptr/ptr.h"

#include <algorithm>

namespace mailroom::auth::ptr {
namespace {

std::string join(const std::vector<std::string>& v, size_t max) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  return out;
}

std::string noPtrReason(const PtrVerdict& v, const std::string& ehlo) {
  std::string who = std::string(familyName(v.family)) + " " + v.ip.to_string();
  std::string fix =
      ehlo.empty() ? "add a PTR record naming your mail host" : "add a PTR record naming " + ehlo;
  if (v.family == AddressFamily::kIpv6) {
    return who + " has no PTR record: Gmail will reject with 550 5.7.25; " + fix +
           " (ask whoever runs the address's ip6.arpa zone) or send over IPv4 only";
  }
  return who +
         " has no PTR record: Gmail rejects with 550 5.7.25 and other receivers junk or "
         "defer such mail; " +
         fix + " (ask whoever runs the address's in-addr.arpa zone, usually the hosting provider)";
}

}  // namespace

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kNoPtr:
      return "noPtr";
    case Outcome::kNotForwardConfirmed:
      return "notForwardConfirmed";
    case Outcome::kEhloMismatch:
      return "ehloMismatch";
    case Outcome::kTempError:
      return "tempError";
  }
  return "unknown";
}

bool underEhlo(std::string_view name, std::string_view ehlo) {
  std::string n = dns::normalizeName(name), e = dns::normalizeName(ehlo);
  if (e.empty() || n.empty()) return false;
  return n == e || (n.size() > e.size() && n.compare(n.size() - e.size(), e.size(), e) == 0 &&
                    n[n.size() - e.size() - 1] == '.');
}

Task<PtrVerdict> checkPtr(dns::Resolver& resolver, dns::Address ip, std::string ehloHostname) {
  // An IPv4-mapped IPv6 address is an IPv4 sender: its PTR lives under in-addr.arpa.
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  }
  const std::string ehlo = dns::normalizeName(ehloHostname);
  PtrVerdict v;
  v.ip = ip;
  v.family = dns::familyOf(ip);
  const std::string who = std::string(familyName(v.family)) + " " + ip.to_string();

  auto ptrs = co_await resolver.ptr(ip);
  if (dns::isTemporary(ptrs.status) || ptrs.status == dns::Status::kBadName) {
    v.outcome = Outcome::kTempError;
    v.reason = "could not check the PTR of " + who + ": " + dns::statusName(ptrs.status) +
               (ptrs.detail.empty() ? "" : " (" + ptrs.detail + ")") + "; will retry";
    co_return v;
  }
  for (const auto& name : ptrs.records) {
    auto n = dns::normalizeName(name);
    if (!n.empty() && std::find(v.ptrNames.begin(), v.ptrNames.end(), n) == v.ptrNames.end()) {
      v.ptrNames.push_back(std::move(n));
    }
  }
  if (v.ptrNames.empty()) {
    v.outcome = Outcome::kNoPtr;
    v.reason = noPtrReason(v, ehlo);
    co_return v;
  }

  // Forward-confirm each PTR name (at most kMaxPtrNames), preferring one that matches EHLO.
  std::vector<std::string> confirmed;
  std::string tempFailure, forwardFindings;
  const size_t checked = std::min(v.ptrNames.size(), kMaxPtrNames);
  for (size_t i = 0; i < checked; ++i) {
    const auto& name = v.ptrNames[i];
    // Two statements, not a ?: inside co_await: with GCC 12 that double-freed the Task temporaries.
    dns::Answer<dns::Address> fwd;
    if (ip.is_v4()) {
      fwd = co_await resolver.a(name);
    } else {
      fwd = co_await resolver.aaaa(name);
    }
    if (fwd.ok() && std::find(fwd.records.begin(), fwd.records.end(), ip) != fwd.records.end()) {
      confirmed.push_back(name);
      if (ehlo.empty() || underEhlo(name, ehlo)) break;  // nothing better to find
      continue;
    }
    if (dns::isTemporary(fwd.status)) {
      if (tempFailure.empty()) tempFailure = name + ": " + dns::statusName(fwd.status);
    }
    if (!forwardFindings.empty()) forwardFindings += "; ";
    forwardFindings += name + " " + (ip.is_v4() ? "A" : "AAAA") + " " +
                       (fwd.ok() ? "points elsewhere" : dns::statusName(fwd.status));
  }

  if (confirmed.empty()) {
    if (!tempFailure.empty()) {
      v.outcome = Outcome::kTempError;
      v.reason = "could not check the PTR of " + who + ": forward lookup of " + tempFailure +
                 "; will retry";
      co_return v;
    }
    v.outcome = Outcome::kNotForwardConfirmed;
    const char* rr = ip.is_v4() ? "A" : "AAAA";
    v.reason = who + " has PTR " + join(v.ptrNames, checked) +
               " but no such name resolves back to " + ip.to_string() + " (" + forwardFindings +
               "); add " + rr + " " + v.ptrNames[0] + " -> " + ip.to_string() +
               " so the reverse DNS is forward-confirmed";
    if (v.ptrNames.size() > checked) {
      v.reason += " (only the first " + std::to_string(checked) + " of " +
                  std::to_string(v.ptrNames.size()) + " PTR names were checked)";
    }
    co_return v;
  }

  v.forwardConfirmed = true;
  auto match = std::find_if(confirmed.begin(), confirmed.end(),
                            [&](const std::string& n) { return underEhlo(n, ehlo); });
  v.matchesEhlo = match != confirmed.end();
  v.confirmedName = v.matchesEhlo ? *match : confirmed.front();
  if (ehlo.empty()) {
    v.outcome = Outcome::kPass;
    v.reason = who + " has forward-confirmed PTR " + v.confirmedName + " (EHLO name not checked)";
  } else if (v.matchesEhlo) {
    v.outcome = Outcome::kPass;
    v.reason = who + " has forward-confirmed PTR " + v.confirmedName +
               (v.confirmedName == ehlo ? ", equal to" : ", under") + " the EHLO name " + ehlo;
  } else {
    v.outcome = Outcome::kEhloMismatch;
    v.reason = who + " has forward-confirmed PTR " + v.confirmedName + " but the EHLO name is " +
               ehlo + ": set the EHLO hostname to " + v.confirmedName + " or change the PTR to " +
               ehlo + " (with a matching " + (ip.is_v4() ? "A" : "AAAA") + " record)";
  }
  co_return v;
}

}  // namespace mailroom::auth::ptr
