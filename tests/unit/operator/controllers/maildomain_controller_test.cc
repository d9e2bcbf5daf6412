#include "operator/controllers/maildomain_controller.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/unit/operator/kube/fake_transport.h"

namespace mailroom::controllers {
namespace {

using kube::testing::FakeTransport;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
const std::string kPath = "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains/a";

std::string object(int generation, const std::string& rv, const std::string& finalizers,
                   const std::string& extraMeta = "") {
  return R"({"apiVersion":"mailroom.dev/v1alpha1","kind":"MailDomain","metadata":{"name":"a",)"
         R"("namespace":"ns","generation":)" +
         std::to_string(generation) + R"(,"resourceVersion":")" + rv + R"(","finalizers":)" +
         finalizers + extraMeta + R"(},"spec":{"domain":"a.example","sendingIPs":["198.51.100.)" +
         std::to_string(generation) + R"("]}})";
}

struct Fixture {
  FakeTransport t;
  kube::Api api{t};
  kube::Cache cache;
  MailDomainController c{api, cache, [] { return t0; }};
};

TEST(Controller, GoneObjectNeedsNothing) {
  Fixture f;
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  EXPECT_TRUE(f.t.requests.empty());
}

TEST(Controller, AddsFinalizerFirstKeepingOthers) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", R"(["other/keep"])"));
  f.t.expect("PATCH", kPath, 200, "{}");
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  ASSERT_EQ(f.t.requests.size(), 1u);
  EXPECT_EQ(f.t.requests[0].contentType, "application/json-patch+json");
  EXPECT_EQ(f.t.requests[0].body, addFinalizerPatch({"other/keep"}));
}

TEST(Controller, FinalizerTestFailureRetriesWithBackoff) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", "[]"));
  f.t.expect("PATCH", kPath, 422, R"({"kind":"Status","reason":"Invalid","code":422})");
  EXPECT_EQ(f.c.reconcile("ns/a").kind, kube::Action::Kind::kRetryWithBackoff);
}

TEST(Controller, WritesStatusOnceThenNothing) {
  Fixture f;
  std::string obj = object(1, "10", R"(["mailroom.dev/dns-records"])");
  f.cache.upsert("ns/a", obj);
  f.t.expect("PATCH", kPath + "/status", 200, "{}");
  // Both conditions are new: one Event each (RecordsComputed=True, Ready=False).
  f.t.expect("POST", "/api/v1/namespaces/ns/events", 201, "{}");
  f.t.expect("POST", "/api/v1/namespaces/ns/events", 201, "{}");
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  ASSERT_EQ(f.t.requests.size(), 3u);
  EXPECT_EQ(f.t.requests[0].contentType, "application/merge-patch+json");
  EXPECT_EQ(YAML::Load(f.t.requests[1].body)["reason"].as<std::string>(), "RecordsComputed");
  EXPECT_EQ(YAML::Load(f.t.requests[2].body)["type"].as<std::string>(), "Warning");
  // The watch brings the written status back; reconciling again writes nothing.
  YAML::Node written = YAML::Load(obj);
  written["status"] = YAML::Load(f.t.requests[0].body)["status"];
  f.cache.upsert("ns/a", YAML::Dump(written));
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  EXPECT_EQ(f.t.writes(), 3);  // the status write and its two Events; nothing more
  EXPECT_EQ(f.c.statusWrites(), 1u);
}

TEST(Controller, ConflictRereadsAndRetriesWithTheFreshObject) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", R"(["mailroom.dev/dns-records"])"));
  f.t.expect("PATCH", kPath + "/status", 409,
             R"({"kind":"Status","reason":"Conflict","code":409})");
  f.t.expect("GET", kPath, 200, object(2, "11", R"(["mailroom.dev/dns-records"])"));
  f.t.expect("PATCH", kPath + "/status", 200, "{}");
  f.t.expect("POST", "/api/v1/namespaces/ns/events", 201, "{}");
  f.t.expect("POST", "/api/v1/namespaces/ns/events", 201, "{}");
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  ASSERT_EQ(f.t.requests.size(), 5u);
  auto retry = YAML::Load(f.t.requests[2].body);
  EXPECT_EQ(retry["metadata"]["resourceVersion"].as<std::string>(), "11");
  EXPECT_EQ(retry["status"]["observedGeneration"].as<int>(), 2);
  EXPECT_EQ(f.c.conflicts(), 1u);
}

TEST(Controller, EndlessConflictsBackOff) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", R"(["mailroom.dev/dns-records"])"));
  for (int i = 0; i < 3; ++i) {
    f.t.expect("PATCH", kPath + "/status", 409, R"({"kind":"Status","code":409})");
    f.t.expect("GET", kPath, 200,
               object(1, std::to_string(11 + i), R"(["mailroom.dev/dns-records"])"));
  }
  EXPECT_EQ(f.c.reconcile("ns/a").kind, kube::Action::Kind::kRetryWithBackoff);
}

TEST(Controller, DeletionRemovesOnlyOurFinalizer) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", R"(["a/b","mailroom.dev/dns-records"])",
                                R"(,"deletionTimestamp":"2026-11-24T08:00:00Z")"));
  f.t.expect("PATCH", kPath, 200, "{}");
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  EXPECT_EQ(f.t.requests[0].body, *removeFinalizerPatch({"a/b", kFinalizer}));
}

TEST(Controller, ForbiddenIsTerminal) {
  Fixture f;
  f.cache.upsert("ns/a", object(1, "10", R"(["mailroom.dev/dns-records"])"));
  f.t.expect("PATCH", kPath + "/status", 403,
             R"({"kind":"Status","reason":"Forbidden","code":403})");
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
}

}  // namespace
}  // namespace mailroom::controllers
