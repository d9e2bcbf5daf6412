// The Cloudflare provider over a fake of API v4 (tests/mocks/fake_http_client.h): records by id,
// pages of two, the envelope; plus the envelope parsers and the error classification. The
// contract-enforcing stand-in (tests/mocks/cloudflare_standin.py) runs in e2e.dns.cloudflare.
#include "operator/dns/providers/cloudflare/cloudflare.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "operator/dns/publisher.h"
#include "operator/dns/txt_presentation.h"
#include "tests/mocks/fake_http_client.h"

namespace mailroom::dnspub::cloudflare {
namespace {

using nlohmann::json;
using testing::FakeHttpClient;
const Owner kOwner{"prod", "mail", "example-com"};
const std::string kToken = "cf-token-s3cret";

HttpResponse reply(int status, json body, std::string retryAfter = "") {
  return {{}, {}, status, body.dump(), std::move(retryAfter), {}};
}
json envelope(json result, json errors = json::array()) {
  return {{"success", errors.empty()},
          {"errors", errors},
          {"messages", json::array()},
          {"result", result}};
}

class FakeCloudflare {
 public:
  std::vector<CfRecord> recs;
  int nextId = 1;
  void add(const std::string& name, const std::string& value, uint32_t ttl = 3600) {
    recs.push_back({std::to_string(nextId++), "TXT", name, renderTxtContent(value), ttl});
  }
  std::vector<std::string> txt(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& r : recs)
      if (r.name == name) out.push_back(*parseTxtContent(r.content));
    std::sort(out.begin(), out.end());
    return out;
  }
  HttpResponse handle(const HttpRequest& r) {
    bool auth = std::find(r.headers.begin(), r.headers.end(),
                          std::make_pair(std::string("Authorization"), "Bearer " + kToken)) !=
                r.headers.end();
    if (!auth)
      return reply(403,
                   envelope(nullptr, {{{"code", 10000}, {"message", "Authentication error"}}}));
    const std::string zonePrefix = "/client/v4/zones/Z1/dns_records";
    if (r.path == "/client/v4/zones?name=example.com")
      return reply(200, envelope({{{"id", "Z1"}, {"name", "example.com"}}}));
    if (r.path.rfind(zonePrefix, 0) != 0)
      return reply(404, envelope(nullptr, {{{"code", 7003}, {"message", "Could not route"}}}));
    if (r.method == "GET") {
      int page = std::stoi(r.path.substr(r.path.find("page=") + 5));
      json result = json::array();
      for (size_t i = static_cast<size_t>(page - 1) * 2;
           i < recs.size() && i < static_cast<size_t>(page) * 2; ++i)
        result.push_back({{"id", recs[i].id},
                          {"type", "TXT"},
                          {"name", recs[i].name},
                          {"content", recs[i].content},
                          {"ttl", recs[i].ttl}});
      json body = envelope(result);
      body["result_info"] = {{"page", page},
                             {"per_page", 2},
                             {"total_pages", std::max<size_t>(1, (recs.size() + 1) / 2)}};
      return reply(200, body);
    }
    if (r.method == "POST") {
      auto b = json::parse(r.body);
      if (r.contentType != "application/json" || b["type"] != "TXT" ||
          b["content"].get<std::string>().front() != '"')
        return reply(400, envelope(nullptr, {{{"code", 9004}, {"message", "invalid content"}}}));
      recs.push_back({std::to_string(nextId++), "TXT", b["name"], b["content"], b["ttl"]});
      ++posts;
      return reply(200, envelope({{"id", recs.back().id}}));
    }
    std::string id = r.path.substr(zonePrefix.size() + 1);
    auto it = std::find_if(recs.begin(), recs.end(), [&](const CfRecord& c) { return c.id == id; });
    if (it == recs.end())
      return reply(404,
                   envelope(nullptr, {{{"code", 81044}, {"message", "Record does not exist."}}}));
    if (r.method == "DELETE") {
      recs.erase(it);
      ++deletes;
    } else {
      it->content = json::parse(r.body)["content"];
      ++patches;
    }
    return reply(200, envelope({{"id", id}}));
  }
  int posts = 0, patches = 0, deletes = 0;
};

struct CloudflareProviderTest : ::testing::Test {
  FakeCloudflare cf;
  FakeHttpClient http{[this](const HttpRequest& r) { return cf.handle(r); }};
  CloudflareProvider provider{{kToken, "", std::chrono::seconds(5)}, http};
  Publisher publisher{provider};
  std::vector<RecordSet> desired = {
      {"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.10 -all"}},
      {"sel._domainkey.example.com", "TXT", 300, {"v=DKIM1; p=" + std::string(300, 'A')}},
  };
  void SetUp() override {
    cf.add("example.com", "gsv=1");
    cf.add("example.com", "v=spf1 include:_spf.google.com ~all");
    cf.add("a.example.com", "a");
  }
};

TEST_F(CloudflareProviderTest, RoundsWriteOnlyTheValuesThatChange) {
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(cf.patches, 1) << "the foreign SPF record is patched in place";
  EXPECT_EQ(cf.deletes, 0);
  EXPECT_EQ(
      cf.txt("example.com"),
      (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all"}));
  EXPECT_EQ(cf.txt("sel._domainkey.example.com"), desired[1].values);
  EXPECT_EQ(cf.txt("a.example.com"), std::vector<std::string>{"a"});
  int writes = cf.posts + cf.patches + cf.deletes;
  auto again = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(cf.posts + cf.patches + cf.deletes, writes);
  auto gone = publisher.sync("example.com", {}, kOwner);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(cf.txt("example.com"),
            (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ~all"}));
  EXPECT_TRUE(cf.txt("sel._domainkey.example.com").empty());
  EXPECT_TRUE(cf.txt("_mailroom-owner.example.com").empty());
}

TEST_F(CloudflareProviderTest, AlreadyDeletedAndAlreadyPresentRecordsConverge) {
  ASSERT_TRUE(publisher.sync("example.com", desired, kOwner).ok());
  ASSERT_TRUE(provider.records("example.com").ok());
  // Someone deletes our DKIM record between the read and the write: the DELETE's 404 is fine.
  Change c{
      {"sel._domainkey.example.com", "TXT"}, 300, {}, desired[1].values, desired[1].values, {}};
  cf.recs.erase(
      std::remove_if(cf.recs.begin(), cf.recs.end(),
                     [](const CfRecord& r) { return r.name == "sel._domainkey.example.com"; }),
      cf.recs.end());
  EXPECT_FALSE(provider.applyChanges("example.com", {c}));
}

TEST_F(CloudflareProviderTest, ErrorsAreClassifiedWithoutTheToken) {
  http.setHandler([](const HttpRequest&) {
    return reply(429, envelope(nullptr, {{{"code", 10429}, {"message", "Rate limited"}}}), "9");
  });
  auto r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kRateLimited);
  EXPECT_EQ(r.error().retryAfter, std::chrono::seconds(9));
  http.setHandler([](const HttpRequest&) {
    return reply(403, envelope(nullptr, {{{"code", 10000}, {"message", "bad token " + kToken}}}));
  });
  r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnauthorized);
  EXPECT_EQ(r.error().message.find(kToken), std::string::npos) << r.error().message;
  http.setHandler([](const HttpRequest&) { return HttpResponse{{}, {}, 502, "<html>", {}, {}}; });
  EXPECT_EQ(provider.records("example.com").error().reason, ProviderErrorReason::kUnavailable);
  http.setHandler([](const HttpRequest&) { return reply(200, envelope(json::array())); });
  CloudflareProvider fresh({kToken, "", std::chrono::seconds(5)}, http);
  EXPECT_EQ(fresh.records("example.com").error().reason, ProviderErrorReason::kZoneNotFound);
  http.setHandler(
      [](const HttpRequest&) { return HttpResponse{{}, {}, 200, "{\"result\":[]}", {}, {}}; });
  CloudflareProvider byId({kToken, "Z1", std::chrono::seconds(5)}, http);
  EXPECT_EQ(byId.records("example.com").error().reason, ProviderErrorReason::kBadResponse);
}

TEST(CloudflareApi, ParsesTheEnvelope) {
  auto e = parseEnvelope(
      R"({"success":false,"errors":[{"code":81058,"message":"An identical record already exists."}],"messages":[],"result":null})");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->success);
  EXPECT_EQ(e->errors, (std::vector<CfError>{{81058, "An identical record already exists."}}));
  EXPECT_EQ(describeErrors(e->errors), "code 81058: An identical record already exists.");
  auto recs = parseRecords(
      R"({"success":true,"errors":[],"result":[{"id":"r1","type":"TXT","name":"example.com","content":"\"a\"","ttl":1}],"result_info":{"page":1,"total_pages":3}})");
  ASSERT_TRUE(recs.ok());
  EXPECT_EQ((*recs)[0], (CfRecord{"r1", "TXT", "example.com", "\"a\"", 1}));
  EXPECT_EQ(
      parseEnvelope(R"({"success":true,"result_info":{"page":2,"total_pages":3}})")->totalPages, 3);
  for (const char* bad : {"", "[]", "{}", R"({"success":"yes"})", R"({"success":true,"result":{}})",
                          R"({"success":true,"result":[{"id":"x"}]})"})
    EXPECT_FALSE(parseRecords(bad).ok()) << bad;
  EXPECT_EQ(json::parse(renderCreate("a.example.com", "\"v\"", 300)),
            (json{{"type", "TXT"}, {"name", "a.example.com"}, {"content", "\"v\""}, {"ttl", 300}}));
}

}  // namespace
}  // namespace mailroom::dnspub::cloudflare
