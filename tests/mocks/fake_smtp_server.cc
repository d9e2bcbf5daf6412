#include "tests/mocks/fake_smtp_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <stdexcept>

namespace mailroom::testing {
namespace {

namespace ssl = asio::ssl;
using asio::ip::tcp;

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

SmtpCommand parseCommand(const std::string& line) {
  SmtpCommand c;
  c.line = line;
  size_t sp = line.find(' ');
  std::string verb = line.substr(0, sp);
  // "MAIL FROM:" and "RCPT TO:" keep their argument after the colon.
  c.verb = upper(verb);
  c.arg = sp == std::string::npos ? "" : line.substr(sp + 1);
  return c;
}

// The path inside <...> of "FROM:<a@b> SIZE=1", and what follows it.
std::pair<std::string, std::string> splitPath(const std::string& arg) {
  size_t lt = arg.find('<'), gt = arg.find('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return {"", arg};
  return {arg.substr(lt + 1, gt - lt - 1), arg.substr(gt + 1)};
}

std::string unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

std::string unstuff(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  bool lineStart = true;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (lineStart && raw[i] == '.') {
      lineStart = false;
      continue;  // the first dot of a stuffed line
    }
    out += raw[i];
    lineStart = raw[i] == '\n';
  }
  return out;
}

}  // namespace

struct FakeSmtpServer::Conn {
  explicit Conn(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  std::shared_ptr<FakeSmtpConnection> record = std::make_shared<FakeSmtpConnection>();
};

FakeSmtpServer::FakeSmtpServer(asio::any_io_executor executor, FakeSmtpOptions options)
    : executor_(executor),
      options_(std::move(options)),
      acceptor_(executor, tcp::endpoint(options_.listen, options_.port)),
      stopped_(executor) {
  endpoint_ = acceptor_.local_endpoint();
  stopped_.expires_at(asio::steady_timer::time_point::max());
  if (!options_.certPem.empty()) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->use_certificate_chain(asio::buffer(options_.certPem));
    ctx->use_private_key(asio::buffer(options_.keyPem), ssl::context::pem);
    tlsContext_ = ctx;
  }
  asio::co_spawn(executor_, accept(), asio::detached);
}

FakeSmtpServer::~FakeSmtpServer() {
  stop();
}

void FakeSmtpServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  stopped_.cancel();
  for (auto& weak : live_) {
    if (auto c = weak.lock()) {
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
    }
  }
  live_.clear();
}

Task<void> FakeSmtpServer::accept() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto conn = std::make_shared<Conn>(std::move(s));
    conn->record->peer = conn->socket.remote_endpoint(ec);
    connections_.push_back(conn->record);
    live_.push_back(conn);
    asio::co_spawn(executor_, serve(conn), asio::detached);
  }
}

Task<void> FakeSmtpServer::serve(std::shared_ptr<Conn> conn) {
  FakeSmtpConnection& rec = *conn->record;
  struct Counted {  // until this connection's coroutine ends
    int& open;
    Counted(int& o, int& peak) : open(o) { peak = std::max(peak, ++open); }
    ~Counted() { --open; }
  } counted(open_, peakOpen_);
  boost::system::error_code ec;
  auto send = [&](const std::string& reply) -> Task<bool> {
    std::string bytes = reply + "\r\n";
    if (conn->tls) {
      co_await asio::async_write(*conn->tls, asio::buffer(bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(conn->socket, asio::buffer(bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec;
  };
  // The script's answer, or nullopt for the default one. Drop and stall end the connection.
  enum class Then { kReply, kEnd };
  auto decide = [&](const SmtpCommand& cmd, std::string& reply) -> Task<Then> {
    SmtpAction a = options_.script ? options_.script(rec, cmd) : SmtpAction{};
    if (a.kind == SmtpAction::Kind::kReply) reply = a.reply;
    if (a.kind == SmtpAction::Kind::kDrop) co_return Then::kEnd;
    if (a.kind == SmtpAction::Kind::kStall) {
      boost::system::error_code ignored;
      co_await stopped_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      co_return Then::kEnd;
    }
    co_return Then::kReply;
  };
  auto close = [&] {
    boost::system::error_code ignored;
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
  };

  if (options_.implicitTls && tlsContext_) {
    auto* ctx = static_cast<ssl::context*>(tlsContext_.get());
    conn->tls = std::make_unique<ssl::stream<tcp::socket&>>(conn->socket, *ctx);
    co_await conn->tls->async_handshake(ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      close();
      co_return;
    }
    rec.tls = true;
    if (const char* sni =
            SSL_get_servername(conn->tls->native_handle(), TLSEXT_NAMETYPE_host_name)) {
      rec.sni = sni;
    }
  }
  std::string reply = "220 " + options_.hostname + " ESMTP fake";
  // Named, not temporaries: GCC 12 mishandles temporaries inside co_await expressions.
  const SmtpCommand connect{"CONNECT", "", ""};
  const Then first = co_await decide(connect, reply);
  if (first == Then::kEnd || !co_await send(reply)) {
    close();
    co_return;
  }

  std::string in;
  std::vector<char> buf(64 * 1024);
  bool haveMail = false, inData = false;
  // AUTH LOGIN's two steps: the next lines are the user name, then the password (base64).
  enum class Login { kNone, kUser, kPassword } login = Login::kNone;
  std::string loginUser;
  const bool needAuth = !options_.authUser.empty();
  auto checkAuth = [&](const std::string& user, const std::string& password) {
    if (user == options_.authUser && password == options_.authPassword) {
      rec.authenticatedAs = user;
      return std::string("235 2.7.0 Authentication successful");
    }
    return std::string("535 5.7.8 Error: authentication failed: authentication failure");
  };
  FakeSmtpMessage msg;
  while (conn->socket.is_open()) {
    size_t n = 0;  // no co_await inside ?: (GCC 12 miscompiles it)
    if (conn->tls) {
      n = co_await conn->tls->async_read_some(asio::buffer(buf),
                                              asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await conn->socket.async_read_some(asio::buffer(buf),
                                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) break;
    in.append(buf.data(), n);
    std::vector<std::string> batch;
    bool end = false;
    while (!end) {
      if (inData) {
        // The data ends with CRLF "." CRLF; an empty message is just "." CRLF.
        size_t stop = in.rfind(".\r\n", 0) == 0 ? 0 : in.find("\r\n.\r\n");
        if (stop == std::string::npos) break;
        const size_t dataLen = stop == 0 ? 0 : stop + 2;
        msg.raw = in.substr(0, dataLen);
        in.erase(0, dataLen + 3);
        msg.data = unstuff(msg.raw);
        msg.tls = rec.tls;
        inData = false;
        reply = "250 2.0.0 Ok: queued as FAKE" + std::to_string(rec.messages.size() + 1);
        const SmtpCommand dot{".", "", "."};
        if (co_await decide(dot, reply) == Then::kEnd) {
          end = true;
          break;
        }
        if (reply[0] == '2') rec.messages.push_back(msg);
        msg = FakeSmtpMessage{};
        haveMail = false;
        if (!co_await send(reply)) end = true;
        continue;
      }
      size_t nl = in.find("\r\n");
      if (nl == std::string::npos) break;
      std::string line = in.substr(0, nl);
      in.erase(0, nl + 2);
      rec.commands.push_back(line);
      batch.push_back(line);
      if (login != Login::kNone) {
        if (login == Login::kUser) {
          loginUser = unbase64(line);
          login = Login::kPassword;
          reply = "334 UGFzc3dvcmQ6";  // "Password:"
        } else {
          login = Login::kNone;
          reply = checkAuth(loginUser, unbase64(line));
        }
        if (!co_await send(reply)) {
          end = true;
          break;
        }
        continue;
      }
      SmtpCommand cmd = parseCommand(line);
      const std::string& v = cmd.verb;
      bool startTls = false, quit = false;
      if (v == "EHLO") {
        rec.ehloName = cmd.arg;
        reply = "250-" + options_.hostname + " hello " + cmd.arg;
        std::vector<std::string> ext = options_.extensions;
        if (tlsContext_ && !rec.tls) ext.push_back("STARTTLS");
        if (!options_.authMechanisms.empty() && (rec.tls || options_.authBeforeTls)) {
          std::string auth = "AUTH";
          for (const auto& m : options_.authMechanisms) auth += " " + m;
          ext.push_back(auth);
        }
        for (const auto& e : ext) reply += "\r\n250-" + e;
        // The last line takes a space: rewrite the final "250-".
        size_t last = reply.rfind("250-");
        reply[last + 3] = ' ';
      } else if (v == "HELO") {
        rec.ehloName = cmd.arg;
        reply = "250 " + options_.hostname;
      } else if (v == "STARTTLS") {
        startTls = tlsContext_ && !rec.tls;
        reply = startTls ? "220 2.0.0 Ready to start TLS" : "502 5.5.1 STARTTLS not available";
      } else if (v == "AUTH") {
        rec.authBeforeTls = rec.authBeforeTls || !rec.tls;
        const size_t sp = cmd.arg.find(' ');
        rec.authMechanism = upper(cmd.arg.substr(0, sp));
        const std::string initial = sp == std::string::npos ? "" : cmd.arg.substr(sp + 1);
        if (rec.authMechanism == "PLAIN" && !initial.empty()) {
          const std::string msg = unbase64(initial);  // authzid NUL user NUL password
          const size_t a = msg.find('\0'), b = msg.find('\0', a + 1);
          reply = a == std::string::npos || b == std::string::npos
                      ? "501 5.5.2 malformed PLAIN"
                      : checkAuth(msg.substr(a + 1, b - a - 1), msg.substr(b + 1));
        } else if (rec.authMechanism == "LOGIN" && initial.empty()) {
          login = Login::kUser;
          reply = "334 VXNlcm5hbWU6";  // "Username:"
        } else {
          reply = "504 5.5.4 unsupported mechanism";
        }
      } else if (v == "MAIL") {
        reply = haveMail                                  ? "503 5.5.1 nested MAIL"
                : needAuth && rec.authenticatedAs.empty() ? "530 5.7.0 Authentication required"
                                                          : "250 2.1.0 Ok";
      } else if (v == "RCPT") {
        if (!haveMail)
          reply = "503 5.5.1 need MAIL";
        else if (options_.maxRecipients && msg.recipients.size() >= options_.maxRecipients)
          reply = "452 4.5.3 Error: too many recipients";
        else
          reply = "250 2.1.5 Ok";
      } else if (v == "DATA") {
        reply = haveMail && !msg.recipients.empty() ? "354 End data with <CR><LF>.<CR><LF>"
                                                    : "554 5.5.1 no valid recipients";
      } else if (v == "RSET") {
        reply = "250 2.0.0 Ok";
      } else if (v == "NOOP") {
        reply = "250 2.0.0 Ok";
      } else if (v == "QUIT") {
        reply = "221 2.0.0 Bye";
        quit = true;
      } else {
        reply = "502 5.5.2 command not recognized";
      }
      if (co_await decide(cmd, reply) == Then::kEnd) {
        end = true;
        break;
      }
      const bool ok = reply[0] == '2' || reply[0] == '3';
      if (v == "MAIL" && reply[0] == '2') {
        haveMail = true;
        msg = FakeSmtpMessage{};
        auto [path, params] = splitPath(cmd.arg);
        msg.mailFrom = path;
        msg.mailParams = params;
      } else if (v == "RCPT" && reply[0] == '2') {
        msg.recipients.push_back(splitPath(cmd.arg).first);
      } else if (v == "DATA" && reply.rfind("354", 0) == 0) {
        inData = true;
      } else if (v == "RSET" || (v == "EHLO" && ok) || (v == "HELO" && ok)) {
        haveMail = false;
        msg = FakeSmtpMessage{};
      }
      if (!co_await send(reply)) {
        end = true;
        break;
      }
      if (quit) {
        end = true;
        break;
      }
      if (startTls && reply.rfind("220", 0) == 0) {
        in.clear();  // RFC 3207 §4: anything pipelined after STARTTLS is discarded
        auto* ctx = static_cast<ssl::context*>(tlsContext_.get());
        conn->tls = std::make_unique<ssl::stream<tcp::socket&>>(conn->socket, *ctx);
        co_await conn->tls->async_handshake(ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          end = true;
          break;
        }
        rec.tls = true;
        if (const char* sni =
                SSL_get_servername(conn->tls->native_handle(), TLSEXT_NAMETYPE_host_name)) {
          rec.sni = sni;
        }
        haveMail = false;
        msg = FakeSmtpMessage{};
      }
    }
    if (!batch.empty()) rec.batches.push_back(std::move(batch));
    if (end) break;
  }
  close();
}

TestCertificate makeSelfSignedCertificate(const std::string& dnsName) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* x = X509_new();
  if (!key || !x) throw std::runtime_error("makeSelfSignedCertificate: allocation failed");
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dnsName.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  std::string san = "DNS:" + dnsName;
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(x, key, EVP_sha256())) throw std::runtime_error("X509_sign failed");
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
  };
  TestCertificate c;
  c.certPem = pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  c.keyPem =
      pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  return c;
}

}  // namespace mailroom::testing
