// The MailDomain custom resource (group mailroom.dev, version v1alpha1; field names as in
// crds/mailroom.dev_maildomains.yaml) read from YAML or JSON (JSON is YAML 1.2) with yaml-cpp.
// Parsing checks what record rendering relies on (a domain, known algorithms and policies, IP
// literals); the API server's OpenAPI schema has already checked the rest. yaml-cpp exceptions
// stop here and become invalid-argument errors that name the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace YAML {
class Node;
}

namespace mailroom::controllers {

struct DkimSelectorSpec {
  std::string name;
  std::string algorithm = "rsa-sha256";  // or "ed25519-sha256"
  int keySize = 0;                       // RSA bits; 0: the default (2048)
  std::string rotationPeriod;            // "2160h"; empty: never rotated
};

struct SpfSpec {
  std::string policy = "~all";  // or "-all"
  std::vector<std::string> includes, ip4, ip6;
};

struct DmarcSpec {
  std::string policy = "none";
  std::optional<std::string> subdomainPolicy;
  std::optional<int> pct;
  std::vector<std::string> rua, ruf;
  std::optional<std::string> adkim, aspf;  // "r" or "s"
};

struct DnsProviderRef {
  std::string kind;  // PowerDNS, RFC2136, Cloudflare, Route53, AlibabaCloud, Webhook
  std::string zone;
  std::string secretName, secretKey;
};

struct MailDomainSpec {
  std::string domain;
  std::optional<DnsProviderRef> dnsProvider;
  std::vector<DkimSelectorSpec> dkimSelectors;
  SpfSpec spf;
  DmarcSpec dmarc;
  std::vector<std::string> sendingIPs;
};

// The object's identity and spec; status is read separately by the controller.
struct MailDomain {
  std::string name, namespace_;
  int64_t generation = 0;
  MailDomainSpec spec;
};

Result<MailDomainSpec> parseMailDomainSpec(const YAML::Node& spec);
// A whole object (apiVersion mailroom.dev/v1alpha1, kind MailDomain) as YAML or JSON text.
Result<MailDomain> parseMailDomain(std::string_view text);
Result<MailDomain> parseMailDomain(const YAML::Node& object);

}  // namespace mailroom::controllers
