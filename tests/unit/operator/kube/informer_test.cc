#include "operator/kube/informer.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

using api::Json;
const std::string kAll = "/apis/mailroom.dev/v1alpha1/maildomains";
std::string collection(const std::string& ns) {
  return "/apis/mailroom.dev/v1alpha1/namespaces/" + ns + "/maildomains";
}
Json object(const std::string& name, const std::string& domain) {
  return {{"metadata", {{"name", name}}}, {"spec", {{"domain", domain}}}};
}

struct Fixture {
  mailroom::testing::FakeKubeApi server;
  Api api{server};
  Store<Unstructured> store;
  std::vector<std::string> changed;
  Informer informer{api, {kAll, 60, {}}, store};
  StopSignal stop;
  Fixture() {
    store.onChange([this](const Cached<Unstructured>* before, const Cached<Unstructured>* after) {
      changed.push_back((after ? after : before)->meta.key());
    });
  }
};

TEST(Informer, ListFillsTheStoreAndNotifiesEveryKey) {
  Fixture f;
  f.server.create(collection("a"), object("x", "x.example"));
  f.server.create(collection("b"), object("y", "y.example"));
  auto rv = f.informer.list();
  ASSERT_TRUE(rv.ok()) << rv.error().message;
  EXPECT_EQ(*rv, std::to_string(f.server.resourceVersion()));
  EXPECT_TRUE(f.informer.synced());
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/x", "b/y"}));
  ASSERT_NE(f.store.get("a/x"), nullptr);
  EXPECT_EQ(f.store.get("a/x")->object->raw["spec"]["domain"], "x.example");
  EXPECT_EQ(f.server.requests()[0].query, "") << "a consistent list, not from the watch cache";
}

TEST(Informer, WatchAppliesChangesAndTracksResourceVersion) {
  Fixture f;
  ASSERT_TRUE(f.informer.list().ok());
  std::string rv = std::to_string(f.server.resourceVersion());
  f.server.create(collection("a"), object("x", "x.example"));
  f.server.touch(collection("a") + "/x");
  ASSERT_EQ(f.server.request({"delete", "DELETE", collection("a") + "/x", "", "", ""})->code, 200);
  auto end = f.informer.watchOnce(rv, f.stop);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, Informer::WatchEnd::kClosed);
  EXPECT_EQ(rv, std::to_string(f.server.resourceVersion()));
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/x", "a/x", "a/x"}));
  EXPECT_EQ(f.store.get("a/x"), nullptr);
  const std::string q = f.server.requests().back().query;
  EXPECT_NE(q.find("watch=true"), std::string::npos);
  EXPECT_NE(q.find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(q.find("timeoutSeconds=60"), std::string::npos);
}

TEST(Informer, CompactedResourceVersionMeansExpired) {
  Fixture f;
  std::string rv = std::to_string(f.server.resourceVersion());
  f.server.create(collection("a"), object("x", "x.example"));
  f.server.compact();
  auto end = f.informer.watchOnce(rv, f.stop);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, Informer::WatchEnd::kExpired);
  EXPECT_TRUE(f.changed.empty());
}

TEST(Informer, RelistNotifiesKeysThatVanishedMeanwhile) {
  Fixture f;
  f.server.create(collection("a"), object("x", "x.example"));
  f.server.create(collection("a"), object("gone", "g.example"));
  ASSERT_TRUE(f.informer.list().ok());
  f.changed.clear();
  f.server.request({"delete", "DELETE", collection("a") + "/gone", "", "", ""});
  f.server.create(collection("a"), object("new", "n.example"));
  ASSERT_TRUE(f.informer.list().ok());
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/new", "a/x", "a/gone"}));
  EXPECT_EQ(f.store.get("a/gone"), nullptr);
  EXPECT_EQ(f.store.size(), 2u);
  EXPECT_EQ(f.informer.relists(), 2u);
}

TEST(Informer, LabelSelectorReachesTheServer) {
  Fixture f;
  Informer selective(f.api, {kAll, 60, {}, "mailroom.dev/inject=true"}, f.store);
  Json labelled = object("l", "l.example");
  labelled["metadata"]["labels"] = {{"mailroom.dev/inject", "true"}};
  f.server.create(collection("a"), labelled);
  f.server.create(collection("a"), object("u", "u.example"));
  ASSERT_TRUE(selective.list().ok());
  EXPECT_EQ(f.store.keys(), std::vector<std::string>{"a/l"});
}

TEST(Store, ObjectsWhoseMetadataDoesNotDecodeAreNotKeyedUnderAnEmptyName) {
  Store<Unstructured> store;
  store.upsert(Json::parse(R"({"metadata":{"name":"x","namespace":"a",
      "ownerReferences":[{"apiVersion":"v1"}]}})"));
  store.upsert(Json::parse(R"({"metadata":{}})"));
  EXPECT_EQ(store.size(), 0u);
  store.upsert(Json::parse(R"({"metadata":{"name":"y","namespace":"a"}})"));
  EXPECT_EQ(store.keys(), std::vector<std::string>{"a/y"});
}

TEST(Informer, ListErrorsAreValues) {
  Fixture f;
  f.server.failNext("GET", kAll, 403);
  auto rv = f.informer.list();
  ASSERT_FALSE(rv.ok());
  EXPECT_EQ(rv.error().kind, ErrorKind::kPermanent);
  EXPECT_FALSE(f.informer.synced());
}

}  // namespace
}  // namespace mailroom::kube
