// check_host() (RFC 7208 §4): evaluates the SPF policy of a domain for a client IP over a
// dns::Resolver. Limits of §4.6.4 are enforced per evaluation: 10 terms that cause DNS lookups
// (include a mx ptr exists redirect), at most 10 MX/PTR names per mechanism, at most 2 void
// lookups. Temporary DNS failures give temperror; a DNS name error or an absent record at the
// top gives none; syntax errors anywhere give permerror. All decisions live in the pure pieces
// (record.h, macro.h, cidr.h); this file only sequences lookups.
#pragma once

#include <cstdint>
#include <string>

#include "lib/auth/spf/record.h"
#include "lib/common/asio.h"
#include "lib/dns/resolver.h"

namespace mailroom::spf {

enum class Code { kNone, kNeutral, kPass, kFail, kSoftFail, kTempError, kPermError };

// "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror" (§2.6).
const char* codeName(Code c);

struct SpfRequest {
  dns::Address ip;        // the SMTP client; IPv4-mapped IPv6 is checked as IPv4 (§5)
  std::string domain;     // the domain to check: the MAIL FROM domain, or the HELO name
  std::string sender;     // MAIL FROM, or "postmaster@<helo>" for a null reverse-path (§2.4)
  std::string helo;       // for %{h}
  std::string receiver;   // for %{r} in exp text; "" = "unknown"
  int64_t timestamp = 0;  // for %{t} in exp text (seconds since the epoch; caller's clock)
  // Used as the explanation on fail when the policy has no usable exp= (§6.2 lets the
  // receiver choose one). "" = none.
  std::string defaultExplanation;
};

// Builds the request for the MAIL FROM identity: a null reverse-path (or one without '@')
// falls back to postmaster@helo, and the domain is the part after the last '@'.
SpfRequest mailFromRequest(dns::Address ip, std::string_view mailFrom, std::string_view helo);
// Builds the request for the HELO identity (§2.3): domain = helo, sender = postmaster@helo.
SpfRequest heloRequest(dns::Address ip, std::string_view helo);

struct SpfResult {
  Code code = Code::kNone;
  std::string explanation;  // only on fail: exp= expanded, else defaultExplanation
  std::string mechanism;    // the term that decided ("-all", "include:_spf.example.com"), or ""
  std::string problem;      // why permerror/temperror/none (or "no mechanism matched")
  int dnsLookups = 0;       // terms counted against the limit of 10
  int voidLookups = 0;
};

// A name check_host() will evaluate (§4.3): at most 253 octets, labels of 1..63 octets (of any
// octets: "%_" can put a space in a name), more than one label. A trailing dot is allowed.
bool isValidDomain(std::string_view domain);

// Takes the request by value: the coroutine starts suspended and must not refer to a caller's
// temporary.
Task<SpfResult> checkHost(dns::Resolver& resolver, SpfRequest request);

}  // namespace mailroom::spf
