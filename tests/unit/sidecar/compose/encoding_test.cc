#include "sidecar/compose/encoding.h"

#include <gtest/gtest.h>

#include <random>

namespace mailroom::compose {
namespace {

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find("\r\n", start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 2;
  }
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("Grüße 😀"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
}

TEST(Base64, KnownVectorsRfc4648) {
  EXPECT_EQ(encodeBase64(""), "");
  EXPECT_EQ(encodeBase64("f"), "Zg==\r\n");
  EXPECT_EQ(encodeBase64("fo"), "Zm8=\r\n");
  EXPECT_EQ(encodeBase64("foo"), "Zm9v\r\n");
  EXPECT_EQ(encodeBase64("foobar"), "Zm9vYmFy\r\n");
}

TEST(Base64, LinesOf76AndRoundTrip) {
  std::mt19937 gen(7);
  std::string data(1000, '\0');
  for (auto& c : data) c = char(gen());
  std::string enc = encodeBase64(data);
  auto ls = lines(enc);
  ASSERT_EQ(ls.back(), "");             // ends in CRLF
  ASSERT_EQ(ls.size(), 1000 / 57 + 2);  // 17 full lines, one of 31 bytes, then ""
  for (size_t i = 0; i + 2 < ls.size(); ++i) EXPECT_EQ(ls[i].size(), 76u);
  EXPECT_EQ(ls[ls.size() - 2].size(), 44u);
  auto dec = decodeBase64(enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(*dec, data);
  EXPECT_FALSE(decodeBase64("Zm9v!").has_value());
}

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
  EXPECT_EQ(encodeQuotedPrintable("a=b"), "a=3Db");
  EXPECT_EQ(encodeQuotedPrintable("caf\xC3\xA9"), "caf=C3=A9");
  EXPECT_EQ(encodeQuotedPrintable("trailing \r\nnext\t"), "trailing=20\r\nnext=09");
  EXPECT_EQ(encodeQuotedPrintable("in side"), "in side");
}

TEST(QuotedPrintable, SoftBreaksKeepLinesAt76AndNeverSplitEscapes) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += (i % 7 == 0) ? "\xC3\xBC" : "x";
  text += "\r\nshort\r\n" + std::string(76, 'y') + "\r\n" + std::string(77, 'z');
  std::string enc = encodeQuotedPrintable(text);
  for (const auto& l : lines(enc)) {
    EXPECT_LE(l.size(), 76u) << l;
    size_t eq = l.rfind('=');
    if (eq != std::string::npos) {
      EXPECT_TRUE(eq + 3 <= l.size() || eq + 1 == l.size()) << l;
    }
  }
  auto dec = decodeQuotedPrintable(enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(*dec, text);
  EXPECT_FALSE(decodeQuotedPrintable("bad=ZZ").has_value());
}

TEST(QuotedPrintable, RandomRoundTrip) {
  std::mt19937 gen(11);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    size_t n = gen() % 400;
    for (size_t i = 0; i < n; ++i) {
      unsigned r = gen() % 20;
      text += r == 0   ? std::string("\r\n")
              : r == 1 ? std::string(" ")
                       : std::string(1, char(gen()));
    }
    // Bare CR/LF are not line breaks: the encoder escapes them.
    auto dec = decodeQuotedPrintable(encodeQuotedPrintable(text));
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(*dec, text);
  }
}

TEST(EncodedWords, AsciiSafeWordsWithinLimitsAndRoundTrip) {
  for (std::string text :
       {std::string("Grüße aus Köln"),
        std::string("日本語のテキストです。とても長い件名を書いてみます。"
                    "もっと長くしてみましょう。まだまだ続きます。"),
        std::string("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"),
        std::string("mostly ascii text with one ü in a very long subject line that must fold")}) {
    std::string enc = encodeWords(text, 9);
    auto ls = lines(enc);
    for (size_t i = 0; i < ls.size(); ++i) {
      EXPECT_LE(ls[i].size() + (i == 0 ? 9 : 0), 78u) << ls[i];
      std::string word = i == 0 ? ls[i] : ls[i].substr(1);
      EXPECT_LE(word.size(), 75u);
      auto w = decodeWord(word);
      ASSERT_TRUE(w.has_value()) << word;
      EXPECT_TRUE(isValidUtf8(*w)) << "split inside a UTF-8 sequence: " << word;
    }
    for (unsigned char c : enc) EXPECT_LT(c, 0x80);
    EXPECT_EQ(decodeWords(enc), text);
  }
}

TEST(EncodedWords, DecodesForeignForms) {
  EXPECT_EQ(decodeWords("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
  EXPECT_EQ(decodeWords("=?UTF-8?B?w7w=?= =?utf-8?q?x?="), "üx");
  EXPECT_EQ(decodeWords("a =?utf-8?q?b?= c"), "a b c");
  EXPECT_EQ(decodeWords("=?koi8-r?q?x?="), "=?koi8-r?q?x?=");              // unknown charset kept
  EXPECT_EQ(decodeWords("=?utf-8?q?a=0D=0Ab?="), "=?utf-8?q?a=0D=0Ab?=");  // no CRLF smuggling
}

TEST(Parameter, AsciiQuotedAndRfc2231ForNonAscii) {
  EXPECT_EQ(encodeParameter("filename", "report \"q1\".pdf", 30),
            "; filename=\"report \\\"q1\\\".pdf\"");
  EXPECT_EQ(encodeParameter("filename", "Grüße.txt", 30),
            ";\r\n filename*=utf-8''Gr%C3%BC%C3%9Fe.txt");
  std::string longName;
  for (int i = 0; i < 30; ++i) longName += "ü";
  std::string enc = encodeParameter("filename", longName, 30);
  EXPECT_NE(enc.find("filename*0*=utf-8''"), std::string::npos) << enc;
  EXPECT_NE(enc.find("filename*1*="), std::string::npos) << enc;
  for (const auto& l : lines(enc)) EXPECT_LE(l.size(), 78u);
  // Reassemble the continuations and percent-decode: the name must come back.
  std::string joined;
  for (const auto& l : lines(enc)) {
    size_t eq = l.find("*=");
    if (eq == std::string::npos) continue;
    std::string chunk = l.substr(eq + 2);
    if (!chunk.empty() && chunk.back() == ';') chunk.pop_back();
    joined += chunk;
  }
  ASSERT_EQ(joined.rfind("utf-8''", 0), 0u);
  std::string decoded;
  for (size_t i = 7; i < joined.size(); ++i) {
    if (joined[i] == '%') {
      decoded += char(std::stoi(joined.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += joined[i];
    }
  }
  EXPECT_EQ(decoded, longName);
  // Each continuation holds whole UTF-8 characters (Python decodes sections separately).
  for (const auto& l : lines(enc)) {
    size_t eq = l.find("*=");
    if (eq == std::string::npos) continue;
    std::string chunk = l.substr(eq + 2), bytes;
    if (chunk.rfind("utf-8''", 0) == 0) chunk = chunk.substr(7);
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == '%') {
        bytes += char(std::stoi(chunk.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else if (chunk[i] != ';') {
        bytes += chunk[i];
      }
    }
    EXPECT_TRUE(isValidUtf8(bytes)) << l;
  }
}

TEST(Fold, LongHeaderFoldsAtSpacesAndUnfoldsToTheSameValue) {
  std::string value;
  for (int i = 0; i < 40; ++i) value += "word" + std::to_string(i) + " ";
  value += "end";
  std::string f = foldHeader("X-Long", value);
  for (const auto& l : lines(f)) EXPECT_LE(l.size(), 78u) << l;
  std::string unfolded;
  for (size_t i = 0; i < f.size(); ++i)
    if (f[i] != '\r' && f[i] != '\n') unfolded += f[i];
  EXPECT_EQ(unfolded, "X-Long: " + value);
  EXPECT_EQ(foldHeader("Subject", "short"), "Subject: short");
}

TEST(Date, Rfc5322Format) {
  auto t = std::chrono::system_clock::from_time_t(1795505400);  // 2026-11-24 07:30:00 UTC
  EXPECT_EQ(formatDate(t), "Tue, 24 Nov 2026 07:30:00 +0000");
}

}  // namespace
}  // namespace mailroom::compose
