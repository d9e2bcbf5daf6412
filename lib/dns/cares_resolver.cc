#include "lib/dns/cares_resolver.h"

#include <ares.h>
#include <poll.h>

#include <charconv>
#include <cstring>

#include "lib/dns/wire.h"

namespace mailroom::dns {
namespace {

constexpr int kClassIn = 1;
// A resolver that follows CNAMEs itself stops at 8 hops (BIND's limit is 16, Unbound's 11);
// longer chains are misconfigurations or loops.
constexpr int kMaxCnameHops = 8;
// Bounds one burst of socket servicing so a flood on one socket cannot starve the loop.
constexpr int kMaxServicePasses = 64;

bool validName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    size_t end = dot == std::string::npos ? name.size() : dot;
    if (end == start || end - start > 63) return false;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

const char* typeName(int type) {
  switch (type) {
    case wire::kTypeA:
      return "A";
    case wire::kTypeAaaa:
      return "AAAA";
    case wire::kTypeMx:
      return "MX";
    case wire::kTypeTxt:
      return "TXT";
    case wire::kTypePtr:
      return "PTR";
    case wire::kTypeNs:
      return "NS";
  }
  return "?";
}

// Which of the wanted directions are ready right now (a zero-timeout poll). Asio's epoll reactor
// is edge-triggered and c-ares reads a TCP answer in several passes, so after each wake-up we
// keep servicing the socket until it has nothing left instead of waiting for an edge that will
// not come.
short readyEvents(int fd, bool read, bool write) {
  pollfd p{fd, static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
  if (::poll(&p, 1, 0) <= 0) return 0;
  return p.revents;
}

bool parsePort(std::string_view s, uint16_t& port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

Status statusFromAres(int s) {
  switch (s) {
    case ARES_SUCCESS:
      return Status::kOk;
    case ARES_ENOTFOUND:
      return Status::kNxDomain;
    case ARES_ENODATA:
      return Status::kNoData;
    case ARES_ETIMEOUT:
      return Status::kTimeout;
    case ARES_EBADNAME:
      return Status::kBadName;
    // SERVFAIL, REFUSED, connection refused, FORMERR/NOTIMP from the server, garbled answers,
    // cancellation and destruction all say nothing about the name: try later.
    default:
      return Status::kTempFail;
  }
}

Result<std::string> serversCsv(const std::vector<std::string>& servers) {
  std::string csv;
  for (const auto& entry : servers) {
    std::string_view s = entry;
    std::string_view host = s;
    uint16_t port = 53;
    bool bracketed = false;
    if (!s.empty() && s.front() == '[') {
      auto close = s.find(']');
      if (close == std::string_view::npos)
        return Error::invalidArgument("DNS server \"" + entry + "\": missing ']'");
      host = s.substr(1, close - 1);
      auto rest = s.substr(close + 1);
      if (!rest.empty() && (rest.front() != ':' || !parsePort(rest.substr(1), port))) {
        return Error::invalidArgument("DNS server \"" + entry + "\": bad port");
      }
      bracketed = true;
    } else if (auto colon = s.find(':'); colon != std::string_view::npos && s.rfind(':') == colon) {
      host = s.substr(0, colon);  // exactly one ':' is "v4:port"; more is a bare IPv6 address
      if (!parsePort(s.substr(colon + 1), port)) {
        return Error::invalidArgument("DNS server \"" + entry + "\": bad port");
      }
    }
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(std::string(host), ec);
    if (ec || (bracketed && !addr.is_v6()) || (!addr.is_v6() && host.find(':') != host.npos)) {
      return Error::invalidArgument("DNS server \"" + entry +
                                    "\": not an IP address (\"ip\", \"ip:port\" or \"[v6]:port\")");
    }
    if (!csv.empty()) csv += ',';
    csv += addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
    csv += ":" + std::to_string(port);
  }
  return csv;
}

struct CaresResolver::Watch {
  Watch(const asio::any_io_executor& ex, int fd) : fd(fd), sd(ex) {}
  int fd;
  asio::posix::stream_descriptor sd;
  bool wantRead = false, wantWrite = false;
  bool reading = false, writing = false;  // an async_wait is outstanding
  bool closed = false;                    // c-ares closed the socket; the fd may be reused
};

struct CaresResolver::PendingQuery {
  virtual ~PendingQuery() = default;
  virtual void complete(RawReply reply) = 0;
};

template <class Handler>
struct CaresResolver::PendingQueryImpl : CaresResolver::PendingQuery {
  explicit PendingQueryImpl(Handler h)
      : handler(std::move(h)),
        work(asio::make_work_guard(asio::get_associated_executor(handler))) {}
  // Posted, never invoked inline: c-ares calls back from inside ares_process_fd/ares_destroy,
  // and resuming the coroutine there would re-enter the channel.
  void complete(RawReply reply) override {
    auto ex = work.get_executor();
    asio::post(ex, [h = std::move(handler), r = std::move(reply)]() mutable {
      std::move(h)(std::move(r));
    });
  }
  Handler handler;
  decltype(asio::make_work_guard(asio::get_associated_executor(std::declval<Handler&>()))) work;
};

CaresResolver::CaresResolver(asio::any_io_executor executor)
    : executor_(std::move(executor)), timer_(executor_) {}

Result<std::unique_ptr<CaresResolver>> CaresResolver::create(asio::any_io_executor executor,
                                                             CaresOptions options) {
  static const int libraryStatus = ares_library_init(ARES_LIB_INIT_ALL);
  if (libraryStatus != ARES_SUCCESS) {
    return Error::internal(std::string("ares_library_init: ") + ares_strerror(libraryStatus));
  }
  if (options.tries < 1 || options.timeout.count() <= 0) {
    return Error::invalidArgument("DNS timeout and tries must be positive");
  }
  std::string csv;
  if (!options.servers.empty()) {
    auto parsed = serversCsv(options.servers);
    if (!parsed) return parsed.error();
    csv = std::move(*parsed);
  }

  std::unique_ptr<CaresResolver> self(new CaresResolver(std::move(executor)));
  ares_options o{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
             (options.rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE);
  o.sock_state_cb = &CaresResolver::onSocketState;
  o.sock_state_cb_data = self.get();
  o.timeout = static_cast<int>(options.timeout.count());
  o.tries = options.tries;
  // Mail names are always fully qualified: never append resolv.conf search domains.
  o.flags = ARES_FLAG_NOSEARCH;
  if (options.ednsPayload > 0) {
    o.flags |= ARES_FLAG_EDNS;
    o.ednspsz = options.ednsPayload;
    mask |= ARES_OPT_EDNSPSZ;
  }
  ares_channel channel = nullptr;
  if (int s = ares_init_options(&channel, &o, mask); s != ARES_SUCCESS) {
    return Error::internal(std::string("ares_init_options: ") + ares_strerror(s));
  }
  self->channel_ = channel;
  if (!csv.empty()) {
    if (int s = ares_set_servers_ports_csv(channel, csv.c_str()); s != ARES_SUCCESS) {
      return Error::invalidArgument("DNS servers \"" + csv + "\": " + ares_strerror(s));
    }
  }
  return self;
}

CaresResolver::~CaresResolver() {
  // ares_destroy calls every outstanding query back with ARES_EDESTRUCTION (completed as
  // kTempFail, posted) and reports each socket closed through onSocketState.
  if (channel_ != nullptr) ares_destroy(channel_);
  channel_ = nullptr;
  for (auto& [fd, w] : watches_) closeWatch(w);
  watches_.clear();
  alive_.reset();
}

void CaresResolver::onSocketState(void* self, int fd, int readable, int writable) {
  static_cast<CaresResolver*>(self)->watch(fd, readable != 0, writable != 0);
}

void CaresResolver::watch(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares closes the socket right after this call: stop watching before the fd is reused.
    if (it != watches_.end()) {
      closeWatch(it->second);
      watches_.erase(it);
    }
    return;
  }
  if (it == watches_.end()) {
    auto w = std::make_shared<Watch>(executor_, fd);
    boost::system::error_code ec;
    w->sd.assign(fd, ec);
    // Not watchable (should not happen): the query then ends through its timeout.
    if (ec) return;
    it = watches_.emplace(fd, std::move(w)).first;
  }
  auto w = it->second;
  w->wantRead = readable;
  w->wantWrite = writable;
  armRead(w);
  armWrite(w);
}

void CaresResolver::closeWatch(const std::shared_ptr<Watch>& w) {
  w->closed = true;
  boost::system::error_code ec;
  w->sd.cancel(ec);
  // The fd belongs to c-ares: release it from Asio without closing it.
  if (w->sd.is_open()) w->sd.release();
}

void CaresResolver::armRead(const std::shared_ptr<Watch>& w) {
  if (w->closed || !w->wantRead || w->reading) return;
  w->reading = true;
  w->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, w](const boost::system::error_code& ec) {
                     if (w->closed) return;  // also true once the resolver is gone
                     w->reading = false;
                     if (ec) return;
                     service(w);
                   });
}

void CaresResolver::armWrite(const std::shared_ptr<Watch>& w) {
  if (w->closed || !w->wantWrite || w->writing) return;
  w->writing = true;
  w->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                   [this, w](const boost::system::error_code& ec) {
                     if (w->closed) return;
                     w->writing = false;
                     if (ec) return;
                     service(w);
                   });
}

void CaresResolver::service(const std::shared_ptr<Watch>& w) {
  for (int pass = 0; pass < kMaxServicePasses; ++pass) {
    if (w->closed || (!w->wantRead && !w->wantWrite)) break;
    short ev = readyEvents(w->fd, w->wantRead, w->wantWrite);
    bool r = w->wantRead && (ev & (POLLIN | POLLERR | POLLHUP));
    bool wr = w->wantWrite && (ev & (POLLOUT | POLLERR | POLLHUP));
    if (!r && !wr) break;
    ares_process_fd(channel_, r ? w->fd : ARES_SOCKET_BAD, wr ? w->fd : ARES_SOCKET_BAD);
    if (pass + 1 == kMaxServicePasses && !w->closed) {
      asio::post(executor_, [this, w, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired() && !w->closed) service(w);
      });
    }
  }
  if (!w->closed) {
    armRead(w);
    armWrite(w);
  }
  armTimer();
}

void CaresResolver::armTimer() {
  if (channel_ == nullptr) return;
  timeval tv{};
  timeval* next = ares_timeout(channel_, nullptr, &tv);
  uint64_t generation = ++timerGeneration_;
  if (next == nullptr) {
    boost::system::error_code ec;
    timer_.cancel(ec);
    return;
  }
  // One extra millisecond so that c-ares, checking with its own clock, sees the deadline passed.
  timer_.expires_after(std::chrono::seconds(next->tv_sec) +
                       std::chrono::microseconds(next->tv_usec) + std::chrono::milliseconds(1));
  timer_.async_wait(
      [this, generation, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired() || generation != timerGeneration_) return;
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retransmit or time out
        armTimer();
      });
}

void CaresResolver::onReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                            int alen) {
  std::unique_ptr<PendingQuery> q(static_cast<PendingQuery*>(arg));
  RawReply reply;
  reply.status = status;
  if (abuf != nullptr && alen > 0) reply.message.assign(abuf, abuf + alen);
  q->complete(std::move(reply));
}

Task<CaresResolver::RawReply> CaresResolver::query(std::string name, int type) {
  auto initiate = [this](auto handler, std::string qname, int qtype) {
    auto* pending = new PendingQueryImpl<decltype(handler)>(std::move(handler));
    ares_query(channel_, qname.c_str(), kClassIn, qtype, &CaresResolver::onReply,
               static_cast<PendingQuery*>(pending));
    armTimer();
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(RawReply)>(
      initiate, asio::use_awaitable, std::move(name), type);
}

template <class T, class Decode>
Task<Answer<T>> CaresResolver::lookup(std::string name, int type, Decode decode) {
  Answer<T> out;
  std::string qname = normalizeName(name);
  if (!validName(qname)) {
    out.status = Status::kBadName;
    out.detail = std::string(typeName(type)) + " \"" + name + "\": not a valid DNS name";
    co_return out;
  }
  std::weak_ptr<int> alive = alive_;
  for (int hop = 0; hop <= kMaxCnameHops; ++hop) {
    RawReply raw = co_await query(qname, type);
    auto msg = raw.message.empty() ? Result<wire::Message>(Error::permanent("no message"))
                                   : wire::parse(raw.message.data(), raw.message.size());
    int status = raw.status;
    if (status == ARES_SUCCESS) {
      out.records.clear();
      int decoded = decode(raw.message, out.records);
      if (decoded == ARES_SUCCESS && !out.records.empty()) {
        out.status = Status::kOk;
        out.ttl = msg.ok() ? wire::answerTtl(*msg, static_cast<uint16_t>(type)) : 0;
        co_return out;
      }
      out.records.clear();
      status = decoded == ARES_SUCCESS ? ARES_ENODATA : decoded;
      // Only a CNAME for the asked name: the server did not follow it, so we do.
      if (status == ARES_ENODATA && msg.ok()) {
        std::string end = wire::chainEnd(*msg, qname);
        if (end != qname) {
          if (alive.expired()) {
            out.status = Status::kTempFail;
            out.detail = "resolver destroyed";
            co_return out;
          }
          qname = std::move(end);
          continue;
        }
      }
    }
    out.status = statusFromAres(status);
    if ((out.status == Status::kNxDomain || out.status == Status::kNoData) && msg.ok()) {
      out.ttl = wire::negativeTtl(*msg);
    }
    out.detail = std::string(typeName(type)) + " " + qname + ": " + ares_strerror(status);
    co_return out;
  }
  out.status = Status::kTempFail;
  out.detail = std::string(typeName(type)) + " " + normalizeName(name) +
               ": CNAME chain longer than " + std::to_string(kMaxCnameHops);
  co_return out;
}

Task<Answer<MxRecord>> CaresResolver::mx(std::string name) {
  return lookup<MxRecord>(std::move(name), wire::kTypeMx,
                          [](const std::vector<unsigned char>& m, std::vector<MxRecord>& out) {
                            ares_mx_reply* head = nullptr;
                            int s =
                                ares_parse_mx_reply(m.data(), static_cast<int>(m.size()), &head);
                            for (auto* r = head; r != nullptr; r = r->next) {
                              out.push_back({r->priority, normalizeName(r->host)});
                            }
                            if (head != nullptr) ares_free_data(head);
                            return s;
                          });
}

Task<Answer<Address>> CaresResolver::a(std::string name) {
  return lookup<Address>(std::move(name), wire::kTypeA,
                         [](const std::vector<unsigned char>& m, std::vector<Address>& out) {
                           ares_addrttl ttls[64];
                           int n = 64;
                           int s = ares_parse_a_reply(m.data(), static_cast<int>(m.size()), nullptr,
                                                      ttls, &n);
                           for (int i = 0; s == ARES_SUCCESS && i < n; ++i) {
                             asio::ip::address_v4::bytes_type b;
                             std::memcpy(b.data(), &ttls[i].ipaddr, 4);
                             out.push_back(asio::ip::address_v4(b));
                           }
                           return s;
                         });
}

Task<Answer<Address>> CaresResolver::aaaa(std::string name) {
  return lookup<Address>(std::move(name), wire::kTypeAaaa,
                         [](const std::vector<unsigned char>& m, std::vector<Address>& out) {
                           ares_addr6ttl ttls[64];
                           int n = 64;
                           int s = ares_parse_aaaa_reply(m.data(), static_cast<int>(m.size()),
                                                         nullptr, ttls, &n);
                           for (int i = 0; s == ARES_SUCCESS && i < n; ++i) {
                             asio::ip::address_v6::bytes_type b;
                             std::memcpy(b.data(), &ttls[i].ip6addr, 16);
                             out.push_back(asio::ip::address_v6(b));
                           }
                           return s;
                         });
}

Task<Answer<std::string>> CaresResolver::txt(std::string name) {
  return lookup<std::string>(
      std::move(name), wire::kTypeTxt,
      [](const std::vector<unsigned char>& m, std::vector<std::string>& out) {
        ares_txt_ext* head = nullptr;
        int s = ares_parse_txt_reply_ext(m.data(), static_cast<int>(m.size()), &head);
        // RFC 7208 §3.3: the character-strings of one record are joined without spaces.
        for (auto* r = head; r != nullptr; r = r->next) {
          if (r->record_start || out.empty()) out.emplace_back();
          out.back().append(reinterpret_cast<const char*>(r->txt), r->length);
        }
        if (head != nullptr) ares_free_data(head);
        return s;
      });
}

Task<Answer<std::string>> CaresResolver::ptr(Address addr) {
  return lookup<std::string>(
      reverseName(addr), wire::kTypePtr,
      [addr](const std::vector<unsigned char>& m, std::vector<std::string>& out) {
        hostent* host = nullptr;
        int s;
        if (addr.is_v4()) {
          auto b = addr.to_v4().to_bytes();
          s = ares_parse_ptr_reply(m.data(), static_cast<int>(m.size()), b.data(), 4, AF_INET,
                                   &host);
        } else {
          auto b = addr.to_v6().to_bytes();
          s = ares_parse_ptr_reply(m.data(), static_cast<int>(m.size()), b.data(), 16, AF_INET6,
                                   &host);
        }
        // c-ares lists every PTR target in h_aliases (h_name is only the last one).
        if (s == ARES_SUCCESS && host != nullptr) {
          for (char** alias = host->h_aliases; alias != nullptr && *alias != nullptr; ++alias) {
            out.push_back(normalizeName(*alias));
          }
          if (out.empty() && host->h_name != nullptr) out.push_back(normalizeName(host->h_name));
        }
        if (host != nullptr) ares_free_hostent(host);
        return s;
      });
}

Task<Answer<std::string>> CaresResolver::ns(std::string zone) {
  return lookup<std::string>(
      std::move(zone), wire::kTypeNs,
      [](const std::vector<unsigned char>& m, std::vector<std::string>& out) {
        hostent* host = nullptr;
        int s = ares_parse_ns_reply(m.data(), static_cast<int>(m.size()), &host);
        // c-ares lists the name servers in h_aliases.
        if (s == ARES_SUCCESS && host != nullptr) {
          for (char** alias = host->h_aliases; alias != nullptr && *alias != nullptr; ++alias) {
            out.push_back(normalizeName(*alias));
          }
        }
        if (host != nullptr) ares_free_hostent(host);
        return s;
      });
}

}  // namespace mailroom::dns
