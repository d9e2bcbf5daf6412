// checkDomain on the map-backed FakeResolver: one test per verdict path a person can meet
// (docs/health.md), plus the rule that a DNS failure is never a pass.
#include "lib/auth/health/health.h"

#include <gtest/gtest.h>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"
#include "lib/auth/dnsbl/dnsbl.h"
#include "tests/mocks/fake_resolver.h"
#include "tests/unit/lib/auth/health/test_keys.h"

namespace mailroom::health {
namespace {

using testing::FakeResolver;
using testing::runTask;
using Type = FakeResolver::Type;

dns::Address ip(const char* s) {
  return asio::ip::make_address(s);
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A domain that passes everything: the lab's shape (docs/lab.md) with MTA-STS and TLS-RPT.
void healthy(FakeResolver& r) {
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.10 ip6:2001:db8:5::10 -all");
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  r.addTxt("s1._domainkey.example.com", dkim::renderKeyRecord(testKeys().rsa));
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addPtr("2001:db8:5::10", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.10");
  r.addAaaa("mail.example.com", "2001:db8:5::10");
  r.addMx("example.com", 10, "mx.example.com");
  r.addTxt("_mta-sts.example.com", "v=STSv1; id=20261124");
  r.addTxt("_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:tls@example.com");
}

HealthRequest request(std::vector<const char*> ips = {"198.51.100.10", "2001:db8:5::10"}) {
  HealthRequest req;
  req.domain = "example.com";
  for (auto* s : ips) req.ips.push_back(ip(s));
  req.ehloHostname = "mail.example.com";
  req.selectors.push_back({"s1", std::nullopt});
  req.now = std::chrono::system_clock::time_point(std::chrono::seconds(1795500000));
  return req;
}

// The one result for (check, subject); fails the test when there is not exactly one.
CheckResult find(const HealthReport& r, const std::string& check, const std::string& subject) {
  std::vector<CheckResult> hits;
  for (const auto& c : r.checks) {
    if (c.check == check && c.subject == subject) hits.push_back(c);
  }
  EXPECT_EQ(hits.size(), 1u) << check << " " << subject;
  return hits.empty() ? CheckResult{} : hits[0];
}

TEST(CheckDomain, HealthyDomainPassesEverythingInOrder) {
  FakeResolver r;
  healthy(r);
  auto req = request();
  req.selectors[0].expectedKey = testKeys().rsaPem;
  auto report = runTask(checkDomain(r, req));
  EXPECT_EQ(report.domain, "example.com");
  EXPECT_EQ(report.checkedAt, req.now);
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& c : report.checks) {
    order.emplace_back(c.check, c.subject);
    EXPECT_EQ(c.status, Status::kPass) << c.check << " " << c.subject << ": " << c.reason;
  }
  std::vector<std::pair<std::string, std::string>> want = {{"spf", "198.51.100.10"},
                                                           {"spf", "2001:db8:5::10"},
                                                           {"ptr", "198.51.100.10"},
                                                           {"ptr", "2001:db8:5::10"},
                                                           {"dkim", "s1"},
                                                           {"dmarc", "example.com"},
                                                           {"mx", "example.com"},
                                                           {"mta-sts", "example.com"},
                                                           {"tls-rpt", "example.com"}};
  EXPECT_EQ(order, want);
  EXPECT_EQ(overallStatus(report), Status::kPass);
  EXPECT_EQ(exitCode(report), 0);
  EXPECT_TRUE(contains(find(report, "dkim", "s1").reason, "equal to the expected key"));
  EXPECT_TRUE(contains(find(report, "dmarc", "example.com").reason, "aligned via DKIM and SPF"));
}

TEST(CheckDomain, SpfUsesPostmasterAtDomainAndTheEhloName) {
  // %{l} is the local part of the sender, %{h} the HELO name: only postmaster@ with the EHLO
  // name of the request reaches the record that authorizes the IP.
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 exists:%{l}.%{h}.%{i}.spf.example.com -all");
  r.addA("postmaster.mail.example.com.198.51.100.10.spf.example.com", "127.0.0.2");
  auto report = runTask(checkDomain(r, request({"198.51.100.10"})));
  auto spf = find(report, "spf", "198.51.100.10");
  EXPECT_EQ(spf.status, Status::kPass) << spf.reason;
}

TEST(CheckDomain, SpfFailNamesTheTermToAdd) {
  FakeResolver r;
  healthy(r);
  r.addPtr("198.51.100.11", "mail.example.com");
  auto report = runTask(checkDomain(r, request({"198.51.100.11"})));
  auto spf = find(report, "spf", "198.51.100.11");
  EXPECT_EQ(spf.status, Status::kFail);
  EXPECT_EQ(spf.code, "fail");
  EXPECT_EQ(spf.reason,
            "SPF for example.com does not authorize 198.51.100.11 (fail via -all): receivers "
            "reject or junk its mail; add ip4:198.51.100.11 to the SPF record of example.com");
  EXPECT_EQ(exitCode(report), 1);
}

TEST(CheckDomain, SpfSoftfailIsAFailure) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.10 ~all");
  auto report = runTask(checkDomain(r, request({"2001:db8:5::10"})));
  auto spf = find(report, "spf", "2001:db8:5::10");
  EXPECT_EQ(spf.status, Status::kFail);
  EXPECT_EQ(spf.code, "softfail");
  EXPECT_TRUE(contains(spf.reason, "softfail via ~all")) << spf.reason;
  EXPECT_TRUE(contains(spf.reason, "add ip6:2001:db8:5::10")) << spf.reason;
}

TEST(CheckDomain, TwoSpfRecordsArePermerror) {
  FakeResolver r;
  healthy(r);
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.11 -all");
  auto report = runTask(checkDomain(r, request()));
  for (const char* addr : {"198.51.100.10", "2001:db8:5::10"}) {
    auto spf = find(report, "spf", addr);
    EXPECT_EQ(spf.status, Status::kFail) << addr;
    EXPECT_EQ(spf.code, "permerror");
    EXPECT_TRUE(contains(spf.reason, "more than one SPF record")) << spf.reason;
    EXPECT_TRUE(contains(spf.reason, "publish exactly one")) << spf.reason;
  }
  // DKIM still aligns, so DMARC passes; the SPF failures make the exit code 1.
  EXPECT_EQ(find(report, "dmarc", "example.com").status, Status::kPass);
  EXPECT_EQ(exitCode(report), 1);
}

TEST(CheckDomain, NoSpfRecordSaysWhatToPublish) {
  FakeResolver r;
  r.addMx("example.com", 10, "mx.example.com");
  auto report = runTask(checkDomain(r, request({"198.51.100.10"})));
  auto spf = find(report, "spf", "198.51.100.10");
  EXPECT_EQ(spf.status, Status::kFail);
  EXPECT_EQ(spf.code, "none");
  EXPECT_TRUE(contains(spf.reason, "\"v=spf1 ip4:198.51.100.10 -all\"")) << spf.reason;
}

TEST(CheckDomain, MissingIpv6PtrFailsForThatFamilyOnly) {
  FakeResolver r2;
  r2.addTxt("example.com", "v=spf1 ip4:198.51.100.10 ip6:2001:db8:5::10 -all");
  r2.addPtr("198.51.100.10", "mail.example.com");
  r2.addA("mail.example.com", "198.51.100.10");
  r2.addAaaa("mail.example.com", "2001:db8:5::10");
  auto report = runTask(checkDomain(r2, request()));
  auto v4 = find(report, "ptr", "198.51.100.10");
  auto v6 = find(report, "ptr", "2001:db8:5::10");
  EXPECT_EQ(v4.status, Status::kPass) << v4.reason;
  EXPECT_EQ(v6.status, Status::kFail);
  EXPECT_EQ(v6.code, "noPtr");
  EXPECT_TRUE(contains(v6.reason,
                       "IPv6 2001:db8:5::10 has no PTR record: Gmail will reject "
                       "with 550 5.7.25"))
      << v6.reason;
  EXPECT_TRUE(contains(v6.reason, "send over IPv4 only")) << v6.reason;
}

TEST(CheckDomain, PtrNotForwardConfirmed) {
  FakeResolver r;
  healthy(r);
  r.addPtr("198.51.100.11", "nothere.example.com");
  auto report = runTask(checkDomain(r, request({"198.51.100.11"})));
  auto ptr = find(report, "ptr", "198.51.100.11");
  EXPECT_EQ(ptr.status, Status::kFail);
  EXPECT_EQ(ptr.code, "notForwardConfirmed");
  EXPECT_TRUE(contains(ptr.reason, "add A nothere.example.com -> 198.51.100.11")) << ptr.reason;
}

TEST(CheckDomain, EhloMismatchIsAWarning) {
  FakeResolver r;
  healthy(r);
  auto req = request({"198.51.100.10"});
  req.ehloHostname = "smtp.example.org";
  auto report = runTask(checkDomain(r, req));
  auto ptr = find(report, "ptr", "198.51.100.10");
  EXPECT_EQ(ptr.status, Status::kWarn);
  EXPECT_EQ(ptr.code, "ehloMismatch");
  EXPECT_TRUE(contains(ptr.reason, "set the EHLO hostname to mail.example.com")) << ptr.reason;
  EXPECT_EQ(overallStatus(report), Status::kWarn);
  EXPECT_EQ(exitCode(report), 0);  // warnings alone are not problems
}

TEST(CheckDomain, DnsblListedNotListedAndRefused) {
  FakeResolver r;
  healthy(r);
  r.addPtr("198.51.100.11", "mail.example.com");
  r.addA("11.100.51.198.dnsbl.example.net", "127.0.0.2");
  r.addTxt("11.100.51.198.dnsbl.example.net", "listed for testing");
  r.addA("11.100.51.198.zen.spamhaus.org", "127.255.255.254");
  r.addName("dnsbl.example.net");
  auto req = request({"198.51.100.10", "198.51.100.11"});
  req.dnsblZones = {"dnsbl.example.net", "zen.spamhaus.org"};
  auto report = runTask(checkDomain(r, req));
  auto clean = find(report, "dnsbl", "198.51.100.10 dnsbl.example.net");
  EXPECT_EQ(clean.status, Status::kPass) << clean.reason;
  auto listed = find(report, "dnsbl", "198.51.100.11 dnsbl.example.net");
  EXPECT_EQ(listed.status, Status::kFail);
  EXPECT_EQ(listed.code, "listed");
  EXPECT_TRUE(contains(listed.reason, "\"listed for testing\"")) << listed.reason;
  auto refused = find(report, "dnsbl", "198.51.100.11 zen.spamhaus.org");
  EXPECT_EQ(refused.status, Status::kUnknown);
  EXPECT_TRUE(contains(refused.reason, "public resolver")) << refused.reason;
  // DNSBL rows come after DMARC, IP by IP, zone by zone.
  std::vector<std::string> subjects;
  for (const auto& c : report.checks) {
    if (c.check == "dnsbl") subjects.push_back(c.subject);
  }
  EXPECT_EQ(subjects, (std::vector<std::string>{
                          "198.51.100.10 dnsbl.example.net", "198.51.100.10 zen.spamhaus.org",
                          "198.51.100.11 dnsbl.example.net", "198.51.100.11 zen.spamhaus.org"}));
}

TEST(CheckDomain, NoDnsblQueriesUnlessZonesAreGiven) {
  FakeResolver r;
  healthy(r);
  auto report = runTask(checkDomain(r, request()));
  for (const auto& c : report.checks) EXPECT_NE(c.check, "dnsbl");
  EXPECT_EQ(r.queries(Type::kA, "10.100.51.198.zen.spamhaus.org"), 0);
}

TEST(CheckDomain, DkimMissingRevokedMismatchedTesting) {
  FakeResolver r;
  healthy(r);
  r.addTxt("old._domainkey.example.com", "v=DKIM1; k=rsa; p=");
  r.addTxt("other._domainkey.example.com", dkim::renderKeyRecord(testKeys().ed25519));
  r.addTxt("test._domainkey.example.com",
           "v=DKIM1; k=ed25519; t=y; p=" + dkim::base64Encode(testKeys().ed25519.publicKeyBytes()));
  auto req = request({"198.51.100.10"});
  req.selectors = {{"missing", std::nullopt},
                   {"old", std::nullopt},
                   {"other", testKeys().rsaPem},
                   {"test", testKeys().ed25519Pem}};
  auto report = runTask(checkDomain(r, req));
  auto missing = find(report, "dkim", "missing");
  EXPECT_EQ(missing.status, Status::kFail);
  EXPECT_EQ(missing.code, "missing");
  EXPECT_TRUE(contains(missing.reason, "missing._domainkey.example.com")) << missing.reason;
  auto old = find(report, "dkim", "old");
  EXPECT_EQ(old.status, Status::kFail);
  EXPECT_EQ(old.code, "revoked");
  auto other = find(report, "dkim", "other");
  EXPECT_EQ(other.status, Status::kFail);
  EXPECT_EQ(other.code, "mismatch");
  EXPECT_TRUE(contains(other.reason, "(Ed25519) is not the expected signing key (RSA 2048-bit)"))
      << other.reason;
  auto test = find(report, "dkim", "test");
  EXPECT_EQ(test.status, Status::kWarn);
  EXPECT_EQ(test.code, "testing");
  EXPECT_TRUE(contains(test.reason, "equal to the expected key")) << test.reason;
}

TEST(CheckDomain, DmarcMissingIsAFailure) {
  FakeResolver bare;
  bare.addTxt("example.com", "v=spf1 ip4:198.51.100.10 -all");
  auto report = runTask(checkDomain(bare, request({"198.51.100.10"})));
  auto d = find(report, "dmarc", "example.com");
  EXPECT_EQ(d.status, Status::kFail);
  EXPECT_EQ(d.code, "none");
  EXPECT_TRUE(contains(d.reason, "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"))
      << d.reason;
}

TEST(CheckDomain, DmarcFoundAtOrganizationalDomain) {
  FakeResolver r;
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
  r.addTxt("news.example.com", "v=spf1 ip4:198.51.100.10 -all");
  auto req = request({"198.51.100.10"});
  req.domain = "news.example.com";
  req.selectors.clear();
  auto report = runTask(checkDomain(r, req));
  auto d = find(report, "dmarc", "news.example.com");
  EXPECT_EQ(d.status, Status::kPass) << d.reason;
  EXPECT_EQ(d.code, "found");
  EXPECT_TRUE(contains(d.reason,
                       "DMARC p=quarantine from _dmarc.example.com (organizational "
                       "domain of news.example.com, its sp= applies)"))
      << d.reason;
  EXPECT_EQ(r.queries(Type::kTxt, "_dmarc.news.example.com"), 1);
}

TEST(CheckDomain, DmarcRejectWithoutAnyAlignedPathFails) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.10 -all");
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  auto req = request({"198.51.100.10", "2001:db8:5::10"});
  req.selectors = {{"gone", std::nullopt}};
  auto report = runTask(checkDomain(r, req));
  auto d = find(report, "dmarc", "example.com");
  EXPECT_EQ(d.status, Status::kFail);
  EXPECT_TRUE(contains(d.reason, "mail from 2001:db8:5::10 passes neither SPF nor DKIM"))
      << d.reason;
  EXPECT_TRUE(contains(d.reason, "so receivers reject it")) << d.reason;
}

TEST(CheckDomain, DmarcMonitoringOnlyIsAWarning) {
  FakeResolver none;
  none.addTxt("example.com", "v=spf1 ip4:198.51.100.10 -all");
  none.addTxt("_dmarc.example.com", "v=DMARC1; p=none");
  auto req = request({"198.51.100.10"});
  req.selectors.clear();
  auto report = runTask(checkDomain(none, req));
  auto d = find(report, "dmarc", "example.com");
  EXPECT_EQ(d.status, Status::kWarn);
  EXPECT_TRUE(contains(d.reason, "p=none only monitors")) << d.reason;
}

TEST(CheckDomain, ServfailIsUnknownNeverPass) {
  FakeResolver r;
  healthy(r);
  r.fail("example.com", Type::kTxt, dns::Status::kTempFail);
  r.fail(dns::reverseName(ip("2001:db8:5::10")), Type::kPtr, dns::Status::kTimeout);
  r.fail("s1._domainkey.example.com", Type::kTxt, dns::Status::kTempFail);
  auto report = runTask(checkDomain(r, request()));
  auto spf = find(report, "spf", "198.51.100.10");
  EXPECT_EQ(spf.status, Status::kUnknown);
  EXPECT_EQ(spf.code, "temperror");
  EXPECT_TRUE(contains(spf.reason, "could not check SPF")) << spf.reason;
  EXPECT_EQ(find(report, "ptr", "2001:db8:5::10").status, Status::kUnknown);
  EXPECT_EQ(find(report, "ptr", "198.51.100.10").status, Status::kPass);
  EXPECT_EQ(find(report, "dkim", "s1").status, Status::kUnknown);
  // With SPF and DKIM unknown, whether DMARC passes is unknown too, not "fine".
  EXPECT_EQ(find(report, "dmarc", "example.com").status, Status::kUnknown);
  EXPECT_EQ(overallStatus(report), Status::kUnknown);
  EXPECT_EQ(exitCode(report), 2);
}

TEST(CheckDomain, DeadDnsServerGivesNoPassAtAll) {
  // Every lookup of the run times out: the report must not contain a single pass.
  FakeResolver r;
  auto req = request();
  req.dnsblZones = {"dnsbl.example.net"};
  for (const char* name :
       {"example.com", "_dmarc.example.com", "s1._domainkey.example.com", "_mta-sts.example.com",
        "_smtp._tls.example.com", "10.100.51.198.dnsbl.example.net"}) {
    r.fail(name, Type::kTxt, dns::Status::kTimeout);
    r.fail(name, Type::kA, dns::Status::kTimeout);
    r.fail(name, Type::kMx, dns::Status::kTimeout);
  }
  r.fail(dns::reverseName(ip("198.51.100.10")), Type::kPtr, dns::Status::kTimeout);
  r.fail(dns::reverseName(ip("2001:db8:5::10")), Type::kPtr, dns::Status::kTimeout);
  r.fail(auth::dnsbl::dnsblQueryName(ip("2001:db8:5::10"), "dnsbl.example.net"), Type::kA,
         dns::Status::kTimeout);
  auto report = runTask(checkDomain(r, req));
  ASSERT_FALSE(report.checks.empty());
  for (const auto& c : report.checks) {
    EXPECT_EQ(c.status, Status::kUnknown) << c.check << " " << c.subject << ": " << c.reason;
  }
  EXPECT_EQ(exitCode(report), 2);
}

TEST(CheckDomain, FailWinsOverUnknownInTheExitCode) {
  FakeResolver r;
  healthy(r);
  r.fail("_mta-sts.example.com", Type::kTxt, dns::Status::kTempFail);
  auto report = runTask(checkDomain(r, request({"198.51.100.11"})));
  EXPECT_EQ(find(report, "mta-sts", "example.com").status, Status::kUnknown);
  EXPECT_EQ(find(report, "spf", "198.51.100.11").status, Status::kFail);
  EXPECT_EQ(exitCode(report), 1);
}

TEST(CheckDomain, ReportOnlyItemsWarnWhenAbsent) {
  FakeResolver r;
  r.addTxt("example.com", "v=spf1 ip4:198.51.100.10 -all");
  r.addTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.10");
  auto req = request({"198.51.100.10"});
  req.selectors.clear();
  auto report = runTask(checkDomain(r, req));
  EXPECT_EQ(find(report, "mx", "example.com").code, "noMx");
  EXPECT_EQ(find(report, "mta-sts", "example.com").status, Status::kWarn);
  EXPECT_EQ(find(report, "tls-rpt", "example.com").status, Status::kWarn);
  EXPECT_EQ(exitCode(report), 0);
}

TEST(Status, OverallAndExitCodes) {
  HealthReport r;
  EXPECT_EQ(overallStatus(r), Status::kUnknown);  // nothing checked is not "fine"
  EXPECT_EQ(exitCode(r), 2);
  r.checks.push_back({"spf", "x", Status::kPass, "pass", ""});
  EXPECT_EQ(exitCode(r), 0);
  r.checks.push_back({"mx", "x", Status::kWarn, "noMx", ""});
  EXPECT_EQ(overallStatus(r), Status::kWarn);
  EXPECT_EQ(exitCode(r), 0);
  r.checks.push_back({"ptr", "x", Status::kUnknown, "tempError", ""});
  EXPECT_EQ(exitCode(r), 2);
  r.checks.push_back({"dkim", "x", Status::kFail, "missing", ""});
  EXPECT_EQ(overallStatus(r), Status::kFail);
  EXPECT_EQ(exitCode(r), 1);
}

}  // namespace
}  // namespace mailroom::health
