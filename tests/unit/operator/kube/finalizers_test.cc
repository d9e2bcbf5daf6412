#include "operator/kube/finalizers.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

using api::Json;
const std::string kF = "mailroom.dev/dns-records";

TEST(Finalizers, FourSteps) {
  api::ObjectMeta m;
  EXPECT_EQ(finalizerStep(m, kF), FinalizerStep::kAdd);
  m.finalizers = {"other", kF};
  EXPECT_EQ(finalizerStep(m, kF), FinalizerStep::kApply);
  m.deletionTimestamp = "2026-01-01T00:00:00Z";
  EXPECT_EQ(finalizerStep(m, kF), FinalizerStep::kCleanup);
  m.finalizers = {"other"};
  EXPECT_EQ(finalizerStep(m, kF), FinalizerStep::kDone);
}

TEST(Finalizers, PatchesKeepOthersAndLoseRacesVisibly) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  const std::string col = "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains";
  server.create(col, {{"metadata", {{"name", "a"}, {"finalizers", {"other/keep"}}}}});
  auto added = applyFinalizerPatch(api, col + "/a", addFinalizerPatch({"other/keep"}, kF));
  ASSERT_TRUE(added.ok());
  EXPECT_EQ((*server.get(col + "/a"))["metadata"]["finalizers"], Json({"other/keep", kF}));
  // A patch computed from a list that has changed since fails instead of clobbering it.
  auto stale = applyFinalizerPatch(api, col + "/a", addFinalizerPatch({"other/keep"}, kF));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, ErrorKind::kTemporary);
  auto removed =
      applyFinalizerPatch(api, col + "/a", *removeFinalizerPatch({"other/keep", kF}, kF));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ((*server.get(col + "/a"))["metadata"]["finalizers"], Json({"other/keep"}));
  EXPECT_FALSE(removeFinalizerPatch({"other/keep"}, kF).has_value());
  // Adding to an empty list, and patching a gone object.
  server.create(col, {{"metadata", {{"name", "b"}}}});
  ASSERT_TRUE(applyFinalizerPatch(api, col + "/b", addFinalizerPatch({}, kF)).ok());
  EXPECT_EQ((*server.get(col + "/b"))["metadata"]["finalizers"], Json({kF}));
  auto gone = applyFinalizerPatch(api, col + "/nope", addFinalizerPatch({}, kF));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, awaitChange());
}

}  // namespace
}  // namespace mailroom::kube
