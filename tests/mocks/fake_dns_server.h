// An in-process authoritative DNS server for resolver tests (as Envoy's tests do): UDP and TCP
// on the same loopback port (bound to port 0), answering RFC 1035 wire-format replies crafted per
// (name, type): any rcode, answer and authority records, no answer at all (to test timeouts), or
// a truncated UDP answer (TC=1) that forces the client to retry over TCP (RFC 1035 §4.2.2,
// RFC 7766). It runs on the caller's executor, so a test drives client and server on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/common/asio.h"
#include "lib/common/result.h"

namespace mailroom::testing {

struct DnsRr {
  std::string name;  // owner, "" for the root
  uint16_t type = 0;
  uint32_t ttl = 300;
  std::string rdata;  // wire-format RDATA (see the dnsdata helpers)
};

// Builders for RDATA in wire format (names uncompressed).
namespace dnsdata {
std::string name(std::string_view dotted);  // "mx.example.com" -> \2mx\7example\3com\0
std::string a(std::string_view ip);
std::string aaaa(std::string_view ip);
std::string mx(uint16_t preference, std::string_view host);
std::string txt(const std::vector<std::string>& strings);  // one character-string each
std::string ptr(std::string_view target);
std::string cname(std::string_view target);
std::string soa(std::string_view mname, std::string_view rname, uint32_t minimum);
}  // namespace dnsdata

struct DnsReply {
  uint8_t rcode = 0;  // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED
  std::vector<DnsRr> answers;
  std::vector<DnsRr> authority;
  bool truncateOverUdp = false;  // UDP: TC=1 and no records; TCP: the full reply
  bool drop = false;             // never answer
};

class FakeDnsServer {
 public:
  struct Seen {
    std::string name;  // lower case, no trailing dot
    uint16_t type = 0;
    bool tcp = false;
  };

  // Binds 127.0.0.1 on a free port for both UDP and TCP.
  static Result<std::unique_ptr<FakeDnsServer>> start(asio::any_io_executor executor);
  ~FakeDnsServer();

  uint16_t port() const;
  std::string server() const;  // "127.0.0.1:port", for CaresOptions::servers

  // The reply for (name, type); names not set answer NXDOMAIN.
  void set(std::string_view name, uint16_t type, DnsReply reply);
  const std::vector<Seen>& seen() const;

  struct State;

 private:
  explicit FakeDnsServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace mailroom::testing
