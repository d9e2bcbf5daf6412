// The real Resolver: c-ares (RFC 1035 over UDP with TCP fallback on truncation, §4.2) driven by
// the owner's Boost.Asio event loop, as Envoy does. c-ares tells us which sockets it wants
// watched (the socket state callback); each becomes a posix::stream_descriptor that we
// async_wait on, and a steady_timer wakes c-ares for its retransmission timeouts. The channel is
// touched only from the resolver's executor, so there are no locks.
//
// Answers keep NXDOMAIN, NODATA, SERVFAIL/REFUSED and timeouts apart (lib/dns/resolver.h);
// CNAME chains are followed for every type (RFC 1034 §3.6.2), a null MX (RFC 7505) comes back
// as host "". Destroying the resolver completes outstanding queries with kTempFail.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/common/asio.h"
#include "lib/common/result.h"
#include "lib/dns/resolver.h"

struct ares_channeldata;

namespace mailroom::dns {

struct CaresOptions {
  // "198.51.100.53", "198.51.100.53:5353", "2001:db8::53" or "[2001:db8::53]:5353".
  // Empty: the nameservers of the system's /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{2000};  // first try; c-ares doubles it per round of servers
  int tries = 3;                            // per server
  bool rotate = false;                      // false: always start with the first server
  // EDNS0 UDP payload size (RFC 6891); 1232 avoids IP fragmentation (DNS flag day 2020). 0: off,
  // answers over 512 bytes then come over TCP.
  uint16_t ednsPayload = 1232;
};

// Turns the servers option into the CSV that ares_set_servers_ports_csv expects ("ip:port",
// "[v6]:port"), rejecting anything that is not an IP literal with an optional port.
Result<std::string> serversCsv(const std::vector<std::string>& servers);

// Maps a c-ares status code (ares.h) to the Resolver outcome.
Status statusFromAres(int aresStatus);

class CaresResolver : public Resolver {
 public:
  static Result<std::unique_ptr<CaresResolver>> create(asio::any_io_executor executor,
                                                       CaresOptions options = {});
  ~CaresResolver() override;
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  Task<Answer<MxRecord>> mx(std::string name) override;
  Task<Answer<Address>> a(std::string name) override;
  Task<Answer<Address>> aaaa(std::string name) override;
  Task<Answer<std::string>> txt(std::string name) override;
  Task<Answer<std::string>> ptr(Address addr) override;
  // The name servers of a zone (RFC 1035 §3.3.11), lower case without the trailing dot. Not in
  // the Resolver interface: only the operator asks, to query a zone's authoritative servers
  // directly (operator/dkimkeys).
  Task<Answer<std::string>> ns(std::string zone);

  const asio::any_io_executor& executor() const { return executor_; }

  // One raw exchange: the c-ares status and the response bytes (when there is a response).
  struct RawReply {
    int status = 0;
    std::vector<unsigned char> message;
  };

 private:
  struct Watch;
  struct PendingQuery;
  template <class Handler>
  struct PendingQueryImpl;

  explicit CaresResolver(asio::any_io_executor executor);

  // Sends one query (no search domains) and completes when c-ares calls back.
  Task<RawReply> query(std::string name, int type);
  // Runs the query, chases CNAMEs the server did not follow, and hands a successful answer to
  // decode (which returns the records, or ARES_ENODATA through its status).
  template <class T, class Decode>
  Task<Answer<T>> lookup(std::string name, int type, Decode decode);

  static void onSocketState(void* self, int fd, int readable, int writable);
  static void onReply(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void watch(int fd, bool readable, bool writable);
  void armRead(const std::shared_ptr<Watch>& w);
  void armWrite(const std::shared_ptr<Watch>& w);
  void closeWatch(const std::shared_ptr<Watch>& w);
  void service(const std::shared_ptr<Watch>& w);
  void armTimer();

  asio::any_io_executor executor_;
  ares_channeldata* channel_ = nullptr;
  std::map<int, std::shared_ptr<Watch>> watches_;
  asio::steady_timer timer_;
  uint64_t timerGeneration_ = 0;
  // Handlers still queued when the resolver goes away check this before touching it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace mailroom::dns
