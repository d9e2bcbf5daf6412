#include "lib/auth/spf/check_host.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::spf {
namespace {

using testing::FakeResolver;
using testing::runTask;

SpfRequest req(const char* ip, const char* mailFrom, const char* helo = "mta.example.net") {
  return mailFromRequest(asio::ip::make_address(ip), mailFrom, helo);
}

SpfResult check(FakeResolver& r, SpfRequest q) {
  return runTask(checkHost(r, std::move(q)));
}

TEST(SpfCheckHost, PassOnIp4AndFailOnAll) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all");
  r.addTxt("example.com", "google-site-verification=abc");  // non-SPF TXT is ignored
  auto pass = check(r, req("198.51.100.10", "alice@example.com"));
  EXPECT_EQ(pass.code, Code::kPass);
  EXPECT_EQ(pass.mechanism, "ip4:198.51.100.0/24");
  auto pass6 = check(r, req("2001:db8::25", "alice@example.com"));
  EXPECT_EQ(pass6.code, Code::kPass);
  EXPECT_EQ(pass6.mechanism, "ip6:2001:db8::/32");
  auto fail = check(r, req("203.0.113.5", "alice@example.com"));
  EXPECT_EQ(fail.code, Code::kFail);
  EXPECT_EQ(fail.mechanism, "-all");
  EXPECT_EQ(fail.explanation, "");
  EXPECT_EQ(fail.dnsLookups, 0);
}

TEST(SpfCheckHost, Ipv4MappedClientIsCheckedAsIpv4) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.7 a -all");
  r.addA("example.com", "203.0.113.9");
  EXPECT_EQ(check(r, req("::ffff:198.51.100.7", "a@example.com")).code, Code::kPass);
  auto viaA = check(r, req("::ffff:203.0.113.9", "a@example.com"));
  EXPECT_EQ(viaA.code, Code::kPass);
  EXPECT_EQ(viaA.mechanism, "a");
  EXPECT_EQ(r.queries(FakeResolver::Type::kAaaa, "example.com"), 0);
}

TEST(SpfCheckHost, NoRecordNxdomainAndBadDomainsAreNone) {
  FakeResolver r;
  r.addTxt("norecord.example", "just text");
  EXPECT_EQ(check(r, req("198.51.100.1", "a@norecord.example")).code, Code::kNone);
  EXPECT_EQ(check(r, req("198.51.100.1", "a@missing.example")).code, Code::kNone);
  EXPECT_EQ(check(r, req("198.51.100.1", "a@localhost")).code, Code::kNone);
  EXPECT_EQ(check(r, req("198.51.100.1", "a@a..example")).code, Code::kNone);
  auto longLabel = std::string("a@") + std::string(64, 'x') + ".example";
  EXPECT_EQ(check(r, req("198.51.100.1", longLabel.c_str())).code, Code::kNone);
  EXPECT_EQ(r.totalQueries(), 2);  // the invalid names were never queried
}

TEST(SpfCheckHost, MultipleRecordsArePermerror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 -all");
  r.addTxt("example.com", "V=SPF1 +all");
  auto res = check(r, req("198.51.100.1", "a@example.com"));
  EXPECT_EQ(res.code, Code::kPermError);
  EXPECT_NE(res.problem.find("more than one"), std::string::npos);
}

TEST(SpfCheckHost, SyntaxErrorAnywhereIsPermerrorBeforeMatching) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 +all ip4:300.1.1.1");
  auto res = check(r, req("198.51.100.1", "a@example.com"));
  EXPECT_EQ(res.code, Code::kPermError);
  EXPECT_NE(res.problem.find("ip4:300.1.1.1"), std::string::npos) << res.problem;
}

TEST(SpfCheckHost, DnsFailuresAreTemperrorNotNone) {
  FakeResolver r;
  r.fail("example.com", FakeResolver::Type::kTxt, dns::Status::kTempFail);
  r.addTxt("other.example", "v=spf1 a:broken.example -all");
  r.fail("broken.example", FakeResolver::Type::kA, dns::Status::kTimeout);
  EXPECT_EQ(check(r, req("198.51.100.1", "a@example.com")).code, Code::kTempError);
  auto res = check(r, req("198.51.100.1", "a@other.example"));
  EXPECT_EQ(res.code, Code::kTempError);
  EXPECT_NE(res.problem.find("timeout"), std::string::npos) << res.problem;
}

TEST(SpfCheckHost, IncludeMatchesOnlyOnPass) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 include:_spf.provider.example ~all");
  r.addTxt("_spf.provider.example", "v=spf1 ip4:203.0.113.0/24 -all");
  auto pass = check(r, req("203.0.113.8", "a@example.com"));
  EXPECT_EQ(pass.code, Code::kPass);
  EXPECT_EQ(pass.mechanism, "include:_spf.provider.example");
  auto soft = check(r, req("198.51.100.8", "a@example.com"));  // inner fail = no match
  EXPECT_EQ(soft.code, Code::kSoftFail);
  EXPECT_EQ(soft.mechanism, "~all");
}

TEST(SpfCheckHost, IncludeOfDomainWithoutPolicyIsPermerror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 include:nothing.example -all");
  EXPECT_EQ(check(r, req("198.51.100.1", "a@example.com")).code, Code::kPermError);
}

TEST(SpfCheckHost, RedirectUsesTargetPolicyAndItsExplanation) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 redirect=_spf.example.com exp=mine.example.com");
  r.addTxt("_spf.example.com", "v=spf1 mx -all exp=theirs.example.com");
  r.addTxt("mine.example.com", "not used");
  r.addTxt("theirs.example.com", "%{i} is not one of %{d}'s senders (%{c} via %{r} at %{t})");
  r.addMx("_spf.example.com", 10, "mx.example.com");
  r.addA("mx.example.com", "198.51.100.25");
  EXPECT_EQ(check(r, req("198.51.100.25", "a@example.com")).code, Code::kPass);
  auto q = req("198.51.100.26", "a@example.com");
  q.receiver = "mx.receiver.example";
  q.timestamp = 1700000000;
  auto res = check(r, q);
  EXPECT_EQ(res.code, Code::kFail);
  EXPECT_EQ(res.explanation,
            "198.51.100.26 is not one of _spf.example.com's senders (198.51.100.26 via "
            "mx.receiver.example at 1700000000)");
  EXPECT_EQ(res.dnsLookups, 2);  // redirect + mx; exp does not count
}

TEST(SpfCheckHost, RedirectToDomainWithoutPolicyIsPermerror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 redirect=gone.example");
  EXPECT_EQ(check(r, req("198.51.100.1", "a@example.com")).code, Code::kPermError);
}

TEST(SpfCheckHost, BrokenExpFallsBackToDefaultExplanation) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 -all exp=why.example.com");
  r.addTxt("why.example.com", "one");
  r.addTxt("why.example.com", "two");  // two TXT records: unusable (§6.2)
  auto q = req("198.51.100.1", "a@example.com");
  q.defaultExplanation = "see policy";
  EXPECT_EQ(check(r, q).explanation, "see policy");
}

TEST(SpfCheckHost, ExplanationOnlyOnFail) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ~all exp=why.example.com");
  r.addTxt("why.example.com", "nope");
  auto res = check(r, req("198.51.100.1", "a@example.com"));
  EXPECT_EQ(res.code, Code::kSoftFail);
  EXPECT_EQ(res.explanation, "");
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "why.example.com"), 0);
}

TEST(SpfCheckHost, MoreThanTenLookupsIsPermerror) {
  FakeResolver r;
  std::string rec = "v=spf1";
  for (int i = 0; i < 11; ++i) {
    std::string name = "i" + std::to_string(i) + ".example.com";
    rec += " include:" + name;
    r.addTxt(name, "v=spf1 ip4:203.0.113." + std::to_string(i) + " -all");
  }
  r.addTxt("example.com", rec + " -all");
  auto tenth = check(r, req("203.0.113.9", "a@example.com"));
  EXPECT_EQ(tenth.code, Code::kPass);
  EXPECT_EQ(tenth.dnsLookups, 10);
  auto eleventh = check(r, req("203.0.113.10", "a@example.com"));
  EXPECT_EQ(eleventh.code, Code::kPermError);
  EXPECT_NE(eleventh.problem.find("more than 10"), std::string::npos);
}

TEST(SpfCheckHost, ThirdVoidLookupIsPermerror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 a:v1.example.com a:v2.example.com a:v3.example.com +all");
  r.addTxt("two.example.com", "v=spf1 a:v1.example.com mx:v2.example.com +all");
  auto res = check(r, req("198.51.100.1", "a@example.com"));
  EXPECT_EQ(res.code, Code::kPermError);
  EXPECT_EQ(res.voidLookups, 3);
  EXPECT_EQ(check(r, req("198.51.100.1", "a@two.example.com")).code, Code::kPass);
}

TEST(SpfCheckHost, MxWithMoreThanTenNamesIsPermerror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 mx -all");
  for (int i = 0; i < 11; ++i)
    r.addMx("example.com", 10, "mx" + std::to_string(i) + ".example.com");
  EXPECT_EQ(check(r, req("198.51.100.1", "a@example.com")).code, Code::kPermError);
}

TEST(SpfCheckHost, MxMatchesWithCidr) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 mx/24 mx:other.example//64 -all");
  r.addMx("example.com", 10, "mx.example.com");
  r.addA("mx.example.com", "198.51.100.25");
  r.addMx("other.example", 5, "mx.other.example");
  r.addAaaa("mx.other.example", "2001:db8:1:2::25");
  EXPECT_EQ(check(r, req("198.51.100.200", "a@example.com")).code, Code::kPass);
  auto v6 = check(r, req("2001:db8:1:2::99", "a@example.com"));
  EXPECT_EQ(v6.code, Code::kPass);
  EXPECT_EQ(v6.mechanism, "mx:other.example//64");
  EXPECT_EQ(check(r, req("203.0.113.1", "a@example.com")).code, Code::kFail);
}

TEST(SpfCheckHost, PtrNeedsForwardConfirmation) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ptr -all");
  r.addPtr("198.51.100.5", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.5");
  r.addPtr("198.51.100.6", "liar.example.com");  // no A back to .6
  r.addA("liar.example.com", "198.51.100.5");
  EXPECT_EQ(check(r, req("198.51.100.5", "a@example.com")).code, Code::kPass);
  EXPECT_EQ(check(r, req("198.51.100.6", "a@example.com")).code, Code::kFail);
}

TEST(SpfCheckHost, PtrDnsErrorIsNoMatchNotTemperror) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ptr ?all");
  r.fail(dns::reverseName(asio::ip::make_address("198.51.100.5")), FakeResolver::Type::kPtr,
         dns::Status::kTempFail);
  EXPECT_EQ(check(r, req("198.51.100.5", "a@example.com")).code, Code::kNeutral);
}

TEST(SpfCheckHost, ExistsWithMacrosAlwaysQueriesA) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all");
  r.addA("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bob._spf.example.com",
         "127.0.0.2");
  auto res = check(r, req("2001:db8::1", "bob@example.com"));
  EXPECT_EQ(res.code, Code::kPass);
  EXPECT_EQ(check(r, req("2001:db8::2", "bob@example.com")).code, Code::kFail);
}

TEST(SpfCheckHost, ValidatedNameMacro) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 exists:%{p}.allow.example.com -all");
  r.addPtr("198.51.100.5", "other.example.org");
  r.addPtr("198.51.100.5", "mail.example.com");
  r.addA("other.example.org", "198.51.100.5");
  r.addA("mail.example.com", "198.51.100.5");
  r.addA("mail.example.com.allow.example.com", "127.0.0.2");
  // %{p} prefers a name within the checked domain over the first validated one.
  EXPECT_EQ(check(r, req("198.51.100.5", "a@example.com")).code, Code::kPass);
}

TEST(SpfCheckHost, ValidatedNameIsLookedUpOncePerEvaluation) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 exists:%{p}.a.example.com exists:%{p}.b.example.com -all");
  r.addPtr("198.51.100.5", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.5");
  r.addA("mail.example.com.b.example.com", "127.0.0.2");
  EXPECT_EQ(check(r, req("198.51.100.5", "a@example.com")).code, Code::kPass);
  EXPECT_EQ(
      r.queries(FakeResolver::Type::kPtr, dns::reverseName(asio::ip::make_address("198.51.100.5"))),
      1);
}

TEST(SpfCheckHost, NullSenderUsesHelo) {
  FakeResolver r;
  r.addTxt("mta.example.net", "v=spf1 exists:%{l}.%{o}.check.example.net -all");
  r.addA("postmaster.mta.example.net.check.example.net", "127.0.0.2");
  auto q = req("198.51.100.1", "", "mta.example.net");
  EXPECT_EQ(q.domain, "mta.example.net");
  EXPECT_EQ(q.sender, "postmaster@mta.example.net");
  EXPECT_EQ(check(r, q).code, Code::kPass);
}

TEST(SpfCheckHost, HeloIdentity) {
  FakeResolver r;
  r.addTxt("mta.example.net", "v=spf1 a -all");
  r.addAaaa("mta.example.net", "2001:db8::25");
  auto q = heloRequest(asio::ip::make_address("2001:db8::25"), "mta.example.net");
  EXPECT_EQ(q.sender, "postmaster@mta.example.net");
  EXPECT_EQ(check(r, q).code, Code::kPass);
  EXPECT_EQ(check(r, heloRequest(asio::ip::make_address("2001:db8::26"), "mta.example.net")).code,
            Code::kFail);
  // A HELO name that is not a domain (an address literal) has no policy.
  EXPECT_EQ(check(r, heloRequest(asio::ip::make_address("2001:db8::25"), "[2001:db8::25]")).code,
            Code::kNone);
}

TEST(SpfCheckHost, NamesAreCaseInsensitive) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 A:MAIL.Example.COM -ALL");
  r.addA("mail.example.com", "198.51.100.9");
  EXPECT_EQ(check(r, req("198.51.100.9", "a@EXAMPLE.com")).code, Code::kPass);
}

TEST(SpfCheckHost, CodeNames) {
  EXPECT_STREQ(codeName(Code::kPass), "pass");
  EXPECT_STREQ(codeName(Code::kSoftFail), "softfail");
  EXPECT_STREQ(codeName(Code::kPermError), "permerror");
  EXPECT_STREQ(codeName(Code::kTempError), "temperror");
}

}  // namespace
}  // namespace mailroom::spf
