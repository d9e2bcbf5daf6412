// A minimal reader of DNS messages (RFC 1035 §4.1) for what c-ares's ares_parse_*_reply do not
// give us: TTLs of MX/TXT/PTR answers, the CNAME chain in an answer (RFC 1034 §3.6.2) so the
// resolver can chase it, and the negative-caching TTL from the authority SOA (RFC 2308 §5).
// Records themselves are still decoded by c-ares; this only walks the sections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dns::wire {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeMx = 15;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeAaaa = 28;

struct Rr {
  std::string name;  // lower case, no trailing dot
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string target;       // CNAME only: the canonical name (lower case, no trailing dot)
  uint32_t soaMinimum = 0;  // SOA only: the MINIMUM field
};

struct Message {
  uint8_t rcode = 0;
  bool truncated = false;
  std::vector<Rr> answers;
  std::vector<Rr> authority;
};

// Fails (permanent) on a message that does not parse; the caller maps that to a temporary DNS
// failure since a garbled answer says nothing about the name.
Result<Message> parse(const uint8_t* buf, size_t len);

// Follows CNAME records in the answer section starting at qname and returns the last name of the
// chain (qname itself without CNAMEs). Stops after maxHops to survive loops.
std::string chainEnd(const Message& m, const std::string& qname, int maxHops = 16);

// The smallest TTL among the answer records of the given type and the CNAMEs leading to them.
uint32_t answerTtl(const Message& m, uint16_t type);

// RFC 2308 §5: a negative answer may be cached for min(SOA TTL, SOA MINIMUM); 0 without an SOA.
uint32_t negativeTtl(const Message& m);

}  // namespace mailroom::dns::wire
