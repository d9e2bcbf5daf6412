#include "lib/auth/dmarc/dmarc.h"

namespace mailroom::dmarc {
namespace {

// One TXT lookup at _dmarc.<domain>: a verdict, or nullopt for "no record here, keep looking".
struct Step {
  std::optional<Discovery> decided;
};

Task<Step> lookAt(dns::Resolver& resolver, const std::string& domain, bool org) {
  Discovery d;
  d.queriedName = "_dmarc." + domain;
  d.policyDomain = domain;
  d.atOrganizationalDomain = org;
  auto txt = co_await resolver.txt(d.queriedName);
  if (dns::isTemporary(txt.status)) {
    d.verdict = Verdict::kTempError;
    d.problem = "TXT " + d.queriedName + ": " + dns::statusName(txt.status);
    co_return Step{d};
  }
  std::vector<std::string> records;
  if (txt.ok()) {
    for (const auto& t : txt.records) {
      if (isDmarcRecord(t)) records.push_back(t);
    }
  }
  if (records.empty()) co_return Step{};
  if (records.size() > 1) {
    d.verdict = Verdict::kMultipleRecords;
    d.problem = std::to_string(records.size()) + " DMARC records at " + d.queriedName +
                "; DMARC is not applied (RFC 7489 §6.6.3)";
    co_return Step{d};
  }
  auto rec = parseRecord(records[0]);
  if (!rec) {
    d.verdict = Verdict::kInvalidRecord;
    d.problem = d.queriedName + ": " + rec.error().message;
    co_return Step{d};
  }
  d.verdict = Verdict::kFound;
  d.record = std::move(rec).value();
  co_return Step{d};
}

std::string normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::kFound:
      return "found";
    case Verdict::kNone:
      return "none";
    case Verdict::kMultipleRecords:
      return "multiple-records";
    case Verdict::kInvalidRecord:
      return "invalid-record";
    case Verdict::kTempError:
      return "temperror";
  }
  return "?";
}

Policy Discovery::effectivePolicy() const {
  if (!record) return Policy::kNone;
  return atOrganizationalDomain ? record->subdomainPolicy() : record->p;
}

Task<Discovery> discoverDmarc(dns::Resolver& resolver, std::string fromDomain,
                              const PublicSuffixList& psl) {
  std::string from = normalize(fromDomain);
  auto first = co_await lookAt(resolver, from, false);
  if (first.decided) co_return *first.decided;
  std::string org = orgDomain(from, psl);
  if (org != from) {
    auto second = co_await lookAt(resolver, org, true);
    if (second.decided) co_return *second.decided;
  }
  Discovery none;
  none.verdict = Verdict::kNone;
  none.queriedName = "_dmarc." + (org != from ? org : from);
  none.policyDomain = from;
  none.problem = org != from ? "no DMARC record at _dmarc." + from + " nor _dmarc." + org
                             : "no DMARC record at _dmarc." + from;
  co_return none;
}

bool aligned(std::string_view fromDomain, std::string_view authDomain, AlignmentMode mode,
             const PublicSuffixList& psl) {
  std::string a = normalize(fromDomain), b = normalize(authDomain);
  if (a.empty() || b.empty()) return false;
  if (a == b) return true;
  if (mode == AlignmentMode::kStrict) return false;
  return orgDomain(a, psl) == orgDomain(b, psl);
}

AlignmentResult checkAlignment(const DmarcRecord& record, std::string_view fromDomain,
                               std::optional<std::string_view> spfPassDomain,
                               const std::vector<std::string>& dkimPassDomains,
                               const PublicSuffixList& psl) {
  AlignmentResult out;
  if (spfPassDomain) out.spf = aligned(fromDomain, *spfPassDomain, record.spfAlignment(), psl);
  for (const auto& d : dkimPassDomains) {
    if (aligned(fromDomain, d, record.dkimAlignment(), psl)) {
      out.dkim = true;
      out.dkimDomain = normalize(d);
      break;
    }
  }
  return out;
}

}  // namespace mailroom::dmarc
