// SPF records (RFC 7208 §4.5, §4.6, §5, §6, ABNF in §12): a pure parser from the TXT text to
// terms, and a renderer back to text. The parser rejects every syntax error the RFC names
// (unknown mechanisms, bad CIDR lengths, bad macro strings, duplicate redirect/exp), because
// check_host() must return permerror for a record with a syntax error anywhere in it (§4.6)
// before evaluating any term. Mechanism targets stay unexpanded macro-strings (§7); expansion
// happens at evaluation time (macro.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/common/result.h"
#include "lib/dns/resolver.h"

namespace mailroom::spf {

enum class Qualifier : char { kPass = '+', kFail = '-', kSoftFail = '~', kNeutral = '?' };

enum class MechanismKind { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

const char* mechanismName(MechanismKind k);

struct Mechanism {
  Qualifier qualifier = Qualifier::kPass;
  bool explicitQualifier = false;  // "+all" vs "all": same meaning, kept so render is faithful
  MechanismKind kind = MechanismKind::kAll;
  std::string domainSpec;               // include/a/mx/ptr/exists target; "" = current domain
  std::optional<dns::Address> network;  // ip4/ip6
  std::optional<int> cidr4;             // ip4, a, mx: "/n"
  std::optional<int> cidr6;             // ip6: "/n"; a, mx: "//n"
  bool operator==(const Mechanism&) const = default;
};

// redirect=, exp= and unknown modifiers (which §6 says to ignore but still syntax-check).
struct Modifier {
  std::string name;   // lower case
  std::string value;  // macro-string
  bool operator==(const Modifier&) const = default;
};

using Term = std::variant<Mechanism, Modifier>;

struct Record {
  std::vector<Term> terms;  // in record order
  bool operator==(const Record&) const = default;

  // The redirect= / exp= values, if present (at most one of each in a parsed record).
  std::optional<std::string> redirect() const;
  std::optional<std::string> exp() const;
};

// True if txt is an SPF version 1 record: "v=spf1" (any case) followed by a space or the end
// (§4.5: records that do not begin with that are discarded).
bool isSpfRecord(std::string_view txt);

// Parses a whole record ("v=spf1 ..."). Errors are kInvalidArgument with a message naming the
// offending term; the evaluator maps them to permerror.
Result<Record> parseRecord(std::string_view txt);

// Canonical text: "v=spf1" then each term separated by one space, mechanism names lower case.
// parseRecord(renderRecord(r)) == r for every r that parseRecord produced.
std::string renderRecord(const Record& r);
std::string renderTerm(const Term& t);

// True for the terms that count against the limit of 10 DNS-querying terms (§4.6.4): include,
// a, mx, ptr, exists and redirect=. ip4, ip6, all, exp= and unknown modifiers cost nothing.
bool causesDnsLookup(const Term& t);
// The lookups this record itself costs, without following include/redirect targets (which
// need DNS): a lower bound of what check_host() counts when it evaluates the record.
int countDnsLookupTerms(const Record& r);

}  // namespace mailroom::spf
