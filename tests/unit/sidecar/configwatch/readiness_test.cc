#include "sidecar/configwatch/readiness.h"

#include <gtest/gtest.h>

namespace mailroom::configwatch {
namespace {

struct Case {
  const char* what;
  SpoolSpace space;
  bool stopping;
  std::string want;
};

TEST(Readiness, Table) {
  const SpoolSpace roomy{.known = true, .writable = true, .freeBytes = 1 << 30};
  const Case cases[] = {
      {"room for the largest message", roomy, false, ""},
      {"exactly room", {.known = true, .writable = true, .freeBytes = 1000}, false, ""},
      {"stopping", roomy, true, "shutting down"},
      {"statvfs failed", {}, false, "spool directory cannot be examined"},
      {"read-only",
       {.known = true, .readOnly = true, .writable = true, .freeBytes = 1 << 30},
       false,
       "spool cannot accept: read-only file system"},
      {"not writable",
       {.known = true, .freeBytes = 1 << 30},
       false,
       "spool cannot accept: directory not writable"},
      {"full",
       {.known = true, .writable = true, .freeBytes = 999},
       false,
       "spool cannot accept: 999 bytes free, less than spool.maxMessageBytes (1000)"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(notReadyReason(c.space, 1000, c.stopping), c.want) << c.what;
}

TEST(Readiness, ATempDirectoryIsWritableWithRoom) {
  auto space = spoolSpace(std::filesystem::temp_directory_path());
  EXPECT_TRUE(space.known);
  EXPECT_TRUE(space.writable);
  EXPECT_GT(space.freeBytes, 0u);
  EXPECT_FALSE(spoolSpace("/nonexistent/spool").known);
}

}  // namespace
}  // namespace mailroom::configwatch
