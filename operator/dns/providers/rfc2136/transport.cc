#include "operator/dns/providers/rfc2136/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailroom::dnspub::rfc2136 {

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error.
int waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? -1 : r;
  }
}

std::optional<TransportError> failed(const std::string& what) {
  return TransportError{TransportError::Kind::kFailed, what + ": " + std::strerror(errno)};
}
std::optional<TransportError> timedOut(const std::string& what) {
  return TransportError{TransportError::Kind::kTimeout, "timed out " + what};
}

std::optional<TransportError> writeAll(int fd, const Bytes& data, Clock::time_point deadline) {
  size_t at = 0;
  while (at < data.size()) {
    int w = waitFor(fd, POLLOUT, deadline);
    if (w == 0) return timedOut("sending");
    if (w < 0) return failed("sending");
    ssize_t n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return failed("sending");
    at += static_cast<size_t>(n);
  }
  return std::nullopt;
}

// Reads exactly n bytes; a clean close before the first byte is reported as closed=true.
std::optional<TransportError> readAll(int fd, uint8_t* out, size_t n, Clock::time_point deadline,
                                      bool& closed) {
  size_t at = 0;
  closed = false;
  while (at < n) {
    int w = waitFor(fd, POLLIN, deadline);
    if (w == 0) return timedOut("waiting for the answer");
    if (w < 0) return failed("receiving");
    ssize_t r = ::recv(fd, out + at, n - at, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r < 0) return failed("receiving");
    if (r == 0) {
      if (at == 0) {
        closed = true;
        return std::nullopt;
      }
      return TransportError{TransportError::Kind::kFailed,
                            "the server closed the connection "
                            "in the middle of a message"};
    }
    at += static_cast<size_t>(r);
  }
  return std::nullopt;
}

std::optional<TransportError> connectTo(const HostPort& hp, Clock::time_point deadline,
                                        int& fdOut) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &res);
  if (rc != 0)
    return TransportError{TransportError::Kind::kFailed,
                          "cannot resolve " + hp.host + ": " + ::gai_strerror(rc)};
  std::optional<TransportError> last;
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = failed("socket");
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      int w = waitFor(fd, POLLOUT, deadline);
      int err = 0;
      socklen_t len = sizeof err;
      if (w > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        fdOut = fd;
        ::freeaddrinfo(res);
        return std::nullopt;
      }
      if (w == 0) {
        last = timedOut("connecting");
      } else {
        errno = err;
        last = failed("connecting");
      }
    } else {
      last = failed("connecting");
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return last ? last : TransportError{TransportError::Kind::kFailed, "no address"};
}

}  // namespace

std::optional<HostPort> parseServer(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return std::nullopt;
    HostPort hp{s.substr(1, close - 1)};
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':' || close + 2 >= s.size()) return std::nullopt;
      hp.port = s.substr(close + 2);
    }
    return hp;
  }
  auto colon = s.find(':');
  if (colon == std::string::npos) return HostPort{s};
  if (s.find(':', colon + 1) != std::string::npos) return HostPort{s};  // bare IPv6
  if (colon == 0 || colon + 1 >= s.size()) return std::nullopt;
  HostPort hp{s.substr(0, colon), s.substr(colon + 1)};
  for (char c : hp.port)
    if (c < '0' || c > '9') return std::nullopt;
  return hp;
}

std::string TcpDnsTransport::server() const {
  return server_.host.find(':') != std::string::npos ? "[" + server_.host + "]:" + server_.port
                                                     : server_.host + ":" + server_.port;
}

std::optional<TransportError> TcpDnsTransport::exchange(
    const Bytes& query, const std::function<bool(const Bytes&)>& onMessage) {
  auto deadline = Clock::now() + timeout_;
  int fd = -1;
  if (auto e = connectTo(server_, deadline, fd)) return e;
  Socket sock(fd);
  Bytes framed;
  put16(framed, static_cast<uint16_t>(query.size()));
  framed.insert(framed.end(), query.begin(), query.end());
  if (auto e = writeAll(fd, framed, deadline)) return e;
  for (;;) {
    uint8_t len[2];
    bool closed = false;
    if (auto e = readAll(fd, len, 2, deadline, closed)) return e;
    if (closed)
      return TransportError{TransportError::Kind::kFailed,
                            "the server closed the connection before answering"};
    Bytes msg(static_cast<size_t>(len[0] << 8 | len[1]));
    if (auto e = readAll(fd, msg.data(), msg.size(), deadline, closed)) return e;
    if (closed)
      return TransportError{TransportError::Kind::kFailed,
                            "the server closed the connection in the middle of a message"};
    if (!onMessage(msg)) return std::nullopt;
  }
}

}  // namespace mailroom::dnspub::rfc2136
