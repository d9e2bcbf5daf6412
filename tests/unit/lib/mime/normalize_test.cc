// normalizeCrlf (the bulk-copy version DKIM signing relies on) against a byte-by-byte model.
#include <gtest/gtest.h>

#include <random>

#include "lib/mime/message.h"

namespace mailroom::mime {
namespace {

std::string model(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

TEST(NormalizeCrlf, EdgeCases) {
  EXPECT_EQ(normalizeCrlf(""), "");
  EXPECT_EQ(normalizeCrlf(std::string_view()), "");  // null data (a MessageView without body)
  EXPECT_EQ(normalizeCrlf("\r"), "\r\n");
  EXPECT_EQ(normalizeCrlf("\n"), "\r\n");
  EXPECT_EQ(normalizeCrlf("\r\r\n\n"), "\r\n\r\n\r\n");
  EXPECT_EQ(normalizeCrlf("no breaks"), "no breaks");
  EXPECT_EQ(normalizeCrlf("a\r\n"), "a\r\n");
}

TEST(NormalizeCrlf, MatchesByteByByteModelOnRandomText) {
  std::mt19937 rng(42);  // fixed seed: reproducible
  const char alphabet[] = {'a', ' ', '\r', '\n', '\t', 'b'};
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % sizeof alphabet];
    ASSERT_EQ(normalizeCrlf(s), model(s)) << round;
  }
}

TEST(NormalizeCrlf, ManyBareCrsStayLinear) {
  std::string crs(1 << 20, '\r');  // would take minutes if each CR rescanned for an LF
  EXPECT_EQ(normalizeCrlf(crs).size(), crs.size() * 2);
}

}  // namespace
}  // namespace mailroom::mime
