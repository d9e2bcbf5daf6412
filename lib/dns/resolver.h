// DNS lookups for mail: MX (RFC 5321 §5.1), A/AAAA, TXT (RFC 7208/6376/7489 records), PTR
// (RFC 1035 §3.5, RFC 3596 §2.5). The interface keeps the outcomes that mail decisions depend on
// apart: NXDOMAIN is not NODATA, and neither is a SERVFAIL or a timeout (SPF's void-lookup limit,
// RFC 7505 null MX and "could not check" all hinge on the difference).
//
// Implementations: CaresResolver (lib/dns/cares_resolver.h) on the event loop, and the
// map-backed FakeResolver in tests/mocks/ for unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/common/address_family.h"
#include "lib/common/asio.h"

namespace mailroom::dns {

enum class Status {
  kOk,        // at least one record of the asked type
  kNxDomain,  // the name does not exist (RCODE 3)
  kNoData,    // the name exists, no records of this type
  kTempFail,  // SERVFAIL, REFUSED, truncated without TCP, unreachable server: try later
  kTimeout,   // no answer within the configured timeout and retries
  kBadName,   // the query name is not a valid DNS name (too long, empty label)
};

const char* statusName(Status s);
// True for outcomes that say nothing about the name (retry later, never treat as "absent").
inline bool isTemporary(Status s) {
  return s == Status::kTempFail || s == Status::kTimeout;
}

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot; "" for a null MX ("0 .")
  bool operator==(const MxRecord&) const = default;
};

template <class T>
struct Answer {
  Status status = Status::kTempFail;
  std::vector<T> records;
  uint32_t ttl = 0;
  std::string detail;  // human-readable reason when status != kOk (server, rcode, error)
  bool ok() const { return status == Status::kOk; }
};

using Address = boost::asio::ip::address;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // All calls run on the resolver's executor; names may carry a trailing dot.
  virtual Task<Answer<MxRecord>> mx(std::string name) = 0;
  virtual Task<Answer<Address>> a(std::string name) = 0;     // IPv4 addresses only
  virtual Task<Answer<Address>> aaaa(std::string name) = 0;  // IPv6 addresses only
  // One entry per TXT record, its character-strings concatenated (RFC 7208 §3.3).
  virtual Task<Answer<std::string>> txt(std::string name) = 0;
  // Names from the PTR records of in-addr.arpa / ip6.arpa for addr (lower case, no dot).
  virtual Task<Answer<std::string>> ptr(Address addr) = 0;
};

inline AddressFamily familyOf(const Address& addr) {
  return addr.is_v4() ? AddressFamily::kIpv4 : AddressFamily::kIpv6;
}

// "10.100.51.198.in-addr.arpa" / nibble form under "ip6.arpa" (RFC 3596 §2.5).
std::string reverseName(const Address& addr);
// Lower-cases and strips one trailing dot.
std::string normalizeName(std::string_view name);

}  // namespace mailroom::dns
