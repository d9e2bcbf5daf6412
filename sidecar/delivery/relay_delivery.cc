#include "sidecar/delivery/relay_delivery.h"

#include <fstream>
#include <sstream>

#include "sidecar/delivery/target_transactions.h"

namespace mailroom::delivery {
namespace {

Result<std::string> readSecretFile(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::temporary(std::string("cannot read the relay ") + what + " file " +
                            path.string());
  std::stringstream b;
  b << in.rdbuf();
  std::string s = b.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty())
    return Error::temporary(std::string("the relay ") + what + " file " + path.string() +
                            " is empty");
  return s;
}

// The relay's reading of replies: a 5xx is final for the recipient, with the server's reply.
class RelayVerdicts : public TargetVerdicts {
 public:
  RelayVerdicts(DestinationAttempt& attempt, const sidecarconfig::RelayTransport& relay,
                const asio::ip::address& address, const std::function<spool::TimePoint()>& now)
      : attempt_(attempt), relay_(relay), address_(address), now_(now) {}

  spool::Attempt row(const std::string& sourceIp) override {
    spool::Attempt a;
    a.at = now_();
    a.mxHost = relay_.host;
    a.ip = address_.to_string();
    a.family = dns::familyOf(address_);
    a.sourceIp = sourceIp;
    return a;
  }

  void delivered(RecipientTrack& t, const spool::Reply& reply, spool::Attempt a,
                 const smtp::Session& session) override {
    auto& r = attempt_.recipient(t);
    r.state = spool::RecipientState::kDelivered;
    r.lastReply = reply;
    r.mxHost = relay_.host;
    r.ip = a.ip;
    r.family = a.family;
    r.sourceIp = a.sourceIp;
    r.summary = "relayed through " + relay_.host + " [" + r.ip +
                "]:" + std::to_string(relay_.port) + " with " + session.tlsDescription();
    a.outcome = "delivered";
    a.note = session.tlsDescription();
    attempt_.addRow(t, std::move(a));
    t.open = false;
  }

  void permanent(RecipientTrack& t, const spool::Reply& reply, const std::string&,
                 spool::Attempt a) override {
    t.lastReply = reply;
    t.lastWasPermanent = true;
    a.outcome = "bounced";
    const std::string note = a.note;
    attempt_.addRow(t, std::move(a));
    attempt_.bounce(t, reply,
                    "refused by the relay " + relay_.host + ": " +
                        (note.empty() || reply.code == 0 ? describe(reply) : note));
  }

 private:
  DestinationAttempt& attempt_;
  const sidecarconfig::RelayTransport& relay_;
  asio::ip::address address_;
  const std::function<spool::TimePoint()>& now_;
};

}  // namespace

Result<smtp::Credentials> readCredentials(const sidecarconfig::RelayCredentials& files) {
  auto user = readSecretFile(files.usernameFile, "username");
  if (!user.ok()) return user.error();
  auto password = readSecretFile(files.passwordFile, "password");
  if (!password.ok()) return password.error();
  return smtp::Credentials{std::move(*user), std::move(*password)};
}

RelayDelivery::RelayDelivery(asio::any_io_executor executor, dns::Resolver& resolver,
                             SessionPool& pool, Options options)
    : executor_(std::move(executor)),
      resolver_(resolver),
      pool_(pool),
      options_(std::move(options)) {}

Result<asio::ssl::context*> RelayDelivery::contextFor(const std::filesystem::path& caFile) {
  auto& slot = contexts_[caFile];
  if (slot) return slot.get();
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (caFile.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(caFile.string(), ec);
  if (ec) {
    contexts_.erase(caFile);
    return Error::temporary("cannot load the relay's CA file " + caFile.string() + ": " +
                            ec.message());
  }
  slot = std::move(ctx);
  return slot.get();
}

Task<void> RelayDelivery::deliver(DestinationAttempt& attempt, const std::string& message,
                                  const sidecarconfig::Transport& transport,
                                  const sidecarconfig::SidecarConfig& config) {
  const auto& relay = *transport.relay();  // the engine hands relay transports only
  std::optional<smtp::Credentials> credentials;
  if (relay.credentials) {
    auto read = readCredentials(*relay.credentials);
    if (!read.ok()) {
      attempt.finishAll(false, {0, "4.7.0", ""}, read.error().message);
      co_return;
    }
    credentials = std::move(*read);
  }
  auto context = contextFor(relay.caFile);
  if (!context.ok()) {
    attempt.finishAll(false, {0, "4.7.5", ""}, context.error().message);
    co_return;
  }

  std::vector<asio::ip::address> addresses;
  boost::system::error_code literal;
  auto ip = asio::ip::make_address(relay.host, literal);
  std::string why;
  if (!literal) {
    addresses.push_back(ip);
  } else {
    auto v4 = co_await resolver_.a(relay.host);
    auto v6 = co_await resolver_.aaaa(relay.host);
    for (const auto& a : v4.records) addresses.push_back(a);
    for (const auto& a : v6.records) addresses.push_back(a);
    why = std::string("the relay ") + relay.host +
          " has no address (A: " + dns::statusName(v4.status) +
          ", AAAA: " + dns::statusName(v6.status) + ")";
  }
  if (addresses.empty()) {
    // A relay that does not resolve is the sender's configuration: keep the mail.
    attempt.finishAll(false, {0, "4.4.3", ""}, why);
    co_return;
  }

  smtp::Transaction txn;
  const spool::Envelope& envelope = attempt.envelope();
  txn.mailFrom = envelope.mailFrom;
  txn.message = message;
  txn.needsSmtpUtf8 = envelope.needsSmtpUtf8;
  txn.eightBit = envelope.eightBit;
  const auto* limits = sidecarconfig::limitsFor(transport, attempt.destination());
  for (const auto& address : addresses) {
    std::vector<RecipientTrack*> open = attempt.open();
    if (open.empty()) break;
    TargetConnection to;
    to.remote = asio::ip::tcp::endpoint(address, relay.port);
    to.ehloHostname = config.hostname;
    to.serverName = relay.host;
    to.tls = relay.tls;  // kRequired (STARTTLS) or kImplicit
    to.verifyCertificate = true;
    to.tlsContext = *context;
    to.auth = credentials ? &*credentials : nullptr;
    to.timeouts = options_.timeouts;
    // Sessions are authenticated: one pool entry per transport and user.
    to.poolKey = "relay|" + transport.name + "|" + to.remote.address().to_string() + "|" +
                 std::to_string(relay.port) + "|" + (credentials ? credentials->username : "") +
                 "|" +
                 std::to_string(std::hash<std::string>{}(credentials ? credentials->password : ""));
    applyLimits(limits, to);
    RelayVerdicts verdicts(attempt, relay, address, options_.now);
    co_await sendToTarget(executor_, pool_, to, std::move(open), txn, attempt, verdicts);
  }
}

}  // namespace mailroom::delivery
