// The engine test fixture, shared by engine_test.cc and relay_test.cc: a real spool in a
// temporary directory, the map-backed FakeResolver, in-process FakeSmtpServers on loopback,
// an injected clock that never moves, and a sink that records every published outcome.
#pragma once

#include <gtest/gtest.h>

#include "sidecar/delivery/engine.h"
#include "tests/mocks/fake_resolver.h"
#include "tests/mocks/fake_smtp_server.h"
#include "tests/unit/sidecar/spool/temp_dir.h"

namespace mailroom::delivery::testing_engine {

using namespace std::chrono_literals;
using testing::FakeSmtpOptions;
using testing::FakeSmtpServer;
using testing::SmtpAction;

constexpr std::string_view kMessage = "From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";

// A copy of what the engine published (the views die with the call).
struct Seen {
  Outcome outcome;
  std::string messageId, recipient, destination, mxHost, ip, sourceIp, summary;
  std::optional<AddressFamily> family;
  spool::Reply reply;
  Classification classification;
  int attempt;
  std::vector<spool::Attempt> rows;
  int activeThen;  // deliveries in progress when it was published
};

class EngineTest : public ::testing::Test, public OutcomeSink {
 protected:
  void SetUp() override {
    spool::Spool::Options so;
    so.dir = tmp_.path();
    so.fsync = false;
    auto s = spool::Spool::open(so);
    ASSERT_TRUE(s.ok()) << s.error().message;
    spool_ = std::move(*s);
    config_->hostname = "client.example.org";
    sidecarconfig::DirectTransport d;
    d.family.only = AddressFamily::kIpv4;
    d.tls = TlsPolicy::kNone;
    sidecarconfig::Transport t;
    t.name = "direct";
    t.mode = d;
    config_->transports = {t};
  }

  sidecarconfig::DirectTransport& direct() {
    return std::get<sidecarconfig::DirectTransport>(config_->transports[0].mode);
  }
  void maxConnections(int n) {
    sidecarconfig::DestinationLimits l;
    l.domain = "*";
    l.maxConnections = n;
    config_->transports[0].perDestination = {l};
  }
  void perTransaction(int recipients, std::optional<int> deliveriesPerConnection = {}) {
    sidecarconfig::DestinationLimits l;
    l.domain = "*";
    l.maxRecipientsPerTransaction = recipients;
    l.deliveriesPerConnection = deliveriesPerConnection;
    config_->transports[0].perDestination = {l};
  }
  std::vector<std::string> numbered(int n) {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) out.push_back("u" + std::to_string(i) + "@example.net");
    return out;
  }
  // Recipients per message the server took, over all connections, in order.
  static std::vector<size_t> transactionSizes(const FakeSmtpServer& mx) {
    std::vector<size_t> out;
    for (const auto& c : mx.connections())
      for (const auto& m : c->messages) out.push_back(m.recipients.size());
    return out;
  }
  void messagesPerMinute(std::string domain, int n) {
    sidecarconfig::DestinationLimits l;
    l.domain = std::move(domain);
    l.messagesPerMinute = n;
    config_->transports[0].perDestination.push_back(l);
  }

  // A server on 127.0.0.1 (port chosen by the kernel) or on `listen` at the first one's port.
  FakeSmtpServer& server(
      std::string listen = "127.0.0.1",
      std::function<SmtpAction(const testing::FakeSmtpConnection&, const testing::SmtpCommand&)>
          script = nullptr) {
    FakeSmtpOptions o;
    o.listen = asio::ip::make_address(listen);
    o.port = servers_.empty() ? 0 : servers_[0]->endpoint().port();
    o.script = std::move(script);
    o.maxRecipients = serverMaxRecipients_;
    servers_.push_back(std::make_unique<FakeSmtpServer>(io_.get_executor(), o));
    direct().port = servers_[0]->endpoint().port();
    return *servers_.back();
  }

  // A server with options of its own (TLS, AUTH), stopped with the others.
  FakeSmtpServer& serverWith(FakeSmtpOptions o) {
    servers_.push_back(std::make_unique<FakeSmtpServer>(io_.get_executor(), std::move(o)));
    return *servers_.back();
  }

  std::string accept(std::vector<std::string> recipients) {
    spool::Envelope e;
    e.mailFrom = "bounce@example.org";
    for (auto& address : recipients) {
      spool::Recipient r;
      r.address = address;
      r.nextAttempt = now_;
      e.recipients.push_back(std::move(r));
    }
    e.acceptedAt = now_;
    auto a = spool_->accept(std::move(e), kMessage);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? a->id : "";
  }

  // Starts the engine with `ids` enqueued and runs until `outcomes` were published (or the
  // watchdog fires), then stops the engine and the servers and lets everything finish.
  void run(const std::vector<std::string>& ids, size_t outcomes) {
    Engine::Options o;
    o.config = config_;
    o.now = [this] { return now_; };
    o.rngSeed = 1;
    o.sinks = {this};
    o.stateDirectory = stateDir_;
    for (auto* t : {&o.smtpTimeouts.connect, &o.smtpTimeouts.greeting, &o.smtpTimeouts.ehlo,
                    &o.smtpTimeouts.mail, &o.smtpTimeouts.rcpt, &o.smtpTimeouts.dataInit,
                    &o.smtpTimeouts.dataBlock, &o.smtpTimeouts.dataTerm, &o.smtpTimeouts.quit})
      *t = 20s;
    engine_ = std::make_unique<Engine>(io_, *spool_, resolver_, metrics_, o);
    want_ = outcomes;
    asio::steady_timer watchdog(io_, 30s);
    watchdog.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      ADD_FAILURE() << "only " << seen_.size() << " of " << want_ << " outcomes published";
      finish();
    });
    watchdog_ = &watchdog;
    for (const auto& id : ids) engine_->enqueue(id);
    engine_->start();
    io_.run();
    watchdog_ = nullptr;
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (watchdog_) watchdog_->cancel();
    engine_->stop();
    // After the engine's stop: its idle sessions are quitting; the servers close the rest.
    asio::post(io_, [this] {
      for (auto& s : servers_) s->stop();
    });
  }

  void onOutcome(const RecipientOutcome& o) override {
    seen_.push_back({o.outcome, std::string(o.messageId), std::string(o.recipient),
                     std::string(o.destination), std::string(o.mxHost), std::string(o.ip),
                     std::string(o.sourceIp), std::string(o.summary), o.family, *o.reply,
                     o.classification, o.attempt,
                     std::vector<spool::Attempt>(o.rows.begin(), o.rows.end()), engine_->active()});
    if (onSeen_) onSeen_(seen_.back());
    if (seen_.size() >= want_) finish();
  }

  const Seen& outcomeFor(const std::string& recipient) {
    for (const auto& s : seen_)
      if (s.recipient == recipient) return s;
    ADD_FAILURE() << "no outcome for " << recipient;
    static Seen none{};
    return none;
  }

  spool::Recipient stored(const std::string& id, size_t i) {
    auto e = spool_->find(id);
    EXPECT_TRUE(e.has_value());
    return e ? e->recipients.at(i) : spool::Recipient{};
  }

  asio::io_context io_;
  spool::testing::TempDir tmp_;
  std::unique_ptr<spool::Spool> spool_;
  testing::FakeResolver resolver_;
  metrics::Registry metrics_;
  std::shared_ptr<sidecarconfig::SidecarConfig> config_ =
      std::make_shared<sidecarconfig::SidecarConfig>();
  spool::TimePoint now_ = spool::TimePoint(std::chrono::seconds(1'800'000'000));
  std::vector<std::unique_ptr<FakeSmtpServer>> servers_;
  std::unique_ptr<Engine> engine_;
  std::vector<Seen> seen_;
  std::function<void(const Seen&)> onSeen_;
  size_t serverMaxRecipients_ = 0;
  std::filesystem::path stateDir_;  // the engine's stateDirectory ("": memory only)  // for the
                                    // next server(): its smtpd_recipient_limit
  size_t want_ = 0;
  bool finished_ = false;
  asio::steady_timer* watchdog_ = nullptr;
};

}  // namespace mailroom::delivery::testing_engine
