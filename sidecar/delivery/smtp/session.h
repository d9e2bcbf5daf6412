// An SMTP client session (RFC 5321) over Boost.Asio coroutines: connect (optionally from a
// given source address), greeting, EHLO with HELO fallback, STARTTLS (RFC 3207) per a TLS
// policy (opportunistic per RFC 7435, or required with optional certificate verification),
// then any number of mail transactions on the same connection, pipelined when the server
// offers PIPELINING (RFC 2920). Every read and write is bounded by the per-stage timeout of
// RFC 5321 §4.5.3.2. Expected failures (4xx, 5xx, timeouts, dropped connections, TLS errors)
// are values, temporary kept apart from permanent.
//
// Threading: a Session belongs to one executor and must be used by one coroutine at a time;
// destroy it only when none of its operations is pending.
//
//   auto opened = co_await Session::open(ex, {mxAddress, 25}, sourceIp, options);
//   if (auto* err = std::get_if<SessionError>(&opened)) ...;      // err->permanent: 5xx only
//   auto& s = std::get<std::unique_ptr<Session>>(opened);
//   Transaction t{"bounce@example.org", {"a@example.net"}, message};
//   TransactionResult r = co_await s->send(t);    // r.recipients[i]: delivered / permanent
//   if (s->usable()) pool.put(std::move(s)); else co_await s->quit();
//   // later, from the pool: if (!s->checkIdle()) open a new one.
//
// GCC 12 note (callers too): keep co_await out of ?: and avoid braced temporaries in the same
// full-expression as a co_await; GCC 12 miscompiles both (double frees, wild reads).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lib/common/asio.h"
#include "lib/common/tls_policy.h"
#include "sidecar/delivery/smtp/auth.h"
#include "sidecar/delivery/smtp/capabilities.h"
#include "sidecar/delivery/smtp/reply.h"
#include "sidecar/delivery/smtp/transaction.h"

namespace boost::asio::ssl {
class context;
}

namespace mailroom::smtp {

struct Timeouts {  // RFC 5321 §4.5.3.2 defaults
  std::chrono::milliseconds connect{std::chrono::seconds(30)};
  std::chrono::milliseconds greeting{std::chrono::minutes(5)};
  std::chrono::milliseconds ehlo{std::chrono::minutes(5)};
  std::chrono::milliseconds starttls{std::chrono::minutes(2)};  // reply plus TLS handshake
  std::chrono::milliseconds mail{std::chrono::minutes(5)};
  std::chrono::milliseconds rcpt{std::chrono::minutes(5)};
  std::chrono::milliseconds dataInit{std::chrono::minutes(2)};
  std::chrono::milliseconds dataBlock{std::chrono::minutes(3)};  // each write of the body
  std::chrono::milliseconds dataTerm{std::chrono::minutes(10)};
  std::chrono::milliseconds quit{std::chrono::seconds(10)};  // RSET and QUIT
};

struct SessionOptions {
  std::string
      ehloHostname;        // our name in EHLO/HELO; "" sends our address literal ("[198.51.100.7]")
  std::string serverName;  // the MX host name: SNI and certificate verification
  // kImplicit: TLS from the first byte (RFC 8314 §3.3, port 465), always required.
  TlsPolicy tls = TlsPolicy::kOpportunistic;
  // With kRequired or kImplicit: the chain and serverName must verify.
  bool verifyCertificate = false;
  // SMTP AUTH (RFC 4954) after TLS, never before: without TLS open() fails before AUTH. Fails
  // permanently on the server's 5xx (535 5.7.8: wrong credentials), with its reply.
  std::optional<Credentials> auth;
  // Client context (TLS 1.2+ is enforced on each connection). nullptr: a shared default
  // context with the system trust store. Must outlive the session.
  boost::asio::ssl::context* tlsContext = nullptr;
  Timeouts timeouts;
};

enum class Stage {
  kConnect,
  kTls,  // the implicit TLS handshake
  kGreeting,
  kEhlo,
  kStartTls,
  kAuth,
  kMail,
  kRcpt,
  kData,
  kDataEnd,
  kQuit
};
const char* stageName(Stage stage);

struct SessionError {
  Stage stage = Stage::kConnect;
  std::optional<Reply> reply;  // the server's reply, when a reply caused the failure
  std::string message;         // human-readable, includes the reply when there is one
  bool permanent = false;      // only 5xx replies (and local pre-checks) are permanent
};

struct RecipientResult {
  std::string address;
  // The RCPT reply for refused recipients, the final DATA reply for accepted ones, or the
  // failure that ended the transaction (a reply with code 0 when none came from the server).
  Reply reply;
  bool delivered = false;
  bool permanent = false;
};

struct TransactionResult {
  // One entry per Transaction::recipients, in order, always.
  std::vector<RecipientResult> recipients;
  // Set when one failure applies to every recipient: a local pre-check (SIZE, SMTPUTF8), the
  // MAIL reply, the DATA or end-of-data reply, a timeout or a dropped connection.
  std::optional<SessionError> error;
  // Nothing of this transaction reached the server: the session was already closed (an idle
  // pooled connection the server hung up on). Retry on a new connection; it is not an attempt.
  bool notAttempted = false;
};

class Session {
 public:
  // Connects (and for kImplicit shakes hands for TLS), reads the greeting, says EHLO (HELO when
  // EHLO gets a 5xx, or on a new connection when the server closes after EHLO), then STARTTLS
  // per policy and EHLO again, then AUTH when credentials are given.
  static Task<std::variant<std::unique_ptr<Session>, SessionError>> open(
      asio::any_io_executor executor, asio::ip::tcp::endpoint remote,
      std::optional<asio::ip::address> source, SessionOptions options);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Capabilities& capabilities() const { return caps_; }
  Reply greeting() const { return greeting_; }
  bool tlsActive() const;
  // "TLSv1.3 TLS_AES_256_GCM_SHA384 verify=ok" (or verify=failed: <reason>, or
  // "plaintext: ..." saying why there is no TLS).
  std::string tlsDescription() const { return tlsDescription_; }
  asio::ip::tcp::endpoint localEndpoint() const { return local_; }
  asio::ip::tcp::endpoint remoteEndpoint() const { return remote_; }
  // False after a timeout, a dropped connection, a protocol error, a 421, or QUIT: the session
  // must not be reused (send() then fails at once with a temporary error).
  bool usable() const { return usable_; }
  // For a session that sat idle (in a pool): false when the server has since closed the
  // connection or sent something unprompted (typically a 421 before closing), which makes the
  // session unusable. Non-blocking; send() checks it first too.
  bool checkIdle();

  // One mail transaction. Pre-checks first (nothing is sent when they fail); then MAIL, RCPTs
  // and DATA, pipelined in one write when PIPELINING is offered; the dot-stuffed body; the
  // final reply. When the transaction ends without the final DATA reply after MAIL was
  // accepted, the session sends RSET, so the next send() starts clean.
  Task<TransactionResult> send(const Transaction& txn);
  // RSET (§4.1.1.5): true on 250.
  Task<bool> reset();
  // QUIT and close. Never fails; a session is unusable afterwards.
  Task<void> quit();

 private:
  struct Io;
  explicit Session(asio::any_io_executor executor, SessionOptions options);

  Task<std::optional<SessionError>> connectAndGreet(asio::ip::tcp::endpoint remote,
                                                    std::optional<asio::ip::address> source);
  Task<std::optional<SessionError>> hello(bool helo, bool* closed);
  std::string helloName() const;
  Task<std::optional<SessionError>> startTls(bool* retryPlain);
  // The TLS handshake on the connected socket; the reason it failed, or nullopt.
  Task<std::optional<std::string>> handshake(bool verify, std::chrono::milliseconds timeout);
  Task<std::optional<SessionError>> authenticate();
  Task<Result<Reply>> authStep(std::string_view line);
  Task<Result<void>> write(std::string_view bytes, std::chrono::milliseconds timeout);
  Task<Result<Reply>> readReply(std::chrono::milliseconds timeout);
  // write, then readReply, under one timeout each.
  Task<Result<Reply>> command(std::string_view bytes, std::chrono::milliseconds timeout);
  SessionError ioError(Stage stage, const Error& error);
  SessionError replyError(Stage stage, const Reply& reply, std::string_view what);
  void close();

  asio::any_io_executor executor_;
  std::unique_ptr<Io> io_;
  SessionOptions options_;
  Capabilities caps_;
  Reply greeting_;
  std::string tlsDescription_ = "plaintext";
  asio::ip::tcp::endpoint local_, remote_;
  bool usable_ = true;
  std::string out_;  // reused write buffer: commands and the dot-stuffed body
};

}  // namespace mailroom::smtp
