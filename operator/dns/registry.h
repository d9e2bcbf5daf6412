// The ownership registry (after external-dns's TXT registry, but never inside the RRsets it
// describes): for every name where Mailroom publishes TXT values, one TXT value per owner at
// the separate name "_mailroom-owner.<name>" says which cluster, namespace and MailDomain owns
// what there:
//
//   heritage=mailroom,cluster=prod,namespace=mail,maildomain=example-com,type=TXT,
//   values=3f1c0e9d5a7b2c41 9a0b...,spf-terms=77c2...
//
// values= lists hashes of whole values we own (DKIM keys, DMARC); spf-terms= lists hashes of the
// SPF terms we merged into a shared SPF record (we own terms there, not the value: RFC 7208 §3.2
// allows one SPF record per name). Hashes keep the record short (a DKIM key is 400+ octets) and
// stable: the first 16 hex digits of SHA-256 over the value or the rendered term. Other owners'
// values at the ownership name (another cluster sending for the same domain) and anything that
// does not parse are foreign and left alone. Everything here is pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/spf/record.h"
#include "lib/common/result.h"
#include "operator/dns/endpoint.h"

namespace mailroom::dnspub {

inline constexpr std::string_view kOwnershipLabel = "_mailroom-owner";

// "_mailroom-owner.<name>".
std::string ownershipName(std::string_view name);
// True if name is an ownership name (its first label is kOwnershipLabel).
bool isOwnershipName(std::string_view name);

// The first 16 hex digits of SHA-256(text).
std::string valueHash(std::string_view text);
// The hash of spf::renderTerm(t): terms are identified by their canonical text.
std::string spfTermHash(const spf::Term& t);

// What one owner owns at one name and type.
struct Ownership {
  Owner owner;
  std::string type = "TXT";
  std::set<std::string> valueHashes;
  std::set<std::string> spfTermHashes;
  bool empty() const { return valueHashes.empty() && spfTermHashes.empty(); }
  bool operator==(const Ownership&) const = default;
};

std::string renderOwnership(const Ownership& o);
// kInvalidArgument for anything that is not a well-formed ownership value (including values of
// a later format: those are foreign to this version and left alone).
Result<Ownership> parseOwnership(std::string_view value);

// Our ownership as found in the zone, with the raw values it was read from (a reconcile that
// changes it removes exactly those).
struct FoundOwnership {
  Ownership ownership;
  std::vector<std::string> rawValues;
};

// Our ownership per record key (the owned name, not the ownership name), read from the zone's
// current records. Several values of ours at one name (a race of two writers) are merged.
std::map<RecordKey, FoundOwnership> readOwnership(const std::vector<RecordSet>& current,
                                                  const Owner& owner);

// The values of `values` that the ownership claims as whole values.
std::vector<std::string> ownedValues(const std::vector<std::string>& values,
                                     const Ownership& ownership);

}  // namespace mailroom::dnspub
