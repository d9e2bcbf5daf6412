#include "operator/dns/providers/cloudflare/cloudflare.h"

#include <algorithm>
#include <charconv>

#include "operator/dns/txt_presentation.h"

namespace mailroom::dnspub::cloudflare {

namespace {

using R = ProviderErrorReason;
constexpr int kPerPage = 100;

std::chrono::seconds parseRetryAfter(const std::string& s, std::chrono::seconds fallback) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && v > 0 ? std::chrono::seconds(std::min(v, 3600L)) : fallback;
}

bool hasCode(const HttpResponse& r, int code) {
  auto e = parseEnvelope(r.body);
  return e && std::any_of(e->errors.begin(), e->errors.end(),
                          [&](const CfError& x) { return x.code == code; });
}

std::string logical(const CfRecord& r) {
  auto v = parseTxtContent(r.content);
  return v ? *v : r.content;  // unreadable content can match nothing of ours
}

}  // namespace

HttpResponse CloudflareProvider::send(const std::string& method, const std::string& path,
                                      std::string body) {
  HttpRequest req{method,
                  "/client/v4" + path,
                  {{"Authorization", "Bearer " + config_.apiToken}},
                  std::move(body),
                  ""};
  if (!req.body.empty()) req.contentType = "application/json";
  return http_.send(req);
}

ProviderError CloudflareProvider::classify(const HttpResponse& r, const std::string& what) const {
  std::string api = "the Cloudflare API at " + http_.baseUrl();
  ProviderError e;
  if (r.transport == HttpResponse::Transport::kTimeout) {
    e = {R::kTimeout, api + " did not answer " + what + " in time; retrying"};
  } else if (r.transport == HttpResponse::Transport::kFailed) {
    e = {R::kUnavailable, "cannot reach " + api + " (" + r.transportError + ") for " + what};
  } else {
    auto env = parseEnvelope(r.body);
    std::string detail = "HTTP " + std::to_string(r.status) +
                         (env && !env->errors.empty() ? ", " + describeErrors(env->errors) : "");
    if (r.status == 429) {
      e = {R::kRateLimited, api + " is rate limiting " + what + " (" + detail + "); backing off"};
      e.retryAfter = parseRetryAfter(r.retryAfter, config_.rateLimitBackoff);
    } else if (r.status == 401 || r.status == 403) {
      e = {R::kUnauthorized, api + " refused the API token for " + what + " (" + detail +
                                 "): the Secret must hold an API token with Zone:Read and "
                                 "DNS:Edit on the zone"};
    } else if (r.status == 404 && hasCode(r, 7003)) {
      e = {R::kZoneNotFound,
           api + " has no zone " + zoneId_ + " (" + detail + "): fix dnsProvider.zoneID or .zone"};
    } else if (r.status >= 500) {
      e = {R::kUnavailable, api + " failed " + what + " (" + detail + "); retrying"};
    } else if (!env) {
      e = {R::kBadResponse,
           api + " answered " + what + " with " + detail + " and no API v4 envelope"};
    } else {
      e = {R::kRejected, api + " rejected " + what + " (" + detail + ")"};
    }
  }
  if (!config_.apiToken.empty())
    for (size_t at; (at = e.message.find(config_.apiToken)) != std::string::npos;)
      e.message.replace(at, config_.apiToken.size(), "[redacted]");
  return e;
}

std::optional<ProviderError> CloudflareProvider::resolveZone(const std::string& zone) {
  if (!zoneId_.empty()) return std::nullopt;
  std::string what = "looking up zone " + zone;
  auto r = send("GET", "/zones?name=" + zone);
  if (r.transport != HttpResponse::Transport::kOk || r.status != 200) return classify(r, what);
  auto zones = parseZones(r.body);
  if (!zones)
    return ProviderError{R::kBadResponse, "the Cloudflare API answered " + what +
                                              " unreadably: " + zones.error().message};
  for (const auto& z : *zones)
    if (normalizeName(z.name) == zone) zoneId_ = z.id;
  if (zoneId_.empty())
    return ProviderError{R::kZoneNotFound,
                         "the Cloudflare account the API token belongs to has "
                         "no zone " +
                             zone + " (or the token cannot read it)"};
  return std::nullopt;
}

ProviderResult<std::vector<RecordSet>> CloudflareProvider::records(const std::string& zoneName) {
  std::string zone = normalizeName(zoneName);
  if (auto e = resolveZone(zone)) return *e;
  std::map<RecordKey, std::vector<CfRecord>> read;
  int total = 1;
  for (int page = 1; page <= total && page <= 10000; ++page) {
    std::string what =
        "listing TXT records of zone " + zone + " (page " + std::to_string(page) + ")";
    auto r =
        send("GET", "/zones/" + zoneId_ + "/dns_records?type=TXT&page=" + std::to_string(page) +
                        "&per_page=" + std::to_string(kPerPage));
    if (r.transport != HttpResponse::Transport::kOk || r.status != 200) return classify(r, what);
    auto env = parseEnvelope(r.body);
    auto recs = parseRecords(r.body);
    if (!env || !recs || !env->success)
      return ProviderError{R::kBadResponse, "the Cloudflare API answered " + what +
                                                " unreadably: " +
                                                (!env    ? env.error().message
                                                 : !recs ? recs.error().message
                                                         : describeErrors(env->errors))};
    total = env->totalPages;
    for (auto& rec : *recs)
      if (rec.type == "TXT") read[{normalizeName(rec.name), "TXT"}].push_back(std::move(rec));
  }
  std::vector<RecordSet> out;
  for (const auto& [key, recs] : read) {
    RecordSet set{key.name, "TXT", recs.front().ttl, {}};
    for (const auto& rec : recs) set.values.push_back(logical(rec));
    out.push_back(std::move(set));
  }
  lastRead_ = std::move(read);
  lastReadZone_ = zone;
  return out;
}

std::optional<ProviderError> CloudflareProvider::write(const std::string& method,
                                                       const std::string& path, std::string body,
                                                       const std::string& what) {
  auto r = send(method, path, std::move(body));
  if (r.transport == HttpResponse::Transport::kOk && r.status == 200) return std::nullopt;
  if (r.transport == HttpResponse::Transport::kOk) {
    if (method == "DELETE" && r.status == 404 && hasCode(r, 81044)) return std::nullopt;
    if (method == "POST" && r.status == 400 && hasCode(r, 81058)) return std::nullopt;
    if (method == "PATCH" && r.status == 404 && hasCode(r, 81044))
      return ProviderError{R::kUnavailable, "a record Mailroom was changing (" + what +
                                                ") was deleted since the zone was read; the "
                                                "next sync re-reads"};
  }
  auto e = classify(r, what);
  if (e.reason == R::kTimeout) e.message += " (the change may have been applied)";
  return e;
}

std::optional<ProviderError> CloudflareProvider::applyChanges(const std::string& zoneName,
                                                              const std::vector<Change>& changes) {
  std::string zone = normalizeName(zoneName);
  if (changes.empty()) return std::nullopt;
  if (lastReadZone_ != zone) {
    auto r = records(zone);
    if (!r) return r.error();
  }
  std::string base = "/zones/" + zoneId_ + "/dns_records";
  int applied = 0;
  for (const auto& c : changes) {
    if (c.key.type != "TXT")
      return ProviderError{R::kInvalidRecords, c.key.name + " " + c.key.type + ": only TXT"};
    auto it = lastRead_.find(c.key);
    std::vector<CfRecord> doomed;  // the records holding removed values
    for (const auto& v : c.remove)
      if (it != lastRead_.end())
        for (const auto& rec : it->second)
          if (logical(rec) == v) doomed.push_back(rec);
    uint32_t ttl = it != lastRead_.end() ? it->second.front().ttl : c.ttl;
    std::vector<std::string> adds = c.add;
    std::optional<ProviderError> err;
    while (!err && !doomed.empty() && !adds.empty()) {
      err = write("PATCH", base + "/" + doomed.back().id,
                  renderContentPatch(renderTxtContent(adds.back())),
                  "replacing a TXT value at " + c.key.name);
      doomed.pop_back();
      adds.pop_back();
    }
    for (size_t i = 0; !err && i < doomed.size(); ++i)
      err = write("DELETE", base + "/" + doomed[i].id, "", "deleting a TXT value at " + c.key.name);
    for (size_t i = 0; !err && i < adds.size(); ++i)
      err = write("POST", base, renderCreate(c.key.name, renderTxtContent(adds[i]), ttl),
                  "adding a TXT value at " + c.key.name);
    if (err) {
      err->changesApplied = applied;
      return err;
    }
    ++applied;
  }
  lastReadZone_.clear();  // what we read is stale now
  return std::nullopt;
}

}  // namespace mailroom::dnspub::cloudflare
