#include "operator/controllers/dns_publishing.h"

#include "lib/auth/dkim/base64.h"
#include "operator/dns/http/cpprest_http_client.h"
#include "operator/dns/providers/cloudflare/cloudflare.h"
#include "operator/dns/providers/powerdns/powerdns.h"
#include "operator/dns/providers/rfc2136/rfc2136.h"
#include "operator/dns/providers/route53/route53.h"
#include "operator/dns/providers/webhook/webhook.h"

namespace mailroom::controllers {

namespace {

dnspub::rfc2136::TsigAlgorithm tsigAlgorithm(std::optional<api::TsigAlgorithm> a) {
  using T = dnspub::rfc2136::TsigAlgorithm;
  switch (a.value_or(api::TsigAlgorithm::kHmacSha256)) {
    case api::TsigAlgorithm::kHmacSha1:
      return T::kHmacSha1;
    case api::TsigAlgorithm::kHmacSha384:
      return T::kHmacSha384;
    case api::TsigAlgorithm::kHmacSha512:
      return T::kHmacSha512;
    case api::TsigAlgorithm::kHmacSha256:
      break;
  }
  return T::kHmacSha256;
}

// RFC2136: server host[:port], tsigKeyName, tsigAlgorithm; the Secret's value is the key's
// base64 secret (as tsig-keygen prints it).
std::variant<ProviderHandle, ProviderSetupError> makeRfc2136(const api::DnsProviderSpec& spec,
                                                             const std::string& secretText,
                                                             std::chrono::seconds timeout) {
  auto server = dnspub::rfc2136::parseServer(spec.server);
  if (!server)
    return ProviderSetupError{"InvalidProvider",
                              "dnsProvider.server is required for RFC2136: the primary's "
                              "host[:port] (port 53 by default)"};
  if (spec.tsigKeyName.empty() || !spec.credentialsSecretRef)
    return ProviderSetupError{"InvalidProvider",
                              "RFC2136 needs dnsProvider.tsigKeyName and a credentialsSecretRef "
                              "naming the TSIG key's base64 secret"};
  auto secret = dkim::base64Decode(secretText);
  if (!secret || secret->empty())
    return ProviderSetupError{"CredentialsNotReadable",
                              "the credentials Secret's value is not a base64 TSIG secret "
                              "(tsig-keygen prints one)"};
  struct Owned {
    Owned(dnspub::rfc2136::HostPort hp, std::chrono::seconds t) : transport(std::move(hp), t) {}
    dnspub::rfc2136::TcpDnsTransport transport;
    std::optional<dnspub::rfc2136::Rfc2136Provider> provider;
  };
  auto owned = std::make_shared<Owned>(*server, timeout);
  dnspub::rfc2136::TsigKey key{spec.tsigKeyName, tsigAlgorithm(spec.tsigAlgorithm),
                               dnspub::rfc2136::Bytes(secret->begin(), secret->end())};
  owned->provider.emplace(dnspub::rfc2136::Rfc2136Config{std::move(key), 300, {}},
                          owned->transport);
  return ProviderHandle{owned, &*owned->provider};
}

// Route53: url (default the AWS endpoint; moto and other stand-ins set it), zoneID (else looked
// up by the zone's name), region (default us-east-1, Route 53's signing region); the Secret's
// value is "accessKeyId:secretAccessKey".
std::variant<ProviderHandle, ProviderSetupError> makeRoute53(const api::DnsProviderSpec& spec,
                                                             const std::string& secretText,
                                                             std::chrono::seconds timeout) {
  auto creds = dnspub::route53::parseCredentials(secretText);
  if (!creds)
    return ProviderSetupError{"CredentialsNotReadable",
                              "the credentials Secret's value for Route53 must be "
                              "'accessKeyId:secretAccessKey': " +
                                  creds.error().message};
  std::string url = spec.url.empty() ? std::string(dnspub::route53::kDefaultEndpoint) : spec.url;
  auto scheme = url.find("://");
  if (scheme == std::string::npos)
    return ProviderSetupError{"InvalidProvider", "dnsProvider.url is not a URL: " + url};
  std::string host = url.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  struct Owned {
    explicit Owned(dnspub::CpprestHttpClientConfig c) : http(std::move(c)) {}
    dnspub::CpprestHttpClient http;
    std::optional<dnspub::route53::Route53Provider> provider;
  };
  auto owned = std::make_shared<Owned>(dnspub::CpprestHttpClientConfig{url, timeout, ""});
  dnspub::route53::Route53Config config;
  config.credentials = std::move(creds).value();
  config.hostedZoneId = spec.zoneID;
  if (!spec.region.empty()) config.region = spec.region;
  config.host = host;
  owned->provider.emplace(std::move(config), owned->http);
  return ProviderHandle{owned, &*owned->provider};
}

// Cloudflare: url (default the API's), zoneID (else looked up by name); the Secret's value is an
// API token.
std::variant<ProviderHandle, ProviderSetupError> makeCloudflare(const api::DnsProviderSpec& spec,
                                                                const std::string& token,
                                                                std::chrono::seconds timeout) {
  if (token.empty())
    return ProviderSetupError{"InvalidProvider",
                              "Cloudflare needs a credentialsSecretRef naming an API token"};
  std::string url = spec.url.empty() ? std::string(dnspub::cloudflare::kDefaultEndpoint) : spec.url;
  struct Owned {
    explicit Owned(dnspub::CpprestHttpClientConfig c) : http(std::move(c)) {}
    dnspub::CpprestHttpClient http;
    std::optional<dnspub::cloudflare::CloudflareProvider> provider;
  };
  auto owned = std::make_shared<Owned>(dnspub::CpprestHttpClientConfig{url, timeout, ""});
  owned->provider.emplace(dnspub::cloudflare::CloudflareConfig{token, spec.zoneID}, owned->http);
  return ProviderHandle{owned, &*owned->provider};
}

// Webhook: url of an external-dns webhook plugin; the Secret, if named, holds a bearer token.
std::variant<ProviderHandle, ProviderSetupError> makeWebhook(const api::DnsProviderSpec& spec,
                                                             const std::string& token,
                                                             std::chrono::seconds timeout) {
  if (spec.url.empty())
    return ProviderSetupError{"InvalidProvider",
                              "dnsProvider.url is required for Webhook: the external-dns webhook "
                              "plugin's address (http://localhost:8888 for a sidecar)"};
  struct Owned {
    explicit Owned(dnspub::CpprestHttpClientConfig c) : http(std::move(c)) {}
    dnspub::CpprestHttpClient http;
    std::optional<dnspub::webhook::WebhookProvider> provider;
  };
  auto owned = std::make_shared<Owned>(dnspub::CpprestHttpClientConfig{spec.url, timeout, ""});
  owned->provider.emplace(dnspub::webhook::WebhookConfig{token}, owned->http);
  return ProviderHandle{owned, &*owned->provider};
}

}  // namespace

std::string zoneOf(const api::MailDomainSpec& spec) {
  return dnspub::normalizeName(
      spec.dnsProvider && !spec.dnsProvider->zone.empty() ? spec.dnsProvider->zone : spec.domain);
}

std::vector<dnspub::RecordSet> recordSets(const std::vector<DnsRecord>& records, uint32_t ttl) {
  std::vector<dnspub::RecordSet> out;
  for (const auto& r : records) {
    if (r.pending) continue;
    out.push_back({dnspub::normalizeName(r.name), r.type, ttl, r.values});
  }
  return out;
}

PublishOutcome toOutcome(const dnspub::ProviderResult<dnspub::SyncReport>& result) {
  auto c = dnspub::publishedCondition(result);
  PublishOutcome out{c.status, c.reason, c.message, false, {}};
  if (!result) {
    out.temporary = dnspub::isTemporary(result.error().reason);
    return out;
  }
  for (const auto& conflict : result->plan.conflicts)
    out.conflictedNames.push_back(conflict.key.name);
  // A stable message: the count of values changed belongs in the log, not in the condition,
  // which would otherwise change (and be written) once more after every write.
  if (c.status == "True") out.message = "every record is published";
  return out;
}

PublishOutcome toOutcome(const ProviderSetupError& error) {
  return {"False", error.reason, error.message, false, {}};
}

std::variant<std::string, ProviderSetupError> KubeProviderFactory::credential(
    const api::DnsProviderSpec& spec, const std::string& ns) {
  if (!spec.credentialsSecretRef) return std::string();
  const auto& ref = *spec.credentialsSecretRef;
  const std::string where = "Secret " + ns + "/" + ref.name + " key " + ref.key;
  auto resp = api_.get("/api/v1/namespaces/" + ns + "/secrets/" + ref.name);
  if (!resp)
    return ProviderSetupError{"CredentialsNotReadable", where + ": " + resp.error().message};
  if (resp->code == 404)
    return ProviderSetupError{"CredentialsNotFound",
                              where + " does not exist: create it with the provider's credential"};
  if (!resp->ok())
    return ProviderSetupError{"CredentialsNotReadable", kube::apiError(*resp).message};
  auto secret = api::parseJson(resp->body);
  if (!secret || !secret->is_object() || !secret->contains("data") ||
      !(*secret)["data"].contains(ref.key) || !(*secret)["data"][ref.key].is_string())
    return ProviderSetupError{"CredentialsNotFound", where + " is missing"};
  auto value = dkim::base64Decode((*secret)["data"][ref.key].get<std::string>());
  if (!value) return ProviderSetupError{"CredentialsNotFound", where + " is not base64 data"};
  // A trailing newline from `kubectl create secret --from-file` is not part of the credential.
  while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
  return std::move(value).value();
}

std::variant<ProviderHandle, ProviderSetupError> KubeProviderFactory::make(
    const api::DnsProviderSpec& spec, const std::string& ns) {
  if (spec.kind == api::DnsProviderKind::kRfc2136) {
    auto secret = credential(spec, ns);
    if (auto* e = std::get_if<ProviderSetupError>(&secret)) return *e;
    return makeRfc2136(spec, std::get<std::string>(secret), timeout_);
  }
  if (spec.kind == api::DnsProviderKind::kRoute53) {
    auto secret = credential(spec, ns);
    if (auto* e = std::get_if<ProviderSetupError>(&secret)) return *e;
    return makeRoute53(spec, std::get<std::string>(secret), timeout_);
  }
  if (spec.kind == api::DnsProviderKind::kCloudflare) {
    auto secret = credential(spec, ns);
    if (auto* e = std::get_if<ProviderSetupError>(&secret)) return *e;
    return makeCloudflare(spec, std::get<std::string>(secret), timeout_);
  }
  if (spec.kind == api::DnsProviderKind::kWebhook) {
    auto secret = credential(spec, ns);
    if (auto* e = std::get_if<ProviderSetupError>(&secret)) return *e;
    return makeWebhook(spec, std::get<std::string>(secret), timeout_);
  }
  if (spec.kind != api::DnsProviderKind::kPowerDns) {
    return ProviderSetupError{
        "ProviderNotSupported",
        std::string("dnsProvider.kind ") + api::enumName(spec.kind) +
            " is not implemented by this operator yet; publish status.records by hand"};
  }
  if (spec.url.empty())
    return ProviderSetupError{"InvalidProvider",
                              "dnsProvider.url is required for PowerDNS (its API base URL)"};
  auto key = credential(spec, ns);
  if (auto* e = std::get_if<ProviderSetupError>(&key)) return *e;
  struct Owned {
    explicit Owned(dnspub::CpprestHttpClientConfig c) : http(std::move(c)) {}
    dnspub::CpprestHttpClient http;
    std::optional<dnspub::powerdns::PowerDnsProvider> provider;
  };
  auto owned = std::make_shared<Owned>(dnspub::CpprestHttpClientConfig{spec.url, timeout_, ""});
  owned->provider.emplace(
      dnspub::powerdns::PowerDnsConfig{spec.serverID, std::get<std::string>(key)}, owned->http);
  return ProviderHandle{owned, &*owned->provider};
}

}  // namespace mailroom::controllers
