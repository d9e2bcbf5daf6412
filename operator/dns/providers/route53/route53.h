// The Route 53 provider over the REST/XML API 2013-04-01, every request signed with SigV4
// (sigv4.h; service "route53", region us-east-1 unless configured).
//
// records(): ListResourceRecordSets, page by page (NextRecordName/Type/Identifier), the TXT sets
// of simple routing. The hosted zone is spec.zoneID, or looked up once by name
// (ListHostedZonesByName, public zones only).
//
// applyChanges(): each planned change becomes, from the RRset as read, DELETE of the RRset as it
// was read (exact values and TTL) and CREATE of the result, or only CREATE for a new RRset, or
// only DELETE when nothing remains. Route 53 applies one ChangeResourceRecordSets request
// atomically and rejects a DELETE that does not match the RRset exactly and a CREATE of an RRset
// that exists, so a concurrent writer makes the batch fail (InvalidChangeBatch) instead of being
// clobbered, as UPSERT would. Batches stay within 1000 records and 32000 value characters
// (api.h); a pair is never split. Throttling (400 Throttling / PriorRequestNotComplete, 429,
// 503) is kRateLimited with Retry-After or a default backoff.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <string>

#include "operator/dns/http/http_client.h"
#include "operator/dns/provider.h"
#include "operator/dns/providers/route53/api.h"
#include "operator/dns/providers/route53/sigv4.h"

namespace mailroom::dnspub::route53 {

inline constexpr std::string_view kDefaultEndpoint = "https://route53.amazonaws.com";

struct Route53Config {
  AwsCredentials credentials;  // never in messages
  std::string hostedZoneId;    // "" = look it up by the zone's name
  std::string region = "us-east-1";
  std::string host = "route53.amazonaws.com";  // the Host header the client sends, signed
  std::function<std::time_t()> now;            // for X-Amz-Date (tests inject it)
  std::chrono::seconds throttleBackoff{2};     // when a throttled answer has no Retry-After
};

// "id:secret" or "id:secret:sessionToken" (the Secret's value).
Result<AwsCredentials> parseCredentials(std::string_view text);

class Route53Provider final : public Provider {
 public:
  Route53Provider(Route53Config config, HttpClient& http);
  std::string name() const override { return "Route53"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  HttpResponse send(const std::string& method, const std::string& path, const std::string& query,
                    std::string body = "");
  ProviderError classify(const HttpResponse& r, const std::string& what) const;
  std::optional<ProviderError> resolveZone(const std::string& zone);

  Route53Config config_;
  HttpClient& http_;
  std::string zoneId_;
  std::map<RecordKey, R53RRset> lastRead_;  // TXT sets of the last records() call
  std::string lastReadZone_;
};

}  // namespace mailroom::dnspub::route53
