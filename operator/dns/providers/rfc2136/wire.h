// DNS messages on the wire (RFC 1035 §4.1) as RFC 2136 dynamic update (§2) and zone transfer
// (RFC 5936) use them: a header and four sections of resource records. For an UPDATE the
// sections are named Zone, Prerequisite, Update and Additional (RFC 2136 §2); for a query they
// are Question, Answer, Authority and Additional. Names are written uncompressed (allowed
// everywhere, RFC 1035 §4.1.4) and read with compression pointers followed, loops rejected.
// RDATA stays raw bytes: only TXT (character-strings, RFC 1035 §3.3.14) and TSIG (tsig.h) are
// read by Mailroom. Decoding never throws and is fuzzed (tests/fuzz/dns_providers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub::rfc2136 {

using Bytes = std::vector<uint8_t>;

inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypeTxt = 16;
inline constexpr uint16_t kTypeTsig = 250;
inline constexpr uint16_t kTypeAxfr = 252;
inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassNone = 254;  // RFC 2136 §2.4.3 / §2.5.4
inline constexpr uint16_t kClassAny = 255;
inline constexpr uint8_t kOpcodeQuery = 0;
inline constexpr uint8_t kOpcodeUpdate = 5;

// RCODEs (RFC 1035 §4.1.1, RFC 2136 §2.2).
enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kYxDomain = 6,
  kYxRrset = 7,
  kNxRrset = 8,
  kNotAuth = 9,
  kNotZone = 10,
};
// "NXRRSET", for messages.
std::string rcodeName(uint8_t rcode);

struct Question {  // the Zone section of an UPDATE
  std::string name;
  uint16_t type = 0;
  uint16_t cls = kClassIn;
  bool operator==(const Question&) const = default;
};

struct ResourceRecord {
  std::string name;  // lower case as read, no trailing dot; "" is the root
  uint16_t type = 0;
  uint16_t cls = kClassIn;
  uint32_t ttl = 0;
  Bytes rdata;
  bool operator==(const ResourceRecord&) const = default;
};

struct Message {
  uint16_t id = 0;
  bool response = false;
  uint8_t opcode = kOpcodeQuery;
  bool authoritative = false;
  bool truncated = false;
  uint8_t rcode = 0;
  std::vector<Question> questions;         // UPDATE: zone
  std::vector<ResourceRecord> answers;     // UPDATE: prerequisites
  std::vector<ResourceRecord> authority;   // UPDATE: updates
  std::vector<ResourceRecord> additional;  // the TSIG record, last
  // Set by decode(): where the last additional record starts in the wire bytes (the TSIG
  // record, when there is one; tsig.h strips it there to verify the MAC), 0 if none.
  size_t lastAdditionalOffset = 0;
  bool operator==(const Message&) const = default;
};

// kInvalidArgument for a name with a label over 63 octets, an empty label or over 255 octets.
Result<Bytes> encode(const Message& m);
Result<void> appendName(Bytes& out, std::string_view name);  // uncompressed, as given
Result<Message> decode(std::span<const uint8_t> wire);

// TXT RDATA: the logical value in character-strings of at most 255 octets; "" is one empty
// string.
Bytes encodeTxtRdata(std::string_view logical);
// The concatenated strings; kInvalidArgument when a length runs past the RDATA.
Result<std::string> decodeTxtRdata(std::span<const uint8_t> rdata);

// Big-endian helpers shared with tsig.cc.
void put16(Bytes& out, uint16_t v);
void put32(Bytes& out, uint32_t v);

}  // namespace mailroom::dnspub::rfc2136
