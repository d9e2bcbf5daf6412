// How an SMTP client uses TLS, one vocabulary for the config, the operator and the SMTP
// session. No dependencies, so protocol libraries can use it without linking config code.
//
// A direct transport (to MX hosts on port 25) chooses none, opportunistic or required, as in
// the Transport's direct.tls.policy. A relay always requires TLS and only chooses how it starts:
// relay.tls "starttls" is kRequired, "implicit" is kImplicit (RFC 8314 §3.3, port 465). One enum
// with four values, so a session takes one setting whichever transport opened it.
#pragma once

#include <optional>
#include <string_view>

namespace mailroom {

enum class TlsPolicy {
  kNone,           // never STARTTLS
  kOpportunistic,  // STARTTLS when offered, no certificate check (RFC 7435); plaintext otherwise
  kRequired,       // STARTTLS (RFC 3207) or a temporary failure, never plaintext
  kImplicit,       // TLS from the first byte (RFC 8314 §3.3)
};

// "none", "opportunistic", "required", "implicit".
constexpr const char* tlsPolicyName(TlsPolicy p) {
  switch (p) {
    case TlsPolicy::kNone:
      return "none";
    case TlsPolicy::kOpportunistic:
      return "opportunistic";
    case TlsPolicy::kRequired:
      return "required";
    case TlsPolicy::kImplicit:
      return "implicit";
  }
  return "?";
}

// The inverse of tlsPolicyName, exactly (the CRD enums are case-sensitive).
constexpr std::optional<TlsPolicy> parseTlsPolicy(std::string_view text) {
  for (auto p :
       {TlsPolicy::kNone, TlsPolicy::kOpportunistic, TlsPolicy::kRequired, TlsPolicy::kImplicit})
    if (text == tlsPolicyName(p)) return p;
  return std::nullopt;
}

}  // namespace mailroom
