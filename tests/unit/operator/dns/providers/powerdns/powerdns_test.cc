// The PowerDNS provider over a fake of the HTTP API (tests/mocks/fake_http_client.h) that keeps
// a zone and applies PATCH REPLACE/DELETE as PowerDNS does, so that the Publisher's rounds run
// end to end here; the real server is tested in tests/e2e/dns.
#include "operator/dns/providers/powerdns/powerdns.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "operator/dns/providers/powerdns/zone_json.h"
#include "operator/dns/publisher.h"
#include "tests/mocks/fake_http_client.h"

namespace mailroom::dnspub::powerdns {
namespace {

using nlohmann::json;
using testing::FakeHttpClient;

const std::string kKey = "s3cret-api-key";
const std::string kPath = "/api/v1/servers/localhost/zones/example.com.";
const Owner kOwner{"prod", "mail", "example-com"};

HttpResponse reply(int status, std::string body = "") {
  return {{}, {}, status, std::move(body), {}, {}};
}

// A PowerDNS zone behind the HTTP API: GET and PATCH on one zone, X-API-Key checked.
class FakePowerDns {
 public:
  std::vector<PdnsRRset> rrsets = {
      {"example.com.",
       "SOA",
       3600,
       {{"ns.example.net. h.example.net. 1 10800 3600 604800 3600", false}}},
      {"example.com.",
       "TXT",
       3600,
       {{"\"google-site-verification=abc123\"", false},
        {"\"v=spf1 include:_spf.google.com\" \" ~all\"", false},
        {"\"disabled-but-kept\"", true}}},
  };
  std::vector<json> patches;

  HttpResponse handle(const HttpRequest& r) {
    bool keyOk = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
      return h.first == "X-API-Key" && h.second == kKey;
    });
    if (!keyOk) return reply(401, "Unauthorized");
    if (r.path != kPath) return reply(404, R"({"error":"Could not find domain"})");
    if (r.method == "GET") return reply(200, zoneJson());
    if (r.method != "PATCH") return reply(405);
    json body = json::parse(r.body);
    patches.push_back(body);
    for (const auto& w : body.at("rrsets")) {
      PdnsRRset rs{w.at("name"), w.at("type"), 0, {}};
      std::erase_if(rrsets,
                    [&](const PdnsRRset& x) { return x.name == rs.name && x.type == rs.type; });
      if (w.at("changetype") == "DELETE") continue;
      rs.ttl = w.at("ttl");
      for (const auto& rec : w.at("records")) {
        std::string content = rec.at("content");
        if (rs.type == "TXT" && content.front() != '"')
          return reply(422, R"({"error":"TXT content must be quoted"})");
        rs.records.push_back({content, rec.at("disabled")});
      }
      rrsets.push_back(rs);
    }
    return reply(204);
  }

  std::string zoneJson() const {
    json rs = json::array();
    for (const auto& r : rrsets) {
      json records = json::array();
      for (const auto& rec : r.records)
        records.push_back({{"content", rec.content}, {"disabled", rec.disabled}});
      rs.push_back({{"name", r.name},
                    {"type", r.type},
                    {"ttl", r.ttl},
                    {"records", records},
                    {"comments", json::array()}});
    }
    return json{{"name", "example.com."}, {"kind", "Native"}, {"rrsets", rs}}.dump();
  }

  const PdnsRRset* find(const std::string& name) const {
    for (const auto& r : rrsets)
      if (r.name == name && r.type == "TXT") return &r;
    return nullptr;
  }
};

class PowerDnsTest : public ::testing::Test {
 protected:
  FakePowerDns server;
  FakeHttpClient http{[this](const HttpRequest& r) { return server.handle(r); }};
  PowerDnsProvider provider{{"localhost", kKey}, http};
  Publisher publisher{provider};
  std::string longKey = "v=DKIM1; k=rsa; p=" + std::string(380, 'A');

  std::vector<RecordSet> desired(const std::string& ip = "198.51.100.10") {
    return {{"example.com", "TXT", 300, {"v=spf1 ip4:" + ip + " -all"}},
            {"rsa._domainkey.example.com", "TXT", 300, {longKey}}};
  }
};

TEST_F(PowerDnsTest, ReadsTheZoneAsLogicalValuesWithoutDisabledRecords) {
  auto recs = provider.records("example.com");
  ASSERT_TRUE(recs.ok()) << recs.error().message;
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ(
      (*recs)[1],
      (RecordSet{"example.com",
                 "TXT",
                 3600,
                 {"google-site-verification=abc123", "v=spf1 include:_spf.google.com ~all"}}));
  EXPECT_EQ(http.requests()[0].method, "GET");
  EXPECT_EQ(http.requests()[0].path, kPath);
}

TEST_F(PowerDnsTest, PublishesByValueKeepingForeignRecordsVerbatimThenMakesNoRequests) {
  auto first = publisher.sync("example.com", desired(), kOwner);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(server.patches.size(), 1u);

  const auto* apex = server.find("example.com.");
  ASSERT_TRUE(apex);
  EXPECT_EQ(apex->ttl, 3600u);  // the shared RRset keeps its TTL
  EXPECT_EQ(apex->records,
            (std::vector<PdnsRecord>{
                {"\"google-site-verification=abc123\"", false},
                {"\"disabled-but-kept\"", true},
                {"\"v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all\"", false}}));
  const auto* dkim = server.find("rsa._domainkey.example.com.");
  ASSERT_TRUE(dkim);
  EXPECT_EQ(dkim->ttl, 300u);
  ASSERT_EQ(dkim->records.size(), 1u);
  EXPECT_EQ(dkim->records[0].content,
            "\"" + longKey.substr(0, 255) + "\" \"" + longKey.substr(255) + "\"");
  EXPECT_TRUE(server.find("_mailroom-owner.example.com."));
  EXPECT_TRUE(server.find("_mailroom-owner.rsa._domainkey.example.com."));

  int requests = static_cast<int>(http.requests().size());
  auto second = publisher.sync("example.com", desired(), kOwner);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->applied);
  EXPECT_EQ(http.count("PATCH"), 1);
  EXPECT_EQ(static_cast<int>(http.requests().size()), requests + 1);  // one GET
}

TEST_F(PowerDnsTest, DeletionRestoresTheForeignRecordsAndDeletesOurRRsets) {
  ASSERT_TRUE(publisher.sync("example.com", desired(), kOwner).ok());
  ASSERT_TRUE(publisher.sync("example.com", desired("198.51.100.11"), kOwner).ok());
  ASSERT_TRUE(publisher.sync("example.com", {}, kOwner).ok());
  EXPECT_EQ(server.find("example.com.")->records,
            (std::vector<PdnsRecord>{{"\"google-site-verification=abc123\"", false},
                                     {"\"disabled-but-kept\"", true},
                                     {"\"v=spf1 include:_spf.google.com ~all\"", false}}));
  EXPECT_FALSE(server.find("rsa._domainkey.example.com."));
  EXPECT_FALSE(server.find("_mailroom-owner.example.com."));
  int deletes = 0;
  for (const auto& w : server.patches.back()["rrsets"]) deletes += w["changetype"] == "DELETE";
  EXPECT_EQ(deletes, 3);  // the DKIM RRset and both ownership RRsets
}

TEST_F(PowerDnsTest, AppliesChangesToTheRRsetAsItIsAtWriteTime) {
  auto planned = plan(provider.records("example.com").value(), desired(), kOwner);
  ASSERT_TRUE(planned.ok());
  // Someone adds a value after our read; the by-value write keeps it.
  server.rrsets[1].records.push_back({"\"added-meanwhile\"", false});
  ASSERT_FALSE(provider.applyChanges("example.com", planned->changes));
  const auto& recs = server.find("example.com.")->records;
  EXPECT_TRUE(std::any_of(recs.begin(), recs.end(),
                          [](const PdnsRecord& r) { return r.content == "\"added-meanwhile\""; }));
}

struct ErrorCase {
  HttpResponse response;
  ProviderErrorReason reason;
  std::string fragment;
};

TEST_F(PowerDnsTest, ClassifiesFailuresWithActionableMessagesWithoutTheKey) {
  const ErrorCase cases[] = {
      {reply(401, "Unauthorized"), ProviderErrorReason::kUnauthorized,
       "refused the API key (HTTP 401)"},
      {reply(403), ProviderErrorReason::kUnauthorized, "apiKey"},
      {reply(404, R"({"error":"Could not find domain 'example.com.'"})"),
       ProviderErrorReason::kZoneNotFound,
       "zone example.com. does not exist on PowerDNS server localhost"},
      {reply(422, R"({"error":"RRset example.com. IN TXT: bad content"})"),
       ProviderErrorReason::kRejected, "HTTP 422: RRset example.com. IN TXT: bad content"},
      {{{}, {}, 429, "", "30", ""}, ProviderErrorReason::kRateLimited, "HTTP 429"},
      {reply(503, R"({"error":"backend down, key s3cret-api-key"})"),
       ProviderErrorReason::kUnavailable, "HTTP 503: backend down, key [redacted]"},
      {{HttpResponse::Transport::kTimeout, "timed out", 0, "", "", ""},
       ProviderErrorReason::kTimeout,
       "did not answer reading zone example.com. in time"},
      {{HttpResponse::Transport::kFailed, "Connection refused", 0, "", "", ""},
       ProviderErrorReason::kUnavailable,
       "cannot reach the PowerDNS API at http://pdns.test:8081"},
      {reply(200, "<html>"), ProviderErrorReason::kBadResponse,
       "cannot read: the zone is not JSON"},
  };
  for (const auto& c : cases) {
    http.setHandler([&](const HttpRequest&) { return c.response; });
    auto r = provider.records("example.com");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, c.reason) << c.fragment;
    EXPECT_NE(r.error().message.find(c.fragment), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(kKey), std::string::npos);
    if (c.reason == ProviderErrorReason::kRateLimited) {
      EXPECT_EQ(r.error().retryAfter.count(), 30);
    }
  }
}

TEST_F(PowerDnsTest, AFailedPatchIsReportedAndARetryCompletesIt) {
  auto planned = plan(provider.records("example.com").value(), desired(), kOwner);
  ASSERT_TRUE(planned.ok());
  http.setHandler([&](const HttpRequest& r) {
    return r.method == "PATCH"
               ? HttpResponse{HttpResponse::Transport::kTimeout, "timed out", 0, "", "", ""}
               : server.handle(r);
  });
  auto err = provider.applyChanges("example.com", planned->changes);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->reason, ProviderErrorReason::kTimeout);
  EXPECT_NE(err->message.find("may have been applied"), std::string::npos);
  http.setHandler([&](const HttpRequest& r) { return server.handle(r); });
  ASSERT_TRUE(publisher.sync("example.com", desired(), kOwner).ok());
  ASSERT_TRUE(publisher.sync("example.com", desired(), kOwner)->plan.changes.empty());
}

}  // namespace
}  // namespace mailroom::dnspub::powerdns
