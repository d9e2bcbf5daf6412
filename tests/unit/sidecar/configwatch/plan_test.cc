// What the watcher watches and which events mean a reload (the kubelet's `..data` swap, plain
// file rewrites), table-driven.
#include "sidecar/configwatch/plan.h"

#include <gtest/gtest.h>
#include <sys/inotify.h>

namespace mailroom::configwatch {
namespace {

TEST(WatchPlan, OneEntryPerDirectoryWithTheNamesInIt) {
  auto plan = watchPlan("/etc/mailroom/sidecar.yaml",
                        {"/etc/mailroom/dkim/s1._domainkey.example.com.pem",
                         "/etc/mailroom/dkim/s2._domainkey.example.com.pem", "local.pem"});
  WatchPlan want{
      {"/etc/mailroom", {"sidecar.yaml"}},
      {"/etc/mailroom/dkim", {"s1._domainkey.example.com.pem", "s2._domainkey.example.com.pem"}},
      {".", {"local.pem"}},
  };
  EXPECT_EQ(plan, want);
}

TEST(WatchPlan, ConfigAndKeysInOneDirectoryShareAWatch) {
  auto plan = watchPlan("/v/sidecar.yaml", {"/v/k.pem"});
  EXPECT_EQ(plan, (WatchPlan{{"/v", {"k.pem", "sidecar.yaml"}}}));
}

struct EventCase {
  const char* what;
  std::string name;
  uint32_t mask;
  std::vector<std::string> want;
};

class ChangedNames : public ::testing::TestWithParam<EventCase> {};

TEST_P(ChangedNames, Table) {
  const std::set<std::string> names{"a.pem", "sidecar.yaml"};
  EXPECT_EQ(changedNames(names, GetParam().name, GetParam().mask), GetParam().want)
      << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(
    Events, ChangedNames,
    ::testing::Values(
        EventCase{"kubelet renames ..data_tmp over ..data",
                  "..data",
                  IN_MOVED_TO,
                  {"a.pem", "sidecar.yaml"}},
        EventCase{"first ..data symlink", "..data", IN_CREATE, {"a.pem", "sidecar.yaml"}},
        EventCase{"temporary symlink created", "..data_tmp", IN_CREATE, {}},
        EventCase{"temporary symlink renamed away", "..data_tmp", IN_MOVED_FROM, {}},
        EventCase{"new timestamped directory",
                  "..2026_12_05_16_30_00.123456789",
                  IN_CREATE | IN_ISDIR,
                  {}},
        EventCase{"old timestamped directory removed",
                  "..2026_12_05_16_00_00.1",
                  IN_DELETE | IN_ISDIR,
                  {}},
        EventCase{"file rewritten in place", "sidecar.yaml", IN_CLOSE_WRITE, {"sidecar.yaml"}},
        EventCase{
            "editor renames its temp file over", "sidecar.yaml", IN_MOVED_TO, {"sidecar.yaml"}},
        EventCase{"key file created", "a.pem", IN_CREATE, {"a.pem"}},
        EventCase{"watched file deleted", "a.pem", IN_DELETE, {}},
        EventCase{"editor's swap file", ".sidecar.yaml.swp", IN_CLOSE_WRITE, {}},
        EventCase{"unrelated file", "other.yaml", IN_CLOSE_WRITE, {}}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST(DiffPlans, AddsNewDirectoriesRemovesGoneOnes) {
  WatchPlan before{{"/a", {"x"}}, {"/b", {"y"}}};
  WatchPlan after{{"/b", {"y", "z"}}, {"/c", {"w"}}};
  auto diff = diffPlans(before, after);
  EXPECT_EQ(diff.add, std::vector<std::filesystem::path>{"/c"});
  EXPECT_EQ(diff.remove, std::vector<std::filesystem::path>{"/a"});
  auto same = diffPlans(after, after);
  EXPECT_TRUE(same.add.empty());
  EXPECT_TRUE(same.remove.empty());
}

}  // namespace
}  // namespace mailroom::configwatch
