// The DNS records Mailroom publishes, as plain values (the "endpoints" of external-dns): a record
// set is one name and type with its TTL and values. TXT values are the logical strings (the
// concatenation of a record's character-strings, RFC 7208 §3.3, RFC 6376 §3.6.2.2); splitting
// them into character-strings of at most 255 octets (RFC 1035 §3.3.14) is a rendering detail of
// each provider's wire or API format (txt_presentation.h). Names are absolute, lower case and
// without the trailing dot.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dnspub {

struct RecordKey {
  std::string name;  // normalized: lower case, no trailing dot
  std::string type;  // "TXT"
  auto operator<=>(const RecordKey&) const = default;
};

struct RecordSet {
  std::string name;
  std::string type;
  uint32_t ttl = 0;
  std::vector<std::string> values;  // TXT: logical strings, in the provider's order
  bool operator==(const RecordSet&) const = default;
  RecordKey key() const { return {name, type}; }
};

// Who publishes a record: one MailDomain in one cluster. Written into the ownership records
// (registry.h), so each part is restricted to the characters of a Kubernetes name.
struct Owner {
  std::string cluster;
  std::string ns;    // the MailDomain's namespace
  std::string name;  // the MailDomain's name
  bool operator==(const Owner&) const = default;
};

// "cluster/namespace/name", for messages.
std::string describe(const Owner& o);

// Each part non-empty, at most 253 characters of [a-z0-9.-] (Kubernetes object names; the
// cluster name is configured by the operator's user and held to the same rule).
Result<void> validateOwner(const Owner& o);

// Lower case, without the trailing dot: the form every RecordKey uses.
std::string normalizeName(std::string_view name);

// True if name is zone or below it (both normalized).
bool inZone(std::string_view name, std::string_view zone);

}  // namespace mailroom::dnspub
