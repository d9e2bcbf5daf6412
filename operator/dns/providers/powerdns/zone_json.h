// The PowerDNS Authoritative HTTP API v1 documents Mailroom reads and writes
// (https://doc.powerdns.com/authoritative/http-api/zone.html): the Zone object of
// GET /api/v1/servers/{server}/zones/{zone} (its rrsets: name, type, ttl, records of
// {content, disabled}), the body of PATCH .../zones/{zone} (rrsets with changetype REPLACE or
// DELETE) and the {"error": ...} body of failures. Parsing never throws: an answer we cannot read
// is an error value (these parsers are fuzzed: tests/fuzz/dns_providers).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::powerdns {

struct PdnsRecord {
  std::string content;  // presentation form; TXT: quoted character-strings
  bool disabled = false;
  bool operator==(const PdnsRecord&) const = default;
};

struct PdnsRRset {
  std::string name;  // absolute, with the trailing dot, as PowerDNS sends it
  std::string type;
  uint32_t ttl = 0;
  std::vector<PdnsRecord> records;
  bool operator==(const PdnsRRset&) const = default;
};

struct PdnsZone {
  std::string name;
  std::vector<PdnsRRset> rrsets;
};

Result<PdnsZone> parseZone(std::string_view body);

struct RRsetWrite {
  enum class Kind { kReplace, kDelete };
  Kind kind = Kind::kReplace;
  PdnsRRset rrset;  // for kDelete only name and type matter
};

// {"rrsets":[{"name":..,"type":..,"changetype":"REPLACE","ttl":..,"records":[..]}, ...]}.
// Comments are not sent, so PowerDNS keeps the RRsets' comments as they are.
std::string renderPatch(const std::vector<RRsetWrite>& writes);

// The "error" string of an error body, or "" when there is none.
std::string errorMessage(std::string_view body);

}  // namespace mailroom::dnspub::powerdns
