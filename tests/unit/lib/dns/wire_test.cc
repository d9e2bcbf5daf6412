#include "lib/dns/wire.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_dns_server.h"

namespace mailroom::dns::wire {
namespace {

namespace dd = testing::dnsdata;

void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v & 0xff);
}

// Header + question for name/type, then the given answer and authority records.
std::string message(uint8_t rcode, const std::string& qname, uint16_t qtype,
                    const std::vector<testing::DnsRr>& an,
                    const std::vector<testing::DnsRr>& ns = {}) {
  std::string m = std::string("\x12\x34", 2);
  put16(m, 0x8180 | rcode);
  put16(m, 1);
  put16(m, static_cast<uint16_t>(an.size()));
  put16(m, static_cast<uint16_t>(ns.size()));
  put16(m, 0);
  m += dd::name(qname);
  put16(m, qtype);
  put16(m, 1);
  for (const auto* sec : {&an, &ns}) {
    for (const auto& rr : *sec) {
      m += dd::name(rr.name);
      put16(m, rr.type);
      put16(m, 1);
      put16(m, static_cast<uint16_t>(rr.ttl >> 16));
      put16(m, static_cast<uint16_t>(rr.ttl & 0xffff));
      put16(m, static_cast<uint16_t>(rr.rdata.size()));
      m += rr.rdata;
    }
  }
  return m;
}

Result<Message> parseString(const std::string& m) {
  return parse(reinterpret_cast<const uint8_t*>(m.data()), m.size());
}

TEST(Wire, CnameChainTtlAndEnd) {
  auto m = parseString(message(0, "a.example", kTypeTxt,
                               {{"A.example", kTypeCname, 50, dd::cname("b.example")},
                                {"b.example", kTypeCname, 70, dd::cname("c.example")},
                                {"c.example", kTypeTxt, 30, dd::txt({"x"})},
                                {"c.example", kTypeA, 5, dd::a("198.51.100.1")}}));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->answers.size(), 4u);
  EXPECT_EQ(chainEnd(*m, "a.example."), "c.example");
  EXPECT_EQ(answerTtl(*m, kTypeTxt), 30u);  // the A record's 5 s does not count
  EXPECT_EQ(chainEnd(*m, "other.example"), "other.example");
}

TEST(Wire, CnameLoopStops) {
  auto m = parseString(message(0, "a.example", kTypeTxt,
                               {{"a.example", kTypeCname, 50, dd::cname("b.example")},
                                {"b.example", kTypeCname, 50, dd::cname("a.example")}}));
  ASSERT_TRUE(m.ok());
  auto end = chainEnd(*m, "a.example", 5);
  EXPECT_TRUE(end == "a.example" || end == "b.example");
}

TEST(Wire, NegativeTtlRfc2308) {
  auto m =
      parseString(message(3, "x.example", kTypeA, {},
                          {{"example", kTypeSoa, 3600, dd::soa("ns.example", "h.example", 300)}}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->rcode, 3);
  EXPECT_EQ(negativeTtl(*m), 300u);
  auto none = parseString(message(3, "x.example", kTypeA, {}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(negativeTtl(*none), 0u);
}

TEST(Wire, TopBitTtlIsZeroRfc2181) {
  auto m = parseString(
      message(0, "x.example", kTypeA, {{"x.example", kTypeA, 0x80000000u, dd::a("198.51.100.1")}}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->answers.at(0).ttl, 0u);
}

TEST(Wire, RejectsTruncatedAndGarbledMessages) {
  std::string good =
      message(0, "x.example", kTypeA, {{"x.example", kTypeA, 1, dd::a("198.51.100.1")}});
  ASSERT_TRUE(parseString(good).ok());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(parseString(good.substr(0, cut)).ok()) << "cut at " << cut;
  }
  // A compression pointer to itself (a loop) in the question.
  std::string loop =
      good.substr(0, 12) + std::string("\xc0\x0c", 2) + std::string("\x00\x01\x00\x01", 4);
  EXPECT_FALSE(parseString(loop).ok());
  EXPECT_FALSE(parse(nullptr, 0).ok());
}

}  // namespace
}  // namespace mailroom::dns::wire
