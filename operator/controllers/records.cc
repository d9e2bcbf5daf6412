#include "operator/controllers/records.h"

#include <algorithm>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dmarc/record.h"

namespace mailroom::controllers {
namespace {

void pushUnique(std::vector<std::string>& out, std::string v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
}

std::string zoneTxt(const std::string& value) {
  return dkim::renderZoneTxt(dkim::splitTxtStrings(value));
}

}  // namespace

std::string renderSpf(const api::MailDomainSpec& spec,
                      const std::vector<std::string>& transportAddresses) {
  // Mechanisms without DNS lookups first (RFC 7208 §4.6.4 limits lookups, not ip4/ip6), then
  // includes; the sending IPs are authorized even when the spf section names no ranges.
  std::vector<std::string> sending = spec.sendingIPs;
  sending.insert(sending.end(), transportAddresses.begin(), transportAddresses.end());
  std::vector<std::string> terms;
  for (const auto& ip : sending) {
    if (ip.find(':') == std::string::npos) pushUnique(terms, "ip4:" + ip);
  }
  for (const auto& r : spec.spf.ip4) pushUnique(terms, "ip4:" + r);
  for (const auto& ip : sending) {
    if (ip.find(':') != std::string::npos) pushUnique(terms, "ip6:" + ip);
  }
  for (const auto& r : spec.spf.ip6) pushUnique(terms, "ip6:" + r);
  for (const auto& d : spec.spf.includes) pushUnique(terms, "include:" + d);
  std::string out = "v=spf1";
  for (const auto& t : terms) out += " " + t;
  return out + " " + api::enumName(spec.spf.policy);
}

std::string renderDmarc(const api::DmarcSpec& d) {
  // Tags equal to RFC 7489's defaults (pct=100, adkim=r, aspf=r, sp = p) are left out: the API
  // server fills the CRD's defaults in, and a record should say only what differs.
  dmarc::DmarcRecord r;
  r.p = d.policy;
  if (d.subdomainPolicy && *d.subdomainPolicy != d.policy) r.sp = d.subdomainPolicy;
  if (d.pct && *d.pct != 100) r.pct = d.pct;
  for (const auto& uri : d.rua) r.rua.push_back({uri, std::nullopt, 0});
  for (const auto& uri : d.ruf) r.ruf.push_back({uri, std::nullopt, 0});
  if (d.adkim == dmarc::AlignmentMode::kStrict) r.adkim = d.adkim;
  if (d.aspf == dmarc::AlignmentMode::kStrict) r.aspf = d.aspf;
  return dmarc::renderRecord(r);
}

std::vector<DnsRecord> desiredRecords(const api::MailDomainSpec& spec, const DkimRecords& dkim,
                                      const std::vector<std::string>& transportAddresses) {
  std::vector<DnsRecord> out;
  out.push_back({spec.domain, "TXT", {renderSpf(spec, transportAddresses)}, "SPF", false});
  auto publish = [&](const DkimKeyRecord& k) {
    out.push_back({dkim::keyRecordName(k.selector, spec.domain), "TXT", {k.value}, "DKIM", false});
  };
  for (const auto& sel : spec.dkimSelectors) {
    bool any = false;
    for (const auto& k : dkim) {
      if (k.configuredSelector != sel.name) continue;
      publish(k);
      any = true;
    }
    if (!any) {
      // Stated in the value so that a table or status shows why nothing is published yet.
      out.push_back({dkim::keyRecordName(sel.name, spec.domain),
                     "TXT",
                     {"(pending: " + std::string(api::enumName(sel.algorithm)) +
                      " key for selector " + sel.name + " not generated yet)"},
                     "DKIM",
                     true});
    }
  }
  // Keys of selectors no longer in the spec stay published until they are revoked and deleted.
  for (const auto& k : dkim) {
    bool configured = false;
    for (const auto& sel : spec.dkimSelectors) configured |= sel.name == k.configuredSelector;
    if (!configured) publish(k);
  }
  out.push_back({"_dmarc." + spec.domain, "TXT", {renderDmarc(spec.dmarc)}, "DMARC", false});
  return out;
}

std::string formatRecordsText(const std::vector<DnsRecord>& records) {
  std::string out;
  for (const auto& r : records) {
    for (const auto& v : r.values) {
      out += r.name + " " + r.type + " " + r.purpose +
             (r.pending ? " pending " + v : " " + zoneTxt(v)) + "\n";
    }
  }
  return out;
}

std::string formatRecordsJson(const std::vector<DnsRecord>& records) {
  api::Json out = api::Json::array();
  for (const auto& r : records) {
    out.push_back({{"name", r.name},
                   {"type", r.type},
                   {"values", r.values},
                   {"purpose", r.purpose},
                   {"pending", r.pending}});
  }
  return out.dump() + "\n";
}

}  // namespace mailroom::controllers
