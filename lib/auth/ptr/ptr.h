// PTR / forward-confirmed reverse DNS ("FCrDNS") for a sending address, with the "iprev"
// semantics of RFC 8601 §2.7.3: the address's PTR names (RFC 1035 §3.5, RFC 3596 §2.5) are
// looked up forward (A for IPv4, AAAA for IPv6) and the check passes when one of them points
// back at the address. Receivers add their own rule on top: Gmail rejects mail from addresses
// without a PTR (550 5.7.25), many want the confirmed name to be the EHLO name (RFC 5321
// §4.1.4). The verdict says which step failed and what to change; a DNS failure is tempError
// ("could not check"), never a pass.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/address_family.h"
#include "lib/dns/resolver.h"

namespace mailroom::auth::ptr {

enum class Outcome {
  kPass,                 // forward-confirmed, and the name is (under) the EHLO name
  kNoPtr,                // no PTR record at all (NXDOMAIN or NODATA)
  kNotForwardConfirmed,  // PTR names exist, none resolves back to the address
  kEhloMismatch,         // forward-confirmed, but not as the EHLO name
  kTempError,            // a lookup failed temporarily: could not check
};
const char* outcomeName(Outcome o);  // "pass", "noPtr", ...

struct PtrVerdict {
  dns::Address ip;
  AddressFamily family = AddressFamily::kIpv4;
  std::vector<std::string> ptrNames;  // every PTR name, lower case, no trailing dot
  bool forwardConfirmed = false;
  std::string confirmedName;  // the forward-confirmed name (the one matching EHLO if any)
  bool matchesEhlo = false;   // confirmedName equals the EHLO name or is under it
  Outcome outcome = Outcome::kTempError;
  std::string reason;  // one actionable sentence
};

// RFC 7208 §4.6.4 limits the "ptr" mechanism to 10 PTR names; we check at most as many, so a
// hostile reverse zone cannot make one check cost hundreds of lookups.
inline constexpr size_t kMaxPtrNames = 10;

// True when name equals ehlo or is a subdomain of it (both compared case-insensitively, one
// trailing dot ignored). An empty ehlo matches nothing.
bool underEhlo(std::string_view name, std::string_view ehlo);

// An empty ehloHostname skips the EHLO comparison (outcome pass on FCrDNS alone).
Task<PtrVerdict> checkPtr(dns::Resolver& resolver, dns::Address ip, std::string ehloHostname);

}  // namespace mailroom::auth::ptr
