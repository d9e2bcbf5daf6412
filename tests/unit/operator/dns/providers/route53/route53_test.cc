// The Route 53 provider through the Publisher against a fake of the REST API over
// tests/mocks/fake_http_client.h that keeps a hosted zone, pages ListResourceRecordSets two
// sets at a time and applies a change batch atomically with Route 53's rules (a DELETE must
// match the RRset exactly, a CREATE must not find one). moto, the e2e peer, does not enforce
// the DELETE rule, so the concurrent-writer case is tested here.
#include "operator/dns/providers/route53/route53.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "operator/dns/providers/route53/xml.h"
#include "operator/dns/publisher.h"
#include "operator/dns/txt_presentation.h"
#include "tests/mocks/fake_http_client.h"

namespace mailroom::dnspub::route53 {
namespace {

using testing::FakeHttpClient;
const Owner kOwner{"prod", "mail", "example-com"};
const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

HttpResponse reply(int status, std::string body = "", std::string retryAfter = "") {
  return {{}, {}, status, std::move(body), std::move(retryAfter), {}};
}

class FakeRoute53 {
 public:
  std::map<std::pair<std::string, std::string>, R53RRset> sets;  // (name., type)
  std::function<void()> beforeChange;
  int throttles = 0;  // answer this many requests with 400 Throttling
  int posts = 0;

  void setTxt(const std::string& name, uint32_t ttl, const std::vector<std::string>& values) {
    R53RRset rs{name + ".", "TXT", ttl, {}};
    for (const auto& v : values) rs.values.push_back(renderTxtContent(v));
    sets[{name + ".", "TXT"}] = rs;
  }
  std::vector<std::string> txt(const std::string& name) const {
    std::vector<std::string> out;
    auto it = sets.find({name + ".", "TXT"});
    if (it != sets.end())
      for (const auto& v : it->second.values) out.push_back(*parseTxtContent(v));
    std::sort(out.begin(), out.end());
    return out;
  }

  HttpResponse handle(const HttpRequest& r) {
    bool signedOk = false;
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization" && v.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0) == 0 &&
          v.find("/us-east-1/route53/aws4_request, SignedHeaders=host;x-amz-date, Signature=") !=
              std::string::npos)
        signedOk = true;
    if (!signedOk) return reply(403, error("InvalidSignatureException", "bad signature"));
    if (throttles > 0) {
      --throttles;
      return reply(400, error("Throttling", "Rate exceeded"));
    }
    if (r.method == "GET" && r.path.rfind("/2013-04-01/hostedzonesbyname", 0) == 0)
      return reply(200,
                   "<ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/Z1</Id>"
                   "<Name>example.com.</Name></HostedZone></HostedZones>"
                   "</ListHostedZonesByNameResponse>");
    if (r.path.rfind("/2013-04-01/hostedzone/Z1/rrset", 0) != 0)
      return reply(404, error("NoSuchHostedZone", "No hosted zone found"));
    if (r.method == "GET") return list(r.path);
    ++posts;
    if (beforeChange) beforeChange();
    return change(r.body);
  }

 private:
  static std::string error(const std::string& code, const std::string& msg) {
    return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + msg +
           "</Message></Error></ErrorResponse>";
  }
  HttpResponse list(const std::string& path) {
    std::string start;
    if (auto at = path.find("&name="); at != std::string::npos) {
      start = path.substr(at + 6, path.find('&', at + 1) - at - 6);
    }
    std::string x = "<ListResourceRecordSetsResponse><ResourceRecordSets>";
    int n = 0;
    std::string next;
    for (const auto& [key, rs] : sets) {
      if (!start.empty() && key.first < start) continue;
      if (n == 2) {
        next = key.first;
        break;
      }
      ++n;
      x += "<ResourceRecordSet><Name>" + rs.name + "</Name><Type>" + rs.type + "</Type><TTL>" +
           std::to_string(rs.ttl) + "</TTL><ResourceRecords>";
      for (const auto& v : rs.values)
        x += "<ResourceRecord><Value>" + xmlEscape(v) + "</Value></ResourceRecord>";
      x += "</ResourceRecords></ResourceRecordSet>";
    }
    x += "</ResourceRecordSets><IsTruncated>" + std::string(next.empty() ? "false" : "true") +
         "</IsTruncated>";
    if (!next.empty())
      x += "<NextRecordName>" + next + "</NextRecordName><NextRecordType>TXT</NextRecordType>";
    return reply(200, x + "</ListResourceRecordSetsResponse>");
  }
  HttpResponse change(const std::string& body) {
    auto doc = parseXml(body);
    if (!doc) return reply(400, error("InvalidInput", "bad XML"));
    auto copy = sets;
    for (const auto* c : doc->child("ChangeBatch")->child("Changes")->childrenNamed("Change")) {
      const auto* rs = c->child("ResourceRecordSet");
      R53RRset want{rs->childText("Name"),
                    rs->childText("Type"),
                    static_cast<uint32_t>(std::stoul(rs->childText("TTL"))),
                    {}};
      for (const auto* v : rs->child("ResourceRecords")->childrenNamed("ResourceRecord"))
        want.values.push_back(v->childText("Value"));
      auto key = std::make_pair(want.name, want.type);
      std::string action = c->childText("Action");
      auto it = copy.find(key);
      if (action == "DELETE") {
        if (it == copy.end() || !(it->second == want))
          return reply(400,
                       "<InvalidChangeBatch><Messages><Message>Tried to delete resource "
                       "record set [name='" +
                           want.name +
                           "', type='TXT'] but the values "
                           "provided do not match the current values</Message></Messages>"
                           "</InvalidChangeBatch>");
        copy.erase(it);
      } else if (action == "CREATE") {
        if (it != copy.end())
          return reply(400,
                       "<InvalidChangeBatch><Messages><Message>Tried to create resource "
                       "record set but it already exists</Message></Messages>"
                       "</InvalidChangeBatch>");
        copy[key] = want;
      }
    }
    sets = std::move(copy);
    return reply(200,
                 "<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id>"
                 "<Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>");
  }
};

struct Route53ProviderTest : ::testing::Test {
  FakeRoute53 aws;
  FakeHttpClient http{[this](const HttpRequest& r) { return aws.handle(r); }};
  Route53Provider provider{config(), http};
  Publisher publisher{provider};
  std::vector<RecordSet> desired = {
      {"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.10 -all"}},
      {"sel._domainkey.example.com", "TXT", 300, {"v=DKIM1; p=" + std::string(400, 'A')}},
  };
  static Route53Config config() {
    Route53Config c;
    c.credentials = {"AKIDEXAMPLE", kSecret, ""};
    c.now = [] { return std::time_t{1440938160}; };
    return c;
  }
  void SetUp() override {
    aws.setTxt("example.com", 3600, {"gsv=1", "v=spf1 include:_spf.google.com ~all"});
    aws.setTxt("a.example.com", 60, {"a"});
    aws.setTxt("b.example.com", 60, {"b"});
  }
};

TEST_F(Route53ProviderTest, RoundsPaginateSignAndWriteByValue) {
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(aws.posts, 1);
  EXPECT_EQ(
      aws.txt("example.com"),
      (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all"}));
  EXPECT_EQ((aws.sets[{"example.com.", "TXT"}].ttl), 3600u) << "existing TTL kept";
  EXPECT_EQ(aws.txt("sel._domainkey.example.com"), desired[1].values);
  EXPECT_EQ(aws.txt("b.example.com"), std::vector<std::string>{"b"}) << "foreign sets untouched";
  // The request carried X-Amz-Date for the injected clock.
  const auto& last = http.requests().back();
  EXPECT_NE(std::find(last.headers.begin(), last.headers.end(),
                      std::make_pair(std::string("X-Amz-Date"), std::string("20150830T123600Z"))),
            last.headers.end());

  int gets = http.count("GET");
  auto again = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(aws.posts, 1);
  EXPECT_GE(http.count("GET") - gets, 3) << "several pages read";

  auto gone = publisher.sync("example.com", {}, kOwner);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(aws.txt("example.com"),
            (std::vector<std::string>{"gsv=1", "v=spf1 include:_spf.google.com ~all"}));
  EXPECT_TRUE(aws.txt("sel._domainkey.example.com").empty());
  EXPECT_TRUE(aws.txt("_mailroom-owner.example.com").empty());
}

TEST_F(Route53ProviderTest, ConcurrentWriterMakesTheBatchFail) {
  aws.beforeChange = [&] {
    aws.sets[{"example.com.", "TXT"}].values.push_back("\"race=1\"");
    aws.beforeChange = nullptr;
  };
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnavailable);
  EXPECT_NE(r.error().message.find("changed since"), std::string::npos) << r.error().message;
  EXPECT_TRUE(aws.txt("sel._domainkey.example.com").empty()) << "nothing of the batch written";
  auto next = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(next.ok()) << next.error().message;
  auto apex = aws.txt("example.com");
  EXPECT_NE(std::find(apex.begin(), apex.end(), "race=1"), apex.end());
}

TEST_F(Route53ProviderTest, ThrottlingIsRateLimitedWithBackoff) {
  aws.throttles = 1;
  auto r = provider.records("example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kRateLimited);
  EXPECT_EQ(r.error().retryAfter, std::chrono::seconds(2));
  http.setHandler([](const HttpRequest&) { return reply(429, "", "7"); });
  r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kRateLimited);
  EXPECT_EQ(r.error().retryAfter, std::chrono::seconds(7));
  http.setHandler([](const HttpRequest&) { return reply(503, ""); });
  EXPECT_EQ(provider.records("example.com").error().reason, ProviderErrorReason::kRateLimited);
}

TEST_F(Route53ProviderTest, ErrorsAreClassifiedAndNeverCarryTheSecret) {
  http.setHandler([](const HttpRequest&) {
    return reply(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>secret " +
                          kSecret + "</Message></Error></ErrorResponse>");
  });
  auto r = provider.records("example.com");
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnauthorized);
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << r.error().message;
  http.setHandler([](const HttpRequest&) {
    return reply(200,
                 "<ListHostedZonesByNameResponse><HostedZones/></ListHostedZonesByNameResponse>");
  });
  Route53Provider fresh(config(), http);
  EXPECT_EQ(fresh.records("example.com").error().reason, ProviderErrorReason::kZoneNotFound);
  http.setHandler([](const HttpRequest&) { return reply(200, "<nonsense"); });
  Route53Config withId = config();
  withId.hostedZoneId = "Z1";
  Route53Provider byId(withId, http);
  EXPECT_EQ(byId.records("example.com").error().reason, ProviderErrorReason::kBadResponse);
}

TEST(Route53Credentials, ParsesIdSecretAndOptionalToken) {
  auto c = parseCredentials("AKID:sec:ret");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accessKeyId, "AKID");
  EXPECT_EQ(c->secretAccessKey, "sec");
  EXPECT_EQ(c->sessionToken, "ret");
  EXPECT_FALSE(parseCredentials("nocolon").ok());
  EXPECT_FALSE(parseCredentials(":x").ok());
  EXPECT_FALSE(parseCredentials("x:").ok());
}

}  // namespace
}  // namespace mailroom::dnspub::route53
