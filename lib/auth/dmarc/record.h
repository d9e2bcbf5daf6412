// DMARC policy records (RFC 7489 §6.3, §6.4): a pure tag-list parser with errors that name the
// tag, and a renderer. Tags: v (must be first, "DMARC1"), p, sp, pct, rua, ruf, adkim, aspf,
// fo, rf, ri; unknown tags are ignored (§6.3). A record without a valid p but with a valid rua
// is read as p=none (§6.6.3). parseRecord(renderRecord(r)) == r.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::dmarc {

enum class Policy { kNone, kQuarantine, kReject };
enum class AlignmentMode { kRelaxed, kStrict };

const char* policyName(Policy p);  // "none", "quarantine", "reject"

// A reporting URI with its optional size limit: "mailto:dmarc@example.com!10m" (§6.4).
struct ReportUri {
  std::string uri;
  std::optional<uint64_t> maxSize;  // the number before the unit
  char unit = 0;                    // 0 (bytes), 'k', 'm', 'g' or 't'
  bool operator==(const ReportUri&) const = default;
};

// Tags that were absent stay nullopt (so render keeps what the record said); the accessors
// apply RFC 7489's defaults.
struct DmarcRecord {
  Policy p = Policy::kNone;
  bool pImplied = false;  // no valid p, read as none because rua was valid (§6.6.3)
  std::optional<Policy> sp;
  std::optional<int> pct;
  std::vector<ReportUri> rua, ruf;
  std::optional<AlignmentMode> adkim, aspf;
  std::optional<std::string> fo;  // colon-separated of 0, 1, d, s
  std::optional<std::string> rf;  // colon-separated report formats
  std::optional<uint32_t> ri;
  bool operator==(const DmarcRecord&) const = default;

  Policy subdomainPolicy() const { return sp.value_or(p); }
  int percent() const { return pct.value_or(100); }
  AlignmentMode dkimAlignment() const { return adkim.value_or(AlignmentMode::kRelaxed); }
  AlignmentMode spfAlignment() const { return aspf.value_or(AlignmentMode::kRelaxed); }
  std::string failureOptions() const { return fo.value_or("0"); }
  std::string reportFormat() const { return rf.value_or("afrf"); }
  uint32_t reportInterval() const { return ri.value_or(86400); }
};

// True if txt starts with the tag v=DMARC1 (records that do not are discarded, §6.6.3).
bool isDmarcRecord(std::string_view txt);

// Errors are kInvalidArgument with a message that starts with the tag: "pct: ...".
Result<DmarcRecord> parseRecord(std::string_view txt);

// "v=DMARC1; p=reject; ..." with only the tags the record carries (p always; not p when it
// was implied).
std::string renderRecord(const DmarcRecord& r);

}  // namespace mailroom::dmarc
