// DMARC (RFC 7489): policy discovery (§6.6.3) over a dns::Resolver and identifier alignment
// (§3.1). Discovery asks _dmarc.<From domain>, then _dmarc.<Organizational Domain>; the verdict
// keeps "no policy" (none, several records, a broken record) apart from "could not ask"
// (temperror), so a caller never mistakes a DNS outage for the absence of a policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dmarc/psl.h"
#include "lib/auth/dmarc/record.h"
#include "lib/common/asio.h"
#include "lib/dns/resolver.h"

namespace mailroom::dmarc {

enum class Verdict {
  kFound,            // one valid record: apply record->p (or sp, see effectivePolicy)
  kNone,             // no DMARC record at the From domain nor at its Organizational Domain
  kMultipleRecords,  // several v=DMARC1 records: discovery ends, DMARC is not applied (§6.6.3)
  kInvalidRecord,    // one record that does not parse: not applied; problem says why
  kTempError,        // a TXT lookup failed temporarily: try again later
};

const char* verdictName(Verdict v);  // "found", "none", "multiple-records", ...

struct Discovery {
  Verdict verdict = Verdict::kNone;
  std::optional<DmarcRecord> record;  // set for kFound
  std::string queriedName;            // where the deciding answer came from: "_dmarc.example.com"
  std::string policyDomain;           // the domain whose record applies ("example.com")
  bool atOrganizationalDomain = false;
  std::string problem;  // for every verdict but kFound

  // True when the verdict means DMARC is not applied (no policy, several, broken).
  bool treatedAsNone() const {
    return verdict == Verdict::kNone || verdict == Verdict::kMultipleRecords ||
           verdict == Verdict::kInvalidRecord;
  }
  // The policy to apply: sp= when the record came from the Organizational Domain of a
  // subdomain (§6.3), else p=. Only meaningful for kFound.
  Policy effectivePolicy() const;
};

// Takes its arguments by value: the coroutine starts suspended. psl must outlive the task.
Task<Discovery> discoverDmarc(dns::Resolver& resolver, std::string fromDomain,
                              const PublicSuffixList& psl);

// §3.1: strict = the same name; relaxed = the same Organizational Domain. Case and one trailing
// dot do not matter.
bool aligned(std::string_view fromDomain, std::string_view authDomain, AlignmentMode mode,
             const PublicSuffixList& psl);

struct AlignmentResult {
  bool spf = false;
  bool dkim = false;
  std::string dkimDomain;                    // the first aligned d=, if any
  bool pass() const { return spf || dkim; }  // DMARC passes on either (§4.2)
};

// Aligns the From domain with the authenticated identifiers under the record's aspf/adkim.
// spfPassDomain: the MAIL FROM (or HELO) domain only if SPF passed; dkimPassDomains: the d= of
// signatures that verified.
AlignmentResult checkAlignment(const DmarcRecord& record, std::string_view fromDomain,
                               std::optional<std::string_view> spfPassDomain,
                               const std::vector<std::string>& dkimPassDomains,
                               const PublicSuffixList& psl);

}  // namespace mailroom::dmarc
