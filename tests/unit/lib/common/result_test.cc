#include <gtest/gtest.h>

#include "lib/common/result.h"

namespace mailroom {
namespace {

Result<int> half(int x) {
  if (x % 2) return Error::invalidArgument("odd");
  return x / 2;
}

TEST(Result, ValueOrError) {
  auto a = half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  auto b = half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, ErrorKind::kInvalidArgument);
  Result<void> v;
  EXPECT_TRUE(v.ok());
  Result<void> e = Error::temporary("later");
  EXPECT_EQ(e.error().kind, ErrorKind::kTemporary);
}

}  // namespace
}  // namespace mailroom
