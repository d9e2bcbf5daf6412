#include "operator/controllers/maildomain_spec.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <set>

namespace mailroom::controllers {
namespace {

Result<std::string> str(const YAML::Node& parent, const char* key, const std::string& path,
                        std::string fallback = {}) {
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return fallback;
  if (!n.IsScalar()) return Error::invalidArgument(path + "." + key + ": not a string");
  return n.as<std::string>();
}

Result<std::vector<std::string>> strList(const YAML::Node& parent, const char* key,
                                         const std::string& path) {
  std::vector<std::string> out;
  const YAML::Node n = parent[key];
  if (!n || n.IsNull()) return out;
  if (!n.IsSequence()) return Error::invalidArgument(path + "." + key + ": not a list");
  for (const auto& item : n) {
    if (!item.IsScalar()) return Error::invalidArgument(path + "." + key + ": not a string");
    out.push_back(item.as<std::string>());
  }
  return out;
}

bool oneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (v == a) return true;
  }
  return false;
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

Result<void> parseDkim(const YAML::Node& spec, MailDomainSpec& out) {
  const YAML::Node dkim = spec["dkim"];
  if (!dkim || !dkim.IsMap()) return {};
  const YAML::Node selectors = dkim["selectors"];
  if (!selectors || selectors.IsNull()) return {};
  if (!selectors.IsSequence()) return Error::invalidArgument("spec.dkim.selectors: not a list");
  std::set<std::string> seen;
  for (const auto& s : selectors) {
    DkimSelectorSpec sel;
    std::string path = "spec.dkim.selectors[" + std::to_string(out.dkimSelectors.size()) + "]";
    auto name = str(s, "name", path);
    auto algorithm = str(s, "algorithm", path, "rsa-sha256");
    auto rotation = str(s, "rotationPeriod", path);
    if (!name) return name.error();
    if (!algorithm) return algorithm.error();
    if (!rotation) return rotation.error();
    if (name->empty()) return Error::invalidArgument(path + ".name: required");
    if (!seen.insert(*name).second)
      return Error::invalidArgument(path + ".name: duplicate selector " + *name);
    if (!oneOf(*algorithm, {"rsa-sha256", "ed25519-sha256"}))
      return Error::invalidArgument(path + ".algorithm: unknown " + *algorithm);
    sel.name = *name;
    sel.algorithm = *algorithm;
    sel.rotationPeriod = *rotation;
    if (s["keySize"]) sel.keySize = s["keySize"].as<int>();
    out.dkimSelectors.push_back(std::move(sel));
  }
  return {};
}

Result<void> parseSpf(const YAML::Node& spec, MailDomainSpec& out) {
  const YAML::Node spf = spec["spf"];
  if (!spf || spf.IsNull()) return {};
  auto policy = str(spf, "policy", "spec.spf", "~all");
  auto includes = strList(spf, "includes", "spec.spf");
  auto ip4 = strList(spf, "ip4", "spec.spf");
  auto ip6 = strList(spf, "ip6", "spec.spf");
  if (!policy) return policy.error();
  if (!includes) return includes.error();
  if (!ip4) return ip4.error();
  if (!ip6) return ip6.error();
  if (!oneOf(*policy, {"~all", "-all"}))
    return Error::invalidArgument("spec.spf.policy: must be ~all or -all, not " + *policy);
  for (const auto& a : *ip4) {
    if (!isCidr(a, AF_INET)) return Error::invalidArgument("spec.spf.ip4: not IPv4: " + a);
  }
  for (const auto& a : *ip6) {
    if (!isCidr(a, AF_INET6)) return Error::invalidArgument("spec.spf.ip6: not IPv6: " + a);
  }
  out.spf = {*policy, *includes, *ip4, *ip6};
  return {};
}

Result<void> parseDmarc(const YAML::Node& spec, MailDomainSpec& out) {
  const YAML::Node d = spec["dmarc"];
  if (!d || d.IsNull()) return {};
  auto policy = str(d, "policy", "spec.dmarc", "none");
  auto sp = str(d, "subdomainPolicy", "spec.dmarc");
  auto adkim = str(d, "adkim", "spec.dmarc");
  auto aspf = str(d, "aspf", "spec.dmarc");
  auto rua = strList(d, "rua", "spec.dmarc");
  auto ruf = strList(d, "ruf", "spec.dmarc");
  for (const auto* r : {&policy, &sp, &adkim, &aspf}) {
    if (!*r) return r->error();
  }
  if (!rua) return rua.error();
  if (!ruf) return ruf.error();
  for (const auto* p : {&*policy, &*sp}) {
    if (!p->empty() && !oneOf(*p, {"none", "quarantine", "reject"}))
      return Error::invalidArgument("spec.dmarc: unknown policy " + *p);
  }
  for (const auto* a : {&*adkim, &*aspf}) {
    if (!a->empty() && !oneOf(*a, {"r", "s"}))
      return Error::invalidArgument("spec.dmarc: alignment must be r or s, not " + *a);
  }
  DmarcSpec out2;
  out2.policy = *policy;
  if (!sp->empty()) out2.subdomainPolicy = *sp;
  if (!adkim->empty()) out2.adkim = *adkim;
  if (!aspf->empty()) out2.aspf = *aspf;
  if (d["pct"]) {
    int pct = d["pct"].as<int>();
    if (pct < 0 || pct > 100) return Error::invalidArgument("spec.dmarc.pct: must be 0..100");
    out2.pct = pct;
  }
  out2.rua = *rua;
  out2.ruf = *ruf;
  for (const auto& uri : out2.rua) {
    if (uri.rfind("mailto:", 0) != 0) return Error::invalidArgument("spec.dmarc.rua: " + uri);
  }
  for (const auto& uri : out2.ruf) {
    if (uri.rfind("mailto:", 0) != 0) return Error::invalidArgument("spec.dmarc.ruf: " + uri);
  }
  out.dmarc = std::move(out2);
  return {};
}

Result<MailDomainSpec> parseSpecUnchecked(const YAML::Node& spec) {
  if (!spec.IsMap()) return Error::invalidArgument("spec: not an object");
  MailDomainSpec out;
  auto domain = str(spec, "domain", "spec");
  if (!domain) return domain.error();
  if (domain->empty()) return Error::invalidArgument("spec.domain: required");
  out.domain = *domain;
  if (const YAML::Node p = spec["dnsProvider"]; p && p.IsMap()) {
    DnsProviderRef ref;
    ref.kind = p["kind"].as<std::string>("");
    ref.zone = p["zone"].as<std::string>("");
    if (const YAML::Node secret = p["credentialsSecretRef"]; secret && secret.IsMap()) {
      ref.secretName = secret["name"].as<std::string>("");
      ref.secretKey = secret["key"].as<std::string>("credentials");
    }
    out.dnsProvider = ref;
  }
  for (auto step : {parseDkim, parseSpf, parseDmarc}) {
    if (auto r = step(spec, out); !r) return r.error();
  }
  auto ips = strList(spec, "sendingIPs", "spec");
  if (!ips) return ips.error();
  for (const auto& ip : *ips) {
    if (!isCidr(ip, AF_INET) && !isCidr(ip, AF_INET6))
      return Error::invalidArgument("spec.sendingIPs: not an IP address: " + ip);
    if (ip.find('/') != std::string::npos)
      return Error::invalidArgument("spec.sendingIPs: an address, not a range: " + ip);
  }
  out.sendingIPs = *ips;
  return out;
}

}  // namespace

Result<MailDomainSpec> parseMailDomainSpec(const YAML::Node& spec) {
  try {
    return parseSpecUnchecked(spec);
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("spec: ") + e.what());
  }
}

Result<MailDomain> parseMailDomain(const YAML::Node& object) {
  try {
    if (!object.IsMap()) return Error::invalidArgument("not an object");
    if (auto kind = object["kind"].as<std::string>(""); kind != "MailDomain")
      return Error::invalidArgument("kind: want MailDomain, got \"" + kind + "\"");
    if (auto api = object["apiVersion"].as<std::string>(""); api != "mailroom.dev/v1alpha1")
      return Error::invalidArgument("apiVersion: want mailroom.dev/v1alpha1, got \"" + api + "\"");
    MailDomain md;
    if (const YAML::Node meta = object["metadata"]; meta && meta.IsMap()) {
      md.name = meta["name"].as<std::string>("");
      md.namespace_ = meta["namespace"].as<std::string>("");
      md.generation = meta["generation"].as<int64_t>(0);
    }
    auto spec = parseMailDomainSpec(object["spec"]);
    if (!spec) return spec.error();
    md.spec = std::move(spec).value();
    return md;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(e.what());
  }
}

Result<MailDomain> parseMailDomain(std::string_view text) {
  try {
    return parseMailDomain(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("not YAML/JSON: ") + e.what());
  }
}

}  // namespace mailroom::controllers
