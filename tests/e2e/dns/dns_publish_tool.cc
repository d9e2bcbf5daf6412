// The e2e driver of operator/dns against real servers: one Publisher::sync over the real
// client, printing the outcome as JSON (with the requests made: HTTP methods, or DNS opcodes)
// for the test scripts to assert. Not a product binary: the controller calls Publisher itself.
//
//   dns_publish_tool --api http://198.51.100.53:8081 --key-file F --zone example.org
//                    --owner cluster/namespace/name [--ttl 60] [--record NAME=VALUE]...
//   dns_publish_tool --provider rfc2136 --server 198.51.100.54:53 --tsig-key-name N
//                    --key-file F (base64 secret) [--tsig-algorithm hmac-sha256]
//                    [--between CMD] --zone ... --owner ... [--record NAME=VALUE]...
//   dns_publish_tool --provider route53 --api http://127.0.0.1:PORT --key-file F (id:secret)
//                    [--zone-id Z] [--between CMD] --zone ... --owner ... [--record ...]...
//   dns_publish_tool --provider webhook --api http://127.0.0.1:8888 [--key-file F (token)]
//                    --zone ... --owner ... [--record ...]...
//   dns_publish_tool --provider cloudflare --api http://127.0.0.1:PORT --key-file F (token)
//                    [--zone-id Z] --zone ... --owner ... [--record ...]...
//
// No --record: delete everything the owner published. --between runs CMD (sh -c) after the
// zone was read and before the write: a concurrent writer.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lib/auth/dkim/base64.h"
#include "operator/dns/http/cpprest_http_client.h"
#include "operator/dns/providers/cloudflare/cloudflare.h"
#include "operator/dns/providers/powerdns/powerdns.h"
#include "operator/dns/providers/rfc2136/rfc2136.h"
#include "operator/dns/providers/route53/route53.h"
#include "operator/dns/providers/webhook/webhook.h"
#include "operator/dns/publisher.h"

using namespace mailroom::dnspub;

namespace {

// Counts requests by method, to show that a sync in steady state writes nothing.
class CountingClient final : public HttpClient {
 public:
  explicit CountingClient(HttpClient& inner) : inner_(inner) {}
  std::string baseUrl() const override { return inner_.baseUrl(); }
  HttpResponse send(const HttpRequest& r) override {
    ++counts[r.method];
    return inner_.send(r);
  }
  std::map<std::string, int> counts;

 private:
  HttpClient& inner_;
};

// Counts DNS exchanges by opcode (AXFR reads, UPDATE writes).
class CountingTransport final : public rfc2136::DnsTransport {
 public:
  explicit CountingTransport(rfc2136::DnsTransport& inner) : inner_(inner) {}
  std::string server() const override { return inner_.server(); }
  std::optional<rfc2136::TransportError> exchange(
      const rfc2136::Bytes& q, const std::function<bool(const rfc2136::Bytes&)>& on) override {
    auto m = rfc2136::decode(q);
    ++counts[m && m->opcode == rfc2136::kOpcodeUpdate ? "UPDATE" : "AXFR"];
    return inner_.exchange(q, on);
  }
  std::map<std::string, int> counts;

 private:
  rfc2136::DnsTransport& inner_;
};

// Runs a command once, between the read of the zone and the write.
class RacingProvider final : public Provider {
 public:
  RacingProvider(Provider& inner, std::string cmd) : inner_(inner), cmd_(std::move(cmd)) {}
  std::string name() const override { return inner_.name(); }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override {
    return inner_.records(zone);
  }
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override {
    if (!cmd_.empty() && std::system(cmd_.c_str()) != 0) std::cerr << "--between failed\n";
    cmd_.clear();
    return inner_.applyChanges(zone, changes);
  }

 private:
  Provider& inner_;
  std::string cmd_;
};

std::optional<rfc2136::TsigAlgorithm> tsigAlgorithm(const std::string& name) {
  for (auto a : {rfc2136::TsigAlgorithm::kHmacSha1, rfc2136::TsigAlgorithm::kHmacSha256,
                 rfc2136::TsigAlgorithm::kHmacSha384, rfc2136::TsigAlgorithm::kHmacSha512})
    if (rfc2136::algorithmName(a) == name) return a;
  return std::nullopt;
}

int usage() {
  std::cerr << "usage: dns_publish_tool --api URL --key-file FILE --zone ZONE "
               "--owner CLUSTER/NS/NAME [--ttl N] [--record NAME=VALUE]...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string api, keyFile, zone, ownerText, providerKind = "powerdns", server, tsigKeyName,
                                             tsigAlg = "hmac-sha256", between, zoneId;
  uint32_t ttl = 60;
  std::map<std::string, RecordSet> records;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--api") {
      api = value;
    } else if (flag == "--provider") {
      providerKind = value;
    } else if (flag == "--server") {
      server = value;
    } else if (flag == "--tsig-key-name") {
      tsigKeyName = value;
    } else if (flag == "--tsig-algorithm") {
      tsigAlg = value;
    } else if (flag == "--zone-id") {
      zoneId = value;
    } else if (flag == "--between") {
      between = value;
    } else if (flag == "--key-file") {
      keyFile = value;
    } else if (flag == "--zone") {
      zone = value;
    } else if (flag == "--owner") {
      ownerText = value;
    } else if (flag == "--ttl") {
      ttl = static_cast<uint32_t>(std::stoul(value));
    } else if (flag == "--record") {
      auto eq = value.find('=');
      if (eq == std::string::npos) return usage();
      auto& rs = records[value.substr(0, eq)];
      rs.name = value.substr(0, eq);
      rs.type = "TXT";
      rs.values.push_back(value.substr(eq + 1));
    } else {
      return usage();
    }
  }
  bool isRfc2136 = providerKind == "rfc2136";
  if (argc % 2 == 0 || (isRfc2136 ? server.empty() : api.empty()) ||
      (keyFile.empty() && providerKind != "webhook") || zone.empty())
    return usage();
  Owner owner;
  {
    std::istringstream in(ownerText);
    std::getline(in, owner.cluster, '/');
    std::getline(in, owner.ns, '/');
    std::getline(in, owner.name);
  }
  std::ifstream kf(keyFile);
  std::string key;
  std::getline(kf, key);

  std::vector<RecordSet> desired;
  for (auto& [name, rs] : records) {
    rs.ttl = ttl;
    desired.push_back(rs);
  }
  CpprestHttpClient real({api, std::chrono::seconds(10), ""});
  CountingClient http(real);
  std::unique_ptr<Provider> provider;
  std::unique_ptr<rfc2136::TcpDnsTransport> tcp;
  std::unique_ptr<CountingTransport> dns;
  std::map<std::string, int>* counts = &http.counts;
  if (isRfc2136) {
    auto hp = rfc2136::parseServer(server);
    auto secret = mailroom::dkim::base64Decode(key);
    auto alg = tsigAlgorithm(tsigAlg);
    if (!hp || !secret || !alg) return usage();
    tcp = std::make_unique<rfc2136::TcpDnsTransport>(*hp, std::chrono::seconds(10));
    dns = std::make_unique<CountingTransport>(*tcp);
    counts = &dns->counts;
    rfc2136::TsigKey tsig{tsigKeyName, *alg, rfc2136::Bytes(secret->begin(), secret->end())};
    provider =
        std::make_unique<rfc2136::Rfc2136Provider>(rfc2136::Rfc2136Config{tsig, 300, {}}, *dns);
  } else if (providerKind == "webhook") {
    provider = std::make_unique<webhook::WebhookProvider>(webhook::WebhookConfig{key}, http);
  } else if (providerKind == "cloudflare") {
    provider = std::make_unique<cloudflare::CloudflareProvider>(
        cloudflare::CloudflareConfig{key, zoneId}, http);
  } else if (providerKind == "route53") {
    auto creds = route53::parseCredentials(key);
    if (!creds) return usage();
    route53::Route53Config cfg;
    cfg.credentials = *creds;
    cfg.hostedZoneId = zoneId;
    cfg.host = api.substr(api.find("://") + 3);
    provider = std::make_unique<route53::Route53Provider>(cfg, http);
  } else {
    provider = std::make_unique<powerdns::PowerDnsProvider>(
        powerdns::PowerDnsConfig{"localhost", key}, http);
  }
  RacingProvider racing(*provider, between);
  Publisher publisher(racing);
  auto outcome = publisher.sync(zone, desired, owner);

  auto cond = publishedCondition(outcome);
  nlohmann::json out = {
      {"ok", outcome.ok()},
      {"condition", {{"status", cond.status}, {"reason", cond.reason}, {"message", cond.message}}},
      {"requests", *counts},
  };
  if (outcome.ok()) {
    nlohmann::json conflicts = nlohmann::json::array();
    for (const auto& c : outcome->plan.conflicts)
      conflicts.push_back({{"name", c.key.name}, {"reason", c.reason}});
    out["applied"] = outcome->applied;
    out["changes"] = outcome->plan.changes.size();
    out["valuesAdded"] = outcome->plan.valuesAdded;
    out["valuesRemoved"] = outcome->plan.valuesRemoved;
    out["conflicts"] = conflicts;
  }
  std::cout << out.dump() << "\n";
  return 0;
}
