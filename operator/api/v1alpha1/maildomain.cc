#include "operator/api/v1alpha1/maildomain.h"

#include <arpa/inet.h>

#include <set>

namespace mailroom::api {
namespace {

// spec.dkim is an object with one list; the C++ spec flattens it.
struct DkimBlock {
  std::vector<DkimSelectorSpec> selectors;
};
void decodeFields(FieldReader& r, DkimBlock& v) {
  r.optional("selectors", v.selectors);
}
void encodeFields(FieldWriter& w, const DkimBlock& v) {
  w.field("selectors", v.selectors);
}

// "198.51.100.0/28" or "2001:db8::/32": an address of the family with an optional prefix.
bool isCidr(const std::string& s, int family) {
  auto slash = s.find('/');
  std::string addr = s.substr(0, slash);
  unsigned char buf[16];
  if (inet_pton(family, addr.c_str(), buf) != 1) return false;
  if (slash == std::string::npos) return true;
  std::string len = s.substr(slash + 1);
  if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos)
    return false;
  return std::stoi(len) <= (family == AF_INET ? 32 : 128);
}

bool isIp(const std::string& s) {
  return s.find('/') == std::string::npos && (isCidr(s, AF_INET) || isCidr(s, AF_INET6));
}

}  // namespace

void decodeFields(FieldReader& r, SecretKeyRef& v) {
  r.required("name", v.name);
  r.optional("key", v.key);
}
void encodeFields(FieldWriter& w, const SecretKeyRef& v) {
  w.field("name", v.name);
  w.field("key", v.key);
}

void decodeFields(FieldReader& r, DnsProviderSpec& v) {
  r.required("kind", v.kind);
  r.optional("zone", v.zone);
  r.optional("credentialsSecretRef", v.credentialsSecretRef);
  r.optional("url", v.url);
  r.optional("server", v.server);
  r.optional("serverID", v.serverID);
  r.optional("tsigKeyName", v.tsigKeyName);
  r.optional("tsigAlgorithm", v.tsigAlgorithm);
  r.optional("zoneID", v.zoneID);
  r.optional("region", v.region);
}
void encodeFields(FieldWriter& w, const DnsProviderSpec& v) {
  w.field("kind", v.kind);
  w.field("zone", v.zone);
  w.field("credentialsSecretRef", v.credentialsSecretRef);
  w.field("url", v.url);
  w.field("server", v.server);
  w.field("serverID", v.serverID);
  w.field("tsigKeyName", v.tsigKeyName);
  w.field("tsigAlgorithm", v.tsigAlgorithm);
  w.field("zoneID", v.zoneID);
  w.field("region", v.region);
}

void decodeFields(FieldReader& r, DkimSelectorSpec& v) {
  r.required("name", v.name);
  r.optional("algorithm", v.algorithm);
  r.optional("keySize", v.keySize);
  r.optional("rotationPeriod", v.rotationPeriod);
}
void encodeFields(FieldWriter& w, const DkimSelectorSpec& v) {
  w.field("name", v.name);
  w.field("algorithm", v.algorithm);
  w.field("keySize", v.keySize);
  w.field("rotationPeriod", v.rotationPeriod);
}

void decodeFields(FieldReader& r, SpfSpec& v) {
  r.optional("policy", v.policy);
  r.optional("includes", v.includes);
  r.optional("ip4", v.ip4);
  r.optional("ip6", v.ip6);
}
void encodeFields(FieldWriter& w, const SpfSpec& v) {
  w.field("policy", v.policy);
  w.field("includes", v.includes);
  w.field("ip4", v.ip4);
  w.field("ip6", v.ip6);
}

void decodeFields(FieldReader& r, DmarcSpec& v) {
  r.optional("policy", v.policy);
  r.optional("subdomainPolicy", v.subdomainPolicy);
  r.optional("pct", v.pct);
  r.optional("rua", v.rua);
  r.optional("ruf", v.ruf);
  r.optional("adkim", v.adkim);
  r.optional("aspf", v.aspf);
}
void encodeFields(FieldWriter& w, const DmarcSpec& v) {
  w.field("policy", v.policy);
  w.field("subdomainPolicy", v.subdomainPolicy);
  w.field("pct", v.pct);
  w.field("rua", v.rua);
  w.field("ruf", v.ruf);
  w.field("adkim", v.adkim);
  w.field("aspf", v.aspf);
}

void decodeFields(FieldReader& r, LocalObjectRef& v) {
  r.required("name", v.name);
}
void encodeFields(FieldWriter& w, const LocalObjectRef& v) {
  w.field("name", v.name);
}

void decodeFields(FieldReader& r, MailDomainSpec& v) {
  r.required("domain", v.domain);
  r.optional("dnsProvider", v.dnsProvider);
  std::optional<DkimBlock> dkim;
  r.optional("dkim", dkim);
  if (dkim) v.dkimSelectors = std::move(dkim->selectors);
  r.optional("spf", v.spf);
  r.optional("dmarc", v.dmarc);
  r.optional("sendingIPs", v.sendingIPs);
  r.optional("transportRefs", v.transportRefs);
}
void encodeFields(FieldWriter& w, const MailDomainSpec& v) {
  w.field("domain", v.domain);
  w.field("dnsProvider", v.dnsProvider);
  if (!v.dkimSelectors.empty()) w.field("dkim", DkimBlock{v.dkimSelectors});
  w.field("spf", v.spf);
  w.field("dmarc", v.dmarc);
  w.field("sendingIPs", v.sendingIPs);
  w.field("transportRefs", v.transportRefs);
}

void decodeFields(FieldReader& r, StatusRecord& v) {
  r.required("name", v.name);
  r.required("type", v.type);
  r.optional("values", v.values);
  r.required("purpose", v.purpose);
  r.optional("published", v.published);
  r.optional("ttl", v.ttl);
}
void encodeFields(FieldWriter& w, const StatusRecord& v) {
  w.field("name", v.name);
  w.field("type", v.type);
  w.field("values", v.values);
  w.field("purpose", v.purpose);
  w.field("published", v.published);
  w.field("ttl", v.ttl);
}

void decodeFields(FieldReader& r, IpCheck& v) {
  r.required("ip", v.ip);
  r.optional("family", v.family);
  r.optional("ptr", v.ptr);
  r.optional("forwardConfirmed", v.forwardConfirmed);
  r.optional("matchesEhlo", v.matchesEhlo);
  r.optional("spf", v.spf);
  r.optional("listed", v.listed);
  r.optional("checkedAt", v.checkedAt);
}
void encodeFields(FieldWriter& w, const IpCheck& v) {
  w.field("ip", v.ip);
  w.field("family", v.family);
  w.field("ptr", v.ptr);
  w.field("forwardConfirmed", v.forwardConfirmed);
  w.field("matchesEhlo", v.matchesEhlo);
  w.field("spf", v.spf);
  w.field("listed", v.listed);
  w.field("checkedAt", v.checkedAt);
}

void decodeFields(FieldReader& r, DkimKeyStatus& v) {
  r.required("selector", v.selector);
  r.required("configuredSelector", v.configuredSelector);
  r.required("algorithm", v.algorithm);
  r.required("phase", v.phase);
  r.optional("createdAt", v.createdAt);
  r.optional("publishedAt", v.publishedAt);
  r.optional("activatedAt", v.activatedAt);
  r.optional("retiringAt", v.retiringAt);
  r.optional("revokedAt", v.revokedAt);
  r.required("secretName", v.secretName);
}
void encodeFields(FieldWriter& w, const DkimKeyStatus& v) {
  w.field("selector", v.selector);
  w.field("configuredSelector", v.configuredSelector);
  w.field("algorithm", v.algorithm);
  w.field("phase", v.phase);
  w.field("createdAt", v.createdAt);
  w.field("publishedAt", v.publishedAt);
  w.field("activatedAt", v.activatedAt);
  w.field("retiringAt", v.retiringAt);
  w.field("revokedAt", v.revokedAt);
  w.field("secretName", v.secretName);
}

void decodeFields(FieldReader& r, MailDomainStatus& v) {
  r.optional("observedGeneration", v.observedGeneration);
  r.optional("conditions", v.conditions);
  r.optional("records", v.records);
  r.optional("checks", v.checks);
  r.optional("dkimKeys", v.dkimKeys);
  r.optional("spf", v.spf);
  r.optional("dkim", v.dkim);
  r.optional("dmarc", v.dmarc);
  r.optional("ptr", v.ptr);
}
void encodeFields(FieldWriter& w, const MailDomainStatus& v) {
  if (v.observedGeneration) w.field("observedGeneration", v.observedGeneration);
  w.field("conditions", v.conditions);
  w.field("records", v.records);
  w.field("checks", v.checks);
  w.field("dkimKeys", v.dkimKeys);
  w.field("spf", v.spf);
  w.field("dkim", v.dkim);
  w.field("dmarc", v.dmarc);
  w.field("ptr", v.ptr);
}

void decodeFields(FieldReader& r, MailDomain& v) {
  decodeResourceFields(r, v);
}
void encodeFields(FieldWriter& w, const MailDomain& v) {
  encodeResourceFields(w, v);
}

Result<void> validate(const MailDomainSpec& spec) {
  DecodeErrors errors;
  if (spec.domain.empty()) errors.add("spec.domain", "required");
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.dkimSelectors.size(); ++i) {
    const auto& s = spec.dkimSelectors[i];
    std::string path = "spec.dkim.selectors[" + std::to_string(i) + "]";
    if (!seen.insert(s.name).second) errors.add(path + ".name", "duplicate selector " + s.name);
    if (s.keySize && s.algorithm != dkim::Algorithm::kRsaSha256)
      errors.add(path + ".keySize", "only with rsa-sha256");
  }
  auto each = [&](const std::vector<std::string>& list, const std::string& path, auto ok,
                  const char* want) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (!ok(list[i]))
        errors.add(path + "[" + std::to_string(i) + "]", "\"" + list[i] + "\" is not " + want);
    }
  };
  each(
      spec.spf.ip4, "spec.spf.ip4", [](const std::string& s) { return isCidr(s, AF_INET); },
      "an IPv4 address or network");
  each(
      spec.spf.ip6, "spec.spf.ip6", [](const std::string& s) { return isCidr(s, AF_INET6); },
      "an IPv6 address or network");
  each(spec.sendingIPs, "spec.sendingIPs", isIp, "an IP address");
  auto mailto = [](const std::string& s) { return s.rfind("mailto:", 0) == 0 && s.size() > 7; };
  each(spec.dmarc.rua, "spec.dmarc.rua", mailto, "a mailto: URI");
  each(spec.dmarc.ruf, "spec.dmarc.ruf", mailto, "a mailto: URI");
  if (spec.dmarc.pct && (*spec.dmarc.pct < 0 || *spec.dmarc.pct > 100))
    errors.add("spec.dmarc.pct", "must be between 0 and 100");
  if (!errors.empty()) return errors.error();
  return {};
}

}  // namespace mailroom::api
