// The plan: a pure diff of the records a MailDomain wants against what the zone holds, by
// value (every Mailroom record is TXT, and TXT RRsets are shared with values Mailroom does not
// own, so an RRset is never replaced wholesale by the plan). Like external-dns's plan/, but per
// value rather than per endpoint:
//
// - A wanted value that is absent is added and claimed in the ownership registry (registry.h).
// - A value we own that is no longer wanted is removed, and released.
// - A wanted value whose slot is held by a value we do not own (a foreign DKIM key at our
//   selector, a foreign DMARC record) is a Conflict naming the record; the foreign value stays.
//   A foreign value equal to the wanted one satisfies it but is not claimed (never deleted).
// - SPF is merged into the name's one SPF record (spf_merge.h); a merge that would exceed the
//   10-lookup limit, several SPF records at a name, or an unparseable foreign one is a Conflict.
//
// Changes are grouped per name and type and carry the RRset the plan saw and the one that
// results, so a provider that can only replace whole RRsets can apply them by value
// (providers/powerdns). The ownership records ride in the same change list.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "operator/dns/endpoint.h"
#include "operator/dns/registry.h"

namespace mailroom::dnspub {

struct Change {
  RecordKey key;
  uint32_t ttl = 0;                 // for an RRset that does not exist yet
  std::vector<std::string> add;     // values to add
  std::vector<std::string> remove;  // values to remove
  std::vector<std::string> before;  // the RRset's values as planned against
  std::vector<std::string> after;   // before - remove + add; empty = the RRset goes away
  bool operator==(const Change&) const = default;
};

struct Conflict {
  RecordKey key;
  std::string reason;   // CamelCase: ForeignValue, MultipleSpfRecords, InvalidSpfRecord,
                        // SpfLookupLimit
  std::string message;  // names the record and what to do
  bool operator==(const Conflict&) const = default;
};

struct Plan {
  // Ownership claims first, then the records, then ownership releases: a provider that applies
  // them one by one never leaves a value of ours unclaimed.
  std::vector<Change> changes;
  std::vector<Conflict> conflicts;
  int valuesAdded = 0;  // record values (not ownership values)
  int valuesRemoved = 0;
  int recordSetsInSync = 0;  // wanted record sets that needed no change
};

// current: the zone's records (at least every name in desired and previouslyOwned, and their
// ownership names). desired: what the owner wants; an empty list deletes everything it owns.
// previouslyOwned: readOwnership(current, owner). Errors are kInvalidArgument for a desired
// set that is not TXT or holds two SPF records or an SPF record that does not parse.
Result<Plan> plan(const std::vector<RecordSet>& current, const std::vector<RecordSet>& desired,
                  const std::map<RecordKey, FoundOwnership>& previouslyOwned, const Owner& owner);

// Convenience for tests and callers: readOwnership + plan.
Result<Plan> plan(const std::vector<RecordSet>& current, const std::vector<RecordSet>& desired,
                  const Owner& owner);

// "DKIM" for any value at a name with a _domainkey label, "DMARC" at a _dmarc name or for a
// value starting "v=DMARC1", "SPF" for an SPF record, "" for free-form values (verification
// tokens: any number may coexist). Two values with the same non-empty slot at one name
// conflict.
std::string slotOf(const std::string& name, const std::string& value);

// One line per change / conflict, for golden tests and logs.
std::string formatPlan(const Plan& p);

}  // namespace mailroom::dnspub
