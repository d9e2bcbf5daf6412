// The pure verdict functions on hand-made inputs: paths that are awkward to reach through a
// resolver (weak keys, pct=, malformed MTA-STS) and the mapping of every underlying outcome.
#include "lib/auth/health/verdicts.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lib/auth/dkim/base64.h"
#include "tests/unit/lib/auth/health/test_keys.h"

namespace mailroom::health {
namespace {

dns::Address ip(const char* s) {
  return asio::ip::make_address(s);
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
template <class T>
dns::Answer<T> answer(std::vector<T> records) {
  dns::Answer<T> a;
  a.status = dns::Status::kOk;
  a.records = std::move(records);
  return a;
}
template <class T>
dns::Answer<T> status(dns::Status s) {
  dns::Answer<T> a;
  a.status = s;
  a.detail = "server 198.51.100.53";
  return a;
}
using Txt = dns::Answer<std::string>;

// "v=DKIM1; k=rsa; p=..." for a fresh RSA key of bits (below what PrivateKey::generate allows).
std::string rsaRecord(int bits) {
  EVP_PKEY* key = EVP_RSA_gen(static_cast<unsigned>(bits));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  std::string out =
      "v=DKIM1; k=rsa; p=" + dkim::base64Encode(std::string(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

TEST(SpfVerdict, MapsEveryResult) {
  spf::SpfResult r;
  struct Case {
    spf::Code code;
    Status want;
  };
  for (auto [code, want] : std::vector<Case>{{spf::Code::kPass, Status::kPass},
                                             {spf::Code::kFail, Status::kFail},
                                             {spf::Code::kSoftFail, Status::kFail},
                                             {spf::Code::kNeutral, Status::kFail},
                                             {spf::Code::kNone, Status::kFail},
                                             {spf::Code::kPermError, Status::kFail},
                                             {spf::Code::kTempError, Status::kUnknown}}) {
    r.code = code;
    auto v = spfVerdict("example.com", ip("198.51.100.10"), r);
    EXPECT_EQ(v.status, want) << spf::codeName(code);
    EXPECT_EQ(v.code, spf::codeName(code));
    EXPECT_EQ(v.check, "spf");
    EXPECT_EQ(v.subject, "198.51.100.10");
  }
}

TEST(SpfVerdict, V4MappedAddressIsReportedAsIpv4) {
  spf::SpfResult r;
  r.code = spf::Code::kNeutral;
  r.mechanism = "?all";
  auto v = spfVerdict("example.com", ip("::ffff:198.51.100.10"), r);
  EXPECT_EQ(v.subject, "198.51.100.10");
  EXPECT_TRUE(contains(v.reason, "(neutral via ?all)")) << v.reason;
  EXPECT_TRUE(contains(v.reason, "add ip4:198.51.100.10")) << v.reason;
  EXPECT_EQ(spfTermFor(ip("2001:db8:5::10")), "ip6:2001:db8:5::10");
}

TEST(PtrVerdict, MapsEveryOutcome) {
  using auth::ptr::Outcome;
  auth::ptr::PtrVerdict p;
  p.ip = ip("2001:db8:5::10");
  p.reason = "the library's reason";
  struct Case {
    Outcome outcome;
    Status want;
  };
  for (auto [outcome, want] : std::vector<Case>{{Outcome::kPass, Status::kPass},
                                                {Outcome::kNoPtr, Status::kFail},
                                                {Outcome::kNotForwardConfirmed, Status::kFail},
                                                {Outcome::kEhloMismatch, Status::kWarn},
                                                {Outcome::kTempError, Status::kUnknown}}) {
    p.outcome = outcome;
    auto v = ptrVerdict(p);
    EXPECT_EQ(v.status, want) << auth::ptr::outcomeName(outcome);
    EXPECT_EQ(v.code, auth::ptr::outcomeName(outcome));
    EXPECT_EQ(v.reason, "the library's reason");
    EXPECT_EQ(v.subject, "2001:db8:5::10");
  }
}

TEST(DnsblVerdict, TempErrorIsUnknownEvenWithCodes) {
  auth::dnsbl::DnsblVerdict d;
  d.zone = "zen.spamhaus.org";
  d.tempError = true;
  d.meaning = "127.255.255.254: refused";
  auto v = dnsblVerdict(ip("198.51.100.10"), d);
  EXPECT_EQ(v.status, Status::kUnknown);
  EXPECT_EQ(v.subject, "198.51.100.10 zen.spamhaus.org");
  EXPECT_TRUE(contains(v.reason, "could not check")) << v.reason;
}

TEST(DkimVerdict, SeveralRecordsAndBrokenRecordFail) {
  DkimSelector sel{"s1", std::nullopt};
  auto several = dkimVerdict("example.com", sel, answer<std::string>({"v=DKIM1; p=", "x"}));
  EXPECT_EQ(several.status, Status::kFail);
  EXPECT_EQ(several.code, "multiple");
  auto broken = dkimVerdict("example.com", sel, answer<std::string>({"v=DKIM1; k=rsa; p=!!"}));
  EXPECT_EQ(broken.status, Status::kFail);
  EXPECT_EQ(broken.code, "invalid");
  auto notAKey = dkimVerdict("example.com", sel, answer<std::string>({"v=DKIM1; k=rsa; p=AAAA"}));
  EXPECT_EQ(notAKey.status, Status::kFail);
  EXPECT_EQ(notAKey.code, "invalid");
  auto nodata = dkimVerdict("example.com", sel, status<std::string>(dns::Status::kNoData));
  EXPECT_EQ(nodata.code, "missing");
  EXPECT_TRUE(contains(nodata.reason, "(nodata)")) << nodata.reason;
}

TEST(DkimVerdict, KeySizes) {
  DkimSelector sel{"s1", std::nullopt};
  auto tiny = dkimVerdict("example.com", sel, answer<std::string>({rsaRecord(512)}));
  EXPECT_EQ(tiny.status, Status::kFail);
  EXPECT_EQ(tiny.code, "weak");
  EXPECT_TRUE(contains(tiny.reason, "RSA 512-bit")) << tiny.reason;
  auto small = dkimVerdict("example.com", sel, answer<std::string>({rsaRecord(1024)}));
  EXPECT_EQ(small.status, Status::kWarn);
  EXPECT_EQ(small.code, "weak");
  auto good =
      dkimVerdict("example.com", sel, answer<std::string>({dkim::renderKeyRecord(testKeys().rsa)}));
  EXPECT_EQ(good.status, Status::kPass);
  EXPECT_EQ(good.reason,
            "DKIM key at s1._domainkey.example.com: RSA 2048-bit (no expected key "
            "given)");
}

TEST(DkimVerdict, UnusableExpectedKeyIsUnknownNotPass) {
  DkimSelector sel{"s1", std::string("garbage!")};
  auto v =
      dkimVerdict("example.com", sel, answer<std::string>({dkim::renderKeyRecord(testKeys().rsa)}));
  EXPECT_EQ(v.status, Status::kUnknown);
  EXPECT_EQ(v.code, "badExpectedKey");
}

TEST(DkimVerdict, TimeoutIsUnknown) {
  auto v =
      dkimVerdict("example.com", {"s1", std::nullopt}, status<std::string>(dns::Status::kTimeout));
  EXPECT_EQ(v.status, Status::kUnknown);
  EXPECT_TRUE(contains(v.reason, "timeout (server 198.51.100.53)")) << v.reason;
}

dmarc::Discovery found(const std::string& txt) {
  dmarc::Discovery d;
  d.verdict = dmarc::Verdict::kFound;
  d.record = *dmarc::parseRecord(txt);
  d.queriedName = "_dmarc.example.com";
  d.policyDomain = "example.com";
  return d;
}

TEST(DmarcVerdict, ProblemsWithTheRecord) {
  dmarc::PublicSuffixList psl;
  dmarc::Discovery d;
  d.verdict = dmarc::Verdict::kMultipleRecords;
  d.problem = "2 DMARC records at _dmarc.example.com";
  EXPECT_EQ(dmarcVerdict("example.com", d, {}, {}, {}, psl).status, Status::kFail);
  d.verdict = dmarc::Verdict::kInvalidRecord;
  EXPECT_EQ(dmarcVerdict("example.com", d, {}, {}, {}, psl).code, "invalid-record");
  d.verdict = dmarc::Verdict::kTempError;
  EXPECT_EQ(dmarcVerdict("example.com", d, {}, {}, {}, psl).status, Status::kUnknown);
}

TEST(DmarcVerdict, PartialPercentIsAWarning) {
  dmarc::PublicSuffixList psl;
  CheckResult spfPass{"spf", "198.51.100.10", Status::kPass, "pass", ""};
  auto v = dmarcVerdict("example.com", found("v=DMARC1; p=quarantine; pct=20"),
                        {ip("198.51.100.10")}, {spfPass}, {}, psl);
  EXPECT_EQ(v.status, Status::kWarn);
  EXPECT_TRUE(contains(v.reason, "pct=20")) << v.reason;
  auto full = dmarcVerdict("example.com", found("v=DMARC1; p=quarantine"), {ip("198.51.100.10")},
                           {spfPass}, {}, psl);
  EXPECT_EQ(full.status, Status::kPass);
  EXPECT_EQ(full.reason, "DMARC p=quarantine at _dmarc.example.com; aligned via SPF (1 of 1 IPs)");
}

TEST(DmarcVerdict, DefiniteFailureWinsOverUnknownInputs) {
  dmarc::PublicSuffixList psl;
  CheckResult spfFail{"spf", "198.51.100.11", Status::kFail, "fail", ""};
  CheckResult spfUnknown{"spf", "198.51.100.12", Status::kUnknown, "temperror", ""};
  auto v = dmarcVerdict("example.com", found("v=DMARC1; p=reject"),
                        {ip("198.51.100.11"), ip("198.51.100.12")}, {spfFail, spfUnknown}, {}, psl);
  EXPECT_EQ(v.status, Status::kFail);
  EXPECT_TRUE(contains(v.reason, "mail from 198.51.100.11 passes neither")) << v.reason;
}

TEST(MxVerdict, Shapes) {
  auto v = mxVerdict("Example.com.",
                     answer<dns::MxRecord>({{20, "b.example.com"}, {10, "a.example.com"}}));
  EXPECT_EQ(v.status, Status::kPass);
  EXPECT_EQ(v.subject, "example.com");
  EXPECT_EQ(v.reason, "example.com receives mail at MX 10 a.example.com, 20 b.example.com");
  auto nullMx = mxVerdict("example.com", answer<dns::MxRecord>({{0, ""}}));
  EXPECT_EQ(nullMx.status, Status::kWarn);
  EXPECT_EQ(nullMx.code, "nullMx");
  auto nx = mxVerdict("example.com", status<dns::MxRecord>(dns::Status::kNxDomain));
  EXPECT_EQ(nx.status, Status::kFail);
  EXPECT_EQ(nx.code, "nxdomain");
  auto tf = mxVerdict("example.com", status<dns::MxRecord>(dns::Status::kTempFail));
  EXPECT_EQ(tf.status, Status::kUnknown);
}

TEST(MtaStsVerdict, Shapes) {
  EXPECT_EQ(mtaStsVerdict("example.com", answer<std::string>({"v=STSv1; id=20261124T1;"})).status,
            Status::kPass);
  auto noId = mtaStsVerdict("example.com", answer<std::string>({"v=STSv1;"}));
  EXPECT_EQ(noId.code, "invalid");
  auto badId = mtaStsVerdict("example.com", answer<std::string>({"v=STSv1; id=2026-11-24"}));
  EXPECT_EQ(badId.code, "invalid");
  auto two = mtaStsVerdict("example.com", answer<std::string>({"v=STSv1; id=1", "v=STSv1; id=2"}));
  EXPECT_EQ(two.code, "multiple");
  auto other = mtaStsVerdict("example.com", answer<std::string>({"some other text"}));
  EXPECT_EQ(other.code, "absent");
  EXPECT_EQ(other.status, Status::kWarn);
  EXPECT_TRUE(contains(other.reason, "https://mta-sts.example.com/.well-known/mta-sts.txt"));
  EXPECT_EQ(mtaStsVerdict("example.com", status<std::string>(dns::Status::kTimeout)).status,
            Status::kUnknown);
}

TEST(TlsRptVerdict, Shapes) {
  auto ok =
      tlsRptVerdict("example.com", answer<std::string>({"v=TLSRPTv1; rua=mailto:tls@example.com"}));
  EXPECT_EQ(ok.status, Status::kPass);
  EXPECT_EQ(ok.reason,
            "TLS-RPT record at _smtp._tls.example.com reports to mailto:tls@example.com");
  EXPECT_EQ(tlsRptVerdict("example.com", answer<std::string>({"v=TLSRPTv1"})).code, "invalid");
  EXPECT_EQ(tlsRptVerdict("example.com", status<std::string>(dns::Status::kNxDomain)).code,
            "absent");
  EXPECT_EQ(tlsRptVerdict("example.com", status<std::string>(dns::Status::kTempFail)).status,
            Status::kUnknown);
}

}  // namespace
}  // namespace mailroom::health
