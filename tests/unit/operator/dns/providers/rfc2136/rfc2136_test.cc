// The RFC2136 provider through the Publisher against an in-memory primary server
// (tests/mocks/fake_dns_update_server.h: TSIG checked and signed, AXFR, UPDATE prerequisites
// applied atomically): first round, second round, deletion, a concurrent writer, and the
// server's refusals as classified errors. The real BIND9 is in tests/e2e/dns.
#include "operator/dns/providers/rfc2136/rfc2136.h"

#include <gtest/gtest.h>

#include "operator/dns/publisher.h"
#include "tests/mocks/fake_dns_update_server.h"

namespace mailroom::dnspub::rfc2136 {
namespace {

using testing::FakeDnsUpdateServer;

const Owner kOwner{"prod", "mail", "example-com"};
const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kGsv = "google-site-verification=abc123";

TsigKey key() {
  return {"mailroom", TsigAlgorithm::kHmacSha256, Bytes(kSecret.begin(), kSecret.end())};
}

struct Rfc2136ProviderTest : ::testing::Test {
  FakeDnsUpdateServer server{"example.com", key(), 5000};
  Rfc2136Provider provider{{key(), 300, [] { return uint64_t{5000}; }}, server};
  Publisher publisher{provider};
  std::vector<RecordSet> desired = {
      {"example.com", "TXT", 300, {"v=spf1 ip4:198.51.100.10 -all"}},
      {"sel._domainkey.example.com",
       "TXT",
       300,
       {"v=DKIM1; k=ed25519; p=" + std::string(300, 'A')}},
  };
  void SetUp() override {
    server.setTxt("example.com", 3600, {kGsv, "v=spf1 include:_spf.google.com ~all"});
  }
};

std::string spfAt(const FakeDnsUpdateServer& s, const std::string& name) {
  for (const auto& v : s.txt(name))
    if (v.rfind("v=spf1", 0) == 0) return v;
  return "";
}

TEST_F(Rfc2136ProviderTest, FirstRoundWritesOneUpdateWithPrerequisites) {
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->applied);
  EXPECT_EQ(server.updates, 1);
  EXPECT_EQ(spfAt(server, "example.com"), "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all");
  EXPECT_EQ(server.txt("sel._domainkey.example.com"), desired[1].values);
  EXPECT_EQ(server.rrsets["example.com"].ttl, 3600u) << "an existing RRset keeps its TTL";
  EXPECT_EQ(server.rrsets["sel._domainkey.example.com"].ttl, 300u);
  EXPECT_EQ(server.rrsets["sel._domainkey.example.com"].rdatas[0].size(), 324u)
      << "a value over 255 octets is two character-strings";
  ASSERT_EQ(server.txt("_mailroom-owner.example.com").size(), 1u);
  EXPECT_EQ(server.txt("example.com")[0], kGsv);

  // The UPDATE: zone example.com SOA; the apex requires its two values as read, the new names
  // require absence.
  const Message& u = server.received.back();
  EXPECT_EQ(u.opcode, kOpcodeUpdate);
  ASSERT_EQ(u.questions.size(), 1u);
  EXPECT_EQ(u.questions[0], (Question{"example.com", kTypeSoa, kClassIn}));
  int apexPrereqs = 0, absent = 0;
  for (const auto& p : u.answers) {
    EXPECT_EQ(p.ttl, 0u);
    if (p.name == "example.com" && p.cls == kClassIn) ++apexPrereqs;
    if (p.cls == kClassNone && p.rdata.empty()) ++absent;
  }
  EXPECT_EQ(apexPrereqs, 2);
  EXPECT_EQ(absent, 3) << "the DKIM name and two ownership names are created";
}

TEST_F(Rfc2136ProviderTest, SecondRoundWritesNothingAndDeletionRestoresTheForeignRecords) {
  ASSERT_TRUE(publisher.sync("example.com", desired, kOwner).ok());
  auto again = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(server.updates, 1);
  EXPECT_EQ(server.transfers, 2);

  auto gone = publisher.sync("example.com", {}, kOwner);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(server.txt("example.com"),
            (std::vector<std::string>{kGsv, "v=spf1 include:_spf.google.com ~all"}));
  EXPECT_EQ(server.rrsets.size(), 1u) << "DKIM and ownership RRsets removed";
}

TEST_F(Rfc2136ProviderTest, ConcurrentWriterMakesTheUpdateFailInsteadOfBeingClobbered) {
  server.beforeUpdate = [&] {
    server.rrsets["example.com"].rdatas.push_back(encodeTxtRdata("someone-else=1"));
    server.beforeUpdate = nullptr;
  };
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnavailable);
  EXPECT_TRUE(isTemporary(r.error().reason));
  EXPECT_NE(r.error().message.find("NXRRSET"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().changesApplied, 0);
  EXPECT_TRUE(server.txt("sel._domainkey.example.com").empty()) << "nothing written";

  auto next = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(next.ok()) << next.error().message;
  auto apex = server.txt("example.com");
  EXPECT_NE(std::find(apex.begin(), apex.end(), "someone-else=1"), apex.end());
  EXPECT_EQ(spfAt(server, "example.com"), "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all");
}

TEST_F(Rfc2136ProviderTest, ForeignValueSplitDifferentlyIsMatchedAsRead) {
  // The foreign SPF record as two character-strings: prerequisites and the deletion must name
  // its RDATA as the server holds it, not as Mailroom would render it.
  Bytes split;
  for (std::string part : {"v=spf1 include:_spf.google.com", " ~all"}) {
    split.push_back(static_cast<uint8_t>(part.size()));
    split.insert(split.end(), part.begin(), part.end());
  }
  server.rrsets["example.com"].rdatas = {encodeTxtRdata(kGsv), split};
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(
      server.txt("example.com"),
      (std::vector<std::string>{kGsv, "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all"}));
}

TEST_F(Rfc2136ProviderTest, RefusalsAreClassified) {
  struct Case {
    uint8_t rcode;
    ProviderErrorReason reason;
  };
  for (auto c :
       {Case{5, ProviderErrorReason::kUnauthorized}, Case{9, ProviderErrorReason::kZoneNotFound},
        Case{2, ProviderErrorReason::kUnavailable}, Case{1, ProviderErrorReason::kRejected}}) {
    server.forceRcode = c.rcode;
    auto r = publisher.sync("example.com", desired, kOwner);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, c.reason) << rcodeName(c.rcode) << ": " << r.error().message;
  }
  // The same RCODEs on the UPDATE (the transfer succeeded).
  server.forceRcode.reset();
  server.beforeUpdate = [&] { server.forceRcode = 5; };
  auto r = publisher.sync("example.com", desired, kOwner);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnauthorized);
  EXPECT_NE(r.error().message.find("update-policy"), std::string::npos);
}

TEST_F(Rfc2136ProviderTest, WrongKeyIsUnauthorizedAndTheSecretNeverAppears) {
  TsigKey wrong = key();
  wrong.secret = Bytes(32, 'x');
  Rfc2136Provider p({wrong, 300, [] { return uint64_t{5000}; }}, server);
  auto r = p.records("example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kUnauthorized);
  EXPECT_NE(r.error().message.find("BADSIG"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(std::string(32, 'x')), std::string::npos);
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos);
}

TEST_F(Rfc2136ProviderTest, AnswerWithABrokenSignatureIsABadResponse) {
  server.corruptMac = true;
  auto r = provider.records("example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kBadResponse);
}

TEST_F(Rfc2136ProviderTest, NonTxtChangesAreRefusedBeforeAnyWrite) {
  ASSERT_TRUE(provider.records("example.com").ok());
  auto e = provider.applyChanges(
      "example.com", {Change{{"example.com", "MX"}, 60, {"10 mx."}, {}, {}, {"10 mx."}}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, ProviderErrorReason::kInvalidRecords);
  EXPECT_EQ(server.updates, 0);
}

// A transport that never answers: the provider reports a timeout, and for an UPDATE says that
// it may have been applied.
class SilentTransport final : public DnsTransport {
 public:
  std::string server() const override { return "192.0.2.1:53"; }
  std::optional<TransportError> exchange(const Bytes&,
                                         const std::function<bool(const Bytes&)>&) override {
    return TransportError{TransportError::Kind::kTimeout, "timed out waiting for the answer"};
  }
};

TEST(Rfc2136Transport, TimeoutIsTemporary) {
  SilentTransport silent;
  Rfc2136Provider p({key(), 300, nullptr}, silent);
  auto r = p.records("example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ProviderErrorReason::kTimeout);
  auto e =
      p.applyChanges("example.com", {Change{{"example.com", "TXT"}, 60, {"x"}, {}, {}, {"x"}}});
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("may have been applied"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::dnspub::rfc2136
