// parseServer (dnsProvider.server) and the TCP transport against a loopback listener on port 0.
#include "operator/dns/providers/rfc2136/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

namespace mailroom::dnspub::rfc2136 {
namespace {

TEST(Rfc2136ParseServer, HostPortForms) {
  EXPECT_EQ(parseServer("ns1.example.net")->host, "ns1.example.net");
  EXPECT_EQ(parseServer("ns1.example.net")->port, "53");
  EXPECT_EQ(parseServer("198.51.100.54:5353")->port, "5353");
  EXPECT_EQ(parseServer("[2001:db8::54]:53")->host, "2001:db8::54");
  EXPECT_EQ(parseServer("2001:db8::54")->host, "2001:db8::54");
  EXPECT_FALSE(parseServer(""));
  EXPECT_FALSE(parseServer("host:"));
  EXPECT_FALSE(parseServer("host:5x"));
  EXPECT_FALSE(parseServer("[2001:db8::54"));
}

// A one-shot TCP peer on 127.0.0.1:<ephemeral> that reads one framed query and writes `reply`.
class LoopbackPeer {
 public:
  explicit LoopbackPeer(Bytes reply) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply] {
      int c = ::accept(fd_, nullptr, nullptr);
      uint8_t buf[512];
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n > 2) query.assign(buf + 2, buf + n);
      ::send(c, reply.data(), reply.size(), 0);
      ::close(c);
    });
  }
  ~LoopbackPeer() {
    thread_.join();
    ::close(fd_);
  }
  std::string port() const { return std::to_string(port_); }
  Bytes query;

 private:
  int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(Rfc2136TcpTransport, FramesQueryAndReadsEachAnswerMessage) {
  LoopbackPeer peer({0, 2, 'h', 'i', 0, 1, '!'});
  TcpDnsTransport t({"127.0.0.1", peer.port()}, std::chrono::seconds(5));
  std::vector<Bytes> got;
  auto e = t.exchange({'q', 'u'}, [&](const Bytes& m) {
    got.push_back(m);
    return got.size() < 2;
  });
  EXPECT_FALSE(e) << e->message;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Bytes{'h', 'i'}));
  EXPECT_EQ(got[1], (Bytes{'!'}));
}

TEST(Rfc2136TcpTransport, CloseMidMessageAndRefusedConnectionAreFailures) {
  {
    LoopbackPeer peer({0, 9, 'x'});
    TcpDnsTransport t({"127.0.0.1", peer.port()}, std::chrono::seconds(5));
    auto e = t.exchange({'q'}, [](const Bytes&) { return true; });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, TransportError::Kind::kFailed);
  }
  std::string freePort;
  {
    LoopbackPeer peer({});
    freePort = peer.port();
    TcpDnsTransport t({"127.0.0.1", peer.port()}, std::chrono::seconds(5));
    (void)t.exchange({'q'}, [](const Bytes&) { return false; });
  }
  TcpDnsTransport t({"127.0.0.1", freePort}, std::chrono::seconds(5));
  auto e = t.exchange({'q'}, [](const Bytes&) { return false; });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, TransportError::Kind::kFailed);
  EXPECT_EQ(t.server(), "127.0.0.1:" + freePort);
}

}  // namespace
}  // namespace mailroom::dnspub::rfc2136
