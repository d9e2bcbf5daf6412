#include "lib/auth/ptr/ptr.h"

#include <gtest/gtest.h>

#include "tests/mocks/fake_resolver.h"

namespace mailroom::auth::ptr {
namespace {

using testing::FakeResolver;
using testing::runTask;

dns::Address ip(const char* s) {
  return asio::ip::make_address(s);
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(UnderEhlo, EqualOrSubdomainOnly) {
  EXPECT_TRUE(underEhlo("mail.example.com", "mail.example.com."));
  EXPECT_TRUE(underEhlo("Mail.Example.com", "example.com"));
  EXPECT_FALSE(underEhlo("badexample.com", "example.com"));
  EXPECT_FALSE(underEhlo("example.com", "mail.example.com"));
  EXPECT_FALSE(underEhlo("mail.example.com", ""));
}

TEST(CheckPtr, Ipv4ForwardConfirmedAndEqualToEhloPasses) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "Mail.Example.com.");
  r.addA("mail.example.com", "198.51.100.10");
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kPass) << v.reason;
  EXPECT_EQ(v.family, AddressFamily::kIpv4);
  EXPECT_EQ(v.ptrNames, std::vector<std::string>{"mail.example.com"});
  EXPECT_TRUE(v.forwardConfirmed);
  EXPECT_EQ(v.confirmedName, "mail.example.com");
  EXPECT_TRUE(v.matchesEhlo);
  EXPECT_EQ(r.queries(FakeResolver::Type::kAaaa, "mail.example.com"), 0);
}

TEST(CheckPtr, Ipv6UsesAaaaAndNameUnderEhloPasses) {
  FakeResolver r;
  r.addPtr("2001:db8:5::10", "out1.mail.example.com");
  r.addAaaa("out1.mail.example.com", "2001:db8:5::10");
  r.addA("out1.mail.example.com", "198.51.100.10");
  auto v = runTask(checkPtr(r, ip("2001:db8:5::10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kPass) << v.reason;
  EXPECT_EQ(v.family, AddressFamily::kIpv6);
  EXPECT_TRUE(v.matchesEhlo);
  EXPECT_EQ(r.queries(FakeResolver::Type::kA, "out1.mail.example.com"), 0);
  EXPECT_TRUE(contains(v.reason, "under the EHLO name")) << v.reason;
}

TEST(CheckPtr, Ipv6WithoutPtrExplainsGmailRejection) {
  FakeResolver r;
  auto v = runTask(checkPtr(r, ip("2001:db8:5::10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kNoPtr);
  EXPECT_TRUE(v.ptrNames.empty());
  EXPECT_FALSE(v.forwardConfirmed);
  EXPECT_TRUE(contains(v.reason, "IPv6 2001:db8:5::10 has no PTR record")) << v.reason;
  EXPECT_TRUE(contains(v.reason, "550 5.7.25")) << v.reason;
  EXPECT_TRUE(contains(v.reason, "IPv4 only")) << v.reason;
}

TEST(CheckPtr, NoDataIsNoPtrToo) {
  FakeResolver r;
  r.addName(dns::reverseName(ip("198.51.100.11")));
  auto v = runTask(checkPtr(r, ip("198.51.100.11"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kNoPtr) << v.reason;
  EXPECT_TRUE(contains(v.reason, "IPv4 198.51.100.11 has no PTR record")) << v.reason;
}

TEST(CheckPtr, ForwardPointingElsewhereIsNotConfirmed) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.99");
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kNotForwardConfirmed) << v.reason;
  EXPECT_FALSE(v.forwardConfirmed);
  EXPECT_FALSE(v.matchesEhlo);
  EXPECT_TRUE(contains(v.reason, "add A mail.example.com -> 198.51.100.10")) << v.reason;
}

TEST(CheckPtr, ForwardNxdomainIsNotConfirmed) {
  FakeResolver r;
  r.addPtr("2001:db8::25", "ghost.example.net");
  auto v = runTask(checkPtr(r, ip("2001:db8::25"), "ghost.example.net"));
  EXPECT_EQ(v.outcome, Outcome::kNotForwardConfirmed) << v.reason;
  EXPECT_TRUE(contains(v.reason, "nxdomain")) << v.reason;
  EXPECT_TRUE(contains(v.reason, "AAAA")) << v.reason;
}

TEST(CheckPtr, ConfirmedNameDifferentFromEhloIsMismatch) {
  FakeResolver r;
  r.addPtr("203.0.113.5", "203-0-113-5.cloud.example.net");
  r.addA("203-0-113-5.cloud.example.net", "203.0.113.5");
  auto v = runTask(checkPtr(r, ip("203.0.113.5"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kEhloMismatch) << v.reason;
  EXPECT_TRUE(v.forwardConfirmed);
  EXPECT_FALSE(v.matchesEhlo);
  EXPECT_EQ(v.confirmedName, "203-0-113-5.cloud.example.net");
  EXPECT_TRUE(contains(v.reason, "set the EHLO hostname to 203-0-113-5.cloud.example.net"))
      << v.reason;
}

TEST(CheckPtr, PrefersTheConfirmedNameThatMatchesEhlo) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "generic.example.net");
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addA("generic.example.net", "198.51.100.10");
  r.addA("mail.example.com", "198.51.100.10");
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kPass) << v.reason;
  EXPECT_EQ(v.confirmedName, "mail.example.com");
  EXPECT_EQ(v.ptrNames.size(), 2u);
}

TEST(CheckPtr, PtrLookupFailureIsTempErrorNeverPass) {
  for (auto status : {dns::Status::kTempFail, dns::Status::kTimeout}) {
    FakeResolver r;
    r.fail(dns::reverseName(ip("198.51.100.10")), FakeResolver::Type::kPtr, status);
    auto v = runTask(checkPtr(r, ip("198.51.100.10"), "mail.example.com"));
    EXPECT_EQ(v.outcome, Outcome::kTempError) << v.reason;
    EXPECT_TRUE(contains(v.reason, "could not check")) << v.reason;
  }
}

TEST(CheckPtr, ForwardLookupFailureIsTempError) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "mail.example.com");
  r.fail("mail.example.com", FakeResolver::Type::kA, dns::Status::kTimeout);
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kTempError) << v.reason;
  EXPECT_FALSE(v.forwardConfirmed);
  EXPECT_TRUE(contains(v.reason, "could not check")) << v.reason;
}

TEST(CheckPtr, AtMostTenPtrNamesAreLookedUp) {
  FakeResolver r;
  for (int i = 0; i < 12; ++i) r.addPtr("198.51.100.10", "h" + std::to_string(i) + ".example.com");
  r.addA("h11.example.com", "198.51.100.10");  // only the 12th would confirm
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), "h11.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kNotForwardConfirmed) << v.reason;
  EXPECT_EQ(v.ptrNames.size(), 12u);
  EXPECT_EQ(r.totalQueries(), 1 + static_cast<int>(kMaxPtrNames));
  EXPECT_EQ(r.queries(FakeResolver::Type::kA, "h11.example.com"), 0);
  EXPECT_TRUE(contains(v.reason, "only the first 10 of 12")) << v.reason;
}

TEST(CheckPtr, Ipv4MappedAddressIsCheckedAsIpv4) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.10");
  auto v = runTask(checkPtr(r, ip("::ffff:198.51.100.10"), "mail.example.com"));
  EXPECT_EQ(v.outcome, Outcome::kPass) << v.reason;
  EXPECT_EQ(v.family, AddressFamily::kIpv4);
  EXPECT_EQ(v.ip, ip("198.51.100.10"));
}

TEST(CheckPtr, EmptyEhloChecksFcrdnsOnly) {
  FakeResolver r;
  r.addPtr("198.51.100.10", "mail.example.com");
  r.addA("mail.example.com", "198.51.100.10");
  auto v = runTask(checkPtr(r, ip("198.51.100.10"), ""));
  EXPECT_EQ(v.outcome, Outcome::kPass) << v.reason;
  EXPECT_FALSE(v.matchesEhlo);
  EXPECT_TRUE(contains(v.reason, "EHLO name not checked")) << v.reason;
}

TEST(OutcomeName, Names) {
  EXPECT_STREQ(outcomeName(Outcome::kNotForwardConfirmed), "notForwardConfirmed");
  EXPECT_STREQ(familyName(AddressFamily::kIpv6), "IPv6");
}

}  // namespace
}  // namespace mailroom::auth::ptr
