// The message rate as a token bucket (GCRA) over explicit time points.
#include "sidecar/policy/rate.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const RateClock::time_point kNow{seconds(1'800'000'000)};

TEST(RateTest, BurstIsATenthOfAMinuteBetweenOneAndTen) {
  struct {
    int perMinute, burst;
  } cases[] = {{1, 1}, {5, 1}, {19, 1}, {20, 2}, {60, 6}, {100, 10}, {1000, 10}, {0, 1}};
  for (auto c : cases) {
    EXPECT_EQ(rateOf(c.perMinute).burst, c.burst) << c.perMinute;
    EXPECT_GE(rateOf(c.perMinute).perMinute, 1);
  }
}

// Starts messages as fast as the bucket allows from `now` on; returns their start times.
std::vector<RateClock::time_point> starts(Rate rate, int n, RateState s = {}) {
  std::vector<RateClock::time_point> out;
  auto now = kNow;
  for (int i = 0; i < n; ++i) {
    now = earliestStart(s, rate, now);
    s = afterStart(s, rate, now);
    out.push_back(now);
  }
  return out;
}

TEST(RateTest, BurstThenOneInterval) {
  // 60 a minute with a burst of 3: three at once, then one a second.
  auto t = starts({60, 3}, 6);
  std::vector<RateClock::time_point> want{
      kNow, kNow, kNow, kNow + seconds(1), kNow + seconds(2), kNow + seconds(3)};
  EXPECT_EQ(t, want);
}

TEST(RateTest, OneAMinuteWithoutBurst) {
  auto t = starts(rateOf(1), 3);
  EXPECT_EQ(t, (std::vector<RateClock::time_point>{kNow, kNow + seconds(60), kNow + seconds(120)}));
}

TEST(RateTest, FractionalIntervals) {
  // 100 a minute: 0.6 s apart after the burst of 10.
  auto t = starts(rateOf(100), 12);
  EXPECT_EQ(t[9], kNow);
  EXPECT_EQ(t[10], kNow + milliseconds(600));
  EXPECT_EQ(t[11], kNow + milliseconds(1200));
}

TEST(RateTest, AQuietSpellRefillsTheBucketButNoMore) {
  Rate r{60, 3};
  RateState s;
  for (int i = 0; i < 3; ++i) s = afterStart(s, r, kNow);
  EXPECT_FALSE(rested(s, kNow));
  EXPECT_EQ(earliestStart(s, r, kNow), kNow + seconds(1));
  // An hour later the bucket is full again: a burst of 3, not 3600.
  const auto later = kNow + std::chrono::hours(1);
  EXPECT_TRUE(rested(s, later));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(earliestStart(s, r, later), later) << i;
    s = afterStart(s, r, later);
  }
  EXPECT_EQ(earliestStart(s, r, later), later + seconds(1));
}

}  // namespace
}  // namespace mailroom::policy
