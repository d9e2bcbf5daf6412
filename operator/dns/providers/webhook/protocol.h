// The external-dns webhook provider protocol, version 1 (external-dns docs/tutorials/
// webhook-provider.md; the JSON forms of Go's endpoint.Endpoint, endpoint.DomainFilter and
// plan.Changes): every body has the media type kMediaType, compared exactly. Pure and never
// throws; the parsers are fuzzed (tests/fuzz/dns_providers).
//
//   GET /                -> DomainFilter
//   {"include":[..],"exclude":[..],"regexInclude","regexExclude"} GET /records         ->
//   [Endpoint] POST /adjustendpoints  [Endpoint] -> [Endpoint] POST /records        Changes
//   {"create","updateOld","updateNew","delete"} -> 204
//
// Endpoint: {"dnsName","targets":[..],"recordType","setIdentifier","recordTTL","labels":{..},
// "providerSpecific":[{"name","value"}]}. TXT targets are in presentation form (quoted
// character-strings), as external-dns's own TXT registry writes them. plan.Changes carried no
// JSON tags before external-dns 0.15 ("Create", "UpdateOld", ...) and lower-camel tags since;
// Go servers match keys case-insensitively, so Mailroom sends the current form and reads both.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::webhook {

inline constexpr std::string_view kMediaType = "application/external.dns.webhook+json;version=1";

struct Endpoint {
  std::string dnsName;
  std::vector<std::string> targets;
  std::string recordType;
  std::string setIdentifier;
  int64_t recordTTL = 0;  // 0: not set
  std::map<std::string, std::string> labels;
  std::vector<std::pair<std::string, std::string>> providerSpecific;
  bool operator==(const Endpoint&) const = default;
};

struct DomainFilter {
  std::vector<std::string> include, exclude;
  std::string regexInclude, regexExclude;
  // Whether name (normalized) is one the plugin manages: under an include (or no includes),
  // under no exclude, matching regexInclude and not regexExclude (ECMAScript regex; Go's RE2
  // syntax is a subset for what filters use).
  bool matches(std::string_view name) const;
};

struct Changes {
  std::vector<Endpoint> create, updateOld, updateNew, remove;  // "delete"
  bool operator==(const Changes&) const = default;
};

Result<std::vector<Endpoint>> parseEndpoints(std::string_view body);
Result<DomainFilter> parseDomainFilter(std::string_view body);
// Either capitalization of the keys ("create" / "Create", ...).
Result<Changes> parseChanges(std::string_view body);

std::string renderEndpoints(const std::vector<Endpoint>& eps);
std::string renderChanges(const Changes& c);

}  // namespace mailroom::dnspub::webhook
