// The fake API server is what every controller test trusts, so its API-server semantics are
// tested here against what the real kube-apiserver does (tests/e2e/operator checks the real one).
#include "tests/mocks/fake_kube_api.h"

#include <gtest/gtest.h>

namespace mailroom::testing {
namespace {

using api::Json;
const std::string kCol = "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains";
const std::string kObj = kCol + "/a";

kube::ApiResponse call(FakeKubeApi& s, const std::string& method, const std::string& path,
                       const Json& body = nullptr,
                       const std::string& type = "application/merge-patch+json") {
  return *s.request({"x", method, path, "", body.is_null() ? "" : body.dump(), type});
}

TEST(FakeKubeApi, CreateAssignsIdentityAndVersions) {
  FakeKubeApi s;
  auto r = call(s, "POST", kCol, {{"metadata", {{"name", "a"}}}, {"spec", {{"domain", "d"}}}});
  EXPECT_EQ(r.code, 201);
  Json o = *s.get(kObj);
  EXPECT_EQ(o["metadata"]["namespace"], "ns");
  EXPECT_EQ(o["metadata"]["generation"], 1);
  EXPECT_FALSE(o["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ(call(s, "POST", kCol, {{"metadata", {{"name", "a"}}}}).code, 409);
  EXPECT_EQ(call(s, "GET", kCol + "/missing").code, 404);
  auto gen =
      call(s, "POST", "/api/v1/namespaces/ns/events", {{"metadata", {{"generateName", "a."}}}});
  EXPECT_EQ(gen.code, 201);
  EXPECT_EQ(Json::parse(gen.body)["metadata"]["name"].get<std::string>().rfind("a.", 0), 0u);
}

TEST(FakeKubeApi, StaleResourceVersionConflictsAndSpecChangesBumpGeneration) {
  FakeKubeApi s;
  s.create(kCol, {{"metadata", {{"name", "a"}}}, {"spec", {{"domain", "d"}}}});
  std::string rv = (*s.get(kObj))["metadata"]["resourceVersion"];
  EXPECT_EQ(call(s, "PATCH", kObj, {{"spec", {{"domain", "e"}}}}).code, 200);
  EXPECT_EQ((*s.get(kObj))["metadata"]["generation"], 2);
  auto stale = call(s, "PATCH", kObj,
                    {{"metadata", {{"resourceVersion", rv}}}, {"spec", {{"domain", "f"}}}});
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(kube::statusReason(stale.body), "Conflict");
  Json put = *s.get(kObj);
  put["metadata"]["resourceVersion"] = rv;
  EXPECT_EQ(call(s, "PUT", kObj, put).code, 409);
}

TEST(FakeKubeApi, StatusIsASubresource) {
  FakeKubeApi s;
  s.create(kCol, {{"metadata", {{"name", "a"}}}, {"spec", {{"domain", "d"}}}});
  EXPECT_EQ(call(s, "PATCH", kObj, {{"status", {{"spf", "Pass"}}}}).code, 200);
  EXPECT_FALSE(s.get(kObj)->contains("status")) << "the main resource ignores status";
  EXPECT_EQ(call(s, "PATCH", kObj + "/status",
                 {{"status", {{"spf", "Pass"}}}, {"spec", {{"domain", "x"}}}})
                .code,
            200);
  Json o = *s.get(kObj);
  EXPECT_EQ(o["status"]["spf"], "Pass");
  EXPECT_EQ(o["spec"]["domain"], "d") << "the status subresource ignores spec";
  EXPECT_EQ(o["metadata"]["generation"], 1);
}

TEST(FakeKubeApi, JsonPatchTestFailureIs422AndNullTestOfAbsentPasses) {
  FakeKubeApi s;
  s.create(kCol, {{"metadata", {{"name", "a"}}}});
  Json add = Json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", nullptr}},
                          {{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", {"f"}}}});
  EXPECT_EQ(call(s, "PATCH", kObj, add, "application/json-patch+json").code, 200);
  EXPECT_EQ((*s.get(kObj))["metadata"]["finalizers"], Json({"f"}));
  EXPECT_EQ(call(s, "PATCH", kObj, add, "application/json-patch+json").code, 422);
}

TEST(FakeKubeApi, DeleteWaitsForFinalizers) {
  FakeKubeApi s;
  s.create(kCol, {{"metadata", {{"name", "a"}, {"finalizers", {"f"}}}}});
  EXPECT_EQ(call(s, "DELETE", kObj).code, 202);
  ASSERT_TRUE(s.get(kObj).has_value());
  EXPECT_TRUE((*s.get(kObj))["metadata"].contains("deletionTimestamp"));
  Json remove = Json::array({{{"op", "remove"}, {"path", "/metadata/finalizers/0"}}});
  EXPECT_EQ(call(s, "PATCH", kObj, remove, "application/json-patch+json").code, 200);
  EXPECT_FALSE(s.get(kObj).has_value());
}

TEST(FakeKubeApi, NoOpWritesKeepTheResourceVersion) {
  FakeKubeApi s;
  s.create(kCol, {{"metadata", {{"name", "a"}}}, {"spec", {{"domain", "d"}}}});
  auto rv = s.resourceVersion();
  EXPECT_EQ(call(s, "PATCH", kObj, {{"spec", {{"domain", "d"}}}}).code, 200);
  EXPECT_EQ(s.resourceVersion(), rv);
}

TEST(FakeKubeApi, InjectedFailuresAndRequestLog) {
  FakeKubeApi s;
  s.failNext("GET", kCol, 503, 2);
  EXPECT_EQ(call(s, "GET", kCol).code, 503);
  EXPECT_EQ(call(s, "GET", kCol).code, 503);
  EXPECT_EQ(call(s, "GET", kCol).code, 200);
  EXPECT_EQ(s.writes(), 0);
  call(s, "POST", kCol, {{"metadata", {{"name", "a"}}}});
  EXPECT_EQ(s.writesTo(kCol), 1);
  EXPECT_EQ(s.requests().size(), 4u);
}

}  // namespace
}  // namespace mailroom::testing
