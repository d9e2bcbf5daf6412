// The ready queues keyed by destination, without I/O: rotation, the limits, parking, the rate.
#include "sidecar/delivery/destination_queues.h"

#include <gtest/gtest.h>

namespace mailroom::delivery {
namespace {

DeliveryJob job(std::string id, std::string destination) {
  return {std::move(id), std::move(destination), {0}};
}

const DestinationQueues::TimePoint kNow{std::chrono::seconds(1'800'000'000)};

DestinationQueues::LimitsFor limits(int total, std::optional<int> perDestination,
                                    std::optional<int> perMinute = std::nullopt) {
  return [=](std::string_view) {
    return policy::DestinationLimits{total, perDestination, perMinute};
  };
}

// Starts everything next() allows at `now`; returns the message ids in start order.
std::vector<std::string> drain(DestinationQueues& q, const DestinationQueues::LimitsFor& l,
                               DestinationQueues::TimePoint now = kNow) {
  std::vector<std::string> out;
  while (auto j = q.next(l, now)) out.push_back(j->messageId);
  return out;
}

TEST(DestinationQueuesTest, DestinationsTakeTurns) {
  DestinationQueues q;
  for (auto id : {"a1", "a2", "a3"}) q.push(job(id, "a.example"));
  for (auto id : {"b1", "b2"}) q.push(job(id, "b.example"));
  q.push(job("c1", "c.example"));
  EXPECT_EQ(drain(q, limits(20, 10)),
            (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3"}));
  EXPECT_EQ(q.active(), 6);
  EXPECT_EQ(q.active("a.example"), 3);
  EXPECT_EQ(q.waiting(), 0u);
}

TEST(DestinationQueuesTest, PerDestinationLimitParksOnlyThatDestination) {
  DestinationQueues q;
  for (auto id : {"a1", "a2", "a3", "a4"}) q.push(job(id, "a.example"));
  q.push(job("b1", "b.example"));
  EXPECT_EQ(drain(q, limits(20, 2)), (std::vector<std::string>{"a1", "b1", "a2"}));
  EXPECT_EQ(q.active("a.example"), 2);
  EXPECT_EQ(q.waiting(), 2u);
  // More work for the parked destination does not start it; a finished job does.
  q.push(job("a5", "a.example"));
  EXPECT_TRUE(drain(q, limits(20, 2)).empty());
  q.finished("a.example");
  EXPECT_EQ(drain(q, limits(20, 2)), (std::vector<std::string>{"a3"}));
  q.finished("b.example");
  EXPECT_TRUE(drain(q, limits(20, 2)).empty());
  EXPECT_EQ(q.active(), 2);
  EXPECT_EQ(q.waiting(), 2u);
}

TEST(DestinationQueuesTest, TotalLimitStopsEveryone) {
  DestinationQueues q;
  for (auto id : {"a1", "a2"}) q.push(job(id, "a.example"));
  for (auto id : {"b1", "b2"}) q.push(job(id, "b.example"));
  EXPECT_EQ(drain(q, limits(3, 10)), (std::vector<std::string>{"a1", "b1", "a2"}));
  q.finished("a.example");
  EXPECT_EQ(drain(q, limits(3, 10)), (std::vector<std::string>{"b2"}));
  EXPECT_EQ(q.waiting(), 0u);
}

TEST(DestinationQueuesTest, LimitsComeFromTheDestination) {
  DestinationQueues q;
  for (auto id : {"a1", "a2", "a3"}) q.push(job(id, "a.example"));
  for (auto id : {"b1", "b2", "b3"}) q.push(job(id, "b.example"));
  auto l = [](std::string_view d) {
    return policy::DestinationLimits{20, d == "a.example" ? 1 : 3, std::nullopt};
  };
  EXPECT_EQ(drain(q, l), (std::vector<std::string>{"a1", "b1", "b2", "b3"}));
}

TEST(DestinationQueuesTest, IdleDestinationsAreForgottenOnceTheirRateRested) {
  DestinationQueues q;
  q.push(job("a1", "a.example"));
  q.push(job("b1", "b.example"));
  auto l = [](std::string_view d) {
    return policy::DestinationLimits{20, 1, d == "a.example" ? std::optional(1) : std::nullopt};
  };
  EXPECT_EQ(drain(q, l).size(), 2u);
  q.forgetIdle(kNow);
  EXPECT_EQ(q.destinations(), 2u);  // both busy
  q.finished("a.example");
  q.finished("b.example");
  q.forgetIdle(kNow);
  EXPECT_EQ(q.destinations(), 1u);  // a.example's bucket is not full again yet
  // It still remembers: the next message for a.example waits its minute.
  q.push(job("a2", "a.example"));
  EXPECT_TRUE(drain(q, l).empty());
  EXPECT_EQ(drain(q, l, kNow + std::chrono::seconds(60)), (std::vector<std::string>{"a2"}));
  q.finished("a.example");
  q.forgetIdle(kNow + std::chrono::minutes(2));
  EXPECT_EQ(q.destinations(), 0u);
}

TEST(DestinationQueuesTest, RateLimitedDestinationWaitsForItsTimeWhileOthersGo) {
  DestinationQueues q;
  for (auto id : {"a1", "a2", "a3", "a4"}) q.push(job(id, "a.example"));
  for (auto id : {"b1", "b2"}) q.push(job(id, "b.example"));
  auto l = [](std::string_view d) {
    // a.example: 20 a minute, a burst of 2, then one every 3 s.
    return policy::DestinationLimits{20, std::nullopt,
                                     d == "a.example" ? std::optional(20) : std::nullopt};
  };
  EXPECT_EQ(drain(q, l), (std::vector<std::string>{"a1", "b1", "a2", "b2"}));
  EXPECT_EQ(q.nextWake(), kNow + std::chrono::seconds(3));
  EXPECT_TRUE(drain(q, l, kNow + std::chrono::seconds(2)).empty());
  // Finished deliveries do not bring it back early: the rate, not a slot, holds it.
  q.finished("a.example");
  EXPECT_TRUE(drain(q, l, kNow + std::chrono::seconds(2)).empty());
  EXPECT_EQ(drain(q, l, kNow + std::chrono::seconds(3)), (std::vector<std::string>{"a3"}));
  EXPECT_EQ(q.nextWake(), kNow + std::chrono::seconds(6));
  EXPECT_EQ(drain(q, l, kNow + std::chrono::seconds(6)), (std::vector<std::string>{"a4"}));
  EXPECT_EQ(q.nextWake(), DestinationQueues::TimePoint::max());
  EXPECT_EQ(q.waiting(), 0u);
}

// A receiver said "slow down" (a defer-destination rule): every job of that destination waits
// until the time, queued or pushed later; the others go on; then it resumes.
TEST(DestinationQueuesTest, DeferredDestinationWaitsAsAWholeThenResumes) {
  using namespace std::chrono_literals;
  DestinationQueues q;
  for (auto id : {"g1", "g2"}) q.push(job(id, "gmail.com"));
  q.push(job("y1", "yahoo.com"));
  EXPECT_EQ(drain(q, limits(20, 10), kNow).front(), "g1");  // g1 y1 g2 started
  q.finished("gmail.com");
  q.deferDestination("gmail.com", kNow + 30min);
  q.deferDestination("hotmail.com", kNow + 1h);  // nothing queued there yet
  q.push(job("g3", "gmail.com"));
  q.push(job("h1", "hotmail.com"));
  q.push(job("y2", "yahoo.com"));
  EXPECT_EQ(drain(q, limits(20, 10), kNow + 1min), (std::vector<std::string>{"y2"}));
  EXPECT_EQ(q.nextWake(), kNow + 30min);
  q.forgetIdle(kNow + 2min);  // a held destination is not forgotten
  EXPECT_EQ(drain(q, limits(20, 10), kNow + 30min), (std::vector<std::string>{"g3"}));
  EXPECT_EQ(drain(q, limits(20, 10), kNow + 1h), (std::vector<std::string>{"h1"}));
}

// "421 too many connections" (a reduce-rate rule): one connection at a time there until the
// time, then the configured limits again.
TEST(DestinationQueuesTest, SlowedDestinationGetsOneConnection) {
  using namespace std::chrono_literals;
  DestinationQueues q;
  q.slowDestination("a.example", kNow + 10min);
  for (auto id : {"a1", "a2", "a3"}) q.push(job(id, "a.example"));
  EXPECT_EQ(drain(q, limits(20, 3), kNow), (std::vector<std::string>{"a1"}));
  q.finished("a.example");
  EXPECT_EQ(drain(q, limits(20, 3), kNow + 11min), (std::vector<std::string>{"a2", "a3"}));
}

}  // namespace
}  // namespace mailroom::delivery
