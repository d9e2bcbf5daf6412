#include <gtest/gtest.h>

#include "lib/log/log.h"

namespace mailroom::log {
namespace {

TEST(Log, FormatsOneJsonObjectPerLine) {
  auto line =
      formatLine(Level::kWarn, "deferred", {{"msg_id", "01ABC"}, {"code", 451}, {"tls", true}},
                 "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(line,
            "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"level\":\"warn\",\"msg\":\"deferred\","
            "\"msg_id\":\"01ABC\",\"code\":451,\"tls\":true}\n");
}

TEST(Log, EscapesControlCharactersAndQuotes) {
  std::string out;
  appendJsonString(out, "a\"b\\c\r\n\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\r\\n\\u0001\"");
}

}  // namespace
}  // namespace mailroom::log

namespace mailroom::log {
namespace {
TEST(Log, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  appendJsonString(out, "caf\xc3\xa9 \xff\x7f");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\ufffd\\u007f\"");
}
}  // namespace
}  // namespace mailroom::log
