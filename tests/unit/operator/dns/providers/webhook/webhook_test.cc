// The Webhook provider over a fake external-dns webhook plugin (tests/mocks/fake_http_client.h)
// that checks the media type on every request, answers with it, keeps endpoints as whole RRsets
// and accepts either capitalization of the Changes keys; plus the protocol's codecs. The real
// external-dns is in tests/e2e/dns (e2e.dns.webhook).
#include "operator/dns/providers/webhook/webhook.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "operator/dns/publisher.h"
#include "operator/dns/txt_presentation.h"
#include "tests/mocks/fake_http_client.h"

namespace mailroom::dnspub::webhook {
namespace {

using testing::FakeHttpClient;
const Owner kOwner{"prod", "mail", "example-com"};
const std::string kMedia(kMediaType);

bool hasHeader(const HttpRequest& r, const std::string& k, const std::string& v) {
  return std::find(r.headers.begin(), r.headers.end(), std::make_pair(k, v)) != r.headers.end();
}

class FakePlugin {
 public:
  std::vector<Endpoint> eps;
  std::string filter = R"({"include":["example.com"]})";
  bool dropOnAdjust = false;
  std::string answerType = kMedia;
  int applies = 0;

  std::vector<std::string> txt(const std::string& name) const {
    for (const auto& e : eps)
      if (e.dnsName == name) {
        std::vector<std::string> out;
        for (const auto& t : e.targets) out.push_back(*parseTxtContent(t));
        std::sort(out.begin(), out.end());
        return out;
      }
    return {};
  }
  HttpResponse handle(const HttpRequest& r) {
    if (!hasHeader(r, "Accept", kMedia)) return {{}, {}, 406, "", {}, ""};
    if (r.method == "POST" && r.contentType != kMedia) return {{}, {}, 415, "", {}, ""};
    if (r.method == "GET" && r.path == "/") return ok(filter);
    if (r.method == "GET" && r.path == "/records") return ok(renderEndpoints(eps));
    if (r.method == "POST" && r.path == "/adjustendpoints") {
      auto in = parseEndpoints(r.body);
      if (dropOnAdjust) in->clear();
      return ok(renderEndpoints(*in));
    }
    if (r.method == "POST" && r.path == "/records") {
      auto c = parseChanges(r.body);
      if (!c) return {{}, {}, 400, "", {}, ""};
      ++applies;
      for (const auto& e : c->create) replace(e);
      for (const auto& e : c->updateNew) replace(e);
      for (const auto& e : c->remove)
        eps.erase(std::remove_if(eps.begin(), eps.end(),
                                 [&](const Endpoint& x) { return x.dnsName == e.dnsName; }),
                  eps.end());
      return {{}, {}, 204, "", {}, ""};
    }
    return {{}, {}, 404, "", {}, ""};
  }

 private:
  HttpResponse ok(std::string body) { return {{}, {}, 200, std::move(body), {}, answerType}; }
  void replace(const Endpoint& e) {
    eps.erase(std::remove_if(eps.begin(), eps.end(),
                             [&](const Endpoint& x) { return x.dnsName == e.dnsName; }),
              eps.end());
    eps.push_back(e);
  }
};

struct WebhookProviderTest : ::testing::Test {
  FakePlugin plugin;
  FakeHttpClient http{[this](const HttpRequest& r) { return plugin.handle(r); }};
  WebhookProvider provider{{"hook-token"}, http};
  Publisher publisher{provider};
  std::vector<RecordSet> desired = {
      {"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.10 -all"}},
      {"sel._domainkey.example.com", "TXT", 300, {"v=DKIM1; p=" + std::string(300, 'A')}},
  };
  void SetUp() override {
    plugin.eps = {{"example.com",
                   {"\"gsv=1\"", "\"v=spf1 include:_spf.google.com ~all\""},
                   "TXT",
                   "",
                   3600,
                   {},
                   {}},
                  {"www.example.com", {"198.51.100.80"}, "A", "", 60, {}, {}},
                  {"other.example.net", {"\"x\""}, "TXT", "", 60, {}, {}}};
  }
};

TEST_F(WebhookProviderTest, RoundsNegotiateAdjustAndApply) {
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(plugin.applies, 1);
  EXPECT_EQ(
      plugin.txt("example.com"),
      (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all"}));
  EXPECT_EQ(plugin.txt("sel._domainkey.example.com"), desired[1].values);
  EXPECT_EQ(plugin.txt("other.example.net"), std::vector<std::string>{"x"});
  EXPECT_TRUE(hasHeader(http.requests().back(), "Authorization", "Bearer hook-token"));
  EXPECT_EQ(std::count_if(http.requests().begin(), http.requests().end(),
                          [](const HttpRequest& q) { return q.path == "/"; }),
            1);
  auto again = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(plugin.applies, 1);
  auto gone = publisher.sync("example.com", {}, kOwner);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(plugin.txt("example.com"),
            (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ~all"}));
  EXPECT_TRUE(plugin.txt("sel._domainkey.example.com").empty());
}

TEST_F(WebhookProviderTest, MediaTypeIsComparedExactly) {
  plugin.answerType = "application/json";
  auto r = provider.records("example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kBadResponse);
  plugin.answerType = kMedia + "; charset=utf-8";
  WebhookProvider fresh({""}, http);
  EXPECT_EQ(fresh.records("example.com").error().reason, ProviderErrorReason::kBadResponse);
}

TEST_F(WebhookProviderTest, ZoneOutsideTheDomainFilterIsNotFound) {
  plugin.filter = R"({"include":["example.org"],"exclude":[]})";
  EXPECT_EQ(provider.records("example.com").error().reason, ProviderErrorReason::kZoneNotFound);
}

TEST_F(WebhookProviderTest, APluginThatDropsAnEndpointRefusesIt) {
  plugin.dropOnAdjust = true;
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kRejected);
  EXPECT_EQ(plugin.applies, 0);
}

TEST_F(WebhookProviderTest, ServerErrorsAreTemporaryAndTheTokenNeverAppears) {
  http.setHandler([](const HttpRequest&) { return HttpResponse{{}, {}, 500, "", {}, ""}; });
  auto r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnavailable);
  http.setHandler(
      [](const HttpRequest&) { return HttpResponse{{}, {}, 403, "bad token hook-token", {}, ""}; });
  r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnauthorized);
  EXPECT_EQ(r.error().message.find("hook-token"), std::string::npos);
}

TEST(WebhookProtocol, ChangesInBothCapitalizations) {
  auto lower = parseChanges(
      R"({"create":[{"dnsName":"a.example.com","targets":["\"v\""],"recordType":"TXT"}],"delete":null})");
  auto upper = parseChanges(
      R"({"Create":[{"dnsName":"a.example.com","targets":["\"v\""],"recordType":"TXT"}],"UpdateOld":[],"UpdateNew":[],"Delete":[]})");
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*lower, *upper);
  ASSERT_EQ(lower->create.size(), 1u);
  Changes c;
  c.updateOld = {{"a.example.com", {"\"1\""}, "TXT", "", 60, {{"owner", "x"}}, {}}};
  c.updateNew = {{"a.example.com", {"\"2\""}, "TXT", "", 60, {{"owner", "x"}}, {}}};
  auto j = nlohmann::json::parse(renderChanges(c));
  EXPECT_TRUE(j.contains("updateOld"));
  EXPECT_TRUE(j.contains("updateNew"));
  EXPECT_FALSE(j.contains("create"));
  EXPECT_EQ(*parseChanges(renderChanges(c)), c);
  EXPECT_FALSE(parseChanges("[]").ok());
  EXPECT_FALSE(parseChanges(R"({"create":[{"dnsName":"a"}]})").ok());
}

TEST(WebhookProtocol, DomainFilterMatches) {
  auto f = parseDomainFilter(R"({"include":["example.com"],"exclude":["internal.example.com"]})");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->matches("example.com"));
  EXPECT_TRUE(f->matches("mail.example.com"));
  EXPECT_FALSE(f->matches("badexample.com"));
  EXPECT_FALSE(f->matches("a.internal.example.com"));
  EXPECT_TRUE(parseDomainFilter("{}")->matches("anything.example"));
  auto re = parseDomainFilter(R"({"regexInclude":"example\\.(com|org)$"})");
  EXPECT_TRUE(re->matches("example.org"));
  EXPECT_FALSE(re->matches("example.net"));
  EXPECT_FALSE(parseDomainFilter(R"({"include":"x"})").ok());
}

}  // namespace
}  // namespace mailroom::dnspub::webhook
