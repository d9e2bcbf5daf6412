#include "operator/kube/lease.h"

#include <gtest/gtest.h>

#include "tests/unit/operator/kube/fake_transport.h"

namespace mailroom::kube {
namespace {

using namespace std::chrono_literals;
using testing::FakeTransport;
const std::string kLease = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/mailroom-operator";

TEST(DecideLease, CreateRenewWaitTakeOver) {
  FakeClock clock;
  auto t0 = clock.now();
  EXPECT_EQ(decideLease(std::nullopt, "me", t0, t0), LeaseAction::kCreate);
  LeaseRecord mine{"me", 15, "", "", 0, "1"};
  EXPECT_EQ(decideLease(mine, "me", t0, t0 + 1h), LeaseAction::kRenew);
  LeaseRecord theirs{"other", 15, "", "", 0, "1"};
  EXPECT_EQ(decideLease(theirs, "me", t0, t0 + 14s), LeaseAction::kWait);
  EXPECT_EQ(decideLease(theirs, "me", t0, t0 + 15s), LeaseAction::kTakeOver);
  LeaseRecord released{"", 1, "", "", 0, "1"};
  EXPECT_EQ(decideLease(released, "me", t0, t0), LeaseAction::kTakeOver);
}

TEST(Lease, MicroTimeAndRoundTrip) {
  auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1795000000123456LL));
  EXPECT_EQ(formatMicroTime(t), "2026-11-18T11:06:40.123456Z");
  LeaseRecord r{"pod-a_12", 15,  "2026-11-18T11:06:40.123456Z", "2026-11-18T11:06:41.000000Z",
                3,          "77"};
  auto back = parseLease(renderLease("ns", "l", r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
}

std::string leaseJson(const std::string& holder, const std::string& renew, const std::string& rv) {
  return renderLease("ns", "mailroom-operator", {holder, 15, "", renew, 0, rv});
}

TEST(LeaderElector, CreatesMissingLease) {
  FakeTransport t;
  Api api(t);
  FakeClock clock;
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  t.expect("GET", kLease, 404, "{}");
  t.expect("POST", "/apis/coordination.k8s.io/v1/namespaces/ns/leases", 201,
           leaseJson("me", "t", "2"));
  EXPECT_TRUE(e.tryAcquireOrRenew());
  EXPECT_NE(t.requests[1].body.find("\"holderIdentity\":\"me\""), std::string::npos);
}

TEST(LeaderElector, WaitsOutALiveHolderByItsOwnClockThenTakesOver) {
  FakeTransport t;
  Api api(t);
  FakeClock clock;
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  t.expect("GET", kLease, 200, leaseJson("other", "r1", "5"));
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock.advance(10s);
  t.expect("GET", kLease, 200, leaseJson("other", "r2", "6"));  // renewed: the holder lives
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock.advance(14s);
  t.expect("GET", kLease, 200, leaseJson("other", "r2", "6"));
  EXPECT_FALSE(e.tryAcquireOrRenew()) << "only 14 s since the record last changed";
  clock.advance(1s);
  t.expect("GET", kLease, 200, leaseJson("other", "r2", "6"));
  t.expect("PUT", kLease, 200, leaseJson("me", "r3", "7"));
  EXPECT_TRUE(e.tryAcquireOrRenew());
  const auto& put = t.requests.back();
  EXPECT_NE(put.body.find("\"resourceVersion\":\"6\""), std::string::npos) << put.body;
  EXPECT_NE(put.body.find("\"leaseTransitions\":1"), std::string::npos) << put.body;
  EXPECT_EQ(t.writes(), 1);
}

TEST(LeaderElector, LosingTheRaceIsNotLeading) {
  FakeTransport t;
  Api api(t);
  FakeClock clock;
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  t.expect("GET", kLease, 200, leaseJson("", "r1", "5"));
  t.expect("PUT", kLease, 409, R"({"kind":"Status","reason":"Conflict","code":409})");
  EXPECT_FALSE(e.tryAcquireOrRenew());
}

}  // namespace
}  // namespace mailroom::kube
