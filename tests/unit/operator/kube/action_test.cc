#include "operator/kube/action.h"

#include <gtest/gtest.h>

namespace mailroom::kube {
namespace {

using namespace std::chrono_literals;

TEST(Action, ErrorPolicyRetriesTemporaryOnly) {
  EXPECT_EQ(errorPolicy(Error::temporary("503")).kind, Action::Kind::kRetryWithBackoff);
  EXPECT_EQ(errorPolicy(Error::internal("bug")).kind, Action::Kind::kRetryWithBackoff);
  EXPECT_EQ(errorPolicy(Error::invalidArgument("bad spec")), awaitChange());
  EXPECT_EQ(errorPolicy(Error::permanent("403")), awaitChange());
  EXPECT_EQ(errorPolicy(Error::notFound("gone")), awaitChange());
}

TEST(Action, ApplyActionDrivesTheQueue) {
  FakeClock clock;
  WorkQueue q(clock);
  applyAction(q, "k", retryWithBackoff());
  applyAction(q, "k", retryWithBackoff());
  EXPECT_EQ(q.numRequeues("k"), 2);
  clock.advance(5ms);
  ASSERT_EQ(q.tryGet(), "k");
  q.done("k");
  applyAction(q, "k", requeue(1min));
  EXPECT_EQ(q.numRequeues("k"), 0) << "success resets the backoff";
  clock.advance(59s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1s);
  ASSERT_EQ(q.tryGet(), "k");
  q.done("k");
  applyAction(q, "k", awaitChange());
  clock.advance(1h);
  EXPECT_EQ(q.tryGet(), std::nullopt);
}

}  // namespace
}  // namespace mailroom::kube
