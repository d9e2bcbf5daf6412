// The ready queues keyed by destination, without I/O: rotation, the limits, parking.
#include "sidecar/delivery/destination_queues.h"

#include <gtest/gtest.h>

namespace mailroom::delivery {
namespace {

DeliveryJob job(std::string id, std::string destination) {
  return {std::move(id), std::move(destination), {0}};
}

DestinationQueues::LimitsFor limits(int total, int perDestination) {
  return [=](std::string_view) { return policy::ConcurrencyLimits{total, perDestination}; };
}

// Starts everything next() allows now; returns the message ids in start order.
std::vector<std::string> drain(DestinationQueues& q, const DestinationQueues::LimitsFor& l) {
  std::vector<std::string> out;
  while (auto j = q.next(l)) out.push_back(j->messageId);
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
    return policy::ConcurrencyLimits{20, d == "a.example" ? 1 : 3};
  };
  EXPECT_EQ(drain(q, l), (std::vector<std::string>{"a1", "b1", "b2", "b3"}));
}

TEST(DestinationQueuesTest, IdleDestinationsAreForgottenAndComeBack) {
  DestinationQueues q;
  q.push(job("a1", "a.example"));
  EXPECT_EQ(drain(q, limits(20, 1)).size(), 1u);
  q.finished("a.example");
  EXPECT_EQ(q.active("a.example"), 0);
  q.push(job("a2", "a.example"));
  EXPECT_EQ(drain(q, limits(20, 1)), (std::vector<std::string>{"a2"}));
}

}  // namespace
}  // namespace mailroom::delivery
