// Pure building blocks: base64 with FWS, the §3.2 tag-list parser, §3.4 canonicalization.
#include <gtest/gtest.h>

#include <random>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/tags.h"
#include "tests/unit/lib/auth/dkim/canon_models.h"

namespace mailroom::dkim {
namespace {

TEST(Base64, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    auto decoded = base64Decode(base64Encode(bytes));
    ASSERT_TRUE(decoded.ok()) << i;
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(i * 37);
  }
  EXPECT_EQ(base64Encode("hello"), "aGVsbG8=");
}

TEST(Base64, IgnoresFoldingWhitespace) {
  auto d = base64Decode("aGVs\r\n\t bG8 =");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "hello");
}

TEST(Base64, RejectsGarbage) {
  EXPECT_FALSE(base64Decode("aGVs*G8=").ok());
  EXPECT_FALSE(base64Decode("aGVsbG8=x").ok());   // data after padding
  EXPECT_FALSE(base64Decode("a").ok());           // lone symbol
  EXPECT_FALSE(base64Decode("aGVsbG8===").ok());  // too much padding
}

TEST(TagList, ParsesWithFoldingAndTrailingSemicolon) {
  auto tags = parseTagList(" v = 1 ;\r\n\ta=rsa-sha256; h=From : To;\r\n b=ab\r\n cd ; ");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  ASSERT_EQ(tags->size(), 4u);
  EXPECT_EQ((*tags)[0].name, "v");
  EXPECT_EQ((*tags)[0].value, "1");
  EXPECT_EQ((*tags)[2].value, "From : To");
  EXPECT_EQ((*tags)[3].value, "ab cd");  // folding CRLF dropped, the WSP kept
  EXPECT_EQ(findTag(*tags, "b")->name, "b");
  EXPECT_EQ(findTag(*tags, "x"), nullptr);
}

TEST(TagList, ValueOffsetsCoverSurroundingWhitespace) {
  std::string text = "a=1; b= xy ;c=2";
  auto tags = parseTagList(text);
  ASSERT_TRUE(tags.ok());
  const Tag* b = findTag(*tags, "b");
  EXPECT_EQ(text.substr(b->valueBegin, b->valueEnd - b->valueBegin), " xy ");
}

TEST(TagList, ErrorsNameTheTag) {
  auto dup = parseTagList("a=1; a=2");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("tag 'a'"), std::string::npos) << dup.error().message;
  auto bad = parseTagList("a=1; k=\x01x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("tag 'k'"), std::string::npos);
  EXPECT_FALSE(parseTagList("a=1;; b=2").ok());  // empty tag-spec in the middle
  EXPECT_FALSE(parseTagList("novalue; b=2").ok());
  EXPECT_FALSE(parseTagList("1a=x").ok());  // tag names start with a letter
}

TEST(TagList, Renders) {
  EXPECT_EQ(renderTagList({{"v", "DKIM1"}, {"p", "abc"}}), "v=DKIM1; p=abc");
}

// RFC 6376 §3.4.6 example.
constexpr std::string_view kExampleHeaders[] = {"A: X", "B : Y\t\r\n\tZ  "};
constexpr std::string_view kExampleBody = " C \r\nD \t E\r\n\r\n\r\n";

TEST(Canon, Rfc6376Example346Relaxed) {
  EXPECT_EQ(canonicalizeHeader(Canon::kRelaxed, kExampleHeaders[0]), "a:X\r\n");
  EXPECT_EQ(canonicalizeHeader(Canon::kRelaxed, kExampleHeaders[1]), "b:Y Z\r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, kExampleBody), " C\r\nD E\r\n");
}

TEST(Canon, Rfc6376Example346Simple) {
  EXPECT_EQ(canonicalizeHeader(Canon::kSimple, kExampleHeaders[1]), "B : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kSimple, kExampleBody), " C \r\nD \t E\r\n");
}

TEST(Canon, EmptyBodies) {
  // §3.4.3: an empty body is one CRLF under simple; §3.4.4: empty under relaxed.
  EXPECT_EQ(canonicalizeBody(Canon::kSimple, ""), "\r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kSimple, "\r\n\r\n"), "\r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, ""), "");
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, "\r\n \t\r\n"), "");
}

TEST(Canon, MissingFinalCrlfIsAdded) {
  EXPECT_EQ(canonicalizeBody(Canon::kSimple, "a\r\nb"), "a\r\nb\r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, "a \r\nb \t"), "a\r\nb\r\n");
}

TEST(Canon, InnerEmptyLinesStay) {
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, "a\r\n\r\n \r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
  EXPECT_EQ(canonicalizeBody(Canon::kSimple, "a\r\n\r\n \r\n\r\n"), "a\r\n\r\n \r\n");
}

TEST(Canon, NoBreakSpaceIsNotWsp) {
  // U+00A0 (C2 A0) is not WSP for DKIM; only SP and HTAB are.
  EXPECT_EQ(canonicalizeBody(Canon::kRelaxed, "x\xC2\xA0\r\n"), "x\xC2\xA0\r\n");
}

TEST(Canon, RelaxedHeaderWhitespaceAroundColonAndInside) {
  EXPECT_EQ(canonicalizeHeader(Canon::kRelaxed, "SUBJECT \t:  a   b \t "), "subject:a b\r\n");
  EXPECT_EQ(canonicalizeHeader(Canon::kRelaxed, "X-Empty:   "), "x-empty:\r\n");
}

TEST(Canon, IsIdempotent) {
  for (Canon c : {Canon::kSimple, Canon::kRelaxed}) {
    std::string once = canonicalizeBody(c, kExampleBody);
    EXPECT_EQ(canonicalizeBody(c, once), once) << canonName(c);
  }
}

using testutil::relaxedBodyModel;

TEST(Canon, RelaxedBodyMatchesModelOnRandomText) {
  std::mt19937 rng(7);  // fixed seed: reproducible
  const char alphabet[] = {'a', ' ', '\t', '\r', '\n', 'b', '\r', '\n'};
  for (int round = 0; round < 5000; ++round) {
    std::string s(rng() % 30, ' ');
    for (char& c : s) c = alphabet[rng() % sizeof alphabet];
    ASSERT_EQ(canonicalizeBody(Canon::kRelaxed, s), relaxedBodyModel(s))
        << testing::PrintToString(s);
  }
  // Mostly text with sparse whitespace, so the block fast path runs and meets the slow one.
  const char texty[] = "abcdefghijklmnopqrstuvwxyz    \t\r\n";
  for (int round = 0; round < 5000; ++round) {
    std::string s(rng() % 200, ' ');
    for (char& c : s) c = texty[rng() % (sizeof texty - 1)];
    if (rng() % 2) s += "\r\n";
    ASSERT_EQ(canonicalizeBody(Canon::kRelaxed, s), relaxedBodyModel(s))
        << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace mailroom::dkim
