// TSIG (RFC 8945): a golden MAC over the request layout of §4.3.3, computed independently with
// Python's hmac module over the bytes the RFC lists (message, key name, class ANY, TTL 0,
// algorithm name, 48-bit time, fudge, error, other length), and answers verified as §4.3.1 and
// §5.3.1 say: request MAC first, later messages over the prior MAC and the timers only.
#include "operator/dns/providers/rfc2136/tsig.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_dns_update_server.h"

namespace mailroom::dnspub::rfc2136 {
namespace {

Bytes fromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string toHex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

const char* kMessage =
    "123428000001000100010000076578616d706c65036f72670000060001076578616d706c65036f7267000010"
    "00fe000000000000076578616d706c65036f726700001000010000003c000c0b763d73706631202d616c6c";

TsigKey testKey() {
  std::string s = "0123456789abcdef0123456789abcdef";
  return {"mailroom-test", TsigAlgorithm::kHmacSha256, Bytes(s.begin(), s.end())};
}

TEST(Rfc2136Tsig, SignsWithTheGoldenMac) {
  Bytes wire = fromHex(kMessage);
  size_t unsignedSize = wire.size();
  auto mac = signMessage(wire, testKey(), 1700000000, 300);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(toHex(*mac), "dea334515f58d7e557cf91bfd85eb11f2345e83cafaea02fa12bbf627a317e73");
  auto m = decode(wire);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->additional.size(), 1u);
  EXPECT_EQ(m->lastAdditionalOffset, unsignedSize);
  const auto& rr = m->additional[0];
  EXPECT_EQ(rr.name, "mailroom-test");
  EXPECT_EQ(rr.type, kTypeTsig);
  EXPECT_EQ(rr.cls, kClassAny);
  auto t = decodeTsigRdata(rr.rdata);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (TsigRecord{"hmac-sha256", 1700000000, 300, *mac, 0x1234, 0, {}}));
  EXPECT_EQ(withoutTsig(wire, m->lastAdditionalOffset, 0x1234), fromHex(kMessage));
}

TEST(Rfc2136Tsig, OtherAlgorithmsHaveTheirMacSizes) {
  TsigKey k = testKey();
  for (auto [alg, size] : {std::pair{TsigAlgorithm::kHmacSha1, 20},
                           {TsigAlgorithm::kHmacSha384, 48},
                           {TsigAlgorithm::kHmacSha512, 64}}) {
    k.algorithm = alg;
    Bytes wire = fromHex(kMessage);
    auto mac = signMessage(wire, k, 1, 300);
    ASSERT_TRUE(mac.ok());
    EXPECT_EQ(mac->size(), static_cast<size_t>(size)) << algorithmName(alg);
  }
}

// Answers from the fake server (which signs as §4.3.1/§5.3.1 say) verify; tampering does not.
struct Exchange {
  std::vector<Bytes> answers;
  Bytes requestMac;
};

Exchange transfer(testing::FakeDnsUpdateServer& server) {
  Message q;
  q.id = 7;
  q.questions.push_back({"example.org", kTypeAxfr, kClassIn});
  Bytes wire = *encode(q);
  Exchange ex{{}, *signMessage(wire, testKey(), 1000, 300)};
  (void)server.exchange(wire, [&](const Bytes& a) {
    ex.answers.push_back(a);
    return true;
  });
  return ex;
}

TEST(Rfc2136Tsig, VerifiesAMultiMessageTransfer) {
  testing::FakeDnsUpdateServer server("example.org", testKey(), 1000);
  server.setTxt("example.org", 60, {"a", "b", "c"});
  auto ex = transfer(server);
  ASSERT_EQ(ex.answers.size(), 2u);
  TsigKey key = testKey();
  TsigVerifier v(key, ex.requestMac);
  for (const auto& a : ex.answers) {
    auto r = v.verify(a, *decode(a), 1010);
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_TRUE(v.finish().ok());
}

TEST(Rfc2136Tsig, RejectsTamperingWrongRequestMacAndClockSkew) {
  testing::FakeDnsUpdateServer server("example.org", testKey(), 1000);
  server.setTxt("example.org", 60, {"a", "b", "c"});
  auto ex = transfer(server);
  TsigKey key = testKey();
  {
    Bytes tampered = ex.answers[0];
    tampered[3] ^= 0x01;  // a header flag bit
    TsigVerifier v(key, ex.requestMac);
    EXPECT_FALSE(v.verify(tampered, *decode(tampered), 1000).ok());
  }
  {
    Bytes otherMac = ex.requestMac;
    otherMac[0] ^= 1;
    TsigVerifier v(key, otherMac);
    EXPECT_FALSE(v.verify(ex.answers[0], *decode(ex.answers[0]), 1000).ok());
  }
  {
    TsigVerifier v(key, ex.requestMac);
    auto r = v.verify(ex.answers[0], *decode(ex.answers[0]), 1000 + 301);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("clock"), std::string::npos);
  }
  {  // The second message alone (not chained to the first) does not verify.
    TsigVerifier v(key, ex.requestMac);
    EXPECT_FALSE(v.verify(ex.answers[1], *decode(ex.answers[1]), 1000).ok());
  }
  {
    TsigKey wrong = key;
    wrong.secret[0] ^= 1;
    TsigVerifier v(wrong, ex.requestMac);
    EXPECT_FALSE(v.verify(ex.answers[0], *decode(ex.answers[0]), 1000).ok());
  }
}

TEST(Rfc2136Tsig, UnsignedFirstAnswerAndServerErrorsAreReported) {
  TsigKey key = testKey();
  Message a;
  a.id = 7;
  a.response = true;
  Bytes wire = *encode(a);
  TsigVerifier v(key, Bytes(32, 1));
  EXPECT_EQ(v.verify(wire, *decode(wire), 0).error().kind, ErrorKind::kInvalidArgument);
  TsigRecord t{"hmac-sha256", 0, 300, {}, 7, kBadKey, {}};
  a.additional.push_back({"mailroom-test", kTypeTsig, kClassAny, 0, *encodeTsigRdata(t)});
  wire = *encode(a);
  TsigVerifier v2(key, Bytes(32, 1));
  auto r = v2.verify(wire, *decode(wire), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(r.error().message, "BADKEY");
  EXPECT_FALSE(TsigVerifier(key, {}).finish().ok());
}

TEST(Rfc2136Tsig, RdataRoundTripsAndRejectsBadLengths) {
  TsigRecord t{"hmac-sha512", 0xABCDEF012345,         10, Bytes(64, 9), 99,
               kBadTime,      Bytes{1, 2, 3, 4, 5, 6}};
  auto rd = encodeTsigRdata(t);
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ(*decodeTsigRdata(*rd), t);
  Bytes shorter(rd->begin(), rd->end() - 1);
  EXPECT_FALSE(decodeTsigRdata(shorter).ok());
}

}  // namespace
}  // namespace mailroom::dnspub::rfc2136
