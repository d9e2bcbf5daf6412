#include "tests/mocks/fake_dns_server.h"

#include <array>
#include <cctype>

namespace mailroom::testing {

namespace dnsdata {
std::string name(std::string_view dotted) {
  std::string out;
  if (!dotted.empty() && dotted.back() == '.') dotted.remove_suffix(1);
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  out += '\0';
  return out;
}
std::string a(std::string_view ip) {
  auto b = asio::ip::make_address_v4(std::string(ip)).to_bytes();
  return std::string(b.begin(), b.end());
}
std::string aaaa(std::string_view ip) {
  auto b = asio::ip::make_address_v6(std::string(ip)).to_bytes();
  return std::string(b.begin(), b.end());
}
std::string mx(uint16_t preference, std::string_view host) {
  std::string out{static_cast<char>(preference >> 8), static_cast<char>(preference & 0xff)};
  return out + name(host);
}
std::string txt(const std::vector<std::string>& strings) {
  std::string out;
  for (const auto& s : strings) {
    out += static_cast<char>(s.size());
    out += s;
  }
  return out;
}
std::string ptr(std::string_view target) {
  return name(target);
}
std::string cname(std::string_view target) {
  return name(target);
}
std::string soa(std::string_view mname, std::string_view rname, uint32_t minimum) {
  std::string out = name(mname) + name(rname);
  for (uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) {
    out += static_cast<char>(v >> 24);
    out += static_cast<char>((v >> 16) & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
  }
  return out;
}
}  // namespace dnsdata

namespace {

void put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}
void putRr(std::string& out, const DnsRr& rr) {
  out += dnsdata::name(rr.name);
  put16(out, rr.type);
  put16(out, 1);  // IN
  put32(out, rr.ttl);
  put16(out, static_cast<uint16_t>(rr.rdata.size()));
  out += rr.rdata;
}

struct Query {
  std::string raw;  // header + question, as received
  std::string name;
  uint16_t type = 0;
  size_t questionEnd = 0;
};

// Queries carry one uncompressed question (RFC 1035 §4.1.2).
bool parseQuery(const uint8_t* p, size_t len, Query& q) {
  if (len < 12 || (p[4] << 8 | p[5]) != 1) return false;
  size_t pos = 12;
  std::string name;
  while (pos < len && p[pos] != 0) {
    size_t l = p[pos];
    if (l > 63 || pos + 1 + l > len) return false;
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < l; ++i) {
      name += static_cast<char>(std::tolower(p[pos + 1 + i]));
    }
    pos += 1 + l;
  }
  if (pos + 5 > len) return false;
  q.type = static_cast<uint16_t>(p[pos + 1] << 8 | p[pos + 2]);
  q.questionEnd = pos + 5;
  q.name = name;
  q.raw.assign(reinterpret_cast<const char*>(p), q.questionEnd);
  return true;
}

}  // namespace

struct FakeDnsServer::State {
  explicit State(const asio::any_io_executor& ex) : udp(ex), acceptor(ex) {}
  asio::ip::udp::socket udp;
  asio::ip::tcp::acceptor acceptor;
  std::map<std::pair<std::string, uint16_t>, DnsReply> replies;
  std::vector<Seen> seen;
  bool stopped = false;

  // The reply bytes for a query, or "" to stay silent.
  std::string answer(const Query& q, bool tcp) {
    seen.push_back({q.name, q.type, tcp});
    DnsReply reply;
    reply.rcode = 3;
    if (auto it = replies.find({q.name, q.type}); it != replies.end()) reply = it->second;
    if (reply.drop) return "";
    bool truncate = reply.truncateOverUdp && !tcp;
    std::string out;
    out += q.raw.substr(0, 2);                                                   // ID
    uint16_t flags = 0x8000 | 0x0400 | 0x0080 | (reply.rcode & 0x0f);            // QR AA RA rcode
    flags |= static_cast<uint16_t>(static_cast<uint8_t>(q.raw[2]) & 0x01) << 8;  // copy RD
    if (truncate) flags |= 0x0200;
    put16(out, flags);
    put16(out, 1);
    put16(out, truncate ? 0 : static_cast<uint16_t>(reply.answers.size()));
    put16(out, truncate ? 0 : static_cast<uint16_t>(reply.authority.size()));
    put16(out, 0);
    out += q.raw.substr(12);
    if (!truncate) {
      for (const auto& rr : reply.answers) putRr(out, rr);
      for (const auto& rr : reply.authority) putRr(out, rr);
    }
    return out;
  }
};

namespace {

Task<void> serveUdp(std::shared_ptr<FakeDnsServer::State> s) {
  std::array<uint8_t, 4096> buf;
  while (!s->stopped) {
    asio::ip::udp::endpoint from;
    boost::system::error_code ec;
    size_t n = co_await s->udp.async_receive_from(asio::buffer(buf), from,
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec || s->stopped) co_return;
    Query q;
    if (!parseQuery(buf.data(), n, q)) continue;
    std::string out = s->answer(q, false);
    if (out.empty()) continue;
    co_await s->udp.async_send_to(asio::buffer(out), from,
                                  asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> serveTcpConnection(std::shared_ptr<FakeDnsServer::State> s, asio::ip::tcp::socket sock) {
  while (!s->stopped) {
    boost::system::error_code ec;
    std::array<uint8_t, 2> len;
    co_await asio::async_read(sock, asio::buffer(len),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || s->stopped) co_return;
    std::vector<uint8_t> msg(static_cast<size_t>(len[0] << 8 | len[1]));
    co_await asio::async_read(sock, asio::buffer(msg),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec || s->stopped) co_return;
    Query q;
    if (!parseQuery(msg.data(), msg.size(), q)) co_return;
    std::string body = s->answer(q, true);
    if (body.empty()) continue;
    std::string out;
    put16(out, static_cast<uint16_t>(body.size()));
    out += body;
    co_await asio::async_write(sock, asio::buffer(out),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

Task<void> serveTcp(std::shared_ptr<FakeDnsServer::State> s) {
  while (!s->stopped) {
    boost::system::error_code ec;
    auto sock = co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || s->stopped) co_return;
    asio::co_spawn(s->acceptor.get_executor(), serveTcpConnection(s, std::move(sock)),
                   asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<FakeDnsServer>> FakeDnsServer::start(asio::any_io_executor executor) {
  auto loopback = asio::ip::make_address_v4("127.0.0.1");
  // TCP must share the UDP port (c-ares uses one port per server): retry if it is taken.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto s = std::make_shared<State>(executor);
    boost::system::error_code ec;
    s->udp.open(asio::ip::udp::v4(), ec);
    if (!ec) s->udp.bind({loopback, 0}, ec);
    if (ec) return Error::internal("fake DNS: UDP bind: " + ec.message());
    uint16_t port = s->udp.local_endpoint().port();
    s->acceptor.open(asio::ip::tcp::v4(), ec);
    if (!ec) s->acceptor.bind({loopback, port}, ec);
    if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) continue;
    asio::co_spawn(executor, serveUdp(s), asio::detached);
    asio::co_spawn(executor, serveTcp(s), asio::detached);
    return std::unique_ptr<FakeDnsServer>(new FakeDnsServer(std::move(s)));
  }
  return Error::internal("fake DNS: no port free for both UDP and TCP");
}

FakeDnsServer::~FakeDnsServer() {
  state_->stopped = true;
  boost::system::error_code ec;
  state_->udp.close(ec);
  state_->acceptor.close(ec);
}

uint16_t FakeDnsServer::port() const {
  return state_->udp.local_endpoint().port();
}
std::string FakeDnsServer::server() const {
  return "127.0.0.1:" + std::to_string(port());
}

void FakeDnsServer::set(std::string_view name, uint16_t type, DnsReply reply) {
  std::string n(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  state_->replies[{n, type}] = std::move(reply);
}

const std::vector<FakeDnsServer::Seen>& FakeDnsServer::seen() const {
  return state_->seen;
}

}  // namespace mailroom::testing
