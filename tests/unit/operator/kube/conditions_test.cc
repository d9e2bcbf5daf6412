#include "operator/kube/conditions.h"

#include <gtest/gtest.h>

namespace mailroom::kube {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));

Condition ready(std::string status, std::string reason, int64_t gen = 1) {
  return {"Ready", std::move(status), std::move(reason), "msg", gen, ""};
}

TEST(Conditions, FormatsRfc3339Utc) {
  EXPECT_EQ(formatRfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(0))),
            "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(t0), "2026-11-18T11:06:40Z");
}

TEST(Conditions, NewConditionGetsNowAsTransitionTime) {
  std::vector<Condition> list;
  EXPECT_TRUE(setCondition(list, ready("False", "DNSProviderNotConfigured"), t0));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].lastTransitionTime, formatRfc3339(t0));
  EXPECT_EQ(list[0].observedGeneration, 1);
}

TEST(Conditions, SameConditionLaterChangesNothing) {
  std::vector<Condition> list;
  ASSERT_TRUE(setCondition(list, ready("False", "A"), t0));
  auto before = list;
  EXPECT_FALSE(setCondition(list, ready("False", "A"), t0 + 1h));
  EXPECT_EQ(list, before);
}

TEST(Conditions, ReasonChangeKeepsTransitionTime) {
  std::vector<Condition> list;
  ASSERT_TRUE(setCondition(list, ready("False", "A"), t0));
  EXPECT_TRUE(setCondition(list, ready("False", "B"), t0 + 1h));
  EXPECT_EQ(list[0].reason, "B");
  EXPECT_EQ(list[0].lastTransitionTime, formatRfc3339(t0));
}

TEST(Conditions, GenerationChangeIsAChangeButNotATransition) {
  std::vector<Condition> list;
  ASSERT_TRUE(setCondition(list, ready("True", "Ok", 1), t0));
  EXPECT_TRUE(setCondition(list, ready("True", "Ok", 2), t0 + 1h));
  EXPECT_EQ(list[0].observedGeneration, 2);
  EXPECT_EQ(list[0].lastTransitionTime, formatRfc3339(t0));
}

TEST(Conditions, StatusFlipMovesTransitionTime) {
  std::vector<Condition> list;
  ASSERT_TRUE(setCondition(list, ready("False", "A"), t0));
  EXPECT_TRUE(setCondition(list, ready("True", "A"), t0 + 1h));
  EXPECT_EQ(list[0].lastTransitionTime, formatRfc3339(t0 + 1h));
}

TEST(Conditions, OtherTypesAreLeftAlone) {
  std::vector<Condition> list;
  ASSERT_TRUE(setCondition(list, {"RecordsComputed", "True", "Computed", "", 1, ""}, t0));
  ASSERT_TRUE(setCondition(list, ready("False", "A"), t0 + 1h));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(findCondition(list, "RecordsComputed")->lastTransitionTime, formatRfc3339(t0));
  EXPECT_EQ(findCondition(list, "Ready")->reason, "A");
  EXPECT_EQ(findCondition(list, "Missing"), nullptr);
}

}  // namespace
}  // namespace mailroom::kube

namespace mailroom::kube {
namespace {

TEST(Rfc3339, ParsesWhatTheApiServerWrites) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  EXPECT_EQ(parseRfc3339(formatRfc3339(t)), t);
  EXPECT_EQ(parseRfc3339("2026-11-18T11:06:40.123456Z"), t);
  EXPECT_EQ(parseRfc3339("2026-11-18T12:06:40+01:00"), t);
  for (const char* bad : {"", "2026-11-18", "2026-11-18T11:06:40", "2026-11-18T11:06:40Zx",
                          "2026-11-18 11:06:40Z", "x026-11-18T11:06:40Z"})
    EXPECT_FALSE(parseRfc3339(bad).has_value()) << bad;
}

}  // namespace
}  // namespace mailroom::kube
