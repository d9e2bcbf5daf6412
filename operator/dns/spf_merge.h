// Merging Mailroom's SPF terms into a domain's one SPF record (RFC 7208 §3.2: two SPF records
// at a name are a permerror, so a foreign record is shared rather than duplicated). Pure, over
// records parsed and rendered by lib/auth/spf.
//
// The merged record is: the foreign mechanisms in their order (a foreign "-ip4:" must still be
// evaluated before our "+" terms), then the desired mechanisms the foreign record lacks, then
// the policy: the foreign "all" or redirect= if it has one (Mailroom adds authorizations, it
// does not change someone else's policy), else the desired one; then the remaining modifiers.
// Mailroom owns exactly the terms it added, so removing them (withoutTerms) restores the
// foreign record.
#pragma once

#include <set>
#include <string>

#include "lib/auth/spf/record.h"

namespace mailroom::dnspub {

// RFC 7208 §4.6.4.
inline constexpr int kSpfLookupLimit = 10;

struct SpfMerge {
  spf::Record record;                     // to publish
  std::set<std::string> ownedTermHashes;  // registry.h spfTermHash of the terms we added
};

SpfMerge mergeSpf(const spf::Record& foreign, const spf::Record& desired);

// The record without the terms whose spfTermHash is listed.
spf::Record withoutTerms(const spf::Record& record, const std::set<std::string>& termHashes);

}  // namespace mailroom::dnspub
