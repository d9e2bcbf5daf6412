// The engine end to end inside one process: a real spool in a temporary directory, the
// map-backed FakeResolver, in-process FakeSmtpServers on loopback (port 0; a second server on
// another loopback address or ::1 shares the first one's port, as MX hosts share port 25), an
// injected clock that never moves (so deferred recipients are not retried here), and a sink
// that records every published outcome. No sleeps: each test runs the io_context until the
// outcomes it waits for were published; a watchdog fails it if they never are.
#include "tests/unit/sidecar/delivery/engine_fixture.h"

namespace mailroom::delivery {
namespace {

using namespace std::chrono_literals;
using namespace testing_engine;
using mailroom::testing::FakeSmtpServer;
using mailroom::testing::SmtpAction;

TEST_F(EngineTest, DeliversToTheMxInOneTransaction) {
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept({"a@example.net", "b@Example.NET"});

  run({id}, 2);

  ASSERT_EQ(mx.connections().size(), 1u);
  ASSERT_EQ(mx.connections()[0]->messages.size(), 1u);
  EXPECT_EQ(mx.connections()[0]->messages[0].recipients,
            (std::vector<std::string>{"a@example.net", "b@Example.NET"}));
  for (size_t i = 0; i < 2; ++i) {
    auto r = stored(id, i);
    EXPECT_EQ(r.state, spool::RecipientState::kDelivered);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.mxHost, "mx1.example.net");
  }
  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kDelivered);
  EXPECT_EQ(a.messageId, id);
  EXPECT_EQ(a.destination, "example.net");
  EXPECT_EQ(a.mxHost, "mx1.example.net");
  EXPECT_EQ(a.ip, "127.0.0.1");
  EXPECT_EQ(a.sourceIp, "127.0.0.1");
  EXPECT_EQ(a.family, AddressFamily::kIpv4);
  EXPECT_EQ(a.reply.code, 250);
  EXPECT_EQ(a.attempt, 1);
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0].outcome, "delivered");
  EXPECT_EQ(outcomeFor("b@Example.NET").destination, "example.net");
  EXPECT_EQ(
      metrics_.value("mailroom_delivered_total", {{"domain", "example.net"}, {"family", "ipv4"}}),
      2);
  EXPECT_EQ(metrics_.value("mailroom_smtp_replies_total", {{"class", "2xx"}}), 2);
}

TEST_F(EngineTest, NextMxOnConnectionFailureAndOn4xx) {
  auto& good = server("127.0.0.1");
  auto& busy = server("127.0.0.2", [](const auto&, const testing::SmtpCommand& c) {
    return c.verb == "RCPT" ? SmtpAction::say("451 4.3.2 try again later")
                            : SmtpAction::byDefault();
  });
  // mx1: nothing listens on 127.0.0.3 (connection refused); mx2 answers 4xx; mx3 takes it.
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addMx("example.net", 20, "mx2.example.net");
  resolver_.addMx("example.net", 30, "mx3.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.3");
  resolver_.addA("mx2.example.net", "127.0.0.2");
  resolver_.addA("mx3.example.net", "127.0.0.1");
  auto id = accept({"a@example.net"});

  run({id}, 1);

  EXPECT_EQ(busy.connections().size(), 1u);
  ASSERT_EQ(good.connections().size(), 1u);
  EXPECT_EQ(good.connections()[0]->messages.size(), 1u);
  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kDelivered);
  EXPECT_EQ(a.mxHost, "mx3.example.net");
  EXPECT_EQ(a.attempt, 1);
  ASSERT_EQ(a.rows.size(), 3u);
  EXPECT_EQ(a.rows[0].outcome, "connect-failed");
  EXPECT_EQ(a.rows[0].mxHost, "mx1.example.net");
  EXPECT_EQ(a.rows[1].outcome, "deferred");
  EXPECT_EQ(a.rows[1].reply.code, 451);
  EXPECT_EQ(a.rows[2].outcome, "delivered");
  EXPECT_EQ(stored(id, 0).history.size(), 3u);
  EXPECT_EQ(metrics_.value("mailroom_smtp_replies_total", {{"class", "4xx"}}), 1);
}

TEST_F(EngineTest, AllMxTemporaryDefersWithTheLastReply) {
  server("127.0.0.1", [](const auto&, const testing::SmtpCommand& c) {
    return c.verb == "RCPT" ? SmtpAction::say("450 4.7.28 rate limited, try again later")
                            : SmtpAction::byDefault();
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept({"a@example.net"});

  run({id}, 1);

  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kDeferred);
  EXPECT_EQ(a.reply.code, 450);
  EXPECT_EQ(a.classification, Classification::kRateLimit);
  EXPECT_EQ(a.mxHost, "mx1.example.net");
  EXPECT_EQ(a.family, AddressFamily::kIpv4);
  auto r = stored(id, 0);
  EXPECT_EQ(r.state, spool::RecipientState::kDeferred);
  EXPECT_EQ(r.nextAttempt, now_ + 300s);  // the retry policy's first backoff
  EXPECT_EQ(
      metrics_.value("mailroom_deferred_total", {{"domain", "example.net"}, {"family", "ipv4"}}),
      1);
}

TEST_F(EngineTest, SecondAttemptAfterTheBackoffCarriesItsNumberAndOnlyItsRows) {
  int rcpts = 0;
  server("127.0.0.1", [&](const auto&, const testing::SmtpCommand& c) {
    if (c.verb == "RCPT" && ++rcpts == 1) return SmtpAction::say("451 4.3.0 try later");
    return SmtpAction::byDefault();
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept({"a@example.net"});
  onSeen_ = [&](const Seen& s) {
    if (s.outcome != Outcome::kDeferred) return;
    now_ += 300s;          // the first backoff has passed
    engine_->enqueue(id);  // and the engine is told so (its timer runs on real time)
  };

  run({id}, 2);

  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].outcome, Outcome::kDeferred);
  EXPECT_EQ(seen_[0].attempt, 1);
  EXPECT_EQ(seen_[1].outcome, Outcome::kDelivered);
  EXPECT_EQ(seen_[1].attempt, 2);
  ASSERT_EQ(seen_[1].rows.size(), 1u);  // the first attempt's row is not repeated
  EXPECT_EQ(seen_[1].rows[0].outcome, "delivered");
  auto r = stored(id, 0);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.history.size(), 2u);
}

TEST_F(EngineTest, PermanentReplyBouncesThatRecipientOnly) {
  auto& mx = server("127.0.0.1", [](const auto&, const testing::SmtpCommand& c) {
    return c.verb == "RCPT" && c.arg.find("nobody@") != std::string::npos
               ? SmtpAction::say("550 5.1.1 no such user")
               : SmtpAction::byDefault();
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept({"nobody@example.net", "a@example.net"});

  run({id}, 2);

  const Seen& nobody = outcomeFor("nobody@example.net");
  EXPECT_EQ(nobody.outcome, Outcome::kBounced);
  EXPECT_EQ(nobody.reply.code, 550);
  EXPECT_EQ(nobody.reply.enhanced, "5.1.1");
  EXPECT_EQ(nobody.classification, Classification::kMailbox);
  EXPECT_EQ(outcomeFor("a@example.net").outcome, Outcome::kDelivered);
  EXPECT_EQ(stored(id, 0).state, spool::RecipientState::kBounced);
  EXPECT_EQ(stored(id, 1).state, spool::RecipientState::kDelivered);
  ASSERT_EQ(mx.connections().size(), 1u);  // a 5xx is final: no other target was tried
  EXPECT_EQ(
      metrics_.value("mailroom_bounced_total", {{"domain", "example.net"}, {"family", "ipv4"}}), 1);
}

// Gmail's "421 4.7.28 ... rate limited" holds the whole destination (a defer-destination
// response rule): the next message there waits in its queue, unattempted, instead of meeting
// the same reply.
TEST_F(EngineTest, RateLimitReplyHoldsTheWholeDestination) {
  maxConnections(1);
  int rcpts = 0;
  auto& mx = server("127.0.0.1", [&](const auto&, const testing::SmtpCommand& c) {
    if (c.verb != "RCPT") return SmtpAction::byDefault();
    ++rcpts;
    return SmtpAction::say(
        "421-4.7.28 [127.0.0.1] Our system has detected an unusual rate of\r\n"
        "421 4.7.28 unsolicited mail originating from your IP address. - gsmtp");
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto first = accept({"a@example.net"});
  auto second = accept({"b@example.net"});

  run({first, second}, 1);

  EXPECT_EQ(rcpts, 1);  // the second message never reached the server
  EXPECT_EQ(seen_[0].outcome, Outcome::kDeferred);
  EXPECT_EQ(seen_[0].reply.enhanced, "4.7.28");
  EXPECT_EQ(engine_->waiting(), 1u);
  EXPECT_EQ(engine_->active(), 0);
  EXPECT_EQ(metrics_.value("mailroom_destination_deferred_total",
                           {{"domain", "example.net"}, {"rule", "gmail-rate-limited"}}),
            1);
  EXPECT_EQ(mx.connections().size(), 1u);
}

// Microsoft's S3150 (our address is on its block list): that recipient bounces, and the
// destination is paused, so the next message waits instead of bouncing too.
TEST_F(EngineTest, BlocklistReplyPausesTheDestination) {
  maxConnections(1);
  int rcpts = 0;
  server("127.0.0.1", [&](const auto&, const testing::SmtpCommand& c) {
    if (c.verb != "RCPT") return SmtpAction::byDefault();
    ++rcpts;
    return SmtpAction::say(
        "550 5.7.1 Unfortunately, messages from [127.0.0.1] weren't sent. Please contact your "
        "Internet service provider since part of their network is on our block list (S3150).");
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto first = accept({"a@example.net"});
  auto second = accept({"b@example.net"});

  run({first, second}, 1);

  EXPECT_EQ(rcpts, 1);
  EXPECT_EQ(seen_[0].outcome, Outcome::kBounced);
  EXPECT_EQ(engine_->waiting(), 1u);
  EXPECT_EQ(metrics_.value("mailroom_destination_deferred_total",
                           {{"domain", "example.net"}, {"rule", "microsoft-blocklist-s3150"}}),
            1);
}

// The transport's own rules go first; `action: none` turns a built-in rule off.
TEST_F(EngineTest, ConfiguredResponseRulesOverrideTheBuiltInOnes) {
  maxConnections(1);
  config_->transports[0].responseRules = {
      {"gmail-rate-limited", {}, "", "", "", "none", std::chrono::seconds(0)},
      {"please-slow-down", {451}, "", "slow down", "", "defer-destination", 10min}};
  int rcpts = 0;
  server("127.0.0.1", [&](const auto&, const testing::SmtpCommand& c) {
    if (c.verb != "RCPT") return SmtpAction::byDefault();
    if (++rcpts == 1)
      return SmtpAction::say("421 4.7.28 rate limited");  // built-in rule off: no hold
    return SmtpAction::say("451 4.7.1 Please SLOW DOWN");
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto first = accept({"a@example.net"});
  auto second = accept({"b@example.net"});
  auto third = accept({"c@example.net"});

  run({first, second, third}, 2);

  EXPECT_EQ(rcpts, 2);  // the second message's reply holds the destination: the third waits
  EXPECT_EQ(engine_->waiting(), 1u);
  EXPECT_EQ(metrics_.value("mailroom_destination_deferred_total",
                           {{"domain", "example.net"}, {"rule", "please-slow-down"}}),
            1);
}

// RFC 5321 §4.5.3.1.10: a server at its RCPT limit answers 452 (Postfix: "452 4.5.3 Error: too
// many recipients"); the rest go in the next transaction on the same connection at once, in
// the same attempt, not into the retry queue.
TEST_F(EngineTest, RecipientsOverTheServersLimitGoInTheNextTransactionAtOnce) {
  perTransaction(10);
  serverMaxRecipients_ = 3;
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept(numbered(12));

  run({id}, 12);

  ASSERT_EQ(mx.connections().size(), 1u);
  // 10 sent, 3 taken; the 7 refused go after the 2 not yet sent: 3 of 9, 3 of 6, 3.
  EXPECT_EQ(transactionSizes(mx), (std::vector<size_t>{3, 3, 3, 3}));
  for (size_t i = 0; i < 12; ++i) {
    auto r = stored(id, i);
    EXPECT_EQ(r.state, spool::RecipientState::kDelivered) << r.address << ": " << r.summary;
    EXPECT_EQ(r.attempts, 1);
    ASSERT_EQ(r.history.size(), 1u) << r.address;  // the 452 is not a row of its own
    EXPECT_EQ(r.history[0].outcome, "delivered");
  }
}

TEST_F(EngineTest, RecipientsPerTransactionAreCappedAtFiftyByDefault) {
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept(numbered(120));

  run({id}, 120);

  ASSERT_EQ(mx.connections().size(), 1u);
  EXPECT_EQ(transactionSizes(mx), (std::vector<size_t>{50, 50, 20}));
  for (size_t i = 0; i < 120; ++i)
    EXPECT_EQ(stored(id, i).state, spool::RecipientState::kDelivered);
}

TEST_F(EngineTest, TransactionsCountAgainstDeliveriesPerConnection) {
  perTransaction(2, 2);
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept(numbered(7));

  run({id}, 7);

  EXPECT_EQ(transactionSizes(mx), (std::vector<size_t>{2, 2, 2, 1}));
  ASSERT_EQ(mx.connections().size(), 2u);
  EXPECT_EQ(mx.connections()[0]->messages.size(), 2u);
  EXPECT_EQ(mx.connections()[1]->messages.size(), 2u);
}

// A server that takes not one RCPT of a transaction: sending again now would loop; the
// recipients are deferred with its reply.
TEST_F(EngineTest, ServerThatTakesNoRecipientsDefersThem) {
  auto& mx = server("127.0.0.1", [](const auto&, const testing::SmtpCommand& c) {
    return c.verb == "RCPT" ? SmtpAction::say("452 4.5.3 Error: too many recipients")
                            : SmtpAction::byDefault();
  });
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  auto id = accept(numbered(3));

  run({id}, 3);

  ASSERT_EQ(mx.connections().size(), 1u);
  EXPECT_EQ(mx.connections()[0]->messages.size(), 0u);
  for (size_t i = 0; i < 3; ++i) {
    auto r = stored(id, i);
    EXPECT_EQ(r.state, spool::RecipientState::kDeferred);
    EXPECT_EQ(r.lastReply.code, 452);
    EXPECT_EQ(r.lastReply.enhanced, "4.5.3");
  }
}

// The headline: a receiver that rejects us over IPv6 for want of a PTR record gets the message
// over IPv4 in the same attempt.
class FamilyFallbackTest : public EngineTest {
 protected:
  // Rejects every client that connects over IPv6, as Gmail does without a PTR record.
  static SmtpAction noPtrOverIpv6(const testing::FakeSmtpConnection& conn,
                                  const testing::SmtpCommand& c) {
    if (c.verb == "RCPT" && conn.peer.address().is_v6())
      return SmtpAction::say(
          "550-5.7.25 [::1] The IP address sending this message does not have a\r\n"
          "550 5.7.25 PTR record setup.");
    return SmtpAction::byDefault();
  }
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped()) return;
    v4_ = &server("127.0.0.1", noPtrOverIpv6);
    try {
      v6_ = &server("::1", noPtrOverIpv6);
    } catch (const std::exception& e) {
      GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    resolver_.addMx("example.net", 10, "mx.example.net");
    resolver_.addA("mx.example.net", "127.0.0.1");
    resolver_.addAaaa("mx.example.net", "::1");
  }
  FakeSmtpServer* v4_ = nullptr;
  FakeSmtpServer* v6_ = nullptr;
};

TEST_F(FamilyFallbackTest, PtrRejectionOverIpv6IsRetriedOverIpv4InTheSameAttempt) {
  direct().family = FamilyPolicy{std::nullopt, AddressFamily::kIpv6};  // Any, IPv6 first
  auto id = accept({"a@example.net"});

  run({id}, 1);

  ASSERT_EQ(v6_->connections().size(), 1u);
  EXPECT_TRUE(v6_->connections()[0]->messages.empty());
  ASSERT_EQ(v4_->connections().size(), 1u);
  EXPECT_EQ(v4_->connections()[0]->messages.size(), 1u);
  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kDelivered);
  EXPECT_EQ(a.family, AddressFamily::kIpv4);
  EXPECT_EQ(a.attempt, 1);
  ASSERT_EQ(a.rows.size(), 2u);
  EXPECT_EQ(a.rows[0].outcome, "family-fallback");
  EXPECT_EQ(a.rows[0].family, AddressFamily::kIpv6);
  EXPECT_EQ(a.rows[0].reply.enhanced, "5.7.25");
  EXPECT_EQ(a.rows[1].outcome, "delivered");
  EXPECT_EQ(a.summary.rfind("rejected over IPv6 from ::1 (no PTR); delivered over IPv4 to "
                            "mx.example.net [127.0.0.1]",
                            0),
            0u)
      << a.summary;
  auto r = stored(id, 0);
  EXPECT_EQ(r.state, spool::RecipientState::kDelivered);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(metrics_.value("mailroom_family_fallback_total", {{"from", "IPv6"}}), 1);
}

// After the rejection over IPv6, the next message to that destination goes over IPv4 first:
// no rejected connection first. The lesson is durable (the state file) and a metric.
TEST_F(FamilyFallbackTest, LaterMessagesGoToTheOtherFamilyFirst) {
  direct().family = FamilyPolicy{std::nullopt, AddressFamily::kIpv6};  // Any, IPv6 first
  spool::testing::TempDir state;
  stateDir_ = state.path();
  auto first = accept({"a@example.net"});
  std::string second;
  onSeen_ = [&](const Seen&) {
    if (!second.empty()) return;
    now_ += 1h;
    second = accept({"b@example.net"});
    engine_->enqueue(second);
  };

  run({first}, 2);

  EXPECT_EQ(v6_->connections().size(), 1u);  // the first message's only
  const Seen& b = outcomeFor("b@example.net");
  EXPECT_EQ(b.outcome, Outcome::kDelivered);
  EXPECT_EQ(b.family, AddressFamily::kIpv4);
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].outcome, "delivered");
  EXPECT_EQ(b.summary.rfind("IPv4 first: IPv6 was rejected here for reverse DNS (until ", 0), 0u)
      << b.summary;
  EXPECT_EQ(
      metrics_.value("mailroom_learned_family", {{"domain", "example.net"}, {"rejected", "IPv6"}}),
      1);

  // A restarted sidecar knows it: the lesson is in the state directory until 24 h after.
  metrics::Registry fresh;
  LearnedFamilies reloaded(state.path(), fresh);
  reloaded.load(now_);
  const auto* lesson = reloaded.inForce("example.net", now_);
  ASSERT_NE(lesson, nullptr);
  EXPECT_EQ(lesson->rejected, AddressFamily::kIpv6);
  EXPECT_EQ(lesson->until, now_ - 1h + 24h);
  EXPECT_NE(lesson->reason.find("5.7.25"), std::string::npos) << lesson->reason;
  EXPECT_EQ(reloaded.inForce("example.net", now_ + 23h + 1s), nullptr);
}

TEST_F(FamilyFallbackTest, RememberingCanBeTurnedOff) {
  direct().family = FamilyPolicy{std::nullopt, AddressFamily::kIpv6};
  direct().rememberRejectedFamily = std::chrono::seconds(0);
  auto first = accept({"a@example.net"});
  std::string second;
  onSeen_ = [&](const Seen&) {
    if (!second.empty()) return;
    second = accept({"b@example.net"});
    engine_->enqueue(second);
  };

  run({first}, 2);

  const Seen& b = outcomeFor("b@example.net");  // met the rejection first again
  ASSERT_EQ(b.rows.size(), 2u);
  EXPECT_EQ(b.rows[0].outcome, "family-fallback");
}

TEST_F(FamilyFallbackTest, Ipv6OnlyTransportBouncesOnThePtrRejection) {
  direct().family.only = AddressFamily::kIpv6;
  auto id = accept({"a@example.net"});

  run({id}, 1);

  EXPECT_TRUE(v4_->connections().empty());
  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kBounced);
  EXPECT_EQ(a.classification, Classification::kReversePtr);
  EXPECT_EQ(a.family, AddressFamily::kIpv6);
  EXPECT_NE(a.summary.find("the transport allows no other family"), std::string::npos) << a.summary;
  EXPECT_EQ(metrics_.value("mailroom_family_fallback_total", {{"from", "IPv6"}}), 0);
}

TEST_F(EngineTest, PerDestinationConnectionLimitHolds) {
  config_->delivery.concurrency = 10;
  maxConnections(2);
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx1.example.net");
  resolver_.addA("mx1.example.net", "127.0.0.1");
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(accept({"u" + std::to_string(i) + "@example.net"}));
  onSeen_ = [this](const Seen&) { EXPECT_LE(engine_->active(), 2); };

  run(ids, 8);

  EXPECT_EQ(mx.peakOpenConnections(), 2);
  size_t messages = 0;
  for (const auto& c : mx.connections()) messages += c->messages.size();
  EXPECT_EQ(messages, 8u);
  for (const auto& id : ids) {
    auto r = stored(id, 0);
    EXPECT_EQ(r.state, spool::RecipientState::kDelivered);
    EXPECT_EQ(r.attempts, 1);  // waiting for a slot is not an attempt
    EXPECT_EQ(r.history.size(), 1u);
  }
}

TEST_F(EngineTest, OneSlowDestinationDoesNotBlockAnother) {
  config_->delivery.concurrency = 3;
  maxConnections(2);
  auto& mx = server("127.0.0.1", [](const auto&, const testing::SmtpCommand& c) {
    return c.verb == "RCPT" && c.arg.find("@slow.example") != std::string::npos
               ? SmtpAction::stall()
               : SmtpAction::byDefault();
  });
  for (auto d : {"slow.example", "fast.example"}) {
    resolver_.addMx(d, 10, "mx.shared.example");
  }
  resolver_.addA("mx.shared.example", "127.0.0.1");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(accept({"u" + std::to_string(i) + "@slow.example"}));
  ids.push_back(accept({"a@fast.example"}));
  int slowInProgress = -1;
  size_t slowWaiting = 0;
  onSeen_ = [&](const Seen& s) {
    if (s.destination != "fast.example") return;
    slowInProgress = engine_->active();
    slowWaiting = engine_->waiting();
    finish();  // the stalled sessions end when the server stops
  };

  run(ids, 100);

  ASSERT_FALSE(seen_.empty());
  EXPECT_EQ(seen_[0].recipient, "a@fast.example");
  EXPECT_EQ(seen_[0].outcome, Outcome::kDelivered);
  EXPECT_EQ(slowInProgress, 2);  // the slow destination's limit, not the total of 3
  EXPECT_EQ(slowWaiting, 2u);
  for (size_t i = 1; i < seen_.size(); ++i) {
    EXPECT_EQ(seen_[i].destination, "slow.example");
    EXPECT_EQ(seen_[i].outcome, Outcome::kDeferred);  // cut off by the server's stop
  }
  EXPECT_EQ(seen_.size(), 3u);  // the two waiting ones never started
  EXPECT_GE(mx.connections().size(), 3u);
  for (int i = 2; i < 4; ++i) EXPECT_EQ(stored(ids[i], 0).attempts, 0);
}

TEST_F(EngineTest, MessagesOverTheRateWaitUnattempted) {
  // 10 a minute for slow.example (a burst of 1, then one every 6 s); none for the rest.
  messagesPerMinute("slow.example", 10);
  auto& mx = server();
  for (auto d : {"slow.example", "fast.example"}) resolver_.addMx(d, 10, "mx.shared.example");
  resolver_.addA("mx.shared.example", "127.0.0.1");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(accept({"u" + std::to_string(i) + "@slow.example"}));
  for (int i = 0; i < 2; ++i) ids.push_back(accept({"v" + std::to_string(i) + "@fast.example"}));
  size_t waiting = 0;
  onSeen_ = [&](const Seen&) { waiting = engine_->waiting(); };

  run(ids, 3);  // the clock stands still: the next slow.example message is 6 s away

  size_t messages = 0;
  for (const auto& c : mx.connections()) messages += c->messages.size();
  EXPECT_EQ(messages, 3u);
  EXPECT_EQ(outcomeFor("u0@slow.example").outcome, Outcome::kDelivered);
  EXPECT_EQ(outcomeFor("v0@fast.example").outcome, Outcome::kDelivered);
  EXPECT_EQ(outcomeFor("v1@fast.example").outcome, Outcome::kDelivered);
  EXPECT_EQ(waiting, 2u);
  for (int i = 1; i < 3; ++i) {
    auto r = stored(ids[i], 0);
    EXPECT_EQ(r.state, spool::RecipientState::kQueued);
    EXPECT_EQ(r.attempts, 0);
    EXPECT_TRUE(r.history.empty());
  }
}

TEST_F(EngineTest, NoRouteBouncesWithoutConnecting) {
  config_->transports[0].routes = {{.domains = {"example.org"}}};
  auto& mx = server();
  auto id = accept({"a@example.net"});

  run({id}, 1);

  EXPECT_TRUE(mx.connections().empty());
  const Seen& a = outcomeFor("a@example.net");
  EXPECT_EQ(a.outcome, Outcome::kBounced);
  EXPECT_EQ(a.reply.enhanced, "5.3.5");
  EXPECT_TRUE(a.rows.empty());
  EXPECT_EQ(stored(id, 0).state, spool::RecipientState::kBounced);
}

TEST_F(EngineTest, OneMessageForTwoDomainsIsOneJobPerDomain) {
  auto& mx = server();
  resolver_.addMx("example.net", 10, "mx.shared.example");
  resolver_.addMx("example.org", 10, "mx.shared.example");
  resolver_.addA("mx.shared.example", "127.0.0.1");
  auto id = accept({"a@example.net", "b@example.org", "c@example.net"});

  run({id}, 3);

  size_t transactions = 0;
  for (const auto& c : mx.connections()) transactions += c->messages.size();
  EXPECT_EQ(transactions, 2u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored(id, i).state, spool::RecipientState::kDelivered) << i;
    EXPECT_EQ(stored(id, i).attempts, 1) << i;
  }
  EXPECT_EQ(outcomeFor("c@example.net").destination, "example.net");
  EXPECT_EQ(outcomeFor("b@example.org").destination, "example.org");
}

}  // namespace
}  // namespace mailroom::delivery
