#include "operator/dns/providers/webhook/webhook.h"

#include <algorithm>

#include "operator/dns/txt_presentation.h"

namespace mailroom::dnspub::webhook {

namespace {

using R = ProviderErrorReason;

std::string logical(const std::string& target) {
  auto v = parseTxtContent(target);
  return v ? *v : target;  // an unquoted target is its own value
}

std::string clip(std::string s) {
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

}  // namespace

HttpResponse WebhookProvider::send(const std::string& method, const std::string& path,
                                   std::string body) {
  HttpRequest req{method, path, {{"Accept", std::string(kMediaType)}}, std::move(body), ""};
  if (!config_.bearerToken.empty())
    req.headers.emplace_back("Authorization", "Bearer " + config_.bearerToken);
  if (method == "POST") req.contentType = std::string(kMediaType);
  return http_.send(req);
}

std::optional<ProviderError> WebhookProvider::check(const HttpResponse& r,
                                                    const std::string& what) const {
  std::string api = "the external-dns webhook at " + http_.baseUrl();
  ProviderError e;
  if (r.transport == HttpResponse::Transport::kTimeout) {
    e = {R::kTimeout, api + " did not answer " + what + " in time; retrying"};
  } else if (r.transport == HttpResponse::Transport::kFailed) {
    e = {R::kUnavailable, "cannot reach " + api + " (" + r.transportError + ") for " + what +
                              ": check dnsProvider.url and that the plugin runs"};
  } else if (r.status == 401 || r.status == 403) {
    e = {R::kUnauthorized, api + " refused " + what + " (HTTP " + std::to_string(r.status) +
                               "): check the bearer token in the credentials Secret"};
  } else if (r.status == 429) {
    e = {R::kRateLimited, api + " is rate limiting " + what + "; retrying later"};
  } else if (r.status >= 500) {
    e = {R::kUnavailable, api + " failed " + what + " (HTTP " + std::to_string(r.status) +
                              "; the plugin's log says why); retrying"};
  } else if (r.status / 100 != 2) {
    e = {R::kRejected, api + " rejected " + what + " (HTTP " + std::to_string(r.status) + ": " +
                           clip(r.body) + ")"};
  } else if (r.status != 204 && r.contentType != kMediaType) {
    e = {R::kBadResponse, api + " answered " + what + " with Content-Type '" + clip(r.contentType) +
                              "', not '" + std::string(kMediaType) +
                              "': it is not an external-dns webhook provider of version 1"};
  } else {
    return std::nullopt;
  }
  if (!config_.bearerToken.empty())
    for (size_t at; (at = e.message.find(config_.bearerToken)) != std::string::npos;)
      e.message.replace(at, config_.bearerToken.size(), "[redacted]");
  return e;
}

std::optional<ProviderError> WebhookProvider::negotiate(const std::string& zone) {
  if (!filter_) {
    std::string what = "the negotiation (GET /)";
    auto r = send("GET", "/");
    if (auto e = check(r, what)) return e;
    auto f = parseDomainFilter(r.body);
    if (!f)
      return ProviderError{R::kBadResponse, "the external-dns webhook at " + http_.baseUrl() +
                                                " answered " + what +
                                                " unreadably: " + f.error().message};
    filter_ = std::move(f).value();
  }
  if (!filter_->matches(zone))
    return ProviderError{R::kZoneNotFound, "the external-dns webhook at " + http_.baseUrl() +
                                               " does not manage " + zone +
                                               " (outside its domain filter): fix the plugin's "
                                               "--domain-filter or the MailDomain's zone"};
  return std::nullopt;
}

ProviderResult<std::vector<RecordSet>> WebhookProvider::records(const std::string& zoneName) {
  std::string zone = normalizeName(zoneName);
  if (auto e = negotiate(zone)) return *e;
  std::string what = "listing records (GET /records)";
  auto r = send("GET", "/records");
  if (auto e = check(r, what)) return *e;
  auto eps = parseEndpoints(r.body);
  if (!eps)
    return ProviderError{R::kBadResponse, "the external-dns webhook at " + http_.baseUrl() +
                                              " answered " + what +
                                              " unreadably: " + eps.error().message};
  std::map<RecordKey, Endpoint> read;
  for (auto& ep : *eps) {
    std::string name = normalizeName(ep.dnsName);
    if (ep.recordType != "TXT" || !ep.setIdentifier.empty() || !inZone(name, zone)) continue;
    auto& slot = read[{name, "TXT"}];
    if (slot.dnsName.empty()) {
      slot = std::move(ep);
    } else {  // a plugin that splits one RRset into several endpoints
      slot.targets.insert(slot.targets.end(), ep.targets.begin(), ep.targets.end());
    }
  }
  std::vector<RecordSet> out;
  for (const auto& [key, ep] : read) {
    RecordSet set{key.name,
                  "TXT",
                  static_cast<uint32_t>(std::clamp<int64_t>(ep.recordTTL, 0, UINT32_MAX)),
                  {}};
    for (const auto& t : ep.targets) set.values.push_back(logical(t));
    out.push_back(std::move(set));
  }
  lastRead_ = std::move(read);
  lastReadZone_ = zone;
  return out;
}

std::optional<ProviderError> WebhookProvider::applyChanges(const std::string& zoneName,
                                                           const std::vector<Change>& changes) {
  std::string zone = normalizeName(zoneName);
  if (changes.empty()) return std::nullopt;
  if (lastReadZone_ != zone) {
    auto r = records(zone);
    if (!r) return r.error();
  }
  Changes out;
  for (const auto& c : changes) {
    if (c.key.type != "TXT")
      return ProviderError{R::kInvalidRecords, c.key.name + " " + c.key.type + ": only TXT"};
    auto it = lastRead_.find(c.key);
    const Endpoint* read = it != lastRead_.end() ? &it->second : nullptr;
    Endpoint next{c.key.name, {}, "TXT", "", read ? read->recordTTL : c.ttl, {}, {}};
    if (read) next.labels = read->labels;
    for (const auto& v : c.after) {
      std::string target = renderTxtContent(v);
      if (read)  // a kept value goes back as the plugin spelled it
        for (const auto& t : read->targets)
          if (logical(t) == v) target = t;
      next.targets.push_back(target);
    }
    if (!read && next.targets.empty()) continue;
    if (!read) {
      out.create.push_back(std::move(next));
    } else if (next.targets.empty()) {
      out.remove.push_back(*read);
    } else {
      out.updateOld.push_back(*read);
      out.updateNew.push_back(std::move(next));
    }
  }
  // The plugin's view of what it will write: anything it drops or rewrites is refused rather
  // than published differently from the plan.
  std::vector<Endpoint> proposed = out.create;
  proposed.insert(proposed.end(), out.updateNew.begin(), out.updateNew.end());
  if (!proposed.empty()) {
    std::string what =
        "checking " + std::to_string(proposed.size()) + " record sets (POST /adjustendpoints)";
    auto r = send("POST", "/adjustendpoints", renderEndpoints(proposed));
    if (auto e = check(r, what)) return e;
    auto adjusted = parseEndpoints(r.body);
    if (!adjusted)
      return ProviderError{R::kBadResponse, "the external-dns webhook at " + http_.baseUrl() +
                                                " answered " + what +
                                                " unreadably: " + adjusted.error().message};
    for (const auto& p : proposed) {
      auto same = std::find_if(adjusted->begin(), adjusted->end(), [&](const Endpoint& a) {
        return normalizeName(a.dnsName) == normalizeName(p.dnsName) && a.recordType == p.recordType;
      });
      if (same == adjusted->end() || same->targets != p.targets)
        return ProviderError{R::kRejected,
                             "the external-dns webhook at " + http_.baseUrl() +
                                 (same == adjusted->end() ? " refuses" : " would rewrite") +
                                 " the TXT record set " + p.dnsName + " (POST /adjustendpoints)"};
    }
  }
  std::string what = "applying " + std::to_string(changes.size()) + " changes (POST /records)";
  auto r = send("POST", "/records", renderChanges(out));
  if (auto e = check(r, what)) {
    if (e->reason == R::kTimeout) e->message += " (the change may have been applied)";
    return e;
  }
  lastReadZone_.clear();
  return std::nullopt;
}

}  // namespace mailroom::dnspub::webhook
