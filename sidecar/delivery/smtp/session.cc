#include "sidecar/delivery/smtp/session.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <cerrno>

namespace mailroom::smtp {
namespace {

using Clock = std::chrono::steady_clock;
namespace ssl = asio::ssl;
using asio::ip::tcp;

// A body is written in blocks of this size, each under the data-block timeout (§4.5.3.2.6
// bounds each send, not the whole body).
constexpr size_t kDataBlock = 1 << 20;

ssl::context& defaultContext() {
  static ssl::context* ctx = [] {
    auto* c = new ssl::context(ssl::context::tls_client);
    c->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ignored;
    c->set_default_verify_paths(ignored);
    return c;
  }();
  return *ctx;
}

bool isIpLiteral(const std::string& name) {
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

std::string describeReply(const Reply& r) {
  std::string s = std::to_string(r.code);
  if (!r.enhanced.empty()) s += " " + r.enhanced;
  std::string t = r.text();
  std::replace(t.begin(), t.end(), '\n', ' ');
  if (!t.empty()) s += " " + t;
  return s;
}

Reply localReply(std::string_view enhanced, std::string text) {
  return Reply{0, std::string(enhanced), {std::move(text)}};
}

}  // namespace

const char* stageName(Stage s) {
  switch (s) {
    case Stage::kConnect:
      return "connect";
    case Stage::kTls:
      return "TLS";
    case Stage::kGreeting:
      return "greeting";
    case Stage::kEhlo:
      return "EHLO";
    case Stage::kStartTls:
      return "STARTTLS";
    case Stage::kAuth:
      return "AUTH";
    case Stage::kMail:
      return "MAIL";
    case Stage::kRcpt:
      return "RCPT";
    case Stage::kData:
      return "DATA";
    case Stage::kDataEnd:
      return "end of DATA";
    case Stage::kQuit:
      return "QUIT";
  }
  return "?";
}

// The connection: a TCP socket, the TLS layer over it after STARTTLS, and one timer that
// cancels the socket when the current operation overruns (Boost 1.74 has no awaitable
// operators to race them). A generation counter makes a late timer firing harmless, and a
// weak token keeps it from touching a destroyed connection.
struct Session::Io {
  explicit Io(asio::any_io_executor ex) : socket(ex), timer(ex) {}

  tcp::socket socket;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  asio::steady_timer timer;
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  uint64_t generation = 0;
  bool timedOut = false;
  std::chrono::milliseconds armedFor{0};
  ReplyParser parser;
  std::vector<char> readBuffer = std::vector<char>(64 * 1024);

  void arm(std::chrono::milliseconds d) {
    ++generation;
    timedOut = false;
    armedFor = d;
    timer.expires_after(d);
    timer.async_wait([this, g = generation,
                      token = std::weak_ptr<int>(alive)](const boost::system::error_code& ec) {
      if (ec || token.expired() || g != generation) return;
      timedOut = true;
      boost::system::error_code ignored;
      socket.cancel(ignored);
    });
  }
  void disarm() {
    ++generation;
    timer.cancel();
  }
  Error error(const boost::system::error_code& ec) const {
    if (timedOut)
      return Error::temporary("timeout after " + std::to_string(armedFor.count()) + " ms");
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      return Error::temporary("connection closed by the server");
    }
    return Error::temporary(ec.message());
  }
};

Session::Session(asio::any_io_executor executor, SessionOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

Session::~Session() = default;

bool Session::tlsActive() const {
  return io_ && io_->tls;
}

void Session::close() {
  usable_ = false;
  if (!io_) return;
  io_->disarm();
  boost::system::error_code ignored;
  io_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  io_->socket.close(ignored);
}

SessionError Session::ioError(Stage stage, const Error& error) {
  close();
  return SessionError{stage, std::nullopt, std::string(stageName(stage)) + ": " + error.message,
                      false};
}

SessionError Session::replyError(Stage stage, const Reply& reply, std::string_view what) {
  return SessionError{stage, reply, std::string(what) + ": " + describeReply(reply),
                      reply.permanent()};
}

Task<Result<void>> Session::write(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (!io_ || !io_->socket.is_open()) co_return Error::temporary("connection is closed");
  boost::system::error_code ec;
  io_->arm(timeout);
  if (io_->tls) {
    co_await asio::async_write(*io_->tls, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(io_->socket, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  io_->disarm();
  if (ec) {
    Error e = io_->error(ec);
    close();
    co_return e;
  }
  co_return Result<void>();
}

Task<Result<Reply>> Session::command(std::string_view bytes, std::chrono::milliseconds timeout) {
  auto w = co_await write(bytes, timeout);
  if (!w.ok()) co_return w.error();
  co_return co_await readReply(timeout);
}

Task<Result<Reply>> Session::readReply(std::chrono::milliseconds timeout) {
  if (!io_ || !io_->socket.is_open()) co_return Error::temporary("connection is closed");
  auto finish = [this](Result<Reply> r) -> Result<Reply> {
    // 421: the server is closing the transmission channel (§3.8).
    if (!r.ok() || r->code == 421) close();
    return r;
  };
  if (auto r = io_->parser.next()) co_return finish(std::move(*r));
  io_->arm(timeout);
  while (true) {
    boost::system::error_code ec;
    auto buf = asio::buffer(io_->readBuffer);
    // No co_await inside ?: (GCC 12 miscompiles it).
    size_t n = 0;
    if (io_->tls) {
      n = co_await io_->tls->async_read_some(buf, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await io_->socket.async_read_some(buf, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      io_->disarm();
      Error e = io_->error(ec);
      close();
      co_return e;
    }
    io_->parser.feed(std::string_view(io_->readBuffer.data(), n));
    if (auto r = io_->parser.next()) {
      io_->disarm();
      co_return finish(std::move(*r));
    }
  }
}

Task<std::variant<std::unique_ptr<Session>, SessionError>> Session::open(
    asio::any_io_executor executor, tcp::endpoint remote, std::optional<asio::ip::address> source,
    SessionOptions options) {
  std::unique_ptr<Session> s(new Session(std::move(executor), std::move(options)));
  if (auto err = co_await s->connectAndGreet(remote, source)) co_return std::move(*err);
  if (s->options_.auth) {
    if (auto err = co_await s->authenticate()) co_return std::move(*err);
  }
  co_return std::move(s);
}

Task<std::optional<SessionError>> Session::connectAndGreet(
    tcp::endpoint remote, std::optional<asio::ip::address> source) {
  bool helo = false;
  bool allowTls = options_.tls != TlsPolicy::kNone;
  std::string plainReason = "plaintext: TLS not wanted";
  // At most: one reconnect for HELO after a server closed on EHLO, one for plaintext after a
  // failed opportunistic handshake.
  for (int attempt = 0; attempt < 3; ++attempt) {
    io_ = std::make_unique<Io>(executor_);
    usable_ = true;
    caps_ = Capabilities{};
    tlsDescription_ = plainReason;
    remote_ = remote;
    boost::system::error_code ec;
    io_->socket.open(remote.protocol(), ec);
    if (!ec && source) io_->socket.bind(tcp::endpoint(*source, 0), ec);
    if (ec) co_return ioError(Stage::kConnect, Error::temporary(ec.message()));
    io_->arm(options_.timeouts.connect);
    co_await io_->socket.async_connect(remote, asio::redirect_error(asio::use_awaitable, ec));
    io_->disarm();
    if (ec) co_return ioError(Stage::kConnect, io_->error(ec));
    io_->socket.set_option(tcp::no_delay(true), ec);
    local_ = io_->socket.local_endpoint(ec);
    if (options_.tls == TlsPolicy::kImplicit) {
      // RFC 8314 §3.3: TLS first; the greeting and everything after it are protected.
      if (auto failed =
              co_await handshake(options_.verifyCertificate, options_.timeouts.starttls)) {
        close();
        co_return SessionError{Stage::kTls, std::nullopt, "TLS handshake failed: " + *failed,
                               false};
      }
      allowTls = false;  // no STARTTLS inside TLS
    }

    auto greeting = co_await readReply(options_.timeouts.greeting);
    if (!greeting.ok()) co_return ioError(Stage::kGreeting, greeting.error());
    greeting_ = *greeting;
    if (greeting->code != 220) {
      // §3.1: after a 554 greeting the client should QUIT; do it briefly and close.
      SessionError e = replyError(Stage::kGreeting, *greeting, "greeting");
      co_await quit();
      co_return e;
    }

    bool closed = false;
    if (auto err = co_await hello(helo, &closed)) {
      if (closed && !helo) {
        helo = true;  // the server hung up on EHLO: try again with HELO
        continue;
      }
      co_return err;
    }
    if (!allowTls) co_return std::nullopt;
    if (!caps_.starttls) {
      if (options_.tls == TlsPolicy::kRequired) {
        SessionError e{Stage::kStartTls, std::nullopt,
                       "STARTTLS: TLS is required but the server does not offer STARTTLS", false};
        co_await quit();
        co_return e;
      }
      tlsDescription_ = "plaintext: STARTTLS not offered";
      co_return std::nullopt;
    }
    bool retryPlain = false;
    auto err = co_await startTls(&retryPlain);
    if (retryPlain) {
      allowTls = false;
      plainReason = tlsDescription_;
      continue;
    }
    co_return err;
  }
  co_return SessionError{Stage::kConnect, std::nullopt, "connect: too many reconnects", false};
}

// Our name for EHLO/HELO: the configured one, else an address literal (§4.1.3), never empty.
std::string Session::helloName() const {
  if (!options_.ehloHostname.empty()) return options_.ehloHostname;
  const auto a = local_.address();
  return a.is_v6() ? "[IPv6:" + a.to_string() + "]" : "[" + a.to_string() + "]";
}

Task<std::optional<SessionError>> Session::hello(bool helo, bool* closed) {
  const auto t = options_.timeouts.ehlo;
  if (!helo) {
    out_ = "EHLO " + helloName() + "\r\n";
    auto r = co_await command(out_, t);
    if (!r.ok()) {
      *closed = !io_->timedOut;
      co_return ioError(Stage::kEhlo, r.error());
    }
    if (r->code / 100 == 2) {
      caps_ = parseEhlo(*r);
      co_return std::nullopt;
    }
    if (!r->permanent() || !usable_) {
      SessionError e = replyError(Stage::kEhlo, *r, "EHLO");
      co_await quit();
      co_return e;
    }
    // 5xx to EHLO: an old server (§4.1.4 lets the client fall back to HELO).
  }
  out_ = "HELO " + helloName() + "\r\n";
  auto r = co_await command(out_, t);
  if (!r.ok()) co_return ioError(Stage::kEhlo, r.error());
  if (r->code / 100 != 2) {
    SessionError e = replyError(Stage::kEhlo, *r, "HELO");
    co_await quit();
    co_return e;
  }
  caps_ = Capabilities{};
  co_return std::nullopt;
}

Task<std::optional<SessionError>> Session::startTls(bool* retryPlain) {
  const bool required = options_.tls == TlsPolicy::kRequired;
  const auto t = options_.timeouts.starttls;
  auto r = co_await command("STARTTLS\r\n", t);
  if (!r.ok()) co_return ioError(Stage::kStartTls, r.error());
  if (r->code != 220) {
    if (required || !usable_) {
      SessionError e = replyError(Stage::kStartTls, *r, "STARTTLS refused");
      e.permanent = false;  // a TLS policy failure is retried later, not bounced
      co_await quit();
      co_return e;
    }
    tlsDescription_ = "plaintext: STARTTLS refused: " + describeReply(*r);
    co_return std::nullopt;
  }
  if (io_->parser.buffered() > 0) {
    // Bytes sent before the handshake would be read as if protected (CVE-2011-0411).
    co_return ioError(Stage::kStartTls, Error::temporary("data after the 220 to STARTTLS"));
  }

  const bool verify = required && options_.verifyCertificate;
  if (auto failed = co_await handshake(verify, t)) {
    close();
    if (!required) {
      *retryPlain = true;
      tlsDescription_ = "plaintext: TLS handshake failed: " + *failed;
      co_return std::nullopt;
    }
    co_return SessionError{Stage::kStartTls, std::nullopt,
                           "STARTTLS: TLS handshake failed: " + *failed, false};
  }
  // RFC 3207 §4.2: forget what was learned before TLS and ask again.
  bool closed = false;
  co_return co_await hello(false, &closed);
}

Task<std::optional<std::string>> Session::handshake(bool verify, std::chrono::milliseconds t) {
  ssl::context& ctx = options_.tlsContext ? *options_.tlsContext : defaultContext();
  io_->tls = std::make_unique<ssl::stream<tcp::socket&>>(io_->socket, ctx);
  SSL* h = io_->tls->native_handle();
  SSL_set_min_proto_version(h, TLS1_2_VERSION);
  const std::string& name = options_.serverName;
  if (!name.empty() && !isIpLiteral(name)) SSL_set_tlsext_host_name(h, name.c_str());
  // The name check runs in both modes, so an opportunistic session can still report it.
  if (!name.empty()) SSL_set1_host(h, name.c_str());
  io_->tls->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);

  boost::system::error_code ec;
  io_->arm(t);
  co_await io_->tls->async_handshake(ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
  io_->disarm();
  if (ec) {
    std::string why = io_->timedOut ? io_->error(ec).message : ec.message();
    if (verify) {
      long v = SSL_get_verify_result(h);
      if (v != X509_V_OK) why += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
    }
    co_return why;
  }
  const long v = SSL_get_verify_result(h);
  tlsDescription_ =
      std::string(SSL_get_version(h)) + " " + SSL_get_cipher_name(h) +
      (v == X509_V_OK ? " verify=ok"
                      : std::string(" verify=failed: ") + X509_verify_cert_error_string(v));
  co_return std::nullopt;
}

// RFC 4954. Never without TLS: a server that offers no TLS (or an opportunistic session that
// fell back to plaintext) gets no credentials, whatever it announces.
Task<std::optional<SessionError>> Session::authenticate() {
  auto fail = [](std::string message) {
    return SessionError{Stage::kAuth, std::nullopt, "AUTH: " + std::move(message), false};
  };
  if (!tlsActive()) {
    SessionError e = fail("refused to authenticate without TLS (" + tlsDescription_ + ")");
    co_await quit();
    co_return e;
  }
  const Credentials& c = *options_.auth;
  const auto mechanism = chooseMechanism(caps_.auth);
  if (!mechanism) {
    std::string offered;
    for (const auto& m : caps_.auth) offered += (offered.empty() ? "" : " ") + m;
    SessionError e = fail(
        "the server offers no mechanism we use (PLAIN, LOGIN, SCRAM-SHA-256)" +
        (offered.empty() ? std::string("; it offers no AUTH at all") : "; it offers " + offered));
    co_await quit();
    co_return e;
  }
  const std::string name = saslMechanismName(*mechanism);
  // A 334 challenge's text: the line after "334 " (base64).
  auto challenge = [](const Reply& r) { return r.lines.empty() ? std::string() : r.lines[0]; };
  // Each line is built in a named string first (GCC 12 and temporaries in co_await).
  std::string line;
  Result<Reply> r = Error::temporary("no reply");
  if (*mechanism == SaslMechanism::kPlain) {
    line = "AUTH PLAIN " + plainResponse(c);
    r = co_await authStep(line);
  } else if (*mechanism == SaslMechanism::kLogin) {
    r = co_await authStep("AUTH LOGIN");
    line = base64Encode(c.username);
    if (r.ok() && r->code == 334) r = co_await authStep(line);
    line = base64Encode(c.password);
    if (r.ok() && r->code == 334) r = co_await authStep(line);
  } else {
    ScramSha256 scram(c, scramNonce());
    line = "AUTH SCRAM-SHA-256 " + base64Encode(scram.clientFirst());
    r = co_await authStep(line);
    if (r.ok() && r->code == 334) {
      Result<std::string> final = base64Decode(challenge(*r));
      if (final.ok()) final = scram.clientFinal(*final);
      if (!final.ok()) {
        (void)co_await authStep("*");  // RFC 4954 §4: cancel the exchange
        SessionError e = fail("SCRAM-SHA-256: " + final.error().message);
        co_await quit();
        co_return e;
      }
      line = base64Encode(*final);
      r = co_await authStep(line);
      if (r.ok() && r->code == 334) {
        auto serverFinal = base64Decode(challenge(*r));
        if (!serverFinal.ok() || !scram.verifyServerFinal(*serverFinal)) {
          (void)co_await authStep("*");
          SessionError e = fail("SCRAM-SHA-256: the server's signature does not verify");
          co_await quit();
          co_return e;
        }
        r = co_await authStep("");
      }
    }
  }
  line.assign(line.size(), '\0');  // the password does not linger in this frame
  if (!r.ok()) co_return ioError(Stage::kAuth, r.error());
  if (r->code == 235) co_return std::nullopt;
  SessionError e{Stage::kAuth, *r, "AUTH " + name + ": " + describeReply(*r), r->permanent()};
  co_await quit();
  co_return e;
}

Task<Result<Reply>> Session::authStep(std::string_view line) {
  out_.assign(line);
  out_ += "\r\n";
  co_return co_await command(out_, options_.timeouts.ehlo);
}

Task<TransactionResult> Session::send(const Transaction& txn) {
  enum class State { kPending, kRefused, kAccepted };
  TransactionResult result;
  std::vector<State> state(txn.recipients.size(), State::kPending);
  for (const auto& r : txn.recipients) result.recipients.push_back({r, {}, false, false});

  // The failure of the transaction as a whole: every recipient not already refused shares it.
  auto failAll = [&](SessionError e) {
    Reply reply = e.reply ? *e.reply : localReply("", e.message);
    for (size_t i = 0; i < state.size(); ++i) {
      if (state[i] == State::kRefused) continue;
      result.recipients[i].reply = reply;
      result.recipients[i].permanent = e.permanent;
      result.recipients[i].delivered = false;
    }
    result.error = std::move(e);
  };

  if (!checkIdle()) {
    failAll({Stage::kMail, std::nullopt, "MAIL: the connection was closed before the transaction",
             false});
    result.notAttempted = true;
    co_return result;
  }
  if (auto refused = precheck(caps_, txn)) {
    failAll({Stage::kMail, *refused, refused->text(), true});
    co_return result;
  }
  std::vector<size_t> sent;
  for (size_t i = 0; i < txn.recipients.size(); ++i) {
    if (safeAddress(txn.recipients[i])) {
      sent.push_back(i);
    } else {
      state[i] = State::kRefused;
      result.recipients[i].reply =
          localReply("5.1.3", "5.1.3 invalid characters in the recipient address");
      result.recipients[i].permanent = true;
    }
  }
  if (sent.empty()) co_return result;

  const Timeouts& t = options_.timeouts;
  const bool pipelined = caps_.pipelining;
  auto recordRcpt = [&](size_t i, const Reply& reply) {
    result.recipients[i].reply = reply;
    if (reply.code / 100 == 2) {
      state[i] = State::kAccepted;
    } else {
      state[i] = State::kRefused;
      result.recipients[i].permanent = reply.permanent();
    }
  };
  auto anyAccepted = [&] { return std::count(state.begin(), state.end(), State::kAccepted) > 0; };
  // After MAIL was accepted and the transaction did not reach its final reply.
  auto abandon = [&]() -> Task<void> {
    if (usable_) co_await reset();
  };

  std::optional<Reply> dataReply;
  if (pipelined) {
    // RFC 2920 §3.1: MAIL, the RCPTs and DATA in one write; replies come back in order.
    out_ = mailCommand(caps_, txn);
    for (size_t i : sent) out_ += rcptCommand(txn.recipients[i]);
    out_ += "DATA\r\n";
    if (auto w = co_await write(out_, t.mail); !w.ok()) {
      failAll(ioError(Stage::kMail, w.error()));
      co_return result;
    }
    auto mail = co_await readReply(t.mail);
    if (!mail.ok()) {
      failAll(ioError(Stage::kMail, mail.error()));
      co_return result;
    }
    if (mail->code == 421) {  // closing: the rest of the replies will never come
      failAll(replyError(Stage::kMail, *mail, "MAIL"));
      co_return result;
    }
    for (size_t i : sent) {
      auto r = co_await readReply(t.rcpt);
      if (!r.ok()) {
        failAll(ioError(Stage::kRcpt, r.error()));
        co_return result;
      }
      if (r->code == 421) {
        failAll(replyError(Stage::kRcpt, *r, "RCPT"));
        co_return result;
      }
      recordRcpt(i, *r);
    }
    auto data = co_await readReply(t.dataInit);
    if (!data.ok()) {
      failAll(ioError(Stage::kData, data.error()));
      co_return result;
    }
    if (mail->code / 100 != 2) {
      for (size_t i : sent) state[i] = State::kPending;  // their 503s say nothing of their own
      failAll(replyError(Stage::kMail, *mail, "MAIL"));
      if (data->code == 354) {
        (void)co_await write(".\r\n", t.dataTerm);
        (void)co_await readReply(t.dataTerm);
      }
      co_return result;
    }
    if (!anyAccepted()) {
      if (data->code == 354) {
        // §3.1: a server that accepted DATA after refusing every RCPT gets an empty message,
        // whose reply means nothing.
        (void)co_await write(".\r\n", t.dataTerm);
        (void)co_await readReply(t.dataTerm);
      }
      co_await abandon();
      co_return result;
    }
    dataReply = *data;
  } else {
    out_ = mailCommand(caps_, txn);
    if (auto w = co_await write(out_, t.mail); !w.ok()) {
      failAll(ioError(Stage::kMail, w.error()));
      co_return result;
    }
    auto mail = co_await readReply(t.mail);
    if (!mail.ok()) {
      failAll(ioError(Stage::kMail, mail.error()));
      co_return result;
    }
    if (mail->code / 100 != 2) {
      failAll(replyError(Stage::kMail, *mail, "MAIL"));
      co_return result;
    }
    for (size_t i : sent) {
      out_ = rcptCommand(txn.recipients[i]);
      auto r = co_await command(out_, t.rcpt);
      if (!r.ok()) {
        failAll(ioError(Stage::kRcpt, r.error()));
        co_return result;
      }
      if (r->code == 421) {
        failAll(replyError(Stage::kRcpt, *r, "RCPT"));
        co_return result;
      }
      recordRcpt(i, *r);
    }
    if (!anyAccepted()) {
      co_await abandon();
      co_return result;
    }
    auto data = co_await command("DATA\r\n", t.dataInit);
    if (!data.ok()) {
      failAll(ioError(Stage::kData, data.error()));
      co_return result;
    }
    dataReply = *data;
  }

  if (dataReply->code != 354) {
    failAll(replyError(Stage::kData, *dataReply, "DATA"));
    co_await abandon();
    co_return result;
  }
  out_.clear();
  appendDataPayload(out_, txn.message);
  for (size_t at = 0; at < out_.size(); at += kDataBlock) {
    const size_t n = std::min(kDataBlock, out_.size() - at);
    if (auto w = co_await write(std::string_view(out_).substr(at, n), t.dataBlock); !w.ok()) {
      failAll(ioError(Stage::kData, w.error()));
      co_return result;
    }
  }
  // Keep a huge body's buffer from living on in an idle pooled session.
  if (out_.capacity() > 4 * kDataBlock) std::string().swap(out_);
  auto final = co_await readReply(t.dataTerm);
  if (!final.ok()) {
    // The server may have taken the message (§6.1: a duplicate is better than a loss).
    failAll(ioError(Stage::kDataEnd, final.error()));
    co_return result;
  }
  if (final->code / 100 != 2) {
    failAll(replyError(Stage::kDataEnd, *final, "end of DATA"));
    co_return result;
  }
  for (size_t i = 0; i < state.size(); ++i) {
    if (state[i] != State::kAccepted) continue;
    result.recipients[i].reply = *final;
    result.recipients[i].delivered = true;
  }
  co_return result;
}

bool Session::checkIdle() {
  if (!usable_ || !io_ || !io_->socket.is_open()) return false;
  if (io_->parser.buffered() > 0) {
    close();
    return false;
  }
  // Peek without consuming: 0 is the server's FIN, bytes are unprompted talk (or TLS alerts);
  // only "would block" means the connection is idle and open.
  char byte;
  const ssize_t n = ::recv(io_->socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  close();
  return false;
}

Task<bool> Session::reset() {
  if (!usable_) co_return false;
  auto r = co_await command("RSET\r\n", options_.timeouts.quit);
  if (r.ok() && r->code == 250) co_return true;
  close();
  co_return false;
}

Task<void> Session::quit() {
  if (!io_ || !io_->socket.is_open()) {
    usable_ = false;
    co_return;
  }
  if (usable_) {
    auto w = co_await write("QUIT\r\n", options_.timeouts.quit);
    if (w.ok()) (void)co_await readReply(options_.timeouts.quit);
  }
  if (io_->tls && io_->socket.is_open()) {
    boost::system::error_code ec;
    io_->arm(options_.timeouts.quit);
    co_await io_->tls->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    io_->disarm();
  }
  close();
}

}  // namespace mailroom::smtp
