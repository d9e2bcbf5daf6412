// The Cloudflare provider over API v4 with an API token (Authorization: Bearer; the token needs
// Zone:Read and DNS:Edit on the zone). Cloudflare keeps every value of an RRset as a record of
// its own with an id, so changes are by value by nature:
//
//   records(): GET /zones/{id}/dns_records?type=TXT&page=N&per_page=100, every page
//   (result_info.total_pages); the zone id is spec.zoneID or GET /zones?name=<zone>.
//   applyChanges(): per change, a removed value paired with an added one is one PATCH of that
//   record's content (the name never goes without a value), other removals DELETE the record,
//   other additions POST a record. Only records holding values the plan removes are touched;
//   foreign records at the same name are never written. A record already deleted (404, 81044)
//   counts as removed and an identical record (81058) as added, so a retried sync converges.
//
// TXT content is written quoted (txt_presentation.h), as Cloudflare documents. No conditional
// writes exist: a PATCH of one of our records that someone else changed in between overwrites
// that record (only ours, by id); the next sync re-reads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "operator/dns/http/http_client.h"
#include "operator/dns/provider.h"
#include "operator/dns/providers/cloudflare/api.h"

namespace mailroom::dnspub::cloudflare {

inline constexpr std::string_view kDefaultEndpoint = "https://api.cloudflare.com";

struct CloudflareConfig {
  std::string apiToken;                      // never in messages
  std::string zoneId;                        // "" = look it up by name
  std::chrono::seconds rateLimitBackoff{5};  // when a 429 has no Retry-After
};

class CloudflareProvider final : public Provider {
 public:
  CloudflareProvider(CloudflareConfig config, HttpClient& http)
      : config_(std::move(config)), http_(http), zoneId_(config_.zoneId) {}
  std::string name() const override { return "Cloudflare"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  HttpResponse send(const std::string& method, const std::string& path, std::string body = "");
  ProviderError classify(const HttpResponse& r, const std::string& what) const;
  std::optional<ProviderError> resolveZone(const std::string& zone);
  // One write; nullopt when done (or already done).
  std::optional<ProviderError> write(const std::string& method, const std::string& path,
                                     std::string body, const std::string& what);

  CloudflareConfig config_;
  HttpClient& http_;
  std::string zoneId_;
  std::map<RecordKey, std::vector<CfRecord>> lastRead_;
  std::string lastReadZone_;
};

}  // namespace mailroom::dnspub::cloudflare
