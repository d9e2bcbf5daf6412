#include "lib/auth/spf/record.h"

#include <gtest/gtest.h>

namespace mailroom::spf {
namespace {

const Mechanism& mech(const Record& r, size_t i) {
  return std::get<Mechanism>(r.terms.at(i));
}

TEST(SpfRecord, RecognizesVersionCaseInsensitively) {
  EXPECT_TRUE(isSpfRecord("v=spf1"));
  EXPECT_TRUE(isSpfRecord("V=SPF1 -all"));
  EXPECT_FALSE(isSpfRecord("v=spf10 -all"));
  EXPECT_FALSE(isSpfRecord("v=spf1-all"));
  EXPECT_FALSE(isSpfRecord(" v=spf1 -all"));
  EXPECT_FALSE(isSpfRecord("v=DKIM1; p=abc"));
}

TEST(SpfRecord, ParsesEveryMechanismAndModifier) {
  auto r = parseRecord(
      "v=spf1 +all -include:_spf.example.com ~a a:mail.example.com/24//64 ?mx//48 ptr "
      "ptr:example.org ip4:198.51.100.0/24 IP6:2001:DB8::/32 exists:%{ir}.bl.example.com "
      "redirect=_spf.example.net exp=explain.%{d} x-custom=%{l}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->terms.size(), 13u);
  EXPECT_EQ(mech(*r, 0).kind, MechanismKind::kAll);
  EXPECT_TRUE(mech(*r, 0).explicitQualifier);
  EXPECT_EQ(mech(*r, 1).qualifier, Qualifier::kFail);
  EXPECT_EQ(mech(*r, 1).domainSpec, "_spf.example.com");
  EXPECT_EQ(mech(*r, 2).qualifier, Qualifier::kSoftFail);
  EXPECT_EQ(mech(*r, 3).domainSpec, "mail.example.com");
  EXPECT_EQ(mech(*r, 3).cidr4, 24);
  EXPECT_EQ(mech(*r, 3).cidr6, 64);
  EXPECT_EQ(mech(*r, 4).kind, MechanismKind::kMx);
  EXPECT_FALSE(mech(*r, 4).cidr4.has_value());
  EXPECT_EQ(mech(*r, 4).cidr6, 48);
  EXPECT_EQ(mech(*r, 6).domainSpec, "example.org");
  EXPECT_EQ(mech(*r, 7).network, asio::ip::make_address("198.51.100.0"));
  EXPECT_EQ(mech(*r, 8).kind, MechanismKind::kIp6);
  EXPECT_EQ(mech(*r, 8).cidr6, 32);
  EXPECT_EQ(mech(*r, 9).kind, MechanismKind::kExists);
  EXPECT_EQ(r->redirect(), "_spf.example.net");
  EXPECT_EQ(r->exp(), "explain.%{d}");
  EXPECT_EQ(std::get<Modifier>(r->terms.at(12)).name, "x-custom");
}

TEST(SpfRecord, ToleratesExtraSpacesButOnlySpaces) {
  auto r = parseRecord("v=spf1   ip4:198.51.100.1    -all  ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->terms.size(), 2u);
  EXPECT_FALSE(parseRecord("v=spf1 ip4:198.51.100.1\t-all").ok());
}

TEST(SpfRecord, SyntaxErrorsNameTheTerm) {
  struct {
    const char* record;
    const char* needle;
  } cases[] = {
      {"v=spf1 foo:example.com", "unknown mechanism \"foo\""},
      {"v=spf1 ip4:198.51.100.1/33", "ip4:198.51.100.1/33"},
      {"v=spf1 ip4:198.51.100.1/024", "CIDR"},
      {"v=spf1 ip6:2001:db8::/129", "CIDR"},
      {"v=spf1 ip4:2001:db8::1", "bad ip4 address"},
      {"v=spf1 ip4", "needs"},
      {"v=spf1 a:example.com/33", "IPv4 CIDR"},
      {"v=spf1 a//129", "IPv6 CIDR"},
      {"v=spf1 include", "needs"},
      {"v=spf1 include:", "empty"},
      {"v=spf1 all:foo", "takes no arguments"},
      {"v=spf1 a:museum", "toplabel"},
      {"v=spf1 a:example.123", "bad top label"},
      {"v=spf1 exists:%{x}.example.com", "unknown macro letter"},
      {"v=spf1 exists:%{d0}.example.com", "nonzero"},
      {"v=spf1 exists:%{c}.example.com", "unknown macro letter"},
      {"v=spf1 exists:%z.example.com", "not a macro"},
      {"v=spf1 redirect=a.example.com redirect=b.example.com", "more than once"},
      {"v=spf1 exp=a.example.com exp=b.example.com", "more than once"},
      {"v=spf1 -redirect=a.example.com", "unknown mechanism"},
      {"v=spf1 x=%", "at the end"},
      {"v=spf1 -all\xc3\xa9", "unknown mechanism"},
  };
  for (const auto& c : cases) {
    auto r = parseRecord(c.record);
    ASSERT_FALSE(r.ok()) << c.record;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.record << " -> " << r.error().message;
  }
}

TEST(SpfRecord, DomainSpecsMayEndInAMacro) {
  EXPECT_TRUE(parseRecord("v=spf1 a:%{d}").ok());
  EXPECT_TRUE(parseRecord("v=spf1 a:example.com.").ok());
  EXPECT_TRUE(parseRecord("v=spf1 a:foo.%%").ok());
  EXPECT_TRUE(parseRecord("v=spf1 exists:%{ir}.%{v}._spf.%{d2}").ok());
  EXPECT_TRUE(parseRecord("v=spf1 a:foo%%").ok());  // "%%" is a macro-expand in the ABNF
  EXPECT_FALSE(parseRecord("v=spf1 a:foo%%x").ok());
}

TEST(SpfRecord, RendersCanonicallyAndRoundTrips) {
  const char* in =
      "V=SPF1 +A:Mail.Example.com/24//64 MX//48 Ip4:198.51.100.0/24 ip6:2001:DB8:0::1 "
      "?Include:_spf.%{d} EXP=why.%{d} Foo=bar -ALL";
  auto r = parseRecord(in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string text = renderRecord(*r);
  EXPECT_EQ(text,
            "v=spf1 +a:Mail.Example.com/24//64 mx//48 ip4:198.51.100.0/24 ip6:2001:db8::1 "
            "?include:_spf.%{d} exp=why.%{d} foo=bar -all");
  auto again = parseRecord(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

TEST(SpfRecord, CountsTheTermsThatCostDnsLookups) {
  auto r = parseRecord(
      "v=spf1 ip4:198.51.100.10 ip6:2001:db8::1 include:_spf.example.com a mx:mx.example.com "
      "ptr exists:%{i}.x.example.com exp=explain.example.com x-other=1 redirect=_spf.example.net "
      "-all");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(countDnsLookupTerms(*r), 6);  // include a mx ptr exists redirect
  EXPECT_EQ(countDnsLookupTerms(parseRecord("v=spf1 ip4:192.0.2.1 -all").value()), 0);
}

}  // namespace
}  // namespace mailroom::spf
