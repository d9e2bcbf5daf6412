// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message with a two-octet length prefix, one
// connection per exchange. UPDATE and AXFR both go over TCP here: an UPDATE carrying a DKIM key
// and its prerequisites outgrows 512-octet UDP, and AXFR is TCP only. The interface is the I/O
// edge of the RFC2136 provider (tests use tests/mocks/fake_dns_transport.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "operator/dns/providers/rfc2136/wire.h"

namespace mailroom::dnspub::rfc2136 {

struct TransportError {
  enum class Kind { kTimeout, kFailed };
  Kind kind = Kind::kFailed;
  std::string message;
};

class DnsTransport {
 public:
  virtual ~DnsTransport() = default;
  // "198.51.100.54:53", for messages.
  virtual std::string server() const = 0;
  // Sends query and hands each answer message to onMessage until it returns false (one for an
  // UPDATE, several for an AXFR) or the connection ends.
  virtual std::optional<TransportError> exchange(
      const Bytes& query, const std::function<bool(const Bytes&)>& onMessage) = 0;
};

// "host", "host:port", "[v6]:port" or a bare IPv6 address; port 53 by default.
struct HostPort {
  std::string host;
  std::string port = "53";
};
std::optional<HostPort> parseServer(const std::string& server);

class TcpDnsTransport final : public DnsTransport {
 public:
  // timeout: for the whole exchange (connect, send, every answer).
  TcpDnsTransport(HostPort server, std::chrono::milliseconds timeout)
      : server_(std::move(server)), timeout_(timeout) {}
  std::string server() const override;
  std::optional<TransportError> exchange(
      const Bytes& query, const std::function<bool(const Bytes&)>& onMessage) override;

 private:
  HostPort server_;
  std::chrono::milliseconds timeout_;
};

}  // namespace mailroom::dnspub::rfc2136
