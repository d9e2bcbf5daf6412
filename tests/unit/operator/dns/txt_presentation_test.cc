#include "operator/dns/txt_presentation.h"

#include <gtest/gtest.h>

namespace mailroom::dnspub {
namespace {

TEST(TxtPresentation, QuotesEscapesAndSplitsAt255Octets) {
  EXPECT_EQ(renderTxtContent("v=spf1 -all"), "\"v=spf1 -all\"");
  EXPECT_EQ(renderTxtContent(""), "\"\"");
  EXPECT_EQ(renderTxtContent("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(renderTxtContent(std::string("x\ny\x7f", 4)), "\"x\\010y\\127\"");
  std::string key(300, 'k');
  EXPECT_EQ(renderTxtContent(key),
            "\"" + std::string(255, 'k') + "\" \"" + std::string(45, 'k') + "\"");
  EXPECT_EQ(renderTxtContent(std::string(255, 'k')), "\"" + std::string(255, 'k') + "\"");
}

TEST(TxtPresentation, ParsesQuotedAndUnquotedStringsIntoTheLogicalValue) {
  EXPECT_EQ(parseTxtContent("\"v=spf1 include:a.example\" \" -all\"").value(),
            "v=spf1 include:a.example -all");
  EXPECT_EQ(parseTxtContent("abc \"d e\"").value(), "abcd e");
  EXPECT_EQ(parseTxtContent("\"a\\\"b\\\\c\\065\"").value(), "a\"b\\cA");
  EXPECT_EQ(parseTxtContent("\"\"").value(), "");
  for (const char* bad : {"", "   ", "\"open", "\"x\\", "\"\\12\"", "\"\\999\""})
    EXPECT_FALSE(parseTxtContent(bad).ok()) << bad;
  EXPECT_FALSE(parseTxtContent("\"" + std::string(256, 'a') + "\"").ok());
}

TEST(TxtPresentation, RoundTripsEveryOctet) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  all += all;  // 512 octets: three strings
  EXPECT_EQ(parseTxtContent(renderTxtContent(all)).value(), all);
}

}  // namespace
}  // namespace mailroom::dnspub
