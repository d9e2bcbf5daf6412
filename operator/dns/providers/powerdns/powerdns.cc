#include "operator/dns/providers/powerdns/powerdns.h"

#include <algorithm>
#include <charconv>

#include "operator/dns/providers/powerdns/zone_json.h"
#include "operator/dns/txt_presentation.h"

namespace mailroom::dnspub::powerdns {

namespace {

std::string absolute(const std::string& name) {
  return normalizeName(name) + ".";
}

// The logical value of an enabled record, "" with ok=false for a disabled one.
std::optional<std::string> logicalValue(const PdnsRRset& rs, const PdnsRecord& rec) {
  if (rec.disabled) return std::nullopt;
  if (rs.type != "TXT") return rec.content;
  auto v = parseTxtContent(rec.content);
  return v ? *v : rec.content;  // unreadable content can match nothing of ours
}

std::vector<RecordSet> toRecordSets(const PdnsZone& zone) {
  std::vector<RecordSet> out;
  for (const auto& rs : zone.rrsets) {
    RecordSet set{normalizeName(rs.name), rs.type, rs.ttl, {}};
    for (const auto& rec : rs.records)
      if (auto v = logicalValue(rs, rec)) set.values.push_back(*v);
    if (!set.values.empty()) out.push_back(std::move(set));
  }
  return out;
}

// The RRset after change, applied by value to what the zone holds now.
PdnsRRset applyByValue(const PdnsRRset* now, const Change& change) {
  PdnsRRset out{absolute(change.key.name), change.key.type, change.ttl, {}};
  if (now) {
    out.ttl = now->ttl;
    for (const auto& rec : now->records) {
      auto v = logicalValue(*now, rec);
      bool removed =
          v && std::find(change.remove.begin(), change.remove.end(), *v) != change.remove.end();
      if (!removed) out.records.push_back(rec);
    }
  }
  for (const auto& v : change.add) {
    bool present =
        now && std::any_of(out.records.begin(), out.records.end(),
                           [&](const PdnsRecord& r) { return logicalValue(out, r) == v; });
    if (!present) out.records.push_back({renderTxtContent(v), false});
  }
  return out;
}

std::chrono::seconds parseRetryAfter(const std::string& s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && v > 0 ? std::chrono::seconds(std::min(v, 3600L))
                                    : std::chrono::seconds(0);
}

std::string clip(std::string s) {
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

}  // namespace

std::string PowerDnsProvider::zonePath(const std::string& zone) const {
  return "/api/v1/servers/" + config_.serverId + "/zones/" + absolute(zone);
}

HttpResponse PowerDnsProvider::send(const std::string& method, const std::string& path,
                                    std::string body) {
  HttpRequest req{method, path, {{"X-API-Key", config_.apiKey}}, std::move(body), ""};
  if (!req.body.empty()) req.contentType = "application/json";
  return http_.send(req);
}

ProviderError PowerDnsProvider::classify(const HttpResponse& r, const std::string& zone,
                                         const std::string& what) const {
  using R = ProviderErrorReason;
  std::string api = "the PowerDNS API at " + http_.baseUrl();
  ProviderError e;
  if (r.transport == HttpResponse::Transport::kTimeout) {
    e = {R::kTimeout, api + " did not answer " + what + " in time; retrying"};
  } else if (r.transport == HttpResponse::Transport::kFailed) {
    e = {R::kUnavailable, "cannot reach " + api + " (" + r.transportError + ") for " + what +
                              ": check the provider URL and that PowerDNS runs with api=yes and "
                              "webserver=yes, reachable from the operator"};
  } else if (r.status == 401 || r.status == 403) {
    e = {R::kUnauthorized, api + " refused the API key (HTTP " + std::to_string(r.status) +
                               ") for " + what +
                               ": check that the credentials Secret's apiKey "
                               "equals the server's api-key and that webserver-allow-from admits "
                               "the operator"};
  } else if (r.status == 404) {
    e = {R::kZoneNotFound, "zone " + absolute(zone) + " does not exist on PowerDNS server " +
                               config_.serverId +
                               " (HTTP 404): create it (pdnsutil create-zone) "
                               "or fix the MailDomain's DNS zone"};
  } else if (r.status == 429) {
    e = {R::kRateLimited, api + " is rate limiting (HTTP 429) " + what + "; retrying later"};
    e.retryAfter = parseRetryAfter(r.retryAfter);
  } else if (r.status >= 500) {
    e = {R::kUnavailable, api + " failed " + what + " (HTTP " + std::to_string(r.status) + ": " +
                              clip(errorMessage(r.body)) + "); retrying"};
  } else {
    e = {R::kRejected, api + " rejected " + what + " (HTTP " + std::to_string(r.status) + ": " +
                           clip(errorMessage(r.body)) + ")"};
  }
  if (!config_.apiKey.empty()) {  // a server that echoes the key must not put it in a condition
    for (size_t at; (at = e.message.find(config_.apiKey)) != std::string::npos;)
      e.message.replace(at, config_.apiKey.size(), "[redacted]");
  }
  return e;
}

ProviderResult<std::vector<RecordSet>> PowerDnsProvider::records(const std::string& zone) {
  auto what = "reading zone " + absolute(zone);
  auto r = send("GET", zonePath(zone));
  if (r.transport != HttpResponse::Transport::kOk || r.status != 200)
    return classify(r, zone, what);
  auto parsed = parseZone(r.body);
  if (!parsed) {
    return ProviderError{ProviderErrorReason::kBadResponse,
                         "the PowerDNS API at " + http_.baseUrl() + " answered " + what +
                             " with a zone Mailroom cannot read: " + parsed.error().message};
  }
  return toRecordSets(*parsed);
}

std::optional<ProviderError> PowerDnsProvider::applyChanges(const std::string& zone,
                                                            const std::vector<Change>& changes) {
  auto what = "reading zone " + absolute(zone);
  auto r = send("GET", zonePath(zone));
  if (r.transport != HttpResponse::Transport::kOk || r.status != 200)
    return classify(r, zone, what);
  auto now = parseZone(r.body);
  if (!now) {
    return ProviderError{ProviderErrorReason::kBadResponse,
                         "the PowerDNS API at " + http_.baseUrl() + " answered " + what +
                             " with a zone Mailroom cannot read: " + now.error().message};
  }
  std::vector<RRsetWrite> writes;
  for (const auto& c : changes) {
    auto it = std::find_if(now->rrsets.begin(), now->rrsets.end(), [&](const PdnsRRset& rs) {
      return normalizeName(rs.name) == c.key.name && rs.type == c.key.type;
    });
    const PdnsRRset* cur = it != now->rrsets.end() ? &*it : nullptr;
    PdnsRRset next = applyByValue(cur, c);
    if (cur && cur->records == next.records) continue;
    if (!cur && next.records.empty()) continue;
    auto kind = next.records.empty() ? RRsetWrite::Kind::kDelete : RRsetWrite::Kind::kReplace;
    writes.push_back({kind, std::move(next)});
  }
  if (writes.empty()) return std::nullopt;
  auto patch = send("PATCH", zonePath(zone), renderPatch(writes));
  if (patch.transport == HttpResponse::Transport::kOk && patch.status / 100 == 2)
    return std::nullopt;
  auto e =
      classify(patch, zone,
               "changing " + std::to_string(writes.size()) + " RRsets in zone " + absolute(zone));
  if (e.reason == ProviderErrorReason::kTimeout) {
    e.message += " (the change may have been applied; the next attempt re-reads the zone)";
  }
  return e;
}

}  // namespace mailroom::dnspub::powerdns
