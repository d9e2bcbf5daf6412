#include "operator/kube/workqueue.h"

#include <gtest/gtest.h>

namespace mailroom::kube {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesFrom5msAndCapsAt1000s) {
  EXPECT_EQ(backoffDelay(1), 5ms);
  EXPECT_EQ(backoffDelay(2), 10ms);
  EXPECT_EQ(backoffDelay(3), 20ms);
  EXPECT_EQ(backoffDelay(18), 655360ms);
  EXPECT_EQ(backoffDelay(19), 1000s);  // 1310720 ms is past the cap
  EXPECT_EQ(backoffDelay(1000), 1000s);
}

TEST(WorkQueue, AddDedupes) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.tryGet(), "ns/a");
  EXPECT_EQ(q.tryGet(), "ns/b");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, KeyAddedWhileProcessingIsHandedOutOnlyAfterDone) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("k");
  ASSERT_EQ(q.tryGet(), "k");
  q.add("k");
  q.add("k");
  EXPECT_EQ(q.tryGet(), std::nullopt) << "a second worker must not get a key in progress";
  q.done("k");
  EXPECT_EQ(q.tryGet(), "k");
  q.done("k");
  EXPECT_EQ(q.tryGet(), std::nullopt) << "the two adds while processing collapse into one";
}

TEST(WorkQueue, DoneWithoutReAddDoesNotRequeue) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("k");
  ASSERT_EQ(q.tryGet(), "k");
  q.done("k");
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

TEST(WorkQueue, AddAfterWaitsForTheClock) {
  FakeClock clock;
  WorkQueue q(clock);
  q.addAfter("k", 10s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(9s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1s);
  EXPECT_EQ(q.tryGet(), "k");
}

TEST(WorkQueue, EarlierAddAfterWins) {
  FakeClock clock;
  WorkQueue q(clock);
  q.addAfter("k", 10s);
  q.addAfter("k", 2s);
  q.addAfter("k", 30s);
  EXPECT_EQ(q.waitingCount(), 1u);
  clock.advance(2s);
  EXPECT_EQ(q.tryGet(), "k");
}

TEST(WorkQueue, RateLimitedBacksOffPerKeyAndForgetResets) {
  FakeClock clock;
  WorkQueue q(clock);
  q.addRateLimited("a");  // 5 ms
  q.addRateLimited("a");  // 10 ms (the earlier 5 ms wins while waiting)
  EXPECT_EQ(q.numRequeues("a"), 2);
  clock.advance(5ms);
  ASSERT_EQ(q.tryGet(), "a");
  q.done("a");
  q.addRateLimited("a");  // third failure: 20 ms
  q.addRateLimited("b");  // b's first failure: 5 ms
  clock.advance(5ms);
  EXPECT_EQ(q.tryGet(), "b");
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(14ms);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1ms);
  EXPECT_EQ(q.tryGet(), "a");
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
  q.done("a");
  q.addRateLimited("a");  // back to 5 ms
  clock.advance(5ms);
  EXPECT_EQ(q.tryGet(), "a");
}

TEST(WorkQueue, ShutdownStopsHandingOut) {
  FakeClock clock;
  WorkQueue q(clock);
  q.add("k");
  q.shutdown();
  EXPECT_TRUE(q.shuttingDown());
  EXPECT_EQ(q.tryGet(), std::nullopt);
  EXPECT_EQ(q.get(10ms), std::nullopt);
}

TEST(WorkQueue, BlockingGetReturnsQueuedKeyAndTimesOut) {
  SteadyClock clock;
  WorkQueue q(clock);
  q.add("k");
  EXPECT_EQ(q.get(1s), "k");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.get(20ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

}  // namespace
}  // namespace mailroom::kube
