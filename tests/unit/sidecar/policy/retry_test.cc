// The retry schedule over explicit time points (no clock).
#include "sidecar/policy/retry.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const TimePoint kAccepted = TimePoint(seconds(1'700'000'000));

TEST(RetryTest, BackoffDoublesFromFiveMinutesAndCapsNearAnHour) {
  RetryPolicy p;
  EXPECT_EQ(backoff(p, 1), seconds(300));
  EXPECT_EQ(backoff(p, 2), seconds(600));
  EXPECT_EQ(backoff(p, 3), seconds(1200));
  EXPECT_EQ(backoff(p, 4), seconds(2400));
  EXPECT_EQ(backoff(p, 5), seconds(4000));
  EXPECT_EQ(backoff(p, 6), seconds(4000));
  EXPECT_EQ(backoff(p, 1'000'000), seconds(4000));  // no overflow
}

TEST(RetryTest, NextAttemptIsNowPlusBackoff) {
  RetryPolicy p;
  const TimePoint now = kAccepted + seconds(10);
  EXPECT_EQ(nextAttempt(p, kAccepted, 0, now), now);  // nothing tried yet: go
  EXPECT_EQ(nextAttempt(p, kAccepted, 1, now), now + seconds(300));
  EXPECT_EQ(nextAttempt(p, kAccepted, 3, now), now + seconds(1200));
  EXPECT_EQ(nextAttempt(p, kAccepted, 9, now), now + seconds(4000));
}

TEST(RetryTest, LastAttemptLandsOnExpiry) {
  RetryPolicy p;
  const TimePoint expiry = kAccepted + hours(120);
  const TimePoint now = expiry - seconds(100);
  EXPECT_EQ(nextAttempt(p, kAccepted, 50, now), expiry);
  EXPECT_FALSE(expired(p, kAccepted, expiry - seconds(1)));
  EXPECT_TRUE(expired(p, kAccepted, expiry));
  EXPECT_TRUE(expired(p, kAccepted, expiry + hours(1)));
}

TEST(RetryTest, CustomPolicy) {
  RetryPolicy p{seconds(60), seconds(600), 3.0, hours(1)};
  EXPECT_EQ(backoff(p, 1), seconds(60));
  EXPECT_EQ(backoff(p, 2), seconds(180));
  EXPECT_EQ(backoff(p, 3), seconds(540));
  EXPECT_EQ(backoff(p, 4), seconds(600));
  EXPECT_TRUE(expired(p, kAccepted, kAccepted + hours(1)));
  // Config durations are seconds; they convert without loss.
  RetryPolicy q{seconds(300), seconds(4000), 2.0, seconds(90)};
  EXPECT_FALSE(expired(q, kAccepted, kAccepted + seconds(89)));
  EXPECT_TRUE(expired(q, kAccepted, kAccepted + seconds(90)));
}

TEST(RetryTest, JitterIsDeterministicBoundedAndSeeded) {
  RetryPolicy p;
  p.jitter = 0.2;
  p.seed = 42;
  const TimePoint now = kAccepted + seconds(10);
  const TimePoint a = nextAttempt(p, kAccepted, 2, now);
  EXPECT_EQ(a, nextAttempt(p, kAccepted, 2, now));  // same inputs, same answer
  EXPECT_LE(a, now + seconds(600));
  EXPECT_GT(a, now + seconds(480));  // at most 20% earlier
  int differ = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    RetryPolicy q = p;
    q.seed = seed;
    if (nextAttempt(q, kAccepted, 2, now) != a) ++differ;
  }
  EXPECT_GE(differ, 15);  // the seed actually spreads retries
}

}  // namespace
}  // namespace mailroom::policy
