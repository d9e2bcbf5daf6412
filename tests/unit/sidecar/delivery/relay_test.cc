// RelayDelivery through the engine against the fake SMTP server as a submission service: TLS
// (STARTTLS on "587", implicit on "465") with the certificate verified against the transport's
// caFile, AUTH PLAIN and LOGIN with credentials from files, and what must never happen: AUTH
// before TLS, plaintext after a refused TLS, credentials in a status.
#include <fstream>

#include "tests/unit/sidecar/delivery/engine_fixture.h"

namespace mailroom::delivery {
namespace {

using namespace testing_engine;
using mailroom::testing::FakeSmtpOptions;
using mailroom::testing::FakeSmtpServer;

constexpr const char* kUser = "sidecar@example.com";
constexpr const char* kPassword = "s3cret-Pa55";

class RelayTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    cert_ = mailroom::testing::makeSelfSignedCertificate("relay.example.test");
    write("ca.pem", cert_.certPem);
    write("username", std::string(kUser) + "\n");  // as a mounted Secret key may end
    write("password", kPassword);
    resolver_.addA("relay.example.test", "127.0.0.1");
  }

  std::filesystem::path secret(const std::string& name) { return secrets_.path() / name; }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(secret(name), std::ios::binary) << content;
  }

  // The submission service: TLS with the test certificate, AUTH PLAIN LOGIN after TLS only.
  FakeSmtpOptions submission() {
    FakeSmtpOptions o;
    o.hostname = "relay.example.test";
    o.certPem = cert_.certPem;
    o.keyPem = cert_.keyPem;
    o.authMechanisms = {"PLAIN", "LOGIN"};
    o.authUser = kUser;
    o.authPassword = kPassword;
    return o;
  }

  // Everything goes through the relay at `server`.
  void relayTo(const FakeSmtpServer& server, TlsPolicy tls, bool withCaFile = true) {
    sidecarconfig::RelayTransport r;
    r.host = "relay.example.test";
    r.port = server.endpoint().port();
    r.tls = tls;
    r.credentials = sidecarconfig::RelayCredentials{secret("username"), secret("password")};
    if (withCaFile) r.caFile = secret("ca.pem");
    sidecarconfig::Transport t;
    t.name = "smarthost";
    t.mode = r;
    config_->transports = {t};
  }

  static bool sentAuthBefore(const mailroom::testing::FakeSmtpConnection& c,
                             const std::string& verb) {
    for (const auto& line : c.commands) {
      if (line.rfind("AUTH", 0) == 0) return true;
      if (line.rfind(verb, 0) == 0) return false;
    }
    return false;
  }

  spool::testing::TempDir secrets_;
  mailroom::testing::TestCertificate cert_;
};

TEST_F(RelayTest, StartTlsThenAuthPlainDelivers) {
  auto& relay = serverWith(submission());
  relayTo(relay, TlsPolicy::kRequired);
  auto id = accept({"a@example.net", "b@example.org"});

  run({id}, 2);

  // One job per destination domain; they run at once, so on one or two sessions.
  ASSERT_FALSE(relay.connections().empty());
  size_t messages = 0;
  for (const auto& c : relay.connections()) {
    EXPECT_TRUE(c->tls);
    EXPECT_EQ(c->sni, "relay.example.test");
    EXPECT_EQ(c->authMechanism, "PLAIN");
    EXPECT_EQ(c->authenticatedAs, kUser);
    EXPECT_FALSE(c->authBeforeTls);
    messages += c->messages.size();
  }
  EXPECT_EQ(messages, 2u);
  for (const char* rcpt : {"a@example.net", "b@example.org"}) {
    const Seen& s = outcomeFor(rcpt);
    EXPECT_EQ(s.outcome, Outcome::kDelivered) << s.summary;
    EXPECT_EQ(s.mxHost, "relay.example.test");
    EXPECT_NE(s.summary.find("relayed through relay.example.test [127.0.0.1]"), std::string::npos)
        << s.summary;
    EXPECT_NE(s.summary.find("verify=ok"), std::string::npos) << s.summary;
  }
}

TEST_F(RelayTest, ImplicitTlsThenAuthLoginDelivers) {
  auto o = submission();
  o.implicitTls = true;
  o.authMechanisms = {"LOGIN"};
  auto& relay = serverWith(o);
  relayTo(relay, TlsPolicy::kImplicit);
  auto id = accept({"a@example.net"});

  run({id}, 1);

  ASSERT_EQ(relay.connections().size(), 1u);
  const auto& c = *relay.connections()[0];
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.authMechanism, "LOGIN");
  EXPECT_EQ(c.authenticatedAs, kUser);
  EXPECT_EQ(c.commands.front().rfind("EHLO ", 0), 0u) << "no STARTTLS inside implicit TLS";
  EXPECT_EQ(outcomeFor("a@example.net").outcome, Outcome::kDelivered);
}

TEST_F(RelayTest, WrongPasswordBouncesWithTheServersReply) {
  write("password", "wrong");
  auto& relay = serverWith(submission());
  relayTo(relay, TlsPolicy::kRequired);
  auto id = accept({"a@example.net"});

  run({id}, 1);

  const Seen& s = outcomeFor("a@example.net");
  EXPECT_EQ(s.outcome, Outcome::kBounced);
  EXPECT_EQ(s.reply.code, 535);
  EXPECT_EQ(s.reply.enhanced, "5.7.8");
  EXPECT_NE(s.summary.find("AUTH PLAIN: 535 5.7.8 Error: authentication failed"), std::string::npos)
      << s.summary;
  EXPECT_TRUE(relay.connections()[0]->messages.empty());
  for (const auto& row : s.rows) EXPECT_EQ(row.note.find("wrong"), std::string::npos);
  EXPECT_EQ(s.summary.find("wrong"), std::string::npos);
}

// A server that offers AUTH but no TLS gets no credentials: the attempt ends before AUTH and
// the mail waits (a TLS failure is retried, not bounced).
TEST_F(RelayTest, ServerWithoutTlsIsRefusedBeforeAuth) {
  auto o = submission();
  o.certPem.clear();
  o.keyPem.clear();
  o.authBeforeTls = true;
  auto& relay = serverWith(o);
  relayTo(relay, TlsPolicy::kRequired);
  auto id = accept({"a@example.net"});

  run({id}, 1);

  ASSERT_EQ(relay.connections().size(), 1u);
  const auto& c = *relay.connections()[0];
  for (const auto& line : c.commands) EXPECT_NE(line.rfind("AUTH", 0), 0u) << line;
  EXPECT_FALSE(sentAuthBefore(c, "QUIT"));
  EXPECT_TRUE(c.messages.empty());
  const Seen& s = outcomeFor("a@example.net");
  EXPECT_EQ(s.outcome, Outcome::kDeferred);
  EXPECT_NE(s.summary.find("TLS is required but the server does not offer STARTTLS"),
            std::string::npos)
      << s.summary;
}

// The system trust store does not know the test certificate: the handshake fails, nothing is
// sent, the mail waits.
TEST_F(RelayTest, UntrustedCertificateIsRefusedBeforeAuth) {
  auto& relay = serverWith(submission());
  relayTo(relay, TlsPolicy::kRequired, /*withCaFile=*/false);
  auto id = accept({"a@example.net"});

  run({id}, 1);

  ASSERT_EQ(relay.connections().size(), 1u);
  for (const auto& line : relay.connections()[0]->commands)
    EXPECT_NE(line.rfind("AUTH", 0), 0u) << line;
  const Seen& s = outcomeFor("a@example.net");
  EXPECT_EQ(s.outcome, Outcome::kDeferred);
  EXPECT_NE(s.summary.find("TLS handshake failed"), std::string::npos) << s.summary;
}

TEST_F(RelayTest, MissingCredentialsFileDefersNamingTheFile) {
  auto& relay = serverWith(submission());
  relayTo(relay, TlsPolicy::kRequired);
  std::filesystem::remove(secret("password"));
  auto id = accept({"a@example.net"});

  run({id}, 1);

  EXPECT_TRUE(relay.connections().empty());
  const Seen& s = outcomeFor("a@example.net");
  EXPECT_EQ(s.outcome, Outcome::kDeferred);
  EXPECT_NE(s.summary.find("password file"), std::string::npos) << s.summary;
}

}  // namespace
}  // namespace mailroom::delivery
