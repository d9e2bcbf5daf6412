#include <gtest/gtest.h>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::testing {
namespace {

TEST(FakeResolver, KeepsNxdomainNodataAndFailuresApart) {
  FakeResolver r;
  r.addMx("example.com", 10, "mx.example.com.");
  r.addA("mx.example.com", "198.51.100.25");
  r.fail("broken.example", FakeResolver::Type::kTxt, dns::Status::kTempFail);

  auto mx = runTask(r.mx("Example.com."));
  ASSERT_EQ(mx.status, dns::Status::kOk);
  EXPECT_EQ(mx.records[0].host, "mx.example.com");
  EXPECT_EQ(runTask(r.txt("example.com")).status, dns::Status::kNoData);
  EXPECT_EQ(runTask(r.txt("nope.example.com")).status, dns::Status::kNxDomain);
  EXPECT_EQ(runTask(r.txt("broken.example")).status, dns::Status::kTempFail);
  EXPECT_EQ(r.queries(FakeResolver::Type::kTxt, "example.com"), 1);
}

TEST(FakeResolver, PtrByAddress) {
  FakeResolver r;
  r.addPtr("2001:db8::10", "mail.example.com");
  auto p = runTask(r.ptr(asio::ip::make_address("2001:db8::10")));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.records.at(0), "mail.example.com");
}

}  // namespace
}  // namespace mailroom::testing
