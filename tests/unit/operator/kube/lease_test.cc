#include "operator/kube/lease.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

using namespace std::chrono_literals;
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

TEST(LeaderElector, CreatesMissingLease) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  FakeClock clock;
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  EXPECT_TRUE(e.tryAcquireOrRenew());
  auto lease = parseLease(server.get(kLease)->dump());
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->holderIdentity, "me");
  EXPECT_EQ(lease->leaseDurationSeconds, 15);
}

TEST(LeaderElector, WaitsOutALiveHolderByItsOwnClockThenTakesOver) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  FakeClock theirClock, clock;
  LeaderElector other(api, {"ns", "mailroom-operator", "other"}, theirClock);
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  ASSERT_TRUE(other.tryAcquireOrRenew());
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock.advance(10s);
  std::this_thread::sleep_for(2us);        // renewTime has microsecond precision
  ASSERT_TRUE(other.tryAcquireOrRenew());  // renewed: the holder lives
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock.advance(14s);
  EXPECT_FALSE(e.tryAcquireOrRenew()) << "only 14 s since the record last changed";
  clock.advance(1s);
  server.clearRequests();
  EXPECT_TRUE(e.tryAcquireOrRenew());
  auto lease = parseLease(server.get(kLease)->dump());
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->holderIdentity, "me");
  EXPECT_EQ(lease->leaseTransitions, 1);
  EXPECT_EQ(server.writes(), 1);
  EXPECT_FALSE(other.tryAcquireOrRenew()) << "the old holder sees the new one";
}

TEST(LeaderElector, LosingTheRaceIsNotLeading) {
  mailroom::testing::FakeKubeApi server;
  Api api(server);
  FakeClock clock;
  LeaderElector e(api, {"ns", "mailroom-operator", "me"}, clock);
  LeaderElector other(api, {"ns", "mailroom-operator", "other"}, clock);
  ASSERT_TRUE(other.tryAcquireOrRenew());
  clock.advance(16s);
  server.failNext("PUT", kLease, 409);  // someone else wrote first
  EXPECT_FALSE(e.tryAcquireOrRenew());
}

}  // namespace
}  // namespace mailroom::kube
