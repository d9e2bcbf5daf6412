// The cpprestsdk client against loopback listeners on port 0: an answer, a server that never
// answers (timeout) and a closed port (connection failure) must come back as different outcomes.
#include "operator/dns/http/cpprest_http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace mailroom::dnspub {
namespace {

// A listening socket on 127.0.0.1:0.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// Reads one request (up to the blank line) and answers with `reply`.
void answerOnce(int listenFd, const std::string& reply, std::string* request) {
  int c = ::accept(listenFd, nullptr, nullptr);
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  *request = in;
  ::write(c, reply.data(), reply.size());
  ::close(c);
}

TEST(CpprestHttpClient, ReturnsStatusBodyAndRetryAfterAndSendsHeaders) {
  Listener l;
  std::string request;
  std::thread server(answerOnce, l.fd,
                     "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n"
                     "Connection: close\r\n\r\n{}",
                     &request);
  CpprestHttpClient client({l.url(), std::chrono::seconds(5), ""});
  auto r = client.send(
      {"GET", "/api/v1/servers/localhost/zones/example.com.", {{"X-API-Key", "k1"}}, "", ""});
  server.join();
  EXPECT_EQ(r.transport, HttpResponse::Transport::kOk) << r.transportError;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.retryAfter, "7");
  EXPECT_NE(request.find("GET /api/v1/servers/localhost/zones/example.com. HTTP/1.1"),
            std::string::npos);
  EXPECT_NE(request.find("X-API-Key:k1"), std::string::npos) << request;
}

// The webhook protocol compares media types exactly: the answer's Content-Type comes back as
// sent, and a request's own Accept replaces the default one.
TEST(CpprestHttpClient, ReturnsContentTypeAndSendsTheRequestsOwnAccept) {
  Listener l;
  std::string request;
  const std::string media = "application/external.dns.webhook+json;version=1";
  std::thread server(answerOnce, l.fd,
                     "HTTP/1.1 200 OK\r\nContent-Type: " + media +
                         "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]",
                     &request);
  CpprestHttpClient client({l.url(), std::chrono::seconds(5), ""});
  auto r = client.send({"GET", "/records", {{"Accept", media}}, "", ""});
  server.join();
  EXPECT_EQ(r.status, 200) << r.transportError;
  EXPECT_EQ(r.contentType, media);
  EXPECT_NE(request.find("Accept:" + media + "\r\n"), std::string::npos) << request;
  EXPECT_EQ(request.find("application/json"), std::string::npos) << request;
  // The Route53 provider signs the Host header it expects cpprestsdk to send: host:port.
  EXPECT_NE(request.find("Host: 127.0.0.1:" + std::to_string(l.port) + "\r\n"), std::string::npos)
      << request;
}

TEST(CpprestHttpClient, ASilentServerIsATimeout) {
  Listener l;  // accepts (kernel backlog) but never answers
  CpprestHttpClient client({l.url(), std::chrono::seconds(1), ""});
  auto r = client.send({"GET", "/", {}, "", ""});
  EXPECT_EQ(r.transport, HttpResponse::Transport::kTimeout) << r.transportError;
}

TEST(CpprestHttpClient, AClosedPortIsAConnectionFailure) {
  int port;
  {
    Listener l;
    port = l.port;
  }  // closed again: nothing listens there now
  CpprestHttpClient client(
      {"http://127.0.0.1:" + std::to_string(port), std::chrono::seconds(5), ""});
  auto r = client.send({"GET", "/", {}, "", ""});
  EXPECT_EQ(r.transport, HttpResponse::Transport::kFailed);
  EXPECT_FALSE(r.transportError.empty());
}

}  // namespace
}  // namespace mailroom::dnspub
