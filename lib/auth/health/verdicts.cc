#include "lib/auth/health/verdicts.h"

#include <algorithm>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"
#include "lib/auth/health/dkim_key.h"

namespace mailroom::health {
namespace {

dns::Address unmapped(dns::Address ip) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

const char* family(const dns::Address& ip) {
  return familyName(dns::familyOf(unmapped(ip)));
}

// " (detail)" when the answer carried one.
std::string detailOf(const std::string& detail) {
  return detail.empty() ? "" : " (" + detail + ")";
}

std::string couldNotCheck(const std::string& what, dns::Status s, const std::string& detail) {
  return "could not check " + what + ": " + dns::statusName(s) + detailOf(detail) +
         "; nothing is known until the DNS server answers, try again";
}

CheckResult make(std::string check, std::string subject, Status status, std::string code,
                 std::string reason) {
  return {std::move(check), std::move(subject), status, std::move(code), std::move(reason)};
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// The value of tag in a "k=v; k=v" record (RFC 8461/8460 use RFC 6376-like tag lists), or
// nullopt. Tag names compare case-sensitively as both RFCs define them.
std::optional<std::string> tagValue(std::string_view record, std::string_view tag) {
  size_t pos = 0;
  while (pos < record.size()) {
    size_t end = record.find(';', pos);
    if (end == std::string_view::npos) end = record.size();
    std::string_view part = record.substr(pos, end - pos);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view name = part.substr(0, eq);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (name == tag) {
        std::string_view value = part.substr(eq + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
          value.remove_prefix(1);
        }
        return std::string(value);
      }
    }
    pos = end + 1;
  }
  return std::nullopt;
}

// The TXT records of an answer that start with version (a "v=STSv1" style tag).
std::vector<std::string> recordsWithVersion(const dns::Answer<std::string>& txt,
                                            std::string_view version) {
  std::vector<std::string> out;
  if (!txt.ok()) return out;
  for (const auto& t : txt.records) {
    auto v = tagValue(t, "v");
    if (v && *v == version && startsWithNoCase(t, "v=")) out.push_back(t);
  }
  return out;
}

}  // namespace

std::string spfTermFor(const dns::Address& raw) {
  auto ip = unmapped(raw);
  return (ip.is_v4() ? "ip4:" : "ip6:") + ip.to_string();
}

CheckResult spfVerdict(std::string_view domainView, const dns::Address& rawIp,
                       const spf::SpfResult& r) {
  const std::string domain(domainView);
  const auto ip = unmapped(rawIp);
  const std::string who = ip.to_string();
  const std::string code = spf::codeName(r.code);
  const std::string via = r.mechanism.empty() ? "" : " via " + r.mechanism;
  const std::string add = "add " + spfTermFor(ip) + " to the SPF record of " + domain;
  switch (r.code) {
    case spf::Code::kPass:
      return make("spf", who, Status::kPass, code,
                  "SPF for " + domain + " authorizes " + who + " (pass" + via + ")");
    case spf::Code::kFail:
      return make("spf", who, Status::kFail, code,
                  "SPF for " + domain + " does not authorize " + who + " (fail" + via +
                      "): receivers reject or junk its mail; " + add);
    case spf::Code::kSoftFail:
      return make("spf", who, Status::kFail, code,
                  "SPF for " + domain + " does not authorize " + who + " (softfail" + via +
                      "): mail is marked suspicious and DMARC cannot pass on SPF; " + add);
    case spf::Code::kNeutral:
      return make("spf", who, Status::kFail, code,
                  "SPF for " + domain + " makes no statement about " + who + " (neutral" + via +
                      "): DMARC cannot pass on SPF; " + add);
    case spf::Code::kNone:
      return make("spf", who, Status::kFail, code,
                  domain + " publishes no SPF record" +
                      (r.problem.empty() ? "" : " (" + r.problem + ")") +
                      ": receivers cannot tell whether " + who +
                      " may send for it; publish TXT \"v=spf1 " + spfTermFor(ip) + " -all\"");
    case spf::Code::kPermError:
      return make("spf", who, Status::kFail, code,
                  "SPF for " + domain + " is broken (permerror: " + r.problem +
                      "): receivers treat it as a failure for every sender; publish exactly one "
                      "valid v=spf1 record within 10 DNS lookups");
    case spf::Code::kTempError:
      return make(
          "spf", who, Status::kUnknown, code,
          "could not check SPF for " + domain + " and " + who + ": temperror" +
              (r.problem.empty() ? "" : " (" + r.problem + ")") +
              "; try again when the DNS server answers (receivers that meet the same failure "
              "defer the mail)");
  }
  return make("spf", who, Status::kUnknown, code, "unexpected SPF result " + code);
}

CheckResult ptrVerdict(const auth::ptr::PtrVerdict& v) {
  using auth::ptr::Outcome;
  const std::string who = v.ip.to_string();
  const std::string code = auth::ptr::outcomeName(v.outcome);
  switch (v.outcome) {
    case Outcome::kPass:
      return make("ptr", who, Status::kPass, code, v.reason);
    case Outcome::kNoPtr:
    case Outcome::kNotForwardConfirmed:
      return make("ptr", who, Status::kFail, code, v.reason);
    case Outcome::kEhloMismatch:
      // Most receivers only require FCrDNS (Gmail's 550 5.7.25 is about the PTR itself); a
      // different EHLO name costs reputation at some, so it is worth fixing but not a failure.
      return make("ptr", who, Status::kWarn, code, v.reason);
    case Outcome::kTempError:
      return make("ptr", who, Status::kUnknown, code, v.reason);
  }
  return make("ptr", who, Status::kUnknown, code, v.reason);
}

CheckResult dnsblVerdict(const dns::Address& rawIp, const auth::dnsbl::DnsblVerdict& v) {
  const auto ip = unmapped(rawIp);
  const std::string subject = ip.to_string() + " " + v.zone;
  if (v.tempError) {
    return make("dnsbl", subject, Status::kUnknown, "unknown",
                "could not check " + ip.to_string() + " on " + v.zone + ": " + v.meaning);
  }
  if (v.listed) {
    return make("dnsbl", subject, Status::kFail, "listed",
                std::string(family(ip)) + " " + ip.to_string() + " is listed on " + v.zone + " (" +
                    v.meaning + ")" + (v.txtReason.empty() ? "" : ": \"" + v.txtReason + "\"") +
                    "; receivers using this list reject its mail: find out why, stop the cause, "
                    "then request delisting from the list's operator");
  }
  return make("dnsbl", subject, Status::kPass, "notListed",
              ip.to_string() + " is not listed on " + v.zone);
}

CheckResult dkimVerdict(std::string_view domainView, const DkimSelector& sel,
                        const dns::Answer<std::string>& txt) {
  const std::string domain = dns::normalizeName(domainView);
  const std::string name = sel.selector + "._domainkey." + domain;
  const std::string subject = sel.selector;
  if (dns::isTemporary(txt.status)) {
    return make("dkim", subject, Status::kUnknown, "temperror",
                couldNotCheck("the DKIM key at " + name, txt.status, txt.detail));
  }
  std::vector<std::string> records;
  if (txt.ok()) records = txt.records;
  if (records.empty()) {
    return make("dkim", subject, Status::kFail, "missing",
                "no DKIM key record at " + name + " (" + dns::statusName(txt.status) +
                    "): signatures with selector " + sel.selector +
                    " fail to verify; publish the selector's public key as TXT there");
  }
  if (records.size() > 1) {
    return make("dkim", subject, Status::kFail, "multiple",
                std::to_string(records.size()) + " TXT records at " + name +
                    ": verifiers may pick any of them and fail; keep exactly one key record");
  }
  auto rec = dkim::parseKeyRecord(records[0]);
  if (!rec) {
    return make("dkim", subject, Status::kFail, "invalid",
                "the DKIM record at " + name + " does not parse (" + rec.error().message +
                    "): signatures fail to verify; republish it as \"v=DKIM1; k=rsa; p=...\"");
  }
  if (rec->revoked) {
    return make("dkim", subject, Status::kFail, "revoked",
                "the DKIM key at " + name + " is revoked (empty p=): signatures with selector " +
                    sel.selector +
                    " fail; sign with a current selector or publish the new key here");
  }
  auto published = publishedKey(*rec);
  if (!published) {
    return make("dkim", subject, Status::kFail, "invalid",
                "the DKIM record at " + name + " carries no usable key (" +
                    published.error().message + "); republish the selector's public key");
  }
  const std::string keyDesc =
      published->keyType == "rsa" ? "RSA " + std::to_string(published->bits) + "-bit" : "Ed25519";
  if (published->keyType == "rsa" && published->bits < dkim::kMinVerifyRsaBits) {
    return make("dkim", subject, Status::kFail, "weak",
                "the DKIM key at " + name + " is " + keyDesc +
                    ": verifiers must ignore RSA keys under 1024 bits (RFC 8301 §3.2); "
                    "publish a 2048-bit key");
  }
  std::string matchNote = " (no expected key given)";
  if (sel.expectedKey) {
    auto expected = parseExpectedKey(*sel.expectedKey);
    if (!expected) {
      return make("dkim", subject, Status::kUnknown, "badExpectedKey",
                  "could not compare the DKIM key at " + name + ": the expected key is unusable (" +
                      expected.error().message + ")");
    }
    if (!(*expected == *published)) {
      const std::string expDesc =
          expected->keyType == "rsa" ? "RSA " + std::to_string(expected->bits) + "-bit" : "Ed25519";
      return make("dkim", subject, Status::kFail, "mismatch",
                  "the key published at " + name + " (" + keyDesc +
                      ") is not the expected signing key (" + expDesc +
                      "): signatures fail to verify; publish the current public key there or "
                      "sign with the key that is published");
    }
    matchNote = ", equal to the expected key";
  }
  if (rec->testing) {
    return make("dkim", subject, Status::kWarn, "testing",
                "the DKIM key at " + name +
                    " is in testing mode (t=y): receivers may ignore "
                    "DKIM results for it; remove t=y once signatures verify" +
                    matchNote);
  }
  if (published->keyType == "rsa" && published->bits < dkim::kMinSignRsaBits) {
    return make("dkim", subject, Status::kWarn, "weak",
                "the DKIM key at " + name + " is " + keyDesc +
                    ": still accepted, but signers should use 2048 bits (RFC 8301 §3.2); rotate "
                    "to a 2048-bit key" +
                    matchNote);
  }
  return make("dkim", subject, Status::kPass, "pass",
              "DKIM key at " + name + ": " + keyDesc + matchNote);
}

CheckResult dmarcVerdict(std::string_view domainView, const dmarc::Discovery& d,
                         const std::vector<dns::Address>& ips, const std::vector<CheckResult>& spf,
                         const std::vector<CheckResult>& dkim, const dmarc::PublicSuffixList& psl) {
  using dmarc::Verdict;
  const std::string domain = dns::normalizeName(domainView);
  const std::string code = dmarc::verdictName(d.verdict);
  const std::string fix = "publish TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + domain +
                          "\" at _dmarc." + domain + " and tighten p= once reports are clean";
  switch (d.verdict) {
    case Verdict::kTempError:
      return make("dmarc", domain, Status::kUnknown, code,
                  "could not check DMARC for " + domain + ": " + d.problem +
                      "; try again when the DNS server answers");
    case Verdict::kNone:
      return make(
          "dmarc", domain, Status::kFail, code,
          d.problem + ": Gmail and Yahoo reject bulk mail from domains without DMARC; " + fix);
    case Verdict::kMultipleRecords:
    case Verdict::kInvalidRecord:
      return make("dmarc", domain, Status::kFail, code,
                  d.problem + ": receivers apply no DMARC policy; keep exactly one valid record (" +
                      fix + ")");
    case Verdict::kFound:
      break;
  }
  const auto& record = *d.record;
  const dmarc::Policy policy = d.effectivePolicy();
  std::string where = "DMARC p=" + std::string(dmarc::policyName(policy));
  if (d.atOrganizationalDomain) {
    where += " from _dmarc." + d.policyDomain + " (organizational domain of " + domain +
             (record.sp ? ", its sp=" : ", no sp= so p=") + " applies)";
  } else {
    where += " at " + d.queriedName;
  }
  // RFC 7489 §4.2: a message passes DMARC when SPF or DKIM passes for an aligned identifier.
  // Our mail uses the domain itself as MAIL FROM and d=, aligned under relaxed and strict modes
  // alike; checkAlignment keeps that honest if the identities ever differ.
  std::vector<std::string> dkimDomains;
  bool dkimUnknown = false;
  for (const auto& k : dkim) {
    if (k.status == Status::kPass || k.status == Status::kWarn) dkimDomains.push_back(domain);
    if (k.status == Status::kUnknown) dkimUnknown = true;
  }
  std::vector<std::string> noPath, unknownPath;
  for (size_t i = 0; i < ips.size() && i < spf.size(); ++i) {
    std::optional<std::string_view> spfDomain;
    if (spf[i].status == Status::kPass) spfDomain = domain;
    auto a = dmarc::checkAlignment(record, domain, spfDomain, dkimDomains, psl);
    if (a.pass()) continue;
    if (spf[i].status == Status::kUnknown || dkimUnknown) {
      unknownPath.push_back(unmapped(ips[i]).to_string());
    } else {
      noPath.push_back(unmapped(ips[i]).to_string());
    }
  }
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  const bool enforcing = policy != dmarc::Policy::kNone;
  if (!noPath.empty()) {
    std::string why =
        "mail from " + joined(noPath) + " passes neither SPF nor DKIM aligned with " + domain;
    if (enforcing) {
      return make("dmarc", domain, Status::kFail, code,
                  where + ": " + why + ", so receivers " +
                      (policy == dmarc::Policy::kReject ? "reject" : "quarantine") +
                      " it; authorize those IPs in SPF or publish a DKIM key for a selector you "
                      "sign with");
    }
    return make("dmarc", domain, Status::kWarn, code,
                where + " (monitoring only): " + why +
                    "; fix SPF or DKIM for them before moving to p=quarantine");
  }
  if (!unknownPath.empty()) {
    return make("dmarc", domain, Status::kUnknown, code,
                where + ", but whether mail from " + joined(unknownPath) +
                    " aligns could not be checked (SPF or DKIM lookups failed); try again");
  }
  std::string paths;
  if (!dkimDomains.empty()) paths = "DKIM";
  if (!ips.empty()) {
    size_t spfPass = 0;
    for (const auto& s : spf) spfPass += s.status == Status::kPass ? 1 : 0;
    if (spfPass > 0) {
      paths += std::string(paths.empty() ? "" : " and ") + "SPF (" + std::to_string(spfPass) +
               " of " + std::to_string(ips.size()) + " IPs)";
    }
  }
  std::string aligns = paths.empty() ? "" : "; aligned via " + paths;
  if (dkim.empty() && ips.empty()) aligns = "; alignment not checked (no IPs or selectors given)";
  if (!enforcing) {
    return make("dmarc", domain, Status::kWarn, code,
                where + aligns +
                    ": p=none only monitors, spoofed mail is still delivered; move to "
                    "p=quarantine or p=reject once the rua= reports are clean");
  }
  if (record.percent() < 100) {
    return make("dmarc", domain, Status::kWarn, code,
                where + " pct=" + std::to_string(record.percent()) + aligns +
                    ": the policy applies to only part of the failing mail; raise pct to 100");
  }
  return make("dmarc", domain, Status::kPass, code, where + aligns);
}

CheckResult mxVerdict(std::string_view domainView, const dns::Answer<dns::MxRecord>& mx) {
  const std::string domain = dns::normalizeName(domainView);
  if (dns::isTemporary(mx.status)) {
    return make("mx", domain, Status::kUnknown, "temperror",
                couldNotCheck("MX of " + domain, mx.status, mx.detail));
  }
  if (mx.status == dns::Status::kNxDomain) {
    return make("mx", domain, Status::kFail, "nxdomain",
                domain +
                    " does not exist in DNS (NXDOMAIN): receivers reject senders in "
                    "domains that do not exist; create the zone and its records");
  }
  if (!mx.ok() || mx.records.empty()) {
    return make("mx", domain, Status::kWarn, "noMx",
                domain +
                    " has no MX record: replies and bounces go to its A/AAAA address "
                    "(implicit MX, RFC 5321 §5.1) if it has one; publish an MX for the "
                    "host that receives its mail");
  }
  if (mx.records.size() == 1 && mx.records[0].host.empty()) {
    return make("mx", domain, Status::kWarn, "nullMx",
                domain +
                    " publishes a null MX (RFC 7505): it receives no mail, so bounces are "
                    "lost and some receivers reject its mail (RFC 7505 §4.2); publish a "
                    "real MX if replies should arrive");
  }
  auto sorted = mx.records;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.preference < b.preference; });
  std::string hosts;
  for (const auto& r : sorted) {
    hosts += (hosts.empty() ? "" : ", ") + std::to_string(r.preference) + " " + r.host;
  }
  return make("mx", domain, Status::kPass, "present", domain + " receives mail at MX " + hosts);
}

CheckResult mtaStsVerdict(std::string_view domainView, const dns::Answer<std::string>& txt) {
  const std::string domain = dns::normalizeName(domainView);
  const std::string name = "_mta-sts." + domain;
  if (dns::isTemporary(txt.status)) {
    return make("mta-sts", domain, Status::kUnknown, "temperror",
                couldNotCheck("MTA-STS at " + name, txt.status, txt.detail));
  }
  auto records = recordsWithVersion(txt, "STSv1");
  if (records.empty()) {
    return make("mta-sts", domain, Status::kWarn, "absent",
                "no MTA-STS record at " + name + " (optional; it protects mail sent TO " + domain +
                    " from TLS downgrade): publish TXT \"v=STSv1; id=<yyyymmddnn>\" and the policy "
                    "at https://mta-sts." +
                    domain + "/.well-known/mta-sts.txt");
  }
  if (records.size() > 1) {
    return make("mta-sts", domain, Status::kWarn, "multiple",
                std::to_string(records.size()) + " MTA-STS records at " + name +
                    ": senders treat that as no policy (RFC 8461 §3.1); keep one");
  }
  auto id = tagValue(records[0], "id");
  // RFC 8461 §3.1: id is 1 to 32 alphanumeric characters.
  bool idOk = id && !id->empty() && id->size() <= 32 &&
              std::all_of(id->begin(), id->end(),
                          [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  if (!idOk) {
    return make("mta-sts", domain, Status::kWarn, "invalid",
                "the MTA-STS record at " + name +
                    " lacks a valid id= (1-32 letters or digits, RFC 8461 §3.1): senders ignore "
                    "it; publish \"v=STSv1; id=<yyyymmddnn>\"");
  }
  return make("mta-sts", domain, Status::kPass, "present",
              "MTA-STS record at " + name + " (id=" + *id +
                  "); the policy file itself is not fetched by this check");
}

CheckResult tlsRptVerdict(std::string_view domainView, const dns::Answer<std::string>& txt) {
  const std::string domain = dns::normalizeName(domainView);
  const std::string name = "_smtp._tls." + domain;
  if (dns::isTemporary(txt.status)) {
    return make("tls-rpt", domain, Status::kUnknown, "temperror",
                couldNotCheck("TLS-RPT at " + name, txt.status, txt.detail));
  }
  auto records = recordsWithVersion(txt, "TLSRPTv1");
  if (records.empty()) {
    return make("tls-rpt", domain, Status::kWarn, "absent",
                "no TLS-RPT record at " + name +
                    " (optional; senders report TLS failures "
                    "delivering TO " +
                    domain +
                    " there): publish TXT \"v=TLSRPTv1; "
                    "rua=mailto:tls-reports@" +
                    domain + "\"");
  }
  if (records.size() > 1) {
    return make("tls-rpt", domain, Status::kWarn, "multiple",
                std::to_string(records.size()) + " TLS-RPT records at " + name +
                    ": reporters ignore them all (RFC 8460 §3); keep one");
  }
  auto rua = tagValue(records[0], "rua");
  if (!rua || rua->empty()) {
    return make("tls-rpt", domain, Status::kWarn, "invalid",
                "the TLS-RPT record at " + name +
                    " has no rua= (RFC 8460 §3): nobody receives the reports; add "
                    "rua=mailto:tls-reports@" +
                    domain);
  }
  return make("tls-rpt", domain, Status::kPass, "present",
              "TLS-RPT record at " + name + " reports to " + *rua);
}

}  // namespace mailroom::health
