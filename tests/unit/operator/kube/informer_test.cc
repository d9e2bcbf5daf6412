#include "operator/kube/informer.h"

#include <gtest/gtest.h>

#include "tests/unit/operator/kube/fake_transport.h"

namespace mailroom::kube {
namespace {

using testing::FakeTransport;
const std::string kPath = "/apis/mailroom.dev/v1alpha1/maildomains";

std::string item(const std::string& ns, const std::string& name, const std::string& rv) {
  return R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
         R"(","resourceVersion":")" + rv + R"("}})";
}
std::string event(const std::string& type, const std::string& obj) {
  return R"({"type":")" + type + R"(","object":)" + obj + "}";
}
std::string listBody(const std::string& rv, const std::vector<std::string>& items) {
  std::string out = R"({"metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

struct Fixture {
  FakeTransport t;
  Api api{t};
  std::vector<std::string> changed;
  Informer informer{api, {kPath, 60, {}}, [this](const std::string& k) { changed.push_back(k); }};
  StopSignal stop;
};

TEST(Informer, ListFillsCacheAndEnqueuesEveryKey) {
  Fixture f;
  f.t.expect("GET", kPath, 200, listBody("10", {item("a", "x", "5"), item("b", "y", "9")}));
  auto rv = f.informer.list();
  ASSERT_TRUE(rv.ok()) << rv.error().message;
  EXPECT_EQ(*rv, "10");
  EXPECT_TRUE(f.informer.synced());
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/x", "b/y"}));
  EXPECT_TRUE(f.informer.cache().get("a/x").has_value());
  EXPECT_EQ(f.t.requests[0].query, "") << "a consistent list, not from the watch cache";
}

TEST(Informer, WatchAppliesEventsAndTracksResourceVersion) {
  Fixture f;
  f.t.expect("GET", kPath, 200, "",
             {event("ADDED", item("a", "x", "11")), event("MODIFIED", item("a", "x", "12")),
              event("BOOKMARK", R"({"metadata":{"resourceVersion":"15"}})"),
              event("DELETED", item("a", "x", "16"))});
  std::string rv = "10";
  auto end = f.informer.watchOnce(rv, f.stop);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, Informer::WatchEnd::kClosed);
  EXPECT_EQ(rv, "16");
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/x", "a/x", "a/x"}))
      << "bookmarks enqueue nothing";
  EXPECT_FALSE(f.informer.cache().get("a/x").has_value());
  const auto& q = f.t.requests[0].query;
  EXPECT_NE(q.find("watch=true"), std::string::npos);
  EXPECT_NE(q.find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(q.find("resourceVersion=10"), std::string::npos);
  EXPECT_NE(q.find("timeoutSeconds=60"), std::string::npos);
}

TEST(Informer, GoneEventOrStatusMeansExpired) {
  Fixture f;
  f.t.expect("GET", kPath, 200, "",
             {event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired"})"),
              event("ADDED", item("a", "never", "99"))});
  f.t.expect("GET", kPath, 410, R"({"kind":"Status","code":410,"reason":"Gone"})");
  std::string rv = "1";
  auto end = f.informer.watchOnce(rv, f.stop);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, Informer::WatchEnd::kExpired);
  EXPECT_TRUE(f.changed.empty()) << "events after the ERROR are not applied";
  end = f.informer.watchOnce(rv, f.stop);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, Informer::WatchEnd::kExpired);
}

TEST(Informer, RelistEnqueuesKeysThatVanishedMeanwhile) {
  Fixture f;
  f.t.expect("GET", kPath, 200, listBody("10", {item("a", "x", "5"), item("a", "gone", "6")}));
  f.t.expect("GET", kPath, 200, listBody("30", {item("a", "x", "20"), item("a", "new", "25")}));
  ASSERT_TRUE(f.informer.list().ok());
  f.changed.clear();
  ASSERT_TRUE(f.informer.list().ok());
  EXPECT_EQ(f.changed, (std::vector<std::string>{"a/gone", "a/new", "a/x"}));
  EXPECT_FALSE(f.informer.cache().get("a/gone").has_value());
  EXPECT_EQ(f.informer.cache().size(), 2u);
  EXPECT_EQ(f.informer.relists(), 2u);
}

TEST(Informer, ListErrorsAreValues) {
  Fixture f;
  f.t.expect("GET", kPath, 403, R"({"kind":"Status","reason":"Forbidden","code":403})");
  auto rv = f.informer.list();
  ASSERT_FALSE(rv.ok());
  EXPECT_EQ(rv.error().kind, ErrorKind::kPermanent);
  EXPECT_FALSE(f.informer.synced());
}

}  // namespace
}  // namespace mailroom::kube
