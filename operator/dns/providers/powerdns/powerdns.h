// The PowerDNS Authoritative provider over its HTTP API v1 (X-API-Key authentication):
// records() is GET /api/v1/servers/{server}/zones/{zone}; applyChanges() writes with one
// PATCH per call (PowerDNS applies a PATCH in one backend transaction: all RRsets or none).
//
// PowerDNS can only replace whole RRsets, while the plan changes values. So applyChanges reads
// the zone again, applies each change by value to the RRset as it is now (keeping every other
// record verbatim, disabled ones included, and the RRset's TTL) and REPLACEs it, or DELETEs it
// when nothing remains. A write by someone else between that GET and the PATCH (milliseconds)
// is lost; PowerDNS has no conditional write to prevent it. Our own values are repaired by the
// next reconcile, which re-reads the zone; a lost foreign write is not ours to know about, which
// is why the window is kept to one GET and one PATCH. TXT content is written quoted and split
// into 255-octet strings (txt_presentation.h).
#pragma once

#include <string>

#include "operator/dns/http/http_client.h"
#include "operator/dns/provider.h"

namespace mailroom::dnspub::powerdns {

struct PowerDnsConfig {
  std::string serverId = "localhost";
  std::string apiKey;  // sent as X-API-Key; never in messages
};

class PowerDnsProvider final : public Provider {
 public:
  PowerDnsProvider(PowerDnsConfig config, HttpClient& http)
      : config_(std::move(config)), http_(http) {}
  std::string name() const override { return "PowerDNS"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  std::string zonePath(const std::string& zone) const;
  HttpResponse send(const std::string& method, const std::string& path, std::string body = "");
  ProviderError classify(const HttpResponse& r, const std::string& zone,
                         const std::string& what) const;

  PowerDnsConfig config_;
  HttpClient& http_;
};

}  // namespace mailroom::dnspub::powerdns
