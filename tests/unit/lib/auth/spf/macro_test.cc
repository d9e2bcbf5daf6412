#include "lib/auth/spf/macro.h"

#include <gtest/gtest.h>

namespace mailroom::spf {
namespace {

// RFC 7208 §7.4's examples, with the client moved from 192.0.2.3 to 198.51.100.3.
MacroContext rfcContext() {
  MacroContext c;
  c.sender = "strong-bad@email.example.com";
  c.domain = "email.example.com";
  c.ip = asio::ip::make_address("198.51.100.3");
  c.helo = "mx.example.org";
  c.validatedName = "mx.example.org";
  c.receiver = "receiver.example.net";
  c.timestamp = 1700000000;
  return c;
}

std::string expand(std::string_view s, const MacroContext& c,
                   MacroMode mode = MacroMode::kDomainSpec) {
  auto r = expandMacros(s, c, mode);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : "";
}

TEST(SpfMacro, Rfc7208Section74Examples) {
  auto c = rfcContext();
  EXPECT_EQ(expand("%{s}", c), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}", c), "email.example.com");
  EXPECT_EQ(expand("%{d}", c), "email.example.com");
  EXPECT_EQ(expand("%{d4}", c), "email.example.com");
  EXPECT_EQ(expand("%{d3}", c), "email.example.com");
  EXPECT_EQ(expand("%{d2}", c), "example.com");
  EXPECT_EQ(expand("%{d1}", c), "com");
  EXPECT_EQ(expand("%{dr}", c), "com.example.email");
  EXPECT_EQ(expand("%{d2r}", c), "example.email");
  EXPECT_EQ(expand("%{l}", c), "strong-bad");
  EXPECT_EQ(expand("%{l-}", c), "strong.bad");
  EXPECT_EQ(expand("%{lr}", c), "strong-bad");
  EXPECT_EQ(expand("%{lr-}", c), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}", c), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", c), "3.100.51.198.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}", c), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", c),
            "bad.strong.lp.3.100.51.198.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", c),
            "3.100.51.198.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net", c),
            "example.com.trusted-domains.example.net");

  c.ip = asio::ip::make_address("2001:db8::cb01");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", c),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, EscapesAndUppercaseLetters) {
  auto c = rfcContext();
  EXPECT_EQ(expand("a%%b%_c%-d.example.com", c), "a%b c%20d.example.com");
  c.sender = "a b+c@email.example.com";
  EXPECT_EQ(expand("%{L}.example.com", c), "a%20b%2Bc.example.com");
  EXPECT_EQ(urlEscape("~a-b_c.d/e"), "~a-b_c.d%2Fe");
}

TEST(SpfMacro, ExplanationOnlyLetters) {
  auto c = rfcContext();
  EXPECT_EQ(expand("%{c} %{r} %{t} %{p} %{h}", c, MacroMode::kExplanation),
            "198.51.100.3 receiver.example.net 1700000000 mx.example.org mx.example.org");
  c.ip = asio::ip::make_address("2001:db8::cb01");
  c.receiver.clear();
  EXPECT_EQ(expand("%{c} via %{r}", c, MacroMode::kExplanation), "2001:db8::cb01 via unknown");
  EXPECT_FALSE(expandMacros("%{c}.example.com", c, MacroMode::kDomainSpec).ok());
  EXPECT_FALSE(expandMacros("two words", c, MacroMode::kDomainSpec).ok());
}

TEST(SpfMacro, EmptyLocalPartIsPostmaster) {
  auto c = rfcContext();
  c.sender = "@email.example.com";
  EXPECT_EQ(expand("%{l}", c), "postmaster");
}

TEST(SpfMacro, DigitsBeyondPartsAndHugeDigitsKeepEverything) {
  auto c = rfcContext();
  EXPECT_EQ(expand("%{d99999999999999999999}", c), "email.example.com");
  EXPECT_EQ(transformMacroValue("a.b.c", MacroExpand{'d', false, 2, true, ""}), "b.a");
  EXPECT_EQ(transformMacroValue("a-b+c", MacroExpand{'l', false, 0, false, "-+"}), "a.b.c");
}

TEST(SpfMacro, LongResultsDropLeadingLabels) {
  auto c = rfcContext();
  c.sender = std::string(60, 'x') + "." + std::string(60, 'y') + "." + std::string(60, 'z') + "." +
             std::string(60, 'w') + "@email.example.com";
  auto out = expand("%{l}.%{d}", c);
  EXPECT_LE(out.size(), 253u);
  EXPECT_EQ(out, std::string(60, 'y') + "." + std::string(60, 'z') + "." + std::string(60, 'w') +
                     ".email.example.com");
}

TEST(SpfMacro, UsesMacroAndValidation) {
  EXPECT_TRUE(usesMacro("%{p}.example.com", 'p'));
  EXPECT_TRUE(usesMacro("%{P2}.example.com", 'p'));
  EXPECT_FALSE(usesMacro("%{d}.example.com", 'p'));
  EXPECT_TRUE(validateDomainSpec("%{d}").ok());
  EXPECT_FALSE(validateDomainSpec("").ok());
  EXPECT_FALSE(validateDomainSpec("example").ok());
  EXPECT_TRUE(validateDomainSpec("example.123-4").ok());
  EXPECT_FALSE(validateDomainSpec("example.-com").ok());
}

}  // namespace
}  // namespace mailroom::spf
