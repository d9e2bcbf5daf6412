// The Webhook provider: a client of the external-dns webhook provider protocol (protocol.h), so
// that any external-dns webhook plugin (a community provider, or external-dns itself run with
// --webhook-server for one of its built-in providers) publishes Mailroom's records.
//
// records(): GET / once (the plugin's domain filter; a zone outside it is ZoneNotFound), then
// GET /records, keeping the TXT endpoints in the zone. applyChanges(): the planned changes as
// whole RRsets, built by value from the endpoints just read — a new RRset is "create", an RRset
// that goes away "delete" (exactly as read), a changed one "updateOld" (as read) +
// "updateNew" — passed through POST /adjustendpoints (a plugin that drops or alters one of them
// refuses it: ProviderRejectedChange), then one POST /records. Plugins write whole RRsets, so a
// write by someone else to the same RRset between our read and our write is lost, as with the
// PowerDNS provider; the window is one GET and one POST. Every response's Content-Type must be
// exactly the protocol's media type. An optional bearer token (the Secret) goes in
// Authorization, for plugins behind an authenticating proxy; it is never in messages.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "operator/dns/http/http_client.h"
#include "operator/dns/provider.h"
#include "operator/dns/providers/webhook/protocol.h"

namespace mailroom::dnspub::webhook {

struct WebhookConfig {
  std::string bearerToken;  // "" = no Authorization header
};

class WebhookProvider final : public Provider {
 public:
  WebhookProvider(WebhookConfig config, HttpClient& http)
      : config_(std::move(config)), http_(http) {}
  std::string name() const override { return "Webhook"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  HttpResponse send(const std::string& method, const std::string& path, std::string body = "");
  // nullopt when r is a 2xx answer of the protocol's media type (any type for 204).
  std::optional<ProviderError> check(const HttpResponse& r, const std::string& what) const;
  std::optional<ProviderError> negotiate(const std::string& zone);

  WebhookConfig config_;
  HttpClient& http_;
  std::optional<DomainFilter> filter_;
  std::map<RecordKey, Endpoint> lastRead_;
  std::string lastReadZone_;
};

}  // namespace mailroom::dnspub::webhook
