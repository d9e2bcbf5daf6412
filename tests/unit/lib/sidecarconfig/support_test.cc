// What the sidecar refuses and what it reads without enforcing yet.
#include "lib/sidecarconfig/support.h"

#include <gtest/gtest.h>

#include "tests/unit/lib/sidecarconfig/samples.h"

namespace mailroom::sidecarconfig {
namespace {

TEST(Support, MinimalDirectConfigIsFullySupported) {
  auto s = sidecarSupport(testing::minimalConfig());
  EXPECT_TRUE(s.refused.empty());
  EXPECT_TRUE(s.unenforced.empty());
}

TEST(Support, RelayIsRunAndPoliciesAreNamed) {
  auto s = sidecarSupport(testing::everyFieldConfig());
  EXPECT_TRUE(s.refused.empty());  // transports[2] is a relay: delivered since #11
  EXPECT_EQ(s.unenforced, (std::vector<std::string>{
                              "transports[0].warmup",
                              "transports[0].pause",
                          }));
}

}  // namespace
}  // namespace mailroom::sidecarconfig
