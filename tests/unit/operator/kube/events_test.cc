#include "operator/kube/events.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));

TEST(Events, TransitionsAreNewOrFlippedConditions) {
  std::vector<Condition> before{{"Ready", "False", "A", "", 1, ""}, {"X", "True", "B", "", 1, ""}};
  std::vector<Condition> after{{"Ready", "True", "C", "", 2, ""},
                               {"X", "True", "Changed", "", 2, ""},
                               {"New", "False", "D", "", 2, ""}};
  auto t = conditionTransitions(before, after);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].type, "Ready");
  EXPECT_EQ(t[1].type, "New");
}

TEST(Events, RecorderPostsOneEventPerFlipForAnyKind) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  EventRecorder recorder(api, "mailroom-operator", [] { return t0; });
  api::ObjectRef ref{"v1", "Pod", "ns", "app-1", "uid-9", "7"};
  recorder.recordTransitions(ref, {}, {{"Injected", "False", "WebhookDown", "no sidecar", 1, ""}});
  auto events = server.list("/api/v1/namespaces/ns/events");
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "WebhookDown");
  EXPECT_EQ(e["message"], "Injected=False: no sidecar");
  EXPECT_EQ(e["involvedObject"]["kind"], "Pod");
  EXPECT_EQ(e["involvedObject"]["uid"], "uid-9");
  EXPECT_EQ(e["source"]["component"], "mailroom-operator");
  EXPECT_EQ(e["firstTimestamp"], formatRfc3339(t0));
  EXPECT_EQ(recorder.failures(), 0u);
}

TEST(Events, FailuresAreCountedNotRetried) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  EventRecorder recorder(api, "c", [] { return t0; });
  server.failNext("POST", "/api/v1/namespaces/ns/events", 500);
  recorder.record({"v1", "Pod", "ns", "p", "u", "1"}, EventType::kNormal, "R", "m");
  EXPECT_EQ(recorder.failures(), 1u);
  EXPECT_TRUE(server.list("/api/v1/namespaces/ns/events").empty());
}

}  // namespace
}  // namespace mailroom::kube
