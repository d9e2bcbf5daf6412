// The DNS message codec against golden wire bytes (RFC 1035 §4.1, RFC 2136 §2) and malformed
// input.
#include "operator/dns/providers/rfc2136/wire.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mailroom::dnspub::rfc2136 {
namespace {

Bytes fromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// UPDATE example.org: prerequisite "TXT RRset does not exist" at the apex, add one TXT value.
const char* kGoldenUpdate =
    "1234"                        // ID
    "2800"                        // QR=0, opcode 5 (UPDATE)
    "0001000100010000"            // ZOCOUNT 1, PRCOUNT 1, UPCOUNT 1, ADCOUNT 0
    "076578616d706c65036f726700"  // example.org.
    "00060001"                    // zone: SOA IN
    "076578616d706c65036f726700"  // prerequisite owner
    "001000fe0000000000 00"       // TXT NONE TTL 0 RDLENGTH 0 (§2.4.3)
    "076578616d706c65036f726700"  // update owner
    "001000010000003c000c"        // TXT IN TTL 60 RDLENGTH 12
    "0b763d73706631202d616c6c";   // "v=spf1 -all"

Message goldenMessage() {
  Message m;
  m.id = 0x1234;
  m.opcode = kOpcodeUpdate;
  m.questions.push_back({"example.org", kTypeSoa, kClassIn});
  m.answers.push_back({"example.org", kTypeTxt, kClassNone, 0, {}});
  m.authority.push_back({"example.org", kTypeTxt, kClassIn, 60, encodeTxtRdata("v=spf1 -all")});
  return m;
}

std::string stripSpaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

TEST(Rfc2136Wire, EncodesUpdateToGoldenBytes) {
  auto wire = encode(goldenMessage());
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, fromHex(stripSpaces(kGoldenUpdate)));
}

TEST(Rfc2136Wire, DecodesGoldenBytesBack) {
  auto m = decode(fromHex(stripSpaces(kGoldenUpdate)));
  ASSERT_TRUE(m.ok()) << m.error().message;
  Message want = goldenMessage();
  want.lastAdditionalOffset = 0;
  EXPECT_EQ(*m, want);
}

TEST(Rfc2136Wire, FollowsCompressionPointersBackwardsOnly) {
  // Header, question example.org SOA IN, one answer whose owner is a pointer to offset 12.
  Bytes wire =
      fromHex(stripSpaces("abcd84000001000100000000"
                          "076578616d706c65036f72670000060001"
                          "c00c00100001 0000003c0004 03616263"));
  auto m = decode(wire);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->response);
  EXPECT_TRUE(m->authoritative);
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, "example.org");
  EXPECT_EQ(*decodeTxtRdata(m->answers[0].rdata), "abc");
  // A pointer to itself (a loop) is refused.
  wire[29] = 0xC0;
  wire[30] = 29;
  EXPECT_FALSE(decode(wire).ok());
}

TEST(Rfc2136Wire, RejectsTruncatedAndTrailingInput) {
  Bytes good = fromHex(stripSpaces(kGoldenUpdate));
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(decode(std::span(good.data(), n)).ok()) << n;
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer).ok());
}

TEST(Rfc2136Wire, TxtRdataSplitsAt255Octets) {
  std::string v(300, 'k');
  Bytes rd = encodeTxtRdata(v);
  ASSERT_EQ(rd.size(), 302u);
  EXPECT_EQ(rd[0], 255);
  EXPECT_EQ(rd[256], 45);
  EXPECT_EQ(*decodeTxtRdata(rd), v);
  EXPECT_EQ(encodeTxtRdata(""), Bytes{0});
  EXPECT_EQ(*decodeTxtRdata(Bytes{0}), "");
  EXPECT_FALSE(decodeTxtRdata(Bytes{5, 'a'}).ok());
}

TEST(Rfc2136Wire, NamesAreCheckedAndEscaped) {
  Bytes out;
  EXPECT_FALSE(appendName(out, std::string(64, 'a') + ".org").ok());
  EXPECT_FALSE(appendName(out, "a..org").ok());
  out.clear();
  ASSERT_TRUE(appendName(out, "a\\.b.org.").ok());
  EXPECT_EQ(out, fromHex("03612e62036f726700"));
  out.clear();
  ASSERT_TRUE(appendName(out, "").ok());
  EXPECT_EQ(out, Bytes{0});
  EXPECT_EQ(rcodeName(8), "NXRRSET");
  EXPECT_EQ(rcodeName(12), "RCODE12");
}

}  // namespace
}  // namespace mailroom::dnspub::rfc2136
