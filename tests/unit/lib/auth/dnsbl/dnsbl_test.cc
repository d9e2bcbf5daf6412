#include "lib/auth/dnsbl/dnsbl.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::auth::dnsbl {
namespace {

using testing::FakeResolver;
using testing::runTask;

dns::Address ip(const char* s) {
  return asio::ip::make_address(s);
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(DnsblQueryName, Ipv4ReversedOctetsRfc5782) {
  EXPECT_EQ(dnsblQueryName(ip("198.51.100.7"), "zen.spamhaus.org."),
            "7.100.51.198.zen.spamhaus.org");
  EXPECT_EQ(dnsblQueryName(ip("::ffff:198.51.100.7"), "bl.example"), "7.100.51.198.bl.example");
}

TEST(DnsblQueryName, Ipv6ReversedNibblesRfc5782Section2_4) {
  // The example of RFC 5782 §2.4 (2001:db8:1:2:3:4:567:89ab under ugly.example.com).
  EXPECT_EQ(dnsblQueryName(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
}

TEST(Interpret, GenericListingAndOutOfRangeCodes) {
  auto listed = interpret("bl.example", {ip("127.0.0.2")});
  EXPECT_TRUE(listed.listed);
  EXPECT_FALSE(listed.tempError);
  auto hijacked = interpret("bl.example", {ip("198.51.100.80")});
  EXPECT_FALSE(hijacked.listed);
  EXPECT_TRUE(hijacked.tempError);
  EXPECT_TRUE(contains(hijacked.meaning, "127.0.0.0/8")) << hijacked.meaning;
  auto one = interpret("bl.example", {ip("127.0.0.1")});
  EXPECT_FALSE(one.listed);
  EXPECT_TRUE(one.tempError);
}

TEST(Interpret, SpamhausCodes) {
  auto pbl = interpret("zen.spamhaus.org", {ip("127.0.0.10"), ip("127.0.0.4")});
  EXPECT_TRUE(pbl.listed);
  EXPECT_TRUE(contains(pbl.meaning, "PBL")) << pbl.meaning;
  EXPECT_TRUE(contains(pbl.meaning, "XBL")) << pbl.meaning;
  auto refused = interpret("zen.spamhaus.org", {ip("127.255.255.254")});
  EXPECT_FALSE(refused.listed);
  EXPECT_TRUE(refused.tempError);
  EXPECT_TRUE(contains(refused.meaning, "public resolver")) << refused.meaning;
  EXPECT_TRUE(interpret("zen.spamhaus.org", {ip("127.255.255.255")}).tempError);
  EXPECT_TRUE(interpret("zen.spamhaus.org", {ip("127.255.255.252")}).tempError);
}

TEST(CheckDnsbl, NotListedListedAndTempErrorPerZone) {
  FakeResolver r;
  r.addA("10.100.51.198.bl.example", "127.0.0.2");
  r.addTxt("10.100.51.198.bl.example", "Listed: see https://bl.example/lookup?198.51.100.10");
  r.fail("10.100.51.198.flaky.example", FakeResolver::Type::kA, dns::Status::kTimeout);
  auto vs = runTask(
      checkDnsbl(r, ip("198.51.100.10"), {"clean.example", "BL.example.", "flaky.example"}));
  ASSERT_EQ(vs.size(), 3u);

  EXPECT_EQ(vs[0].zone, "clean.example");
  EXPECT_FALSE(vs[0].listed);
  EXPECT_FALSE(vs[0].tempError);
  EXPECT_TRUE(vs[0].returnCodes.empty());

  EXPECT_EQ(vs[1].zone, "bl.example");
  EXPECT_TRUE(vs[1].listed);
  EXPECT_FALSE(vs[1].tempError);
  EXPECT_EQ(vs[1].returnCodes, std::vector<dns::Address>{ip("127.0.0.2")});
  EXPECT_EQ(vs[1].txtReason, "Listed: see https://bl.example/lookup?198.51.100.10");

  EXPECT_FALSE(vs[2].listed);
  EXPECT_TRUE(vs[2].tempError);
  EXPECT_TRUE(contains(vs[2].meaning, "could not check")) << vs[2].meaning;
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "10.100.51.198.clean.example"), 0);
}

TEST(CheckDnsbl, SpamhausRefusalFromPublicResolverIsNotAListing) {
  FakeResolver r;
  r.addA("10.100.51.198.zen.spamhaus.org", "127.255.255.254");
  auto vs = runTask(checkDnsbl(r, ip("198.51.100.10"), {"zen.spamhaus.org"}));
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_FALSE(vs[0].listed);
  EXPECT_TRUE(vs[0].tempError);
  EXPECT_EQ(vs[0].returnCodes, std::vector<dns::Address>{ip("127.255.255.254")});
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "10.100.51.198.zen.spamhaus.org"), 0);
}

TEST(CheckDnsbl, Ipv6ListingAndTxtFailureKeepsTheVerdict) {
  FakeResolver r;
  auto name = dnsblQueryName(ip("2001:db8::25"), "zen.spamhaus.org");
  r.addA(name, "127.0.0.3");
  r.fail(name, FakeResolver::Type::kTxt, dns::Status::kTempFail);
  auto vs = runTask(checkDnsbl(r, ip("2001:db8::25"), {"zen.spamhaus.org"}));
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_TRUE(vs[0].listed);
  EXPECT_FALSE(vs[0].tempError);
  EXPECT_TRUE(vs[0].txtReason.empty());
  EXPECT_TRUE(contains(vs[0].meaning, "CSS")) << vs[0].meaning;
}

TEST(CheckDnsbl, ServfailIsTempErrorNotClean) {
  FakeResolver r;
  r.fail("10.100.51.198.bl.example", FakeResolver::Type::kA, dns::Status::kTempFail);
  auto vs = runTask(checkDnsbl(r, ip("198.51.100.10"), {"bl.example"}));
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_FALSE(vs[0].listed);
  EXPECT_TRUE(vs[0].tempError);
}

}  // namespace
}  // namespace mailroom::auth::dnsbl
