#include "lib/auth/health/render.h"

#include <gtest/gtest.h>

namespace mailroom::health {
namespace {

HealthReport sample() {
  HealthReport r;
  r.domain = "example.com";
  r.checkedAt = std::chrono::system_clock::time_point(std::chrono::seconds(1795478400));
  r.checks = {
      {"spf", "198.51.100.10", Status::kPass, "pass", "SPF for example.com authorizes it"},
      {"ptr", "2001:db8:5::10", Status::kFail, "noPtr", "IPv6 2001:db8:5::10 has no PTR record"},
      {"mta-sts", "example.com", Status::kWarn, "absent", "no \"MTA-STS\" record"},
  };
  return r;
}

TEST(FormatTime, IsoUtc) {
  EXPECT_EQ(formatTime(std::chrono::system_clock::time_point(std::chrono::seconds(1795478400))),
            "2026-11-24T00:00:00Z");
}

TEST(JsonString, EscapesEverythingJsonRequires) {
  EXPECT_EQ(jsonString("plain"), "\"plain\"");
  EXPECT_EQ(jsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonString("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(jsonString(std::string("\x01\x1b[31m\x7f", 7)), "\"\\u0001\\u001b[31m\\u007f\"");
  EXPECT_EQ(jsonString(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(jsonString("caf\xc3\xa9 \xe2\x9c\x93"), "\"caf\xc3\xa9 \xe2\x9c\x93\"");  // UTF-8 kept
}

TEST(JsonString, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(jsonString("a\xff"
                       "b"),
            "\"a\\ufffdb\"");
  EXPECT_EQ(jsonString("\xc0\x80"), "\"\\ufffd\\ufffd\"");             // overlong NUL
  EXPECT_EQ(jsonString("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(jsonString("\xe2\x9c"), "\"\\ufffd\\ufffd\"");             // truncated
}

TEST(RenderJson, Golden) {
  EXPECT_EQ(renderJson(sample()),
            "{\n"
            "  \"domain\": \"example.com\",\n"
            "  \"checkedAt\": \"2026-11-24T00:00:00Z\",\n"
            "  \"status\": \"fail\",\n"
            "  \"exitCode\": 1,\n"
            "  \"counts\": {\"pass\": 1, \"warn\": 1, \"fail\": 1, \"unknown\": 0},\n"
            "  \"checks\": [\n"
            "    {\"check\": \"spf\", \"subject\": \"198.51.100.10\", \"status\": \"pass\", "
            "\"code\": \"pass\", \"reason\": \"SPF for example.com authorizes it\"},\n"
            "    {\"check\": \"ptr\", \"subject\": \"2001:db8:5::10\", \"status\": \"fail\", "
            "\"code\": \"noPtr\", \"reason\": \"IPv6 2001:db8:5::10 has no PTR record\"},\n"
            "    {\"check\": \"mta-sts\", \"subject\": \"example.com\", \"status\": \"warn\", "
            "\"code\": \"absent\", \"reason\": \"no \\\"MTA-STS\\\" record\"}\n"
            "  ]\n"
            "}\n");
}

TEST(RenderJson, EmptyReportIsUnknown) {
  HealthReport r;
  r.domain = "example.com";
  auto json = renderJson(r);
  EXPECT_NE(json.find("\"status\": \"unknown\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"exitCode\": 2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"checks\": []\n}"), std::string::npos) << json;
}

TEST(RenderTable, AlignedWithoutColourByDefault) {
  auto table = renderTable(sample());
  EXPECT_EQ(table,
            "STATUS   CHECK    SUBJECT         REASON\n"
            "PASS     spf      198.51.100.10   SPF for example.com authorizes it\n"
            "FAIL     ptr      2001:db8:5::10  IPv6 2001:db8:5::10 has no PTR record\n"
            "WARN     mta-sts  example.com     no \"MTA-STS\" record\n"
            "\n"
            "example.com: problems found (1 pass, 1 warn, 1 fail, 0 unknown; checked "
            "2026-11-24T00:00:00Z)\n");
  EXPECT_EQ(table.find('\033'), std::string::npos);
}

TEST(RenderTable, ColourOnlyWhenAsked) {
  auto table = renderTable(sample(), {.colour = true});
  EXPECT_NE(table.find("\033[1;31mFAIL\033[0m     ptr"), std::string::npos) << table;
  EXPECT_NE(table.find("\033[32mPASS\033[0m"), std::string::npos) << table;
  EXPECT_NE(table.find("\033[33mWARN\033[0m"), std::string::npos) << table;
}

TEST(RenderTable, DnsDataCannotDriveTheTerminal) {
  HealthReport r = sample();
  r.checks[0].reason =
      "evil \x1b]0;title\x07 and \xc2\x9b"
      "31m and \xff";
  auto table = renderTable(r);
  EXPECT_EQ(table.find('\033'), std::string::npos);
  EXPECT_EQ(table.find('\x07'), std::string::npos);
  EXPECT_NE(table.find("evil \\x1b]0;title\\x07 and \\u009b31m and \\xff"), std::string::npos)
      << table;
}

}  // namespace
}  // namespace mailroom::health
