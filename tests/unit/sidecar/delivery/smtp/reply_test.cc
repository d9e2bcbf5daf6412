#include "sidecar/delivery/smtp/reply.h"

#include <gtest/gtest.h>

#include "sidecar/delivery/smtp/capabilities.h"

namespace mailroom::smtp {
namespace {

std::vector<Result<Reply>> parseAll(std::string_view bytes) {
  ReplyParser p;
  p.feed(bytes);
  std::vector<Result<Reply>> out;
  while (auto r = p.next()) {
    bool ok = r->ok();
    out.push_back(std::move(*r));
    if (!ok) break;
  }
  return out;
}

TEST(ReplyParser, SingleLine) {
  auto r = parseAll("250 2.1.0 Ok\r\n");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(r[0]->code, 250);
  EXPECT_EQ(r[0]->enhanced, "2.1.0");
  EXPECT_EQ(r[0]->lines, std::vector<std::string>{"2.1.0 Ok"});
  EXPECT_EQ(r[0]->text(), "Ok");
  EXPECT_TRUE(r[0]->positive());
}

TEST(ReplyParser, MultiLineWithEnhancedCodes) {
  // RFC 2034 §4: every line of a multi-line reply carries the enhanced code.
  auto r = parseAll(
      "550-5.7.1 Our system has detected\r\n550-5.7.1 that this message is\r\n"
      "550 5.7.1 likely unsolicited mail.\r\n");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(r[0]->code, 550);
  EXPECT_EQ(r[0]->enhanced, "5.7.1");
  EXPECT_EQ(r[0]->text(),
            "Our system has detected\nthat this message is\nlikely unsolicited mail.");
  EXPECT_TRUE(r[0]->permanent());
  EXPECT_FALSE(r[0]->transient());
}

TEST(ReplyParser, EnhancedCodeMustMatchClassAndShape) {
  auto r = parseAll("250 5.1.1 odd\r\n451 4.3.0x nope\r\n452 4.3 short\r\n421 4.4.2\r\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]->enhanced, "");  // class 5 on a 2xx reply is not an enhanced code
  EXPECT_EQ(r[1]->enhanced, "");
  EXPECT_EQ(r[2]->enhanced, "");
  EXPECT_EQ(r[3]->enhanced, "4.4.2");
  EXPECT_EQ(r[3]->text(), "");
  EXPECT_EQ(r[0]->text(), "5.1.1 odd");
}

TEST(ReplyParser, BareCodeAndBareLf) {
  auto r = parseAll("354\r\n250-a\n250 b\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]->code, 354);
  EXPECT_EQ(r[0]->lines, std::vector<std::string>{""});
  EXPECT_EQ(r[1]->lines, (std::vector<std::string>{"a", "b"}));
}

TEST(ReplyParser, IncrementalByteByByte) {
  const std::string wire = "220-mx.example ESMTP\r\n220 ready\r\n250 ok\r\n";
  ReplyParser p;
  std::vector<Reply> got;
  for (char c : wire) {
    p.feed(std::string_view(&c, 1));
    while (auto r = p.next()) {
      ASSERT_TRUE(r->ok());
      got.push_back(**r);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].code, 220);
  EXPECT_EQ(got[0].lines.size(), 2u);
  EXPECT_EQ(got[1].code, 250);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(ReplyParser, NeedsMoreBytes) {
  ReplyParser p;
  p.feed("250-first\r\n250 sec");
  EXPECT_FALSE(p.next().has_value());
  p.feed("ond\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ((*r)->text(), "first\nsecond");
}

TEST(ReplyParser, Errors) {
  for (std::string bad : {"25 short\r\n", "abc hello\r\n", "650 six\r\n", "250x\r\n",
                          "250-one\r\n251 two\r\n", "\r\n"}) {
    auto r = parseAll(bad);
    ASSERT_FALSE(r.empty()) << bad;
    EXPECT_FALSE(r.back().ok()) << bad;
    EXPECT_EQ(r.back().error().kind, ErrorKind::kTemporary);
  }
}

TEST(ReplyParser, MixedCodesMessageNamesBoth) {
  auto r = parseAll("250-one\r\n550 two\r\n");
  ASSERT_FALSE(r.back().ok());
  EXPECT_NE(r.back().error().message.find("250 then 550"), std::string::npos);
}

TEST(ReplyParser, LineTooLongWithOrWithoutNewline) {
  ReplyParser p;
  p.feed("250 " + std::string(ReplyParser::kMaxLineLength, 'x'));
  auto r = p.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ok());
  // Poisoned: the stream cannot be resynchronized.
  p.feed("\r\n250 ok\r\n");
  auto again = p.next();
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->ok());

  auto exact = parseAll("250 " + std::string(ReplyParser::kMaxLineLength - 4, 'y') + "\r\n");
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_TRUE(exact[0].ok());
}

TEST(ReplyParser, TooManyLines) {
  std::string wire;
  for (size_t i = 0; i < ReplyParser::kMaxLines; ++i) wire += "250-x\r\n";
  wire += "250 end\r\n";
  auto r = parseAll(wire);
  ASSERT_FALSE(r.empty());
  EXPECT_FALSE(r.back().ok());
}

TEST(ReplyParser, RenderRoundTrip) {
  Reply reply{451, "4.7.1", {"4.7.1 greylisted", "4.7.1 come back later"}};
  EXPECT_EQ(renderReply(reply), "451-4.7.1 greylisted\r\n451 4.7.1 come back later\r\n");
  auto r = parseAll(renderReply(reply));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*r[0], reply);
}

TEST(ParseEhlo, Extensions) {
  auto r = parseAll(
      "250-mx.example.com Hello client [198.51.100.7]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n"
      "250-starttls\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
      "250-SMTPUTF8\r\n250-DSN\r\n250-AUTH LOGIN plain\r\n250-AUTH=LOGIN XOAUTH2\r\n"
      "250 X-UNKNOWN whatever\r\n");
  ASSERT_EQ(r.size(), 1u);
  Capabilities c = parseEhlo(*r[0]);
  EXPECT_TRUE(c.esmtp);
  EXPECT_EQ(c.serverName, "mx.example.com");
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.pipelining);
  EXPECT_TRUE(c.eightBitMime);
  EXPECT_TRUE(c.smtpUtf8);
  EXPECT_TRUE(c.enhancedStatusCodes);
  EXPECT_TRUE(c.chunking);
  EXPECT_TRUE(c.dsn);
  ASSERT_TRUE(c.size.has_value());
  EXPECT_EQ(*c.size, 35882577u);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2"}));
}

TEST(ParseEhlo, SizeWithoutLimitAndRejectedEhlo) {
  auto r = parseAll("250-mx\r\n250 SIZE 0\r\n");
  Capabilities c = parseEhlo(*r[0]);
  EXPECT_TRUE(c.esmtp);
  EXPECT_FALSE(c.size.has_value());  // RFC 1870 §4: 0 means no fixed maximum
  auto bare = parseEhlo(*parseAll("250-mx\r\n250 SIZE\r\n")[0]);
  EXPECT_FALSE(bare.size.has_value());
  auto rejected = parseEhlo(*parseAll("502 5.5.1 EHLO not implemented\r\n")[0]);
  EXPECT_FALSE(rejected.esmtp);
  EXPECT_FALSE(rejected.pipelining);
}

}  // namespace
}  // namespace mailroom::smtp
