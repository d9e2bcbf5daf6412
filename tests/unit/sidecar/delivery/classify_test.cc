#include <gtest/gtest.h>

#include "sidecar/delivery/classify.h"

namespace mailroom::delivery {
namespace {

TEST(ClassifyReply, GmailIpv6NoPtrByEnhancedCode) {
  auto text =
      "The IP address sending this message does not have a PTR record setup, or the "
      "corresponding forward DNS entry does not point to the sending IP. [2001:db8:5::10]";
  EXPECT_EQ(classifyReply(550, "5.7.25", text), Classification::kReversePtr);
  EXPECT_EQ(quotedClientIp(text), "2001:db8:5::10");
}

TEST(ClassifyReply, PostfixReverseHostnameByText) {
  auto text =
      "<unknown[2001:db8:5::10]>: Client host rejected: cannot find your reverse hostname, "
      "[2001:db8:5::10]";
  EXPECT_EQ(classifyReply(550, "5.7.1", text), Classification::kReversePtr);
  EXPECT_EQ(quotedClientIp(text), "2001:db8:5::10");
}

TEST(ClassifyReply, OtherClasses) {
  EXPECT_EQ(classifyReply(550, "5.7.26", "Unauthenticated email is not accepted"),
            Classification::kDmarc);
  EXPECT_EQ(classifyReply(550, "5.7.23", ""), Classification::kSpf);
  EXPECT_EQ(classifyReply(554, "5.7.1",
                          "Service unavailable; Client host [198.51.100.11] blocked "
                          "using zen.spamhaus.org"),
            Classification::kBlocklist);
  EXPECT_EQ(classifyReply(421, "4.7.28", "rate limited"), Classification::kRateLimit);
  EXPECT_EQ(classifyReply(550, "5.1.1", "user unknown"), Classification::kMailbox);
  EXPECT_EQ(classifyReply(250, "2.0.0", "Ok"), Classification::kNone);
  EXPECT_EQ(classifyReply(451, "4.3.0", "temporary failure"), Classification::kNone);
}

TEST(QuotedClientIp, Ipv4AndNone) {
  EXPECT_EQ(quotedClientIp("Client host [198.51.100.11] blocked"), "198.51.100.11");
  EXPECT_EQ(quotedClientIp("5.7.1 policy 12:30 rejected"), "");
  EXPECT_EQ(quotedClientIp("version 1.2.3 only"), "");
}

}  // namespace
}  // namespace mailroom::delivery
