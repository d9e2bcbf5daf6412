#include <gtest/gtest.h>

#include "lib/dns/resolver.h"

namespace mailroom::dns {
namespace {

TEST(ReverseName, Ipv4) {
  EXPECT_EQ(reverseName(asio::ip::make_address("198.51.100.10")), "10.100.51.198.in-addr.arpa");
}

TEST(ReverseName, Ipv6NibblesRfc3596) {
  EXPECT_EQ(reverseName(asio::ip::make_address("2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST(NormalizeName, LowersAndStripsOneDot) {
  EXPECT_EQ(normalizeName("Mail.Example.COM."), "mail.example.com");
  EXPECT_EQ(normalizeName("example.com"), "example.com");
}

}  // namespace
}  // namespace mailroom::dns
