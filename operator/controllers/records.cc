#include "operator/controllers/records.h"

#include <algorithm>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dmarc/record.h"
#include "lib/log/log.h"

namespace mailroom::controllers {
namespace {

void pushUnique(std::vector<std::string>& out, std::string v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
}

std::string zoneTxt(const std::string& value) {
  return dkim::renderZoneTxt(dkim::splitTxtStrings(value));
}

dmarc::Policy policyOf(const std::string& p) {
  if (p == "reject") return dmarc::Policy::kReject;
  if (p == "quarantine") return dmarc::Policy::kQuarantine;
  return dmarc::Policy::kNone;
}

dmarc::AlignmentMode alignmentOf(const std::string& a) {
  return a == "s" ? dmarc::AlignmentMode::kStrict : dmarc::AlignmentMode::kRelaxed;
}

}  // namespace

std::string renderSpf(const MailDomainSpec& spec) {
  // Mechanisms without DNS lookups first (RFC 7208 §4.6.4 limits lookups, not ip4/ip6), then
  // includes; the sending IPs are authorized even when the spf section names no ranges.
  std::vector<std::string> terms;
  for (const auto& ip : spec.sendingIPs) {
    if (ip.find(':') == std::string::npos) pushUnique(terms, "ip4:" + ip);
  }
  for (const auto& r : spec.spf.ip4) pushUnique(terms, "ip4:" + r);
  for (const auto& ip : spec.sendingIPs) {
    if (ip.find(':') != std::string::npos) pushUnique(terms, "ip6:" + ip);
  }
  for (const auto& r : spec.spf.ip6) pushUnique(terms, "ip6:" + r);
  for (const auto& d : spec.spf.includes) pushUnique(terms, "include:" + d);
  std::string out = "v=spf1";
  for (const auto& t : terms) out += " " + t;
  return out + " " + spec.spf.policy;
}

std::string renderDmarc(const DmarcSpec& d) {
  dmarc::DmarcRecord r;
  r.p = policyOf(d.policy);
  if (d.subdomainPolicy) r.sp = policyOf(*d.subdomainPolicy);
  r.pct = d.pct;
  for (const auto& uri : d.rua) r.rua.push_back({uri, std::nullopt, 0});
  for (const auto& uri : d.ruf) r.ruf.push_back({uri, std::nullopt, 0});
  if (d.adkim) r.adkim = alignmentOf(*d.adkim);
  if (d.aspf) r.aspf = alignmentOf(*d.aspf);
  return dmarc::renderRecord(r);
}

std::vector<DnsRecord> desiredRecords(const MailDomainSpec& spec, const DkimPublicKeys& keys) {
  std::vector<DnsRecord> out;
  out.push_back({spec.domain, "TXT", {zoneTxt(renderSpf(spec))}, "SPF", false});
  for (const auto& sel : spec.dkimSelectors) {
    DnsRecord r{sel.name + "._domainkey." + spec.domain, "TXT", {}, "DKIM", false};
    if (auto it = keys.find(sel.name); it != keys.end()) {
      r.values.push_back(zoneTxt(it->second));
    } else {
      // Stated in the value so that a table or status shows why nothing is published yet.
      r.pending = true;
      r.values.push_back("(pending: " + sel.algorithm + " key for selector " + sel.name +
                         " not generated yet)");
    }
    out.push_back(std::move(r));
  }
  out.push_back(
      {"_dmarc." + spec.domain, "TXT", {zoneTxt(renderDmarc(spec.dmarc))}, "DMARC", false});
  return out;
}

std::string formatRecordsText(const std::vector<DnsRecord>& records) {
  std::string out;
  for (const auto& r : records) {
    for (const auto& v : r.values) {
      out += r.name + " " + r.type + " " + r.purpose + (r.pending ? " pending " : " ") + v + "\n";
    }
  }
  return out;
}

std::string formatRecordsJson(const std::vector<DnsRecord>& records) {
  std::string out = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (i) out += ",";
    out += "{\"name\":";
    log::appendJsonString(out, r.name);
    out += ",\"type\":";
    log::appendJsonString(out, r.type);
    out += ",\"values\":[";
    for (size_t j = 0; j < r.values.size(); ++j) {
      if (j) out += ",";
      log::appendJsonString(out, r.values[j]);
    }
    out += "],\"purpose\":";
    log::appendJsonString(out, r.purpose);
    out += std::string(",\"pending\":") + (r.pending ? "true" : "false") + "}";
  }
  return out + "]\n";
}

}  // namespace mailroom::controllers
