// Admission under the total and per-destination concurrency limits and the rate, as a table.
#include "sidecar/policy/admission.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

using std::chrono::seconds;

const RateClock::time_point kNow{seconds(1'800'000'000)};

DestinationLimits L(int total, std::optional<int> perDestination) {
  return {total, perDestination, std::nullopt};
}

struct Case {
  const char* name;
  Occupancy occupancy;
  DestinationLimits limits;
  Admission want;
};

TEST(AdmissionTest, Concurrency) {
  const std::optional<int> none;
  const Case cases[] = {
      {"idle", {0, 0}, L(20, 10), Admission::kStart},
      {"room everywhere", {5, 3}, L(20, 10), Admission::kStart},
      {"destination one below its limit", {9, 9}, L(20, 10), Admission::kStart},
      {"destination at its limit", {10, 10}, L(20, 10), Admission::kWaitDestination},
      {"destination over its limit (config lowered)",
       {12, 12},
       L(20, 10),
       Admission::kWaitDestination},
      {"total one below its limit", {19, 0}, L(20, 10), Admission::kStart},
      {"total at its limit", {20, 0}, L(20, 10), Admission::kWaitTotal},
      {"both full: total wins (no destination may start)",
       {20, 10},
       L(20, 10),
       Admission::kWaitTotal},
      {"per-destination limit above total", {3, 3}, L(4, 50), Admission::kStart},
      {"per-destination limit of 2", {2, 2}, L(4, 2), Admission::kWaitDestination},
      {"no per-destination limit: only the total", {19, 19}, L(20, none), Admission::kStart},
      {"no per-destination limit, total full", {20, 20}, L(20, none), Admission::kWaitTotal},
      {"zero limits count as one: first starts", {0, 0}, L(0, 0), Admission::kStart},
      {"zero limits count as one: second waits", {1, 0}, L(0, 0), Admission::kWaitTotal},
      {"negative per-destination counts as one", {1, 1}, L(20, -5), Admission::kWaitDestination},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(std::string(admissionName(admit(c.occupancy, c.limits, {}, kNow).admission)),
              admissionName(c.want))
        << c.name;
  }
}

TEST(AdmissionTest, RateComesAfterConcurrency) {
  // 60 a minute, burst 6: a bucket that just let 6 through waits one interval.
  RateState spent{kNow + seconds(6)};
  auto d = admit({0, 0}, {20, std::nullopt, 60}, spent, kNow);
  EXPECT_EQ(d.admission, Admission::kWaitRate);
  EXPECT_EQ(d.notBefore, kNow + seconds(1));
  // A full destination says so first: its wait ends with a delivery, not at a time.
  EXPECT_EQ(admit({2, 2}, {20, 2, 60}, spent, kNow).admission, Admission::kWaitDestination);
  EXPECT_EQ(admit({20, 0}, {20, 2, 60}, spent, kNow).admission, Admission::kWaitTotal);
  // No rate configured: the bucket is not consulted.
  EXPECT_EQ(admit({0, 0}, {20, std::nullopt, std::nullopt}, spent, kNow).admission,
            Admission::kStart);
  // A fresh bucket starts.
  EXPECT_EQ(admit({0, 0}, {20, std::nullopt, 60}, {}, kNow).admission, Admission::kStart);
}

TEST(Reduced, OneConnectionAndHalfTheRate) {
  DestinationLimits configured{20, 5, 100};
  auto r = reduced(configured);
  EXPECT_EQ(r.total, 20);
  EXPECT_EQ(r.perDestination, 1);
  EXPECT_EQ(r.messagesPerMinute, 50);
  EXPECT_EQ(reduced({20, std::nullopt, std::nullopt}).messagesPerMinute, 30);
  EXPECT_EQ(reduced({20, std::nullopt, 1}).messagesPerMinute, 1);
}

}  // namespace
}  // namespace mailroom::policy
