#include "operator/kube/controller.h"

#include <gtest/gtest.h>

#include "operator/kube/informer.h"
#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

using api::Json;
const std::string kParents = "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains";
const std::string kChildren = "/api/v1/namespaces/ns/secrets";
const std::string kOthers = "/apis/mailroom.dev/v1alpha1/namespaces/ns/transports";

struct Fixture {
  mailroom::testing::FakeKubeApi server;
  Api api{server};
  FakeClock clock;
  Store<Unstructured> parents, children, others;
  Informer parentInformer{api, {kParents}, parents};
  Informer childInformer{api, {kChildren}, children};
  Informer otherInformer{api, {kOthers}, others};
  std::vector<std::string> reconciled;
  Controller c{"test", clock, [this](const std::string& key) {
                 reconciled.push_back(key);
                 return awaitChange();
               }};
  void sync() {
    ASSERT_TRUE(parentInformer.list().ok());
    ASSERT_TRUE(childInformer.list().ok());
    ASSERT_TRUE(otherInformer.list().ok());
  }
  std::vector<std::string> drain() {
    reconciled.clear();
    while (c.processReady()) {
    }
    return reconciled;
  }
};

TEST(Controller, ForOwnsAndWatchesEnqueueThePrimaryKey) {
  Fixture f;
  f.c.watchFor(f.parents)
      .owns(f.children, "MailDomain")
      .watches(f.others, [](const Cached<Unstructured>& o) {
        std::vector<std::string> keys;
        for (const auto& n : o.object->raw["spec"].value("users", Json::array()))
          keys.push_back(o.meta.namespace_ + "/" + n.get<std::string>());
        return keys;
      });
  f.server.create(kParents, {{"metadata", {{"name", "p"}}}});
  f.server.create(kParents, {{"metadata", {{"name", "q"}}}});
  f.server.create(kChildren, {{"metadata",
                               {{"name", "s"},
                                {"ownerReferences",
                                 {{{"apiVersion", "mailroom.dev/v1alpha1"},
                                   {"kind", "MailDomain"},
                                   {"name", "q"},
                                   {"uid", "u"},
                                   {"controller", true}}}}}}});
  f.server.create(kChildren, {{"metadata", {{"name", "unowned"}}}});
  f.server.create(kOthers, {{"metadata", {{"name", "t"}}}, {"spec", {{"users", {"p", "q"}}}}});
  f.sync();
  EXPECT_EQ(f.drain(), (std::vector<std::string>{"ns/p", "ns/q"})) << "deduplicated keys";

  // A change of the owned Secret wakes only its owner; of the watched object, its users.
  std::string rv = std::to_string(f.server.resourceVersion());
  f.server.touch(kChildren + "/s");
  StopSignal stop;
  ASSERT_TRUE(f.childInformer.watchOnce(rv, stop).ok());
  EXPECT_EQ(f.drain(), std::vector<std::string>{"ns/q"});
  rv = std::to_string(f.server.resourceVersion());
  f.server.request({"patch", "PATCH", kOthers + "/t", "", R"({"spec":{"users":["p"]}})",
                    "application/merge-patch+json"});
  ASSERT_TRUE(f.otherInformer.watchOnce(rv, stop).ok());
  EXPECT_EQ(f.drain(), (std::vector<std::string>{"ns/p", "ns/q"}))
      << "the object it no longer uses is woken too";
  rv = std::to_string(f.server.resourceVersion());
  f.server.touch(kChildren + "/unowned");
  ASSERT_TRUE(f.childInformer.watchOnce(rv, stop).ok());
  EXPECT_TRUE(f.drain().empty());
}

TEST(Controller, ResyncEnqueuesEveryPrimaryAndErrorsBackOff) {
  Fixture f;
  int calls = 0;
  Controller failing("failing", f.clock, [&](const std::string&) {
    ++calls;
    return retryWithBackoff();
  });
  failing.watchFor(f.parents);
  f.server.create(kParents, {{"metadata", {{"name", "p"}}}});
  f.sync();
  EXPECT_TRUE(failing.processReady());
  EXPECT_EQ(failing.errors(), 1u);
  EXPECT_FALSE(failing.processReady()) << "the retry waits for its backoff";
  f.clock.advance(std::chrono::milliseconds(5));
  EXPECT_TRUE(failing.processReady());
  EXPECT_EQ(calls, 2);
  failing.resync();
  EXPECT_TRUE(failing.processReady());
}

}  // namespace
}  // namespace mailroom::kube
