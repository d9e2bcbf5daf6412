#include "sidecar/delivery/smtp/transaction.h"

#include <gtest/gtest.h>

namespace mailroom::smtp {
namespace {

std::string payload(std::string_view m) {
  std::string out;
  appendDataPayload(out, m);
  return out;
}

TEST(DataPayload, DotStuffing) {
  // RFC 5321 §4.5.2: a line starting with "." gets one more.
  EXPECT_EQ(payload("a\r\n.\r\n..\r\n.x\r\nb.\r\n"), "a\r\n..\r\n...\r\n..x\r\nb.\r\n.\r\n");
  EXPECT_EQ(payload(".first\r\n"), "..first\r\n.\r\n");
  EXPECT_EQ(payload(""), ".\r\n");
}

TEST(DataPayload, FinalCrlfAndBareLf) {
  EXPECT_EQ(payload("no newline"), "no newline\r\n.\r\n");
  EXPECT_EQ(payload("a\nb\n.c"), "a\r\nb\r\n..c\r\n.\r\n");
  // A bare LF before "." cannot smuggle an end of data.
  EXPECT_EQ(payload("x\n.\r\nMAIL FROM:<evil>\r\n"), "x\r\n..\r\nMAIL FROM:<evil>\r\n.\r\n");
}

TEST(DataPayload, LargeMessageIsUnchangedWithoutDots) {
  std::string line(998, 'q');
  std::string m;
  for (int i = 0; i < 5000; ++i) m += line + "\r\n";
  std::string out = payload(m);
  EXPECT_EQ(out.size(), m.size() + 3);
  EXPECT_EQ(out.compare(0, m.size(), m), 0);
  EXPECT_EQ(messageSize(m), m.size());
}

TEST(MessageSize, CountsAddedLineEnds) {
  EXPECT_EQ(messageSize("abc"), 5u);
  EXPECT_EQ(messageSize("a\nb\r\n"), 6u);
}

TEST(Commands, MailParametersOnlyWhenAnnounced) {
  Transaction t;
  t.mailFrom = "bounce@example.org";
  t.message = "hello\r\n";
  t.eightBit = true;
  t.needsSmtpUtf8 = true;
  Capabilities none;
  EXPECT_EQ(mailCommand(none, t), "MAIL FROM:<bounce@example.org>\r\n");
  Capabilities all;
  all.size = 1000;
  all.eightBitMime = true;
  all.smtpUtf8 = true;
  EXPECT_EQ(mailCommand(all, t),
            "MAIL FROM:<bounce@example.org> SIZE=7 BODY=8BITMIME SMTPUTF8\r\n");
  t.mailFrom = "";
  t.eightBit = t.needsSmtpUtf8 = false;
  EXPECT_EQ(mailCommand(all, t), "MAIL FROM:<> SIZE=7\r\n");
  EXPECT_EQ(rcptCommand("u@example.net"), "RCPT TO:<u@example.net>\r\n");
}

TEST(Precheck, SizeSmtpUtf8EightBitAndInjection) {
  Transaction t;
  t.mailFrom = "a@example.org";
  t.message = "0123456789";  // 12 octets on the wire
  Capabilities caps;
  EXPECT_FALSE(precheck(caps, t).has_value());
  caps.size = 11;
  auto big = precheck(caps, t);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->code, 0);
  EXPECT_EQ(big->enhanced, "5.3.4");
  caps.size = 12;
  EXPECT_FALSE(precheck(caps, t).has_value());

  t.needsSmtpUtf8 = true;
  auto utf8 = precheck(caps, t);
  ASSERT_TRUE(utf8.has_value());
  EXPECT_EQ(utf8->enhanced, "5.6.7");
  caps.smtpUtf8 = true;
  EXPECT_FALSE(precheck(caps, t).has_value());

  t.eightBit = true;  // an 8-bit body needs 8BITMIME (RFC 6152)
  auto eight = precheck(caps, t);
  ASSERT_TRUE(eight.has_value());
  EXPECT_EQ(eight->enhanced, "5.6.3");
  caps.eightBitMime = true;
  EXPECT_FALSE(precheck(caps, t).has_value());

  t.mailFrom = "a@example.org>\r\nRCPT TO:<x@y";
  EXPECT_TRUE(precheck(caps, t).has_value());
  EXPECT_FALSE(safeAddress("x\n@y"));
  EXPECT_TRUE(safeAddress("üser@exämple.org"));
}

// Replies as real servers send them at their RCPT limit, and look-alikes that are not.
TEST(RecipientLimitReached, TellsTheLimitFromOtherRefusals) {
  struct Case {
    Reply reply;
    bool limit;
  };
  const Case cases[] = {
      {{452, "4.5.3", {"4.5.3 Error: too many recipients"}}, true},    // Postfix
      {{452, "", {"Too many recipients"}}, true},                      // no enhanced codes
      {{552, "5.5.3", {"5.5.3 Too many recipients"}}, true},           // RFC 821 style
      {{452, "4.3.1", {"4.3.1 Insufficient system storage"}}, false},  // a real 452
      {{452, "", {"Insufficient system storage"}}, false},
      {{550, "5.1.1", {"5.1.1 no such user"}}, false},
      {{451, "4.5.3", {"4.5.3 too many recipients"}}, false},  // not the RFC's code
  };
  for (const auto& c : cases)
    EXPECT_EQ(recipientLimitReached(c.reply), c.limit) << renderReply(c.reply);
}

}  // namespace
}  // namespace mailroom::smtp
