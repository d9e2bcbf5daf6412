#include "operator/dns/providers/route53/route53.h"

#include <algorithm>
#include <charconv>

#include "operator/dns/txt_presentation.h"

namespace mailroom::dnspub::route53 {

namespace {

using R = ProviderErrorReason;
constexpr std::string_view kApi = "/2013-04-01";

std::string amzDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::chrono::seconds parseRetryAfter(const std::string& s, std::chrono::seconds fallback) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && v > 0 ? std::chrono::seconds(std::min(v, 3600L)) : fallback;
}

std::string clip(std::string s) {
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

bool isThrottle(const HttpResponse& r, const AwsError& e) {
  return r.status == 429 || r.status == 503 || e.code == "Throttling" ||
         e.code == "ThrottlingException" || e.code == "PriorRequestNotComplete";
}

}  // namespace

Result<AwsCredentials> parseCredentials(std::string_view text) {
  auto first = text.find(':');
  if (first == std::string_view::npos || first == 0 || first + 1 >= text.size())
    return Error::invalidArgument("expected 'accessKeyId:secretAccessKey'");
  AwsCredentials c;
  c.accessKeyId = std::string(text.substr(0, first));
  std::string_view rest = text.substr(first + 1);
  auto second = rest.find(':');
  c.secretAccessKey = std::string(rest.substr(0, second));
  if (second != std::string_view::npos) c.sessionToken = std::string(rest.substr(second + 1));
  if (c.secretAccessKey.empty()) return Error::invalidArgument("the secret access key is empty");
  return c;
}

Route53Provider::Route53Provider(Route53Config config, HttpClient& http)
    : config_(std::move(config)), http_(http), zoneId_(config_.hostedZoneId) {
  if (!config_.now) config_.now = [] { return std::time(nullptr); };
}

HttpResponse Route53Provider::send(const std::string& method, const std::string& path,
                                   const std::string& query, std::string body) {
  std::string date = amzDate(config_.now());
  SigV4Request sr{method, path, query, {{"host", config_.host}, {"x-amz-date", date}}, body};
  if (!config_.credentials.sessionToken.empty())
    sr.headers.emplace_back("x-amz-security-token", config_.credentials.sessionToken);
  HttpRequest req{method, path + (query.empty() ? "" : "?" + query), {}, std::move(body), ""};
  req.headers.emplace_back("X-Amz-Date", date);
  if (!config_.credentials.sessionToken.empty())
    req.headers.emplace_back("X-Amz-Security-Token", config_.credentials.sessionToken);
  req.headers.emplace_back("Authorization",
                           authorization(sr, config_.credentials, date, config_.region, "route53"));
  if (!req.body.empty()) req.contentType = "application/xml";
  return http_.send(req);
}

ProviderError Route53Provider::classify(const HttpResponse& r, const std::string& what) const {
  std::string api = "the Route 53 API at " + http_.baseUrl();
  ProviderError e;
  if (r.transport == HttpResponse::Transport::kTimeout) {
    e = {R::kTimeout, api + " did not answer " + what + " in time; retrying"};
  } else if (r.transport == HttpResponse::Transport::kFailed) {
    e = {R::kUnavailable, "cannot reach " + api + " (" + r.transportError + ") for " + what +
                              ": check dnsProvider.url"};
  } else {
    AwsError aws = parseError(r.body);
    std::string detail = "HTTP " + std::to_string(r.status) +
                         (aws.code.empty() ? "" : " " + aws.code) +
                         (aws.message.empty() ? "" : ": " + clip(aws.message));
    if (isThrottle(r, aws)) {
      e = {R::kRateLimited, api + " is throttling " + what + " (" + detail + "); backing off"};
      e.retryAfter = parseRetryAfter(r.retryAfter, config_.throttleBackoff);
    } else if (r.status == 401 || r.status == 403) {
      e = {R::kUnauthorized, api + " refused the credentials for " + what + " (" + detail +
                                 "): check the Secret's 'accessKeyId:secretAccessKey' and that "
                                 "the IAM policy allows route53:ListResourceRecordSets and "
                                 "route53:ChangeResourceRecordSets on the zone"};
    } else if (r.status == 404 || aws.code == "NoSuchHostedZone") {
      e = {R::kZoneNotFound, api + " has no hosted zone " + zoneId_ + " (" + detail +
                                 "): fix dnsProvider.zoneID or .zone"};
    } else if (aws.code == "InvalidChangeBatch") {
      e = {R::kUnavailable, api + " refused " + what +
                                " because a record set changed since "
                                "Mailroom read the zone (" +
                                detail +
                                "); nothing in that batch was written, the next sync re-reads"};
    } else if (r.status >= 500) {
      e = {R::kUnavailable, api + " failed " + what + " (" + detail + "); retrying"};
    } else {
      e = {R::kRejected, api + " rejected " + what + " (" + detail + ")"};
    }
  }
  for (const auto* secret :
       {&config_.credentials.secretAccessKey, &config_.credentials.sessionToken}) {
    if (secret->empty()) continue;
    for (size_t at; (at = e.message.find(*secret)) != std::string::npos;)
      e.message.replace(at, secret->size(), "[redacted]");
  }
  return e;
}

std::optional<ProviderError> Route53Provider::resolveZone(const std::string& zone) {
  if (!zoneId_.empty()) return std::nullopt;
  std::string what = "looking up hosted zone " + zone;
  auto r = send("GET", std::string(kApi) + "/hostedzonesbyname",
                "dnsname=" + uriEncode(zone) + "&maxitems=1");
  if (r.transport != HttpResponse::Transport::kOk || r.status != 200) return classify(r, what);
  auto id = parseHostedZoneId(r.body, zone);
  if (!id && id.error().kind == ErrorKind::kNotFound)
    return ProviderError{R::kZoneNotFound, "Route 53 has no public hosted zone " + zone +
                                               ": create it or set dnsProvider.zoneID"};
  if (!id)
    return ProviderError{R::kBadResponse,
                         "Route 53 answered " + what + " unreadably: " + id.error().message};
  zoneId_ = *id;
  return std::nullopt;
}

ProviderResult<std::vector<RecordSet>> Route53Provider::records(const std::string& zoneName) {
  std::string zone = normalizeName(zoneName);
  if (auto e = resolveZone(zone)) return *e;
  std::string what = "listing the record sets of hosted zone " + zoneId_;
  std::map<RecordKey, R53RRset> read;
  std::string next;
  for (int page = 0; page < 10000; ++page) {
    auto r =
        send("GET", std::string(kApi) + "/hostedzone/" + zoneId_ + "/rrset", "maxitems=300" + next);
    if (r.transport != HttpResponse::Transport::kOk || r.status != 200) return classify(r, what);
    auto p = parseListResourceRecordSets(r.body);
    if (!p)
      return ProviderError{R::kBadResponse, "the Route 53 API at " + http_.baseUrl() +
                                                " answered " + what +
                                                " unreadably: " + p.error().message};
    for (auto& rs : p->rrsets)
      if (rs.type == "TXT") read[{normalizeRoute53Name(rs.name), "TXT"}] = std::move(rs);
    if (!p->truncated) break;
    next = "&name=" + uriEncode(p->nextName) + "&type=" + uriEncode(p->nextType) +
           (p->nextIdentifier.empty() ? "" : "&identifier=" + uriEncode(p->nextIdentifier));
  }
  std::vector<RecordSet> out;
  for (const auto& [key, rs] : read) {
    RecordSet set{key.name, "TXT", rs.ttl, {}};
    for (const auto& v : rs.values) {
      auto logical = parseTxtContent(v);
      set.values.push_back(logical ? *logical : v);  // unreadable: matches nothing of ours
    }
    out.push_back(std::move(set));
  }
  lastRead_ = std::move(read);
  lastReadZone_ = zone;
  return out;
}

std::optional<ProviderError> Route53Provider::applyChanges(const std::string& zoneName,
                                                           const std::vector<Change>& changes) {
  std::string zone = normalizeName(zoneName);
  if (changes.empty()) return std::nullopt;
  if (auto e = resolveZone(zone)) return *e;
  std::vector<std::vector<R53Change>> groups;
  for (const auto& c : changes) {
    if (c.key.type != "TXT")
      return ProviderError{R::kInvalidRecords, c.key.name + " " + c.key.type + ": only TXT"};
    const R53RRset* read = nullptr;
    if (lastReadZone_ == zone)
      if (auto it = lastRead_.find(c.key); it != lastRead_.end()) read = &it->second;
    // A value as Route 53 holds it (its own quoting) if it was read, else as we render it.
    auto raw = [&](const std::string& v) {
      if (read)
        for (const auto& r : read->values)
          if (auto l = parseTxtContent(r); (l ? *l : r) == v) return r;
      return renderTxtContent(v);
    };
    std::vector<R53Change> g;
    std::string name = c.key.name + ".";
    uint32_t ttl = read ? read->ttl : c.ttl;
    if (!c.before.empty()) {
      R53RRset old = read ? *read : R53RRset{name, "TXT", c.ttl, {}};
      if (!read)
        for (const auto& v : c.before) old.values.push_back(renderTxtContent(v));
      g.push_back({"DELETE", old});
    }
    if (!c.after.empty()) {
      R53RRset next{name, "TXT", ttl, {}};
      for (const auto& v : c.after) next.values.push_back(raw(v));
      g.push_back({"CREATE", next});
    }
    if (!g.empty()) groups.push_back(std::move(g));
  }
  auto batches = batchChanges(groups);
  if (!batches) return ProviderError{R::kInvalidRecords, batches.error().message};
  int applied = 0;
  for (const auto& b : *batches) {
    std::string what =
        "changing " + std::to_string(b.groups) + " record sets in hosted zone " + zoneId_;
    auto r = send("POST", std::string(kApi) + "/hostedzone/" + zoneId_ + "/rrset/", "",
                  renderChangeBatch(b.changes, "mailroom"));
    if (r.transport != HttpResponse::Transport::kOk || r.status != 200) {
      auto e = classify(r, what);
      e.changesApplied = applied;
      if (e.reason == R::kTimeout)
        e.message += " (the change may have been applied; the next attempt re-reads the zone)";
      return e;
    }
    applied += b.groups;
  }
  return std::nullopt;
}

}  // namespace mailroom::dnspub::route53
