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

TEST(Support, RelayIsRefusedAndPoliciesAreNamed) {
  auto s = sidecarSupport(testing::everyFieldConfig());
  ASSERT_EQ(s.refused.size(), 1u);
  EXPECT_NE(s.refused[0].find("transports[2].relay (transport \"smarthost\"): relay transports "
                              "are not supported by this sidecar build yet"),
            std::string::npos)
      << s.refused[0];
  EXPECT_EQ(s.unenforced, (std::vector<std::string>{
                              "transports[0].warmup",
                              "transports[0].pause",
                          }));
}

}  // namespace
}  // namespace mailroom::sidecarconfig
