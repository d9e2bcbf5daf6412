#include "sidecar/compose/address.h"

#include <gtest/gtest.h>

namespace mailroom::compose {
namespace {

std::string envelope(std::string_view s) {
  auto m = parseEnvelopeAddress(s);
  return m.ok() ? m->address() : "ERR: " + m.error().message;
}

TEST(EnvelopeAddress, DotStringAndCaseOfDomain) {
  EXPECT_EQ(envelope("John.Doe@Example.COM"), "John.Doe@example.com");
  EXPECT_EQ(envelope("<a+tag@example.com>"), "a+tag@example.com");
  EXPECT_EQ(envelope("postmaster@localhost"), "postmaster@localhost");
}

TEST(EnvelopeAddress, QuotedLocalPartKeepsQuotesOnlyWhenNeeded) {
  EXPECT_EQ(envelope("\"john doe\"@example.com"), "\"john doe\"@example.com");
  EXPECT_EQ(envelope("\"plain\"@example.com"), "plain@example.com");
  EXPECT_EQ(envelope("\"a\\\"b\"@example.com"), "\"a\\\"b\"@example.com");
  auto m = parseEnvelopeAddress("\"a@b\"@example.com");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->localPart, "a@b");
}

TEST(EnvelopeAddress, AddressLiterals) {
  EXPECT_EQ(envelope("user@[198.51.100.1]"), "user@[198.51.100.1]");
  EXPECT_EQ(envelope("user@[IPv6:2001:db8::1]"), "user@[IPv6:2001:db8::1]");
  EXPECT_EQ(envelope("user@[ipv6:2001:db8::1]"), "user@[IPv6:2001:db8::1]");  // tag is caseless
  EXPECT_FALSE(parseEnvelopeAddress("user@[198.51.100.300]").ok());
  EXPECT_FALSE(parseEnvelopeAddress("user@[IPv6:2001:db8::g]").ok());
  EXPECT_FALSE(parseEnvelopeAddress("user@[x-tag:whatever]").ok());
  EXPECT_FALSE(parseEnvelopeAddress("user@[198.51.100.1").ok());
  // Found by the fuzzer: a NUL inside the literal must not cut the check short.
  EXPECT_FALSE(parseEnvelopeAddress(std::string("o@[IPv6:d8::\0x@y]", 17)).ok());
  EXPECT_FALSE(parseAddressList("o@[198.51.100.1 ]").ok());
}

TEST(EnvelopeAddress, IdnDomainBecomesALabel) {
  EXPECT_EQ(envelope("user@bücher.example"), "user@xn--bcher-kva.example");
  EXPECT_EQ(envelope("user@BÜCHER.example"), "user@xn--bcher-kva.example");
  EXPECT_EQ(envelope("user@xn--bcher-kva.example"), "user@xn--bcher-kva.example");
  // Non-transitional UTS #46: ß is kept (xn--fa-hia), not mapped to "ss".
  EXPECT_EQ(envelope("user@faß.example"), "user@xn--fa-hia.example");
}

TEST(EnvelopeAddress, InvalidIdnIsRejected) {
  auto m = parseEnvelopeAddress("user@xn--zz-zzzzz.example");  // not a valid punycode label
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("internationalized"), std::string::npos) << m.error().message;
  EXPECT_FALSE(parseEnvelopeAddress("user@a\u2044b.example").ok());  // U+2044 disallowed
}

TEST(EnvelopeAddress, Utf8LocalPartNeedsSmtpUtf8) {
  auto m = parseEnvelopeAddress("jörg@example.com");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->utf8LocalPart());
  EXPECT_FALSE(parseEnvelopeAddress("j\xC3(rg@example.com").ok());  // broken UTF-8
  auto ascii = parseEnvelopeAddress("jorg@bücher.example");
  ASSERT_TRUE(ascii.ok());
  EXPECT_FALSE(ascii->utf8LocalPart());  // IDN domains are A-labels: no SMTPUTF8 needed
}

TEST(EnvelopeAddress, Rejects) {
  for (const char* bad :
       {"", "@example.com", "user@", "user", "a..b@example.com", ".a@example.com", "a.@example.com",
        "a b@example.com", "user@exa mple.com", "user@-x.example", "user@x-.example",
        "user@x..example", "user@example.com.", "user@under_score.example", "user@198.51.100.1",
        "\"unterminated@example.com", "\"a\tb\"@example.com", "user@example.com\r\nRCPT TO:<x@y>",
        "a(comment)@example.com"}) {
    EXPECT_FALSE(parseEnvelopeAddress(bad).ok()) << bad;
  }
}

TEST(EnvelopeAddress, Lengths) {
  std::string local64(64, 'a'), local65(65, 'a');
  EXPECT_TRUE(parseEnvelopeAddress(local64 + "@example.com").ok());
  auto m = parseEnvelopeAddress(local65 + "@example.com");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("64"), std::string::npos);
  std::string label63(63, 'b'), label64(64, 'b');
  EXPECT_TRUE(parseEnvelopeAddress("a@" + label63 + ".example").ok());
  EXPECT_FALSE(parseEnvelopeAddress("a@" + label64 + ".example").ok());
  std::string domain;
  while (domain.size() < 250) domain += label63.substr(0, 49) + ".";
  domain += "example";  // 257 octets
  ASSERT_GT(domain.size(), 255u);
  EXPECT_FALSE(parseEnvelopeAddress("a@" + domain).ok());
}

TEST(HeaderAddress, NameAddrAndAddrSpec) {
  auto l = parseAddressList("Alice Example <alice@example.com>, bob@example.net");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].mailboxes[0].displayName, "Alice Example");
  EXPECT_EQ((*l)[0].mailboxes[0].address(), "alice@example.com");
  EXPECT_EQ((*l)[1].mailboxes[0].displayName, "");
  EXPECT_EQ((*l)[1].mailboxes[0].address(), "bob@example.net");
}

TEST(HeaderAddress, QuotedDisplayNamesCommentsAndObsPhrase) {
  auto l = parseAddressList(
      "\"Doe, John\" <john@example.com> (work), (c) \"x\\\"y\"@example.com,"
      " John Q. Public <jqp@example.com>");
  ASSERT_TRUE(l.ok()) << l.error().message;
  auto boxes = mailboxesOf(*l);
  ASSERT_EQ(boxes.size(), 3u);
  EXPECT_EQ(boxes[0].displayName, "Doe, John");
  EXPECT_EQ(boxes[1].localPart, "x\"y");
  EXPECT_EQ(boxes[2].displayName, "John Q. Public");
}

TEST(HeaderAddress, Groups) {
  auto l = parseAddressList("Team: a@example.com, B <b@example.com>;, undisclosed-recipients:;");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);
  EXPECT_TRUE((*l)[0].isGroup);
  EXPECT_EQ((*l)[0].groupName, "Team");
  EXPECT_EQ((*l)[0].mailboxes.size(), 2u);
  EXPECT_TRUE((*l)[1].mailboxes.empty());
  EXPECT_EQ(mailboxesOf(*l).size(), 2u);
  EXPECT_FALSE(parseAddressList("Team: a@example.com").ok());  // no ';'
}

TEST(HeaderAddress, EncodedWordDisplayNameIsDecoded) {
  auto m = parseMailbox("=?utf-8?q?J=C3=B6rg?= =?utf-8?b?IE3DvGxsZXI=?= <j@example.com>");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->displayName, "Jörg Müller");
  // Inside a quoted string an encoded-word is just text (RFC 2047 §5).
  auto q = parseMailbox("\"=?utf-8?q?x?=\" <j@example.com>");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->displayName, "=?utf-8?q?x?=");
}

TEST(HeaderAddress, FoldedValue) {
  auto l = parseAddressList("A <a@example.com>,\r\n B <b@example.com>");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->size(), 2u);
  EXPECT_FALSE(parseAddressList("a@example.com\r\nBcc: evil@example.com").ok());
}

TEST(HeaderAddress, Rejects) {
  for (const char* bad :
       {"", "   ", "John Smith", "<a@example.com", "a@example.com>", "a@b@example.com",
        "<@route:a@example.com>", "a@example.com b@x.org", "(unterminated a@example.com",
        "\"q <a@example.com>", ":;", "a@bad_domain.example"}) {
    EXPECT_FALSE(parseAddressList(bad).ok()) << bad;
  }
  EXPECT_FALSE(parseMailbox("a@example.com, b@example.com").ok());
}

TEST(HeaderAddress, RenderParsesBackEqual) {
  for (const char* text :
       {"a@example.com", "Alice <alice@example.com>", "\"Doe, John\" <j@example.com>",
        "\"a  b\" <x@example.com>", "Jörg <jörg@bücher.example>", "G: a@x.example, b@y.example;",
        "E:;", "\"=?x?\" <q@example.com>", "\"sp ace\"@example.com",
        "=?utf-8?q?Caf=C3=A9?= <c@example.com>",
        "Te.J \"p,B\tx\" eTeaüc:;"}) {  // fuzzer: HTAB inside an encoded group name
    auto l = parseAddressList(text);
    ASSERT_TRUE(l.ok()) << text << ": " << l.error().message;
    for (bool encode : {false, true}) {
      std::string rendered = renderAddressList(*l, encode, 4);
      auto back = parseAddressList(rendered);
      ASSERT_TRUE(back.ok()) << rendered << ": " << back.error().message;
      EXPECT_EQ(*back, *l) << text << " -> " << rendered;
    }
  }
}

TEST(HeaderAddress, EncodedRenderingIsAsciiAndFolded) {
  std::vector<AddressEntry> list;
  for (int i = 0; i < 6; ++i)
    list.push_back({false,
                    "",
                    {{"Zoë Ångström-Øresund nummer " + std::to_string(i), "z" + std::to_string(i),
                      "example.com"}}});
  std::string r = renderAddressList(list, true, 4);
  size_t start = 0, lines = 0;
  for (size_t pos; (pos = r.find("\r\n", start)) != std::string::npos || start <= r.size();) {
    size_t end = pos == std::string::npos ? r.size() : pos;
    EXPECT_LE(end - start + (lines == 0 ? 4 : 0), 78u) << r;
    ++lines;
    if (pos == std::string::npos) break;
    start = pos + 2;
  }
  EXPECT_GT(lines, 3u);
  for (unsigned char c : r) EXPECT_LT(c, 0x80);
}

}  // namespace
}  // namespace mailroom::compose
