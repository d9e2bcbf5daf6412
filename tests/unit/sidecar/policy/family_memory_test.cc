// The learned address family as a pure policy: an injected clock, the text form round trip,
// damaged lines skipped.
#include "sidecar/policy/family_memory.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

using namespace std::chrono_literals;
using TP = FamilyMemory::TimePoint;

const TP t0 = TP(std::chrono::seconds(1'800'000'000));

TEST(FamilyMemory, InForceUntilItsTimeThenGone) {
  FamilyMemory m;
  EXPECT_EQ(m.inForce("gmail.com", t0), nullptr);
  m.learn("gmail.com", AddressFamily::kIpv6, t0, 24h, "550 5.7.25 no PTR");
  const auto* e = m.inForce("gmail.com", t0 + 23h);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rejected, AddressFamily::kIpv6);
  EXPECT_EQ(e->until, t0 + 24h);
  EXPECT_EQ(m.inForce("yahoo.com", t0), nullptr);  // per destination
  EXPECT_EQ(m.inForce("gmail.com", t0 + 24h), nullptr);
  EXPECT_FALSE(m.forgetExpired(t0 + 1h));
  EXPECT_TRUE(m.forgetExpired(t0 + 25h));
  EXPECT_TRUE(m.empty());
}

TEST(FamilyMemory, TheLatestLessonWins) {
  FamilyMemory m;
  m.learn("example.net", AddressFamily::kIpv6, t0, 24h, "first");
  m.learn("example.net", AddressFamily::kIpv4, t0 + 1h, 2h, "second");
  const auto* e = m.inForce("example.net", t0 + 2h);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rejected, AddressFamily::kIpv4);
  EXPECT_EQ(e->until, t0 + 3h);
  EXPECT_EQ(m.entries().size(), 1u);
}

TEST(FamilyMemory, TextFormRoundTripsAndSkipsDamage) {
  FamilyMemory m;
  m.learn("gmail.com", AddressFamily::kIpv6, t0, 24h, "550 5.7.25 multi\nline");
  m.learn("example.net", AddressFamily::kIpv4, t0, 1h, "");
  const std::string text = m.serialize();
  EXPECT_EQ(text,
            "example.net IPv4 1800003600 \n"
            "gmail.com IPv6 1800086400 550 5.7.25 multi line\n");
  size_t skipped = 9;
  auto back = FamilyMemory::parse(text, &skipped);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(back.entries(), m.entries());

  auto damaged = FamilyMemory::parse(
      "gmail.com IPv6 1800086400 ok\nbroken\nx.org IPv5 1 r\ny.org IPv4 12ab r\n\n", &skipped);
  EXPECT_EQ(skipped, 3u);
  ASSERT_EQ(damaged.entries().size(), 1u);
  EXPECT_EQ(damaged.entries()[0].destination, "gmail.com");
  EXPECT_EQ(damaged.entries()[0].reason, "ok");
}

}  // namespace
}  // namespace mailroom::policy
