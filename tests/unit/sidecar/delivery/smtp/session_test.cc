// Session against the in-process fake server (tests/mocks/fake_smtp_server.h): every test runs
// client and server on one io_context over loopback, port 0.
#include "sidecar/delivery/smtp/session.h"

#include <gtest/gtest.h>

#include <boost/asio/ssl.hpp>

#include "tests/mocks/fake_smtp_server.h"

namespace mailroom::smtp {
namespace {

using namespace std::chrono_literals;
using testing::FakeSmtpOptions;
using testing::FakeSmtpServer;
using testing::SmtpAction;
using testing::SmtpCommand;

constexpr std::string_view kMessage = "From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";

class SessionTest : public ::testing::Test {
 protected:
  void start(FakeSmtpOptions o = {}) {
    server_ = std::make_unique<FakeSmtpServer>(io_.get_executor(), std::move(o));
  }
  SessionOptions options() {
    SessionOptions o;
    o.ehloHostname = "client.example.org";
    o.serverName = "mx.fake.test";
    o.tls = TlsPolicy::kNone;
    // Short enough that a broken test fails fast, long enough for a loaded machine.
    for (auto* t : {&o.timeouts.connect, &o.timeouts.greeting, &o.timeouts.ehlo,
                    &o.timeouts.starttls, &o.timeouts.mail, &o.timeouts.rcpt, &o.timeouts.dataInit,
                    &o.timeouts.dataBlock, &o.timeouts.dataTerm, &o.timeouts.quit}) {
      *t = 20s;
    }
    return o;
  }
  // Runs the client coroutine to completion, then stops the server so run() returns.
  template <class F>
  void run(F f) {
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> Task<void> {
          co_await f();
          done = true;
          server_->stop();
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io_.run();
    ASSERT_TRUE(done);
  }
  Task<std::variant<std::unique_ptr<Session>, SessionError>> open(
      SessionOptions o, std::optional<asio::ip::address> source = std::nullopt) {
    co_return co_await Session::open(io_.get_executor(), server_->endpoint(), source, o);
  }
  Task<std::unique_ptr<Session>> openOk(SessionOptions o) {
    auto r = co_await open(o);
    if (auto* e = std::get_if<SessionError>(&r)) {
      ADD_FAILURE() << "open failed: " << e->message;
      co_return nullptr;
    }
    co_return std::move(std::get<0>(r));
  }
  static Transaction txn(std::vector<std::string> rcpts, std::string_view message = kMessage) {
    Transaction t;
    t.mailFrom = "bounce@example.org";
    t.recipients = std::move(rcpts);
    t.message = message;
    return t;
  }
  const testing::FakeSmtpConnection& conn(size_t i = 0) {
    EXPECT_GT(server_->connections().size(), i);
    return *server_->connections().at(i);
  }

  asio::io_context io_;
  std::unique_ptr<FakeSmtpServer> server_;
};

TEST_F(SessionTest, DeliversPipelined) {
  start();
  TransactionResult res;
  std::string greeting;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    greeting = s->greeting().text();
    EXPECT_TRUE(s->capabilities().pipelining);
    EXPECT_FALSE(s->tlsActive());
    {
      Transaction t_ = txn({"one@example.net", "two@example.net"});
      res = co_await s->send(t_);
    }
    co_await s->quit();
  });
  EXPECT_EQ(greeting, "mx.fake.test ESMTP fake");
  ASSERT_FALSE(res.error.has_value()) << res.error->message;
  ASSERT_EQ(res.recipients.size(), 2u);
  for (const auto& r : res.recipients) {
    EXPECT_TRUE(r.delivered);
    EXPECT_EQ(r.reply.code, 250);
    EXPECT_EQ(r.reply.enhanced, "2.0.0");
  }
  const auto& c = conn();
  EXPECT_EQ(c.ehloName, "client.example.org");
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].data, kMessage);
  EXPECT_EQ(c.messages[0].mailFrom, "bounce@example.org");
  EXPECT_EQ(c.messages[0].mailParams, " SIZE=" + std::to_string(kMessage.size()));
  EXPECT_EQ(c.messages[0].recipients,
            (std::vector<std::string>{"one@example.net", "two@example.net"}));
  // RFC 2920: MAIL, RCPTs and DATA in one write, so the server reads them together.
  std::vector<std::string> group = {
      "MAIL FROM:<bounce@example.org> SIZE=" + std::to_string(kMessage.size()),
      "RCPT TO:<one@example.net>", "RCPT TO:<two@example.net>", "DATA"};
  bool found = false;
  for (const auto& b : c.batches) found = found || b == group;
  EXPECT_TRUE(found);
  EXPECT_EQ(c.commands.back(), "QUIT");
}

TEST_F(SessionTest, WithoutPipeliningOneCommandPerRoundTrip) {
  FakeSmtpOptions o;
  o.extensions = {"8BITMIME"};
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    {
      Transaction t_ = txn({"one@example.net", "two@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_FALSE(res.error.has_value());
  EXPECT_TRUE(res.recipients[0].delivered && res.recipients[1].delivered);
  for (const auto& b : conn().batches) EXPECT_EQ(b.size(), 1u) << b[0];
  EXPECT_EQ(conn().messages.at(0).mailParams, "");  // no SIZE announced
}

TEST_F(SessionTest, PerRecipientResults) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT" && c.arg.find("nobody@") != std::string::npos) {
      return SmtpAction::say("550 5.1.1 <nobody@example.net>: Recipient address rejected");
    }
    if (c.verb == "RCPT" && c.arg.find("full@") != std::string::npos) {
      return SmtpAction::say("452 4.2.2 Mailbox full");
    }
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    {
      Transaction t_ = txn({"nobody@example.net", "ok@example.net", "full@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_FALSE(res.error.has_value());
  ASSERT_EQ(res.recipients.size(), 3u);
  EXPECT_FALSE(res.recipients[0].delivered);
  EXPECT_TRUE(res.recipients[0].permanent);
  EXPECT_EQ(res.recipients[0].reply.code, 550);
  EXPECT_EQ(res.recipients[0].reply.enhanced, "5.1.1");
  EXPECT_TRUE(res.recipients[1].delivered);
  EXPECT_EQ(res.recipients[1].reply.code, 250);
  EXPECT_FALSE(res.recipients[2].delivered);
  EXPECT_FALSE(res.recipients[2].permanent);
  EXPECT_EQ(res.recipients[2].reply.code, 452);
  ASSERT_EQ(conn().messages.size(), 1u);
  EXPECT_EQ(conn().messages[0].recipients, std::vector<std::string>{"ok@example.net"});
}

TEST_F(SessionTest, NoRecipientAcceptedResetsAndSessionStaysUsable) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT" && c.arg.find("bad@") != std::string::npos) {
      return SmtpAction::say("550 5.1.1 no");
    }
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult first, second;
  bool usable = false;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    {
      Transaction t_ = txn({"bad@example.net"});
      first = co_await s->send(t_);
    }
    usable = s->usable();
    {
      Transaction t_ = txn({"good@example.net"});
      second = co_await s->send(t_);
    }
  });
  ASSERT_EQ(first.recipients.size(), 1u);
  EXPECT_TRUE(first.recipients[0].permanent);
  EXPECT_FALSE(first.error.has_value());
  EXPECT_TRUE(usable);
  EXPECT_TRUE(second.recipients.at(0).delivered);
  // Pipelined DATA got the server's 554 (no valid recipients); the client then said RSET.
  const auto& cmds = conn().commands;
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "RSET"), cmds.end());
  EXPECT_EQ(conn().messages.size(), 1u);
}

TEST_F(SessionTest, NoRecipientAcceptedWithoutPipeliningSendsRsetInsteadOfData) {
  FakeSmtpOptions o;
  o.extensions = {};
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT") return SmtpAction::say("550 5.1.1 no");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net", "b@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_TRUE(res.recipients.at(0).permanent && res.recipients.at(1).permanent);
  const auto& cmds = conn().commands;
  EXPECT_EQ(std::find(cmds.begin(), cmds.end(), "DATA"), cmds.end());
  EXPECT_EQ(cmds.back(), "RSET");
}

TEST_F(SessionTest, MailRejectedAppliesToAll) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "MAIL") return SmtpAction::say("553 5.7.1 sender rejected");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net", "b@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->stage, Stage::kMail);
  EXPECT_TRUE(res.error->permanent);
  ASSERT_TRUE(res.error->reply.has_value());
  EXPECT_EQ(res.error->reply->code, 553);
  for (const auto& r : res.recipients) {
    EXPECT_EQ(r.reply.code, 553);  // not the 503s the pipelined RCPTs got
    EXPECT_TRUE(r.permanent);
  }
}

TEST_F(SessionTest, DataRejected) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "DATA") return SmtpAction::say("554 5.7.1 no data for you");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->stage, Stage::kData);
  EXPECT_TRUE(res.error->permanent);
  EXPECT_EQ(res.recipients.at(0).reply.code, 554);
  EXPECT_FALSE(res.recipients.at(0).delivered);
  EXPECT_TRUE(conn().messages.empty());
  EXPECT_EQ(conn().commands.back(), "RSET");
}

TEST_F(SessionTest, EndOfDataTemporaryFailure) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == ".") return SmtpAction::say("451-4.7.1 greylisted,\r\n451 4.7.1 try later");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net", "b@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->stage, Stage::kDataEnd);
  EXPECT_FALSE(res.error->permanent);
  for (const auto& r : res.recipients) {
    EXPECT_FALSE(r.delivered);
    EXPECT_FALSE(r.permanent);
    EXPECT_EQ(r.reply.enhanced, "4.7.1");
    EXPECT_EQ(r.reply.text(), "greylisted,\ntry later");
  }
}

TEST_F(SessionTest, DotStuffingArrivesIntact) {
  start();
  const std::string message =
      "Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...three\r\nend. no final newline";
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net"}, message);
      res = co_await s->send(t_);
    }
  });
  ASSERT_FALSE(res.error.has_value());
  ASSERT_EQ(conn().messages.size(), 1u);
  EXPECT_EQ(conn().messages[0].data, message + "\r\n");
  EXPECT_EQ(conn().messages[0].raw,
            "Subject: dots\r\n\r\n..\r\n...\r\n..leading\r\n....three\r\nend. no final "
            "newline\r\n");
}

TEST_F(SessionTest, LargeMessage) {
  start();
  std::string message;
  for (int i = 0; i < 40000; ++i)
    message += (i % 7 ? "line " : ".dot ") + std::to_string(i) + "\r\n";
  ASSERT_GT(message.size(), 400000u);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net"}, message);
      res = co_await s->send(t_);
    }
  });
  ASSERT_FALSE(res.error.has_value());
  EXPECT_EQ(conn().messages.at(0).data, message);
}

TEST_F(SessionTest, SmtpUtf8NeededButNotOfferedSendsNothing) {
  FakeSmtpOptions o;
  o.extensions = {"PIPELINING", "8BITMIME"};
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    Transaction t = txn({"üser@exämple.net", "b@example.net"});
    t.needsSmtpUtf8 = true;
    res = co_await s->send(t);
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_TRUE(res.error->permanent);
  for (const auto& r : res.recipients) {
    EXPECT_TRUE(r.permanent);
    EXPECT_EQ(r.reply.enhanced, "5.6.7");
  }
  for (const auto& c : conn().commands) EXPECT_NE(c.rfind("MAIL", 0), 0u) << c;
}

TEST_F(SessionTest, SmtpUtf8And8BitParameters) {
  start();
  TransactionResult res;
  const std::string message = "Subject: caf\xc3\xa9\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n";
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    Transaction t = txn({"üser@exämple.net"}, message);
    t.needsSmtpUtf8 = true;
    t.eightBit = true;
    res = co_await s->send(t);
  });
  ASSERT_FALSE(res.error.has_value());
  const auto& m = conn().messages.at(0);
  EXPECT_EQ(m.mailParams, " SIZE=" + std::to_string(message.size()) + " BODY=8BITMIME SMTPUTF8");
  EXPECT_EQ(m.recipients, std::vector<std::string>{"üser@exämple.net"});
  EXPECT_EQ(m.data, message);
}

TEST_F(SessionTest, SizeExceededRefusedEarly) {
  FakeSmtpOptions o;
  o.extensions = {"PIPELINING", "SIZE 100"};
  start(o);
  TransactionResult res;
  bool usable = false;
  const std::string big(200, 'x');
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    {
      Transaction t_ = txn({"a@example.net"}, big);
      res = co_await s->send(t_);
    }
    usable = s->usable();
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_TRUE(res.error->permanent);
  EXPECT_EQ(res.recipients.at(0).reply.enhanced, "5.3.4");
  EXPECT_TRUE(res.recipients.at(0).permanent);
  EXPECT_TRUE(usable);
  EXPECT_EQ(conn().commands.size(), 1u);  // EHLO only
}

TEST_F(SessionTest, InjectedRecipientNeverSent) {
  start();
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"x@example.net>\r\nRSET\r\nRCPT TO:<y", "ok@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_TRUE(res.recipients.at(0).permanent);
  EXPECT_EQ(res.recipients.at(0).reply.enhanced, "5.1.3");
  EXPECT_TRUE(res.recipients.at(1).delivered);
  for (const auto& c : conn().commands) EXPECT_EQ(c.find("RCPT TO:<y"), std::string::npos);
}

TEST_F(SessionTest, Greeting554IsPermanent) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "CONNECT") return SmtpAction::say("554 5.7.1 go away");
    return SmtpAction::byDefault();
  };
  start(o);
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto r = co_await open(options());
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kGreeting);
  EXPECT_TRUE(err->permanent);
  ASSERT_TRUE(err->reply.has_value());
  EXPECT_EQ(err->reply->code, 554);
  EXPECT_EQ(conn().commands, std::vector<std::string>{"QUIT"});  // §3.1
}

TEST_F(SessionTest, Greeting421IsTemporary) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "CONNECT") return SmtpAction::say("421 4.3.2 busy");
    return SmtpAction::byDefault();
  };
  start(o);
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto r = co_await open(options());
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_FALSE(err->permanent);
  EXPECT_EQ(err->reply->code, 421);
}

TEST_F(SessionTest, EhloRejectedFallsBackToHelo) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "EHLO") return SmtpAction::say("502 5.5.2 what?");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  bool esmtp = true;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    esmtp = s->capabilities().esmtp;
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_FALSE(esmtp);
  EXPECT_TRUE(res.recipients.at(0).delivered);
  EXPECT_EQ(server_->connections().size(), 1u);
  EXPECT_EQ(conn().commands.at(1), "HELO client.example.org");
  EXPECT_EQ(conn().messages.at(0).mailParams, "");
}

TEST_F(SessionTest, ServerClosingOnEhloGetsHeloOnANewConnection) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "EHLO") return SmtpAction::drop();
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_EQ(server_->connections().size(), 2u);
  EXPECT_EQ(conn(1).commands.at(0), "HELO client.example.org");
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

TEST_F(SessionTest, Ehlo4xxIsTemporaryError) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "EHLO") return SmtpAction::say("451 4.3.0 try later");
    return SmtpAction::byDefault();
  };
  start(o);
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto r = co_await open(options());
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kEhlo);
  EXPECT_FALSE(err->permanent);
}

TEST_F(SessionTest, ConnectionRefusedIsTemporary) {
  // A port that was just free: bind, note it, close.
  asio::ip::tcp::acceptor a(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto ep = a.local_endpoint();
  a.close();
  start();
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto r = co_await Session::open(io_.get_executor(), ep, std::nullopt, options());
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kConnect);
  EXPECT_FALSE(err->permanent);
  EXPECT_FALSE(err->reply.has_value());
}

TEST_F(SessionTest, GreetingTimeout) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "CONNECT") return SmtpAction::stall();
    return SmtpAction::byDefault();
  };
  start(o);
  std::optional<SessionError> err;
  auto opts = options();
  opts.timeouts.greeting = 150ms;
  run([&]() -> Task<void> {
    auto r = co_await open(opts);
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kGreeting);
  EXPECT_FALSE(err->permanent);
  EXPECT_NE(err->message.find("timeout after 150 ms"), std::string::npos) << err->message;
}

TEST_F(SessionTest, EndOfDataTimeoutMakesSessionUnusable) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == ".") return SmtpAction::stall();
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res, after;
  bool usable = true;
  auto opts = options();
  opts.timeouts.dataTerm = 150ms;
  run([&]() -> Task<void> {
    auto s = co_await openOk(opts);
    if (!s) co_return;
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
    usable = s->usable();
    {
      Transaction t_ = txn({"a@example.net"});
      after = co_await s->send(t_);
    }
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->stage, Stage::kDataEnd);
  EXPECT_FALSE(res.error->permanent);
  EXPECT_FALSE(res.error->reply.has_value());
  EXPECT_FALSE(res.recipients.at(0).delivered);
  EXPECT_FALSE(usable);
  ASSERT_TRUE(after.error.has_value());
  EXPECT_FALSE(after.error->permanent);
}

TEST_F(SessionTest, DroppedAtRcptIsTemporary) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT") return SmtpAction::drop();
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (s) {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  ASSERT_TRUE(res.error.has_value());
  EXPECT_EQ(res.error->stage, Stage::kRcpt);
  EXPECT_FALSE(res.error->permanent);
  EXPECT_NE(res.error->message.find("connection closed"), std::string::npos) << res.error->message;
}

TEST_F(SessionTest, ReusesConnectionWithRset) {
  start();
  std::vector<TransactionResult> results;
  bool reset = false;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    for (int i = 0; i < 3; ++i) {
      Transaction t_ = txn({"r" + std::to_string(i) + "@example.net"});
      results.push_back(co_await s->send(t_));
      if (i == 1) reset = co_await s->reset();
    }
    co_await s->quit();
    EXPECT_FALSE(s->usable());
  });
  EXPECT_TRUE(reset);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) EXPECT_TRUE(r.recipients.at(0).delivered);
  ASSERT_EQ(server_->connections().size(), 1u);
  ASSERT_EQ(conn().messages.size(), 3u);
  EXPECT_EQ(conn().messages[2].recipients, std::vector<std::string>{"r2@example.net"});
  EXPECT_EQ(std::count(conn().commands.begin(), conn().commands.end(), "RSET"), 1);
}

TEST_F(SessionTest, BindsSourceAddress) {
  start();
  asio::ip::tcp::endpoint local;
  TransactionResult res;
  run([&]() -> Task<void> {
    auto r = co_await open(options(), asio::ip::make_address("127.0.0.2"));
    if (auto* e = std::get_if<SessionError>(&r)) {
      ADD_FAILURE() << e->message;
      co_return;
    }
    auto& s = std::get<0>(r);
    local = s->localEndpoint();
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_EQ(local.address().to_string(), "127.0.0.2");
  EXPECT_EQ(conn().peer.address().to_string(), "127.0.0.2");
  EXPECT_EQ(conn().peer.port(), local.port());
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

// STARTTLS: the fake server presents a self-signed certificate for mx.fake.test.
class TlsSessionTest : public SessionTest {
 protected:
  void SetUp() override {
    cert_ = testing::makeSelfSignedCertificate("mx.fake.test");
    FakeSmtpOptions o;
    o.certPem = cert_.certPem;
    o.keyPem = cert_.keyPem;
    start(o);
    trusting_.add_certificate_authority(asio::buffer(cert_.certPem));
  }
  testing::TestCertificate cert_;
  asio::ssl::context trusting_{asio::ssl::context::tls_client};
};

TEST_F(TlsSessionTest, OpportunisticWithoutVerification) {
  TransactionResult res;
  bool tls = false;
  std::string description;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kOpportunistic;
    auto s = co_await openOk(o);
    if (!s) co_return;
    tls = s->tlsActive();
    description = s->tlsDescription();
    EXPECT_FALSE(s->capabilities().starttls);  // the EHLO after TLS no longer offers it
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
    co_await s->quit();
  });
  EXPECT_TRUE(tls);
  // Self-signed and not trusted by the default store: reported, not enforced.
  EXPECT_EQ(description.rfind("TLSv1.", 0), 0u) << description;
  EXPECT_NE(description.find("verify=failed"), std::string::npos) << description;
  EXPECT_TRUE(res.recipients.at(0).delivered);
  EXPECT_TRUE(conn().tls);
  EXPECT_EQ(conn().sni, "mx.fake.test");
  EXPECT_TRUE(conn().messages.at(0).tls);
  // RFC 3207 §4.2: EHLO again after the handshake.
  EXPECT_EQ(std::count(conn().commands.begin(), conn().commands.end(), "EHLO client.example.org"),
            2);
}

TEST_F(TlsSessionTest, RequiredAndVerified) {
  std::string description;
  TransactionResult res;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kRequired;
    o.verifyCertificate = true;
    o.tlsContext = &trusting_;
    auto s = co_await openOk(o);
    if (!s) co_return;
    description = s->tlsDescription();
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_NE(description.find("verify=ok"), std::string::npos) << description;
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

TEST_F(TlsSessionTest, RequiredVerificationFailsOnWrongName) {
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kRequired;
    o.verifyCertificate = true;
    o.tlsContext = &trusting_;
    o.serverName = "other.example.net";
    auto r = co_await open(o);
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kStartTls);
  EXPECT_FALSE(err->permanent);
  EXPECT_NE(err->message.find("hostname mismatch"), std::string::npos) << err->message;
  EXPECT_TRUE(conn().messages.empty());
}

TEST_F(TlsSessionTest, RequiredVerificationFailsOnUntrustedCertificate) {
  std::optional<SessionError> err;
  asio::ssl::context empty(asio::ssl::context::tls_client);  // trusts nothing
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kRequired;
    o.verifyCertificate = true;
    o.tlsContext = &empty;
    auto r = co_await open(o);
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kStartTls);
  EXPECT_NE(err->message.find("self-signed"), std::string::npos) << err->message;
}

TEST_F(SessionTest, RequiredButNotOffered) {
  start();  // no certificate: no STARTTLS
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kRequired;
    auto r = co_await open(o);
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kStartTls);
  EXPECT_FALSE(err->permanent);
  for (const auto& c : conn().commands) EXPECT_NE(c.rfind("MAIL", 0), 0u);
}

TEST_F(SessionTest, OpportunisticNotOfferedStaysPlain) {
  start();
  std::string description;
  TransactionResult res;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kOpportunistic;
    auto s = co_await openOk(o);
    if (!s) co_return;
    description = s->tlsDescription();
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_EQ(description, "plaintext: STARTTLS not offered");
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

TEST_F(SessionTest, OpportunisticHandshakeFailureRetriesInPlaintext) {
  // The server says 220 to STARTTLS but cannot do TLS: the handshake times out; the client
  // reconnects and delivers without STARTTLS.
  FakeSmtpOptions o;
  o.extensions = {"PIPELINING", "STARTTLS"};
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "STARTTLS") return SmtpAction::say("220 2.0.0 go ahead");
    return SmtpAction::byDefault();
  };
  start(o);
  std::string description;
  TransactionResult res;
  run([&]() -> Task<void> {
    auto opts = options();
    opts.tls = TlsPolicy::kOpportunistic;
    opts.timeouts.starttls = 200ms;
    auto s = co_await openOk(opts);
    if (!s) co_return;
    description = s->tlsDescription();
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_EQ(description.rfind("plaintext: TLS handshake failed", 0), 0u) << description;
  ASSERT_EQ(server_->connections().size(), 2u);
  const auto& second = conn(1).commands;
  EXPECT_EQ(std::find(second.begin(), second.end(), "STARTTLS"), second.end());
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

TEST_F(SessionTest, StartTlsRefusedOpportunisticContinuesPlain) {
  FakeSmtpOptions o;
  o.extensions = {"STARTTLS"};
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "STARTTLS") return SmtpAction::say("454 4.7.0 TLS not available");
    return SmtpAction::byDefault();
  };
  start(o);
  std::string description;
  TransactionResult res;
  run([&]() -> Task<void> {
    auto opts = options();
    opts.tls = TlsPolicy::kOpportunistic;
    auto s = co_await openOk(opts);
    if (!s) co_return;
    description = s->tlsDescription();
    {
      Transaction t_ = txn({"a@example.net"});
      res = co_await s->send(t_);
    }
  });
  EXPECT_EQ(description.rfind("plaintext: STARTTLS refused: 454", 0), 0u) << description;
  EXPECT_TRUE(res.recipients.at(0).delivered);
  EXPECT_EQ(server_->connections().size(), 1u);
}

}  // namespace
}  // namespace mailroom::smtp

namespace mailroom::smtp {
namespace {

TEST_F(SessionTest, ServerClosing421AtRcptFailsAllTemporarily) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT" && c.arg.find("second@") != std::string::npos) {
      return SmtpAction::say("421 4.7.0 too many errors, closing");
    }
    return SmtpAction::byDefault();
  };
  for (bool pipelining : {true, false}) {
    SCOPED_TRACE(pipelining ? "pipelined" : "one by one");
    if (!pipelining) o.extensions = {};
    io_.restart();
    start(o);
    TransactionResult res;
    bool usable = true;
    run([&]() -> Task<void> {
      auto s = co_await openOk(options());
      if (!s) co_return;
      Transaction t = txn({"first@example.net", "second@example.net"});
      res = co_await s->send(t);
      usable = s->usable();
    });
    ASSERT_TRUE(res.error.has_value());
    EXPECT_EQ(res.error->stage, Stage::kRcpt);
    EXPECT_FALSE(res.error->permanent);
    ASSERT_TRUE(res.error->reply.has_value());
    EXPECT_EQ(res.error->reply->code, 421);
    for (const auto& r : res.recipients) {
      EXPECT_FALSE(r.delivered);
      EXPECT_FALSE(r.permanent);
      EXPECT_EQ(r.reply.code, 421);
    }
    EXPECT_FALSE(usable);
  }
}

TEST_F(SessionTest, PipelinedDataAcceptedAfterAllRcptsRefusedGetsEmptyMessage) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "RCPT") return SmtpAction::say("550 5.1.1 no");
    if (c.verb == "DATA") return SmtpAction::say("354 go ahead anyway");
    return SmtpAction::byDefault();
  };
  start(o);
  TransactionResult res;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    Transaction t = txn({"a@example.net"});
    res = co_await s->send(t);
    EXPECT_TRUE(s->usable());
  });
  EXPECT_FALSE(res.error.has_value());
  EXPECT_TRUE(res.recipients.at(0).permanent);
  EXPECT_EQ(res.recipients.at(0).reply.code, 550);
  // RFC 2920 §3.1: "." right away, then RSET; no message body was sent.
  const auto& cmds = conn().commands;
  ASSERT_GE(cmds.size(), 2u);
  EXPECT_EQ(cmds.back(), "RSET");
  ASSERT_EQ(conn().messages.size(), 1u);
  EXPECT_EQ(conn().messages[0].raw, "");
}

TEST_F(SessionTest, SourceAddressNotLocalIsTemporaryConnectError) {
  start();
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    // 198.51.100.0/24 (TEST-NET-2) is not configured on this host: bind fails.
    auto r = co_await open(options(), asio::ip::make_address("198.51.100.77"));
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->stage, Stage::kConnect);
  EXPECT_FALSE(err->permanent);
  EXPECT_TRUE(server_->connections().empty());
}

TEST_F(SessionTest, EhloNameDefaultsToAddressLiteral) {
  start();
  run([&]() -> Task<void> {
    auto o = options();
    o.ehloHostname = "";
    auto s = co_await openOk(o);
    if (s) co_await s->quit();
  });
  EXPECT_EQ(conn().ehloName, "[127.0.0.1]");  // RFC 5321 §4.1.3 address literal
}

TEST_F(SessionTest, Ehlo4xxQuitsPolitely) {
  FakeSmtpOptions o;
  o.script = [](const testing::FakeSmtpConnection&, const SmtpCommand& c) {
    if (c.verb == "EHLO") return SmtpAction::say("450 4.3.2 not now");
    return SmtpAction::byDefault();
  };
  start(o);
  std::optional<SessionError> err;
  run([&]() -> Task<void> {
    auto r = co_await open(options());
    if (auto* e = std::get_if<SessionError>(&r)) err = *e;
  });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->reply->code, 450);
  EXPECT_EQ(conn().commands.back(), "QUIT");
}

TEST_F(SessionTest, IdleConnectionClosedByServerIsNotAttempted) {
  start();
  TransactionResult first, second;
  bool aliveBefore = false, aliveAfter = true;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    Transaction t = txn({"a@example.net"});
    first = co_await s->send(t);
    aliveBefore = s->checkIdle();
    server_->stop();  // the server hangs up on the idle connection
    // Wait (bounded) for the FIN to reach our socket; loopback delivers it at once in practice.
    asio::steady_timer tick(io_);
    for (int i = 0; i < 2000 && (aliveAfter = s->checkIdle()); ++i) {
      tick.expires_after(1ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    second = co_await s->send(t);
  });
  EXPECT_TRUE(first.recipients.at(0).delivered);
  EXPECT_TRUE(aliveBefore);
  EXPECT_FALSE(aliveAfter);
  ASSERT_TRUE(second.error.has_value());
  EXPECT_TRUE(second.notAttempted);
  EXPECT_FALSE(second.recipients.at(0).permanent);
  EXPECT_EQ(conn().messages.size(), 1u);
}

TEST_F(SessionTest, Ipv6Loopback) {
  FakeSmtpOptions o;
  o.listen = asio::ip::make_address("::1");
  try {
    start(o);
  } catch (const boost::system::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback (::1): " << e.what();
  }
  TransactionResult res;
  asio::ip::tcp::endpoint local;
  run([&]() -> Task<void> {
    auto s = co_await openOk(options());
    if (!s) co_return;
    local = s->localEndpoint();
    Transaction t = txn({"a@example.net"});
    res = co_await s->send(t);
  });
  EXPECT_TRUE(local.address().is_v6());
  EXPECT_TRUE(res.recipients.at(0).delivered);
}

}  // namespace
}  // namespace mailroom::smtp

namespace mailroom::smtp {
namespace {

TEST_F(TlsSessionTest, LargeDotStuffedMessageOverTlsAndReuse) {
  std::string message = "Subject: big\r\n\r\n";
  for (int i = 0; i < 30000; ++i)
    message += (i % 5 ? "line " : ".dot ") + std::to_string(i) + "\r\n";
  std::vector<TransactionResult> results;
  run([&]() -> Task<void> {
    auto o = options();
    o.tls = TlsPolicy::kRequired;
    auto s = co_await openOk(o);
    if (!s) co_return;
    Transaction t = txn({"a@example.net"}, message);
    for (int i = 0; i < 2; ++i) results.push_back(co_await s->send(t));
    co_await s->quit();
  });
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) EXPECT_TRUE(r.recipients.at(0).delivered);
  ASSERT_EQ(conn().messages.size(), 2u);
  EXPECT_TRUE(conn().messages[1].tls);
  EXPECT_EQ(conn().messages[1].data, message);
}

}  // namespace
}  // namespace mailroom::smtp

namespace mailroom::smtp {
namespace {

// Implicit TLS (RFC 8314 §3.3, port 465): the handshake before the greeting, verified against the
// test certificate, then EHLO and AUTH inside TLS; no STARTTLS is asked for.
TEST_F(SessionTest, ImplicitTlsThenAuthPlain) {
  auto cert = testing::makeSelfSignedCertificate("mx.fake.test");
  FakeSmtpOptions o;
  o.certPem = cert.certPem;
  o.keyPem = cert.keyPem;
  o.implicitTls = true;
  o.authMechanisms = {"PLAIN", "LOGIN"};
  o.authUser = "u@example.com";
  o.authPassword = "pw";
  start(o);
  asio::ssl::context trusting{asio::ssl::context::tls_client};
  trusting.add_certificate_authority(asio::buffer(cert.certPem));
  std::string description;
  run([&]() -> Task<void> {
    auto so = options();
    so.tls = TlsPolicy::kImplicit;
    so.verifyCertificate = true;
    so.serverName = "mx.fake.test";
    so.tlsContext = &trusting;
    so.auth = Credentials{"u@example.com", "pw"};
    auto s = co_await openOk(so);
    if (!s) co_return;
    description = s->tlsDescription();
    co_await s->quit();
  });
  EXPECT_NE(description.find("verify=ok"), std::string::npos) << description;
  ASSERT_EQ(server_->connections().size(), 1u);
  const auto& c = *server_->connections()[0];
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.authenticatedAs, "u@example.com");
  EXPECT_FALSE(c.authBeforeTls);
  for (const auto& line : c.commands) EXPECT_NE(line, "STARTTLS");
}

// Credentials never go over a connection without TLS, whatever the server announces.
TEST_F(SessionTest, NoAuthWithoutTls) {
  FakeSmtpOptions o;
  o.authMechanisms = {"PLAIN"};
  o.authBeforeTls = true;
  start(o);
  std::optional<SessionError> error;
  run([&]() -> Task<void> {
    auto so = options();
    so.tls = TlsPolicy::kOpportunistic;  // no STARTTLS offered: plaintext
    so.auth = Credentials{"u@example.com", "pw"};
    auto r = co_await open(so);
    if (auto* e = std::get_if<SessionError>(&r)) error = *e;
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->stage, Stage::kAuth);
  EXPECT_FALSE(error->permanent);
  EXPECT_NE(error->message.find("refused to authenticate without TLS"), std::string::npos)
      << error->message;
  for (const auto& line : server_->connections()[0]->commands)
    EXPECT_NE(line.rfind("AUTH", 0), 0u) << line;
}

}  // namespace
}  // namespace mailroom::smtp
