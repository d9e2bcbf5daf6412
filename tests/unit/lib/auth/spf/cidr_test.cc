#include "lib/auth/spf/cidr.h"

#include <gtest/gtest.h>

namespace mailroom::spf {
namespace {

dns::Address ip(const char* s) {
  return asio::ip::make_address(s);
}

TEST(SpfCidr, MatchesPrefixesOfEachFamily) {
  EXPECT_TRUE(inNetwork(ip("198.51.100.77"), ip("198.51.100.0"), 24));
  EXPECT_FALSE(inNetwork(ip("198.51.101.77"), ip("198.51.100.0"), 24));
  EXPECT_TRUE(inNetwork(ip("198.51.100.77"), ip("198.51.100.64"), 26));
  EXPECT_FALSE(inNetwork(ip("198.51.100.77"), ip("198.51.100.0"), 26));
  EXPECT_TRUE(inNetwork(ip("203.0.113.9"), ip("198.51.100.1"), 0));
  EXPECT_TRUE(inNetwork(ip("198.51.100.1"), ip("198.51.100.1"), 32));
  EXPECT_FALSE(inNetwork(ip("198.51.100.2"), ip("198.51.100.1"), 32));
  EXPECT_TRUE(inNetwork(ip("2001:db8:1::5"), ip("2001:db8::"), 32));
  EXPECT_FALSE(inNetwork(ip("2001:db9::5"), ip("2001:db8::"), 32));
  EXPECT_TRUE(inNetwork(ip("2001:db8::5"), ip("2001:db8::4"), 126));
  EXPECT_FALSE(inNetwork(ip("2001:db8::5"), ip("2001:db8::4"), 128));
}

TEST(SpfCidr, FamiliesNeverMix) {
  EXPECT_FALSE(inNetwork(ip("198.51.100.1"), ip("::"), 0));
  EXPECT_FALSE(inNetwork(ip("2001:db8::1"), ip("0.0.0.0"), 0));
  EXPECT_FALSE(inNetwork(ip("::ffff:198.51.100.1"), ip("198.51.100.1"), 32));
}

TEST(SpfCidr, UnmapsIpv4MappedAddresses) {
  EXPECT_EQ(unmapV4(ip("::ffff:198.51.100.1")), ip("198.51.100.1"));
  EXPECT_EQ(unmapV4(ip("2001:db8::1")), ip("2001:db8::1"));
  EXPECT_EQ(unmapV4(ip("203.0.113.4")), ip("203.0.113.4"));
}

}  // namespace
}  // namespace mailroom::spf
