#include "lib/auth/dmarc/dmarc.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::dmarc {
namespace {

using testing::FakeResolver;
using testing::runTask;

PublicSuffixList psl() {
  return parsePublicSuffixList("com\nuk\nco.uk\nexample\n");
}

Discovery discover(FakeResolver& r, const char* from) {
  auto list = psl();
  return runTask(discoverDmarc(r, from, list));
}

TEST(DmarcDiscovery, RecordAtTheFromDomain) {
  FakeResolver r;
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none");
  r.addTxt("_dmarc.example.com", "some other text");
  auto d = discover(r, "Example.com.");
  ASSERT_EQ(d.verdict, Verdict::kFound) << d.problem;
  EXPECT_EQ(d.queriedName, "_dmarc.example.com");
  EXPECT_EQ(d.policyDomain, "example.com");
  EXPECT_FALSE(d.atOrganizationalDomain);
  EXPECT_EQ(d.effectivePolicy(), Policy::kReject);
  EXPECT_FALSE(d.treatedAsNone());
}

TEST(DmarcDiscovery, FallsBackToTheOrganizationalDomainAndItsSp) {
  FakeResolver r;
  r.addTxt("_dmarc.example.co.uk", "v=DMARC1; p=reject; sp=quarantine");
  auto d = discover(r, "mail.eu.example.co.uk");
  ASSERT_EQ(d.verdict, Verdict::kFound) << d.problem;
  EXPECT_EQ(d.queriedName, "_dmarc.example.co.uk");
  EXPECT_EQ(d.policyDomain, "example.co.uk");
  EXPECT_TRUE(d.atOrganizationalDomain);
  EXPECT_EQ(d.effectivePolicy(), Policy::kQuarantine);
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "_dmarc.mail.eu.example.co.uk"), 1);
  // §6.6.3: only the From domain and the Organizational Domain, no walk up the tree.
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "_dmarc.eu.example.co.uk"), 0);
  EXPECT_EQ(r.totalQueries(), 2);
}

TEST(DmarcDiscovery, NoRecordAnywhereIsNone) {
  FakeResolver r;
  r.addTxt("_dmarc.example.com", "v=spf1 -all");  // not DMARC: discarded
  auto d = discover(r, "sub.example.com");
  EXPECT_EQ(d.verdict, Verdict::kNone);
  EXPECT_TRUE(d.treatedAsNone());
  EXPECT_NE(d.problem.find("_dmarc.example.com"), std::string::npos);
}

TEST(DmarcDiscovery, MultipleRecordsAreTreatedAsNone) {
  FakeResolver r;
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=none");
  r.addTxt("_dmarc.sub.example.com", "v=DMARC1; p=none");
  r.addTxt("_dmarc.sub.example.com", "v=DMARC1; p=quarantine");
  auto d = discover(r, "example.com");
  EXPECT_EQ(d.verdict, Verdict::kMultipleRecords);
  EXPECT_TRUE(d.treatedAsNone());
  // Several records at the From domain end discovery: no fallback to the org domain.
  auto sub = discover(r, "sub.example.com");
  EXPECT_EQ(sub.verdict, Verdict::kMultipleRecords);
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "_dmarc.example.com"), 1);
}

TEST(DmarcDiscovery, BrokenRecordIsInvalidWithTheTag) {
  FakeResolver r;
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject; pct=200");
  auto d = discover(r, "example.com");
  EXPECT_EQ(d.verdict, Verdict::kInvalidRecord);
  EXPECT_TRUE(d.treatedAsNone());
  EXPECT_NE(d.problem.find("pct"), std::string::npos) << d.problem;
}

TEST(DmarcDiscovery, DnsFailureIsTemperrorAtEitherStep) {
  FakeResolver r;
  r.fail("_dmarc.example.com", FakeResolver::Type::kTxt, dns::Status::kTempFail);
  auto d = discover(r, "example.com");
  EXPECT_EQ(d.verdict, Verdict::kTempError);
  EXPECT_FALSE(d.treatedAsNone());
  auto sub = discover(r, "a.example.com");
  EXPECT_EQ(sub.verdict, Verdict::kTempError);
  EXPECT_NE(sub.problem.find("_dmarc.example.com"), std::string::npos);
  FakeResolver t;
  t.fail("_dmarc.x.example.com", FakeResolver::Type::kTxt, dns::Status::kTimeout);
  t.addTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(discover(t, "x.example.com").verdict, Verdict::kTempError);
}

TEST(DmarcAlignment, StrictAndRelaxed) {
  auto l = psl();
  EXPECT_TRUE(aligned("example.com", "EXAMPLE.com.", AlignmentMode::kStrict, l));
  EXPECT_FALSE(aligned("example.com", "mail.example.com", AlignmentMode::kStrict, l));
  EXPECT_TRUE(aligned("example.com", "mail.example.com", AlignmentMode::kRelaxed, l));
  EXPECT_TRUE(aligned("news.example.co.uk", "bounce.example.co.uk", AlignmentMode::kRelaxed, l));
  EXPECT_FALSE(aligned("example.co.uk", "other.co.uk", AlignmentMode::kRelaxed, l));
  EXPECT_FALSE(aligned("example.com", "example.net", AlignmentMode::kRelaxed, l));
  EXPECT_FALSE(aligned("example.com", "", AlignmentMode::kRelaxed, l));
}

TEST(DmarcAlignment, SpfAndDkimUnderTheRecordModes) {
  auto l = psl();
  auto relaxed = *parseRecord("v=DMARC1; p=reject");
  auto strict = *parseRecord("v=DMARC1; p=reject; adkim=s; aspf=s");
  auto a = checkAlignment(relaxed, "example.com", "bounces.example.com",
                          {"other.example", "mail.example.com"}, l);
  EXPECT_TRUE(a.spf);
  EXPECT_TRUE(a.dkim);
  EXPECT_EQ(a.dkimDomain, "mail.example.com");
  EXPECT_TRUE(a.pass());
  auto s = checkAlignment(strict, "example.com", "bounces.example.com", {"mail.example.com"}, l);
  EXPECT_FALSE(s.spf);
  EXPECT_FALSE(s.dkim);
  EXPECT_FALSE(s.pass());
  auto noSpf = checkAlignment(strict, "example.com", std::nullopt, {"example.com"}, l);
  EXPECT_FALSE(noSpf.spf);
  EXPECT_TRUE(noSpf.dkim);
  EXPECT_TRUE(noSpf.pass());
}

TEST(DmarcVerdict, Names) {
  EXPECT_STREQ(verdictName(Verdict::kMultipleRecords), "multiple-records");
  EXPECT_STREQ(policyName(Policy::kQuarantine), "quarantine");
}

}  // namespace
}  // namespace mailroom::dmarc
