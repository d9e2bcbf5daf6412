#include <gtest/gtest.h>

#include "lib/mime/message.h"

namespace mailroom::mime {
namespace {

TEST(ParseMessage, KeepsFoldedFieldsByteExact) {
  auto m = parseMessage("From: a@example.com\r\nSubject: hello\r\n  world\r\n\r\nbody\r\n");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->headers.size(), 2u);
  EXPECT_EQ(m->headers[1].raw, "Subject: hello\r\n  world");
  EXPECT_EQ(m->headers[1].value(), "hello  world");
  EXPECT_EQ(m->body, "body\r\n");
  EXPECT_EQ(render(*m), "From: a@example.com\r\nSubject: hello\r\n  world\r\n\r\nbody\r\n");
}

TEST(ParseMessage, BareLfIsNormalized) {
  auto m = parseMessage("To: b@example.net\nsubject: x\n\nline1\nline2");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->find("SUBJECT")->value(), "x");
  EXPECT_EQ(m->body, "line1\r\nline2");
}

TEST(ParseMessage, RejectsLineWithoutColonNamingIt) {
  auto m = parseMessage("From: a@example.com\r\nnot a header\r\n\r\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("header line 2"), std::string::npos);
}

TEST(ParseMessage, RejectsContinuationFirst) {
  EXPECT_FALSE(parseMessage(" folded: x\r\n\r\n").ok());
}

TEST(NormalizeCrlf, AllEndings) {
  EXPECT_EQ(normalizeCrlf("a\nb\rc\r\nd"), "a\r\nb\r\nc\r\nd");
}

}  // namespace
}  // namespace mailroom::mime
