// An in-process scripted SMTP server for client tests (RFC 5321, STARTTLS per RFC 3207): it
// listens on a loopback port chosen by the kernel (port 0), runs on the caller's executor, and
// records every connection: peer address, command lines, which commands arrived in one read
// (to check RFC 2920 pipelining), TLS and SNI, and each message as received (dot-stuffed) and
// as delivered (unstuffed). A script decides per command to answer by default, answer with
// any reply, drop the connection, or stall (never answer, to exercise client timeouts).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/common/asio.h"

namespace mailroom::testing {

struct SmtpCommand {
  std::string verb;  // upper case: "EHLO", "MAIL", ...; "CONNECT" before the greeting; "." after
                     // the message data
  std::string arg;   // the rest of the line after the verb and one space
  std::string line;  // the whole line without CRLF
};

struct SmtpAction {
  enum class Kind { kDefault, kReply, kDrop, kStall };
  Kind kind = Kind::kDefault;
  std::string reply;  // lines separated by "\r\n", no final CRLF: "550 5.1.1 no such user"

  static SmtpAction byDefault() { return {}; }
  static SmtpAction say(std::string r) { return {Kind::kReply, std::move(r)}; }
  static SmtpAction drop() { return {Kind::kDrop, ""}; }
  static SmtpAction stall() { return {Kind::kStall, ""}; }
};

struct FakeSmtpMessage {
  std::string mailFrom;    // the path between < and >
  std::string mailParams;  // what follows "MAIL FROM:<...>", e.g. " SIZE=12 BODY=8BITMIME"
  std::vector<std::string> recipients;  // accepted ones
  std::string raw;   // the data as received, dot-stuffed, without the final ".\r\n"
  std::string data;  // the data with dot-stuffing removed
  bool tls = false;
};

struct FakeSmtpConnection {
  asio::ip::tcp::endpoint peer;
  std::vector<std::string> commands;
  std::vector<std::vector<std::string>> batches;  // command lines handled between two reads
  std::vector<FakeSmtpMessage> messages;
  bool tls = false;
  std::string sni;
  std::string ehloName;
  std::string authenticatedAs;  // the user of a successful AUTH
  std::string authMechanism;    // of the last AUTH command
  bool authBeforeTls = false;   // an AUTH command arrived before TLS
};

struct FakeSmtpOptions {
  asio::ip::address listen = asio::ip::make_address("127.0.0.1");
  // 0: chosen by the kernel. A fixed one only to put a second server (another loopback
  // address or family) on the port of a first one, as MX hosts of one domain share port 25.
  uint16_t port = 0;
  std::string hostname = "mx.fake.test";
  // Announced after the first EHLO line; STARTTLS is added when certPem is set and TLS is off.
  std::vector<std::string> extensions = {"PIPELINING", "8BITMIME", "SMTPUTF8",
                                         "ENHANCEDSTATUSCODES", "SIZE 10485760"};
  std::string certPem, keyPem;  // enables STARTTLS
  // RFC 8314 implicit TLS (port 465): the handshake before the greeting. Needs certPem.
  bool implicitTls = false;
  // SMTP AUTH (RFC 4954): announced as "AUTH <mechanisms>" (PLAIN and LOGIN are served) once the
  // connection is under TLS — or also before when authBeforeTls (a server that would take a
  // password in plaintext). With authUser set, MAIL needs a successful AUTH first (530), and a
  // wrong user or password gets Postfix's "535 5.7.8 Error: authentication failed".
  std::vector<std::string> authMechanisms;
  bool authBeforeTls = false;
  std::string authUser, authPassword;
  // RCPTs accepted per transaction; more get Postfix's "452 4.5.3 Error: too many recipients"
  // (smtpd_recipient_limit). 0: no limit.
  size_t maxRecipients = 0;
  std::function<SmtpAction(const FakeSmtpConnection&, const SmtpCommand&)> script;
};

class FakeSmtpServer {
 public:
  FakeSmtpServer(asio::any_io_executor executor, FakeSmtpOptions options);
  ~FakeSmtpServer();
  asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  // Closes the listener and every connection, and wakes stalled ones, so io_context::run()
  // returns once the client is done.
  void stop();
  const std::vector<std::shared_ptr<FakeSmtpConnection>>& connections() const {
    return connections_;
  }
  // Connections open now, and the most that were open at once.
  int openConnections() const { return open_; }
  int peakOpenConnections() const { return peakOpen_; }

 private:
  struct Conn;
  Task<void> accept();
  Task<void> serve(std::shared_ptr<Conn> conn);

  asio::any_io_executor executor_;
  FakeSmtpOptions options_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint endpoint_;
  asio::steady_timer stopped_;  // stalled connections wait on it
  std::vector<std::shared_ptr<FakeSmtpConnection>> connections_;
  std::vector<std::weak_ptr<Conn>> live_;
  int open_ = 0, peakOpen_ = 0;
  std::shared_ptr<void> tlsContext_;  // asio::ssl::context, kept out of this header
};

// A self-signed certificate (EC P-256, SHA-256, one day) for `dnsName` in its CN and
// subjectAltName, made with OpenSSL's EVP/X509 APIs.
struct TestCertificate {
  std::string certPem;
  std::string keyPem;
};
TestCertificate makeSelfSignedCertificate(const std::string& dnsName);

}  // namespace mailroom::testing
