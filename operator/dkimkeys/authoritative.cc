#include "operator/dkimkeys/authoritative.h"

#include <memory>
#include <optional>

#include "lib/common/asio.h"
#include "lib/dns/cares_resolver.h"

namespace mailroom::dkimkeys {
namespace {

struct ServerAnswer {
  bool reachable = false;
  bool serves = false;
  std::string detail;
};

// One authoritative host: its addresses as c-ares server strings ("ip:port").
struct Host {
  std::string name;
  std::vector<std::string> servers;
};

std::string serverOf(const dns::Address& addr, uint16_t port) {
  std::string ip = addr.to_string();
  return (addr.is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

dns::CaresOptions caresOptions(const DnsCheckerOptions& o, std::vector<std::string> servers) {
  dns::CaresOptions co;
  co.servers = std::move(servers);
  co.timeout = o.timeout;
  co.tries = o.tries;
  return co;
}

Task<ServerAnswer> ask(const DnsCheckerOptions& o, std::string server, std::string fqdn,
                       std::string expected) {
  auto ex = co_await asio::this_coro::executor;
  auto resolver = dns::CaresResolver::create(ex, caresOptions(o, {server}));
  if (!resolver) co_return ServerAnswer{false, false, server + ": " + resolver.error().message};
  auto answer = co_await (*resolver)->txt(fqdn);
  if (dns::isTemporary(answer.status)) co_return ServerAnswer{false, false, answer.detail};
  if (!answer.ok()) co_return ServerAnswer{true, false, answer.detail};
  bool serves = answer.records.size() == 1 && answer.records.front() == expected;
  co_return ServerAnswer{true, serves, serves ? "" : server + ": serves another value"};
}

// The zone's NS hosts and their addresses, through the recursive resolver.
Task<Result<std::vector<Host>>> findHosts(const DnsCheckerOptions& o, std::string zone) {
  auto ex = co_await asio::this_coro::executor;
  auto resolver = dns::CaresResolver::create(ex, caresOptions(o, o.recursiveServers));
  if (!resolver) co_return resolver.error();
  auto ns = co_await (*resolver)->ns(zone);
  if (!ns.ok()) {
    std::string why = "NS of " + zone + ": " + ns.detail;
    co_return dns::isTemporary(ns.status) ? Error::temporary(why) : Error::permanent(why);
  }
  std::vector<Host> hosts;
  for (const auto& name : ns.records) {
    Host host{name, {}};
    auto v4 = co_await (*resolver)->a(name);
    auto v6 = co_await (*resolver)->aaaa(name);
    for (const auto& addr : v4.records) host.servers.push_back(serverOf(addr, o.port));
    for (const auto& addr : v6.records) host.servers.push_back(serverOf(addr, o.port));
    if (host.servers.empty())
      co_return Error::temporary("name server " + name + " has no address: " + v4.detail);
    hosts.push_back(std::move(host));
  }
  co_return hosts;
}

Task<Result<bool>> check(DnsCheckerOptions o, std::string zone, std::string fqdn,
                         std::string expected) {
  std::vector<Host> hosts;
  for (const auto& server : o.servers) hosts.push_back({server, {server}});
  if (hosts.empty()) {
    auto found = co_await findHosts(o, zone);
    if (!found) co_return found.error();
    hosts = std::move(found).value();
  }
  std::optional<Error> unreachable;
  for (const auto& host : hosts) {
    bool reachable = false;
    std::string detail;
    for (const auto& server : host.servers) {
      ServerAnswer a = co_await ask(o, server, fqdn, expected);
      if (!a.reachable) {
        detail = a.detail;
        continue;
      }
      if (!a.serves) co_return false;
      reachable = true;
    }
    if (!reachable && !unreachable)
      unreachable = Error::temporary("name server " + host.name + " did not answer: " + detail);
  }
  if (unreachable) co_return *unreachable;
  co_return true;
}

}  // namespace

Result<bool> DnsAuthoritativeChecker::served(const std::string& zone, const std::string& fqdn,
                                             const std::string& expected) {
  asio::io_context io;
  std::optional<Result<bool>> out;
  // co_spawn wants a default-constructible result; Result<bool> is not, so the task writes it.
  auto run = [&]() -> Task<void> { out = co_await check(options_, zone, fqdn, expected); };
  asio::co_spawn(io, run(), [&](std::exception_ptr e) {
    if (e) out = Error::internal("authoritative check failed unexpectedly");
  });
  io.run();
  if (!out) return Error::internal("authoritative check did not complete");
  return std::move(*out);
}

}  // namespace mailroom::dkimkeys
