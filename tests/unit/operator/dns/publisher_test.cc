// Publisher over the in-memory reference provider: the rounds a MailDomain goes through.
#include "operator/dns/publisher.h"

#include <gtest/gtest.h>

#include "operator/dns/providers/inmemory/inmemory.h"

namespace mailroom::dnspub {
namespace {

const Owner kOwner{"prod", "mail", "example-com"};
const std::string kZone = "example.com";
const std::string kSpfForeign = "v=spf1 include:_spf.google.com ~all";
const std::string kGsv = "google-site-verification=abc123";
const std::string kKey = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

using Values = std::vector<std::string>;

std::vector<RecordSet> desired(const std::string& ip = "198.51.100.10") {
  return {{"example.com", "TXT", 300, {"v=spf1 ip4:" + ip + " -all"}},
          {"s1._domainkey.example.com", "TXT", 300, {kKey}},
          {"_dmarc.example.com", "TXT", 300, {"v=DMARC1; p=reject"}}};
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dns.createZone(kZone);
    dns.put(kZone, {"example.com", "TXT", 3600, {kGsv, kSpfForeign}});
  }
  ProviderResult<SyncReport> sync(const std::vector<RecordSet>& want, const Owner& o = kOwner) {
    return publisher.sync(kZone, want, o);
  }
  InMemoryProvider dns;
  Publisher publisher{dns};
};

TEST_F(PublisherTest, FirstRoundPublishesAndMergesSecondRoundChangesNothing) {
  auto first = sync(desired());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->applied);
  EXPECT_EQ(first->plan.valuesAdded, 3);
  EXPECT_EQ(dns.values(kZone, "example.com"),
            (Values{kGsv, "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all"}));
  EXPECT_EQ(dns.values(kZone, "s1._domainkey.example.com"), Values{kKey});
  EXPECT_EQ(dns.values(kZone, "_mailroom-owner.example.com").size(), 1u);
  EXPECT_EQ(publishedCondition(first).status, "True");

  int calls = dns.applyCalls();
  auto second = sync(desired());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->applied);
  EXPECT_TRUE(second->plan.changes.empty());
  EXPECT_EQ(second->plan.recordSetsInSync, 3);
  EXPECT_EQ(dns.applyCalls(), calls);
  EXPECT_EQ(publishedCondition(second),
            (PublishedCondition{"DNSPublished", "True", "Published",
                                "all records published, no changes needed"}));
}

TEST_F(PublisherTest, UpdateAndDeletionTouchOnlyOurs) {
  ASSERT_TRUE(sync(desired()).ok());
  // Someone else adds a term to the shared SPF record and a token at the apex meanwhile.
  dns.put(kZone, {"example.com",
                  "TXT",
                  3600,
                  {kGsv, "v=spf1 include:_spf.google.com ip4:198.51.100.10 mx ~all", "other=1"}});
  ASSERT_TRUE(sync(desired("198.51.100.11")).ok());
  EXPECT_EQ(dns.values(kZone, "example.com"),
            (Values{kGsv, "other=1", "v=spf1 include:_spf.google.com mx ip4:198.51.100.11 ~all"}));

  auto gone = sync({});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(dns.values(kZone, "example.com"),
            (Values{kGsv, "other=1", "v=spf1 include:_spf.google.com mx ~all"}));
  EXPECT_TRUE(dns.values(kZone, "s1._domainkey.example.com").empty());
  EXPECT_TRUE(dns.values(kZone, "_dmarc.example.com").empty());
  EXPECT_TRUE(dns.values(kZone, "_mailroom-owner.example.com").empty());
  EXPECT_TRUE(dns.values(kZone, "_mailroom-owner.s1._domainkey.example.com").empty());
  auto again = sync({});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
}

TEST_F(PublisherTest, TwoClustersShareTheApexSpfRecord) {
  Owner staging{"staging", "mail", "example-com"};
  ASSERT_TRUE(sync({{"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.10 -all"}}}).ok());
  ASSERT_TRUE(sync({{"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.20 -all"}}}, staging).ok());
  EXPECT_EQ(dns.values(kZone, "example.com")[1],
            "v=spf1 include:_spf.google.com ip4:198.51.100.10 ip4:198.51.100.20 ~all");
  EXPECT_EQ(dns.values(kZone, "_mailroom-owner.example.com").size(), 2u);
  ASSERT_TRUE(sync({}).ok());
  EXPECT_EQ(dns.values(kZone, "example.com")[1],
            "v=spf1 include:_spf.google.com ip4:198.51.100.20 ~all");
  ASSERT_TRUE(sync({}, staging).ok());
  EXPECT_EQ(dns.values(kZone, "example.com"), (Values{kGsv, kSpfForeign}));
}

TEST_F(PublisherTest, ConflictsArePublishedAsAConditionNamingTheRecord) {
  dns.put(kZone, {"_dmarc.example.com", "TXT", 300, {"v=DMARC1; p=none"}});
  auto r = sync(desired());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(dns.values(kZone, "_dmarc.example.com"), Values{"v=DMARC1; p=none"});
  auto cond = publishedCondition(r);
  EXPECT_EQ(cond.status, "False");
  EXPECT_EQ(cond.reason, "Conflict");
  EXPECT_NE(cond.message.find("_dmarc.example.com"), std::string::npos);
  // The rest was published all the same.
  EXPECT_EQ(dns.values(kZone, "s1._domainkey.example.com"), Values{kKey});
}

TEST_F(PublisherTest, LostRegistryMeansNothingIsOursAndNothingIsDuplicated) {
  ASSERT_TRUE(sync(desired()).ok());
  dns.put(kZone, {"_mailroom-owner.example.com", "TXT", 300, {}});
  dns.put(kZone, {"_mailroom-owner.s1._domainkey.example.com", "TXT", 300, {}});
  dns.put(kZone, {"_mailroom-owner._dmarc.example.com", "TXT", 300, {}});
  auto r = sync(desired());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->plan.valuesAdded, 0);
  ASSERT_TRUE(sync({}).ok());
  EXPECT_EQ(dns.values(kZone, "s1._domainkey.example.com"), Values{kKey});  // not ours any more
}

TEST_F(PublisherTest, ProviderErrorsBecomeTheConditionAndNothingIsWritten) {
  dns.failNext({ProviderErrorReason::kUnauthorized, "PowerDNS refused the API key (HTTP 401)"});
  auto r = sync(desired());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(publishedCondition(r),
            (PublishedCondition{"DNSPublished", "False", "ProviderUnauthorized",
                                "PowerDNS refused the API key (HTTP 401)"}));
  EXPECT_EQ(dns.values(kZone, "example.com"), (Values{kGsv, kSpfForeign}));

  ProviderError partial{ProviderErrorReason::kTimeout, "timed out", {}, 2};
  dns.failNext(partial);  // records() fails first: no write attempted
  EXPECT_EQ(sync(desired()).error().reason, ProviderErrorReason::kTimeout);
}

TEST_F(PublisherTest, PartialApplyIsReportedWithCounts) {
  class Failing : public InMemoryProvider {
   public:
    std::optional<ProviderError> applyChanges(const std::string&,
                                              const std::vector<Change>&) override {
      return ProviderError{ProviderErrorReason::kUnavailable, "HTTP 503", {}, 2};
    }
  } failing;
  failing.createZone(kZone);
  Publisher p(failing);
  auto r = p.sync(kZone, desired(), kOwner);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("2 of 6 record set changes were applied"), std::string::npos);
  EXPECT_TRUE(isTemporary(r.error().reason));
}

TEST_F(PublisherTest, RecordsOutsideTheZoneAndMissingZonesAreErrors) {
  auto outside = sync({{"example.org", "TXT", 300, {"x"}}});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().reason, ProviderErrorReason::kInvalidRecords);
  EXPECT_EQ(publishedCondition(outside).reason, "InvalidRecords");
  auto missing = publisher.sync("example.net", {}, kOwner);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, ProviderErrorReason::kZoneNotFound);
}

}  // namespace
}  // namespace mailroom::dnspub
