// The XML reader and the Route 53 documents: ListResourceRecordSets pages (as the API reference
// shows them), hosted zone lookup, error bodies, the change batch body, and batching within
// the 1000-record / 32000-character limits.
#include <gtest/gtest.h>

#include "operator/dns/providers/route53/api.h"
#include "operator/dns/providers/route53/xml.h"

namespace mailroom::dnspub::route53 {
namespace {

const char* kPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
   <ResourceRecordSets>
      <ResourceRecordSet>
         <Name>example.com.</Name><Type>TXT</Type><TTL>300</TTL>
         <ResourceRecords>
            <ResourceRecord><Value>"v=spf1 -all"</Value></ResourceRecord>
            <ResourceRecord><Value>&quot;a&amp;b&quot; "c&#x41;"</Value></ResourceRecord>
         </ResourceRecords>
      </ResourceRecordSet>
      <ResourceRecordSet>
         <Name>\052.example.com.</Name><Type>A</Type>
         <AliasTarget><HostedZoneId>Z2</HostedZoneId><DNSName>x.</DNSName></AliasTarget>
      </ResourceRecordSet>
   </ResourceRecordSets>
   <IsTruncated>true</IsTruncated>
   <MaxItems>2</MaxItems>
   <NextRecordName>sel._domainkey.example.com.</NextRecordName>
   <NextRecordType>TXT</NextRecordType>
</ListResourceRecordSetsResponse>)";

TEST(Route53Api, ParsesAListPage) {
  auto p = parseListResourceRecordSets(kPage);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->rrsets.size(), 1u) << "alias sets are skipped";
  EXPECT_EQ(p->rrsets[0],
            (R53RRset{"example.com.", "TXT", 300, {"\"v=spf1 -all\"", "\"a&b\" \"cA\""}}));
  EXPECT_TRUE(p->truncated);
  EXPECT_EQ(p->nextName, "sel._domainkey.example.com.");
  EXPECT_EQ(p->nextType, "TXT");
}

TEST(Route53Api, RejectsMalformedDocuments) {
  for (const char* bad : {"", "<a>", "<a></b>", "<a>&bogus;</a>", "<a><b></a>",
                          "<ListResourceRecordSetsResponse><IsTruncated>maybe</IsTruncated>"
                          "<ResourceRecordSets/></ListResourceRecordSetsResponse>",
                          "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet>"
                          "<Name>a.</Name><Type>TXT</Type><TTL>-1</TTL></ResourceRecordSet>"
                          "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
                          "</ListResourceRecordSetsResponse>"})
    EXPECT_FALSE(parseListResourceRecordSets(bad).ok()) << bad;
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(parseXml(deep).ok());
}

TEST(Route53Api, FindsThePublicHostedZone) {
  const char* body = R"(<ListHostedZonesByNameResponse><HostedZones>
    <HostedZone><Id>/hostedzone/ZPRIV</Id><Name>example.com.</Name>
      <Config><PrivateZone>true</PrivateZone></Config></HostedZone>
    <HostedZone><Id>/hostedzone/Z123</Id><Name>example.com.</Name>
      <Config><PrivateZone>false</PrivateZone></Config></HostedZone>
  </HostedZones></ListHostedZonesByNameResponse>)";
  EXPECT_EQ(*parseHostedZoneId(body, "example.com"), "Z123");
  EXPECT_EQ(parseHostedZoneId(body, "example.org").error().kind, ErrorKind::kNotFound);
}

TEST(Route53Api, ReadsBothErrorShapes) {
  auto e = parseError(
      "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
      "exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>");
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_EQ(e.message, "Rate exceeded");
  e = parseError(
      "<InvalidChangeBatch><Messages><Message>Tried to delete resource record set but it was not "
      "found</Message></Messages></InvalidChangeBatch>");
  EXPECT_EQ(e.code, "InvalidChangeBatch");
  EXPECT_NE(e.message.find("not found"), std::string::npos);
  EXPECT_EQ(parseError("not xml").code, "");
}

TEST(Route53Api, RendersAChangeBatchThatParsesBack) {
  std::string body =
      renderChangeBatch({{"DELETE", {"example.com.", "TXT", 300, {"\"a<b&c\""}}},
                         {"CREATE", {"example.com.", "TXT", 300, {"\"a<b&c\"", "\"d\""}}}},
                        "mailroom");
  auto doc = parseXml(body);
  ASSERT_TRUE(doc.ok()) << body;
  auto changes = doc->child("ChangeBatch")->child("Changes")->childrenNamed("Change");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0]->childText("Action"), "DELETE");
  auto* rs = changes[1]->child("ResourceRecordSet");
  EXPECT_EQ(rs->childText("TTL"), "300");
  EXPECT_EQ(rs->child("ResourceRecords")->childrenNamed("ResourceRecord")[0]->childText("Value"),
            "\"a<b&c\"");
}

TEST(Route53Api, BatchesKeepGroupsWholeWithinTheLimits) {
  // 600 groups of a DELETE and a CREATE of one value each: 1200 records, so two batches, the
  // first holding 500 whole groups.
  std::vector<std::vector<R53Change>> groups;
  for (int i = 0; i < 600; ++i) {
    R53RRset rs{"n" + std::to_string(i) + ".example.com.", "TXT", 60, {"\"v\""}};
    groups.push_back({{"DELETE", rs}, {"CREATE", rs}});
  }
  auto b = batchChanges(groups);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].groups, 500);
  EXPECT_EQ((*b)[0].changes.size(), 1000u);
  EXPECT_EQ((*b)[1].groups, 100);
  // Characters: 40 values of 1000 characters (UPSERT counts twice) need three batches.
  groups.clear();
  for (int i = 0; i < 40; ++i)
    groups.push_back({{"UPSERT", {"n.example.com.", "TXT", 60, {std::string(1000, 'x')}}}});
  b = batchChanges(groups);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[0].groups, 16);
  // One group over the limit alone is refused.
  groups = {{{"CREATE", {"n.", "TXT", 60, std::vector<std::string>(1001, "\"v\"")}}}};
  EXPECT_FALSE(batchChanges(groups).ok());
}

TEST(Route53Api, NormalizesNames) {
  EXPECT_EQ(normalizeRoute53Name("\\052.Example.COM."), "*.example.com");
  EXPECT_EQ(normalizeRoute53Name("_dmarc.example.com."), "_dmarc.example.com");
  EXPECT_EQ(normalizeRoute53Name("a\\05"), "a\\05");
}

}  // namespace
}  // namespace mailroom::dnspub::route53
