// The e2e driver of operator/dns against a real PowerDNS: one Publisher::sync over the real
// cpprestsdk client, printing the outcome as JSON (with the HTTP requests made, by method) for
// dns_publish_test.sh to assert. Not a product binary: the controller calls Publisher itself.
//
//   dns_publish_tool --api http://198.51.100.53:8081 --key-file F --zone example.org
//                    --owner cluster/namespace/name [--ttl 60] [--record NAME=VALUE]...
//
// No --record: delete everything the owner published.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "operator/dns/http/cpprest_http_client.h"
#include "operator/dns/providers/powerdns/powerdns.h"
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

int usage() {
  std::cerr << "usage: dns_publish_tool --api URL --key-file FILE --zone ZONE "
               "--owner CLUSTER/NS/NAME [--ttl N] [--record NAME=VALUE]...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string api, keyFile, zone, ownerText;
  uint32_t ttl = 60;
  std::map<std::string, RecordSet> records;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--api") {
      api = value;
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
  if (argc % 2 == 0 || api.empty() || keyFile.empty() || zone.empty()) return usage();
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
  powerdns::PowerDnsProvider provider({"localhost", key}, http);
  Publisher publisher(provider);
  auto outcome = publisher.sync(zone, desired, owner);

  auto cond = publishedCondition(outcome);
  nlohmann::json out = {
      {"ok", outcome.ok()},
      {"condition", {{"status", cond.status}, {"reason", cond.reason}, {"message", cond.message}}},
      {"requests", http.counts},
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
