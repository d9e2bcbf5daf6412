// DnsAuthoritativeChecker over the real c-ares resolver against in-process DNS servers on
// loopback, which run on a thread of their own (the checker blocks on its own event loop).
#include "operator/dkimkeys/authoritative.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "lib/dns/wire.h"
#include "tests/mocks/fake_dns_server.h"

namespace mailroom::dkimkeys {
namespace {

using testing::DnsReply;
using testing::DnsRr;
using testing::FakeDnsServer;
namespace dd = testing::dnsdata;
namespace wire = dns::wire;

constexpr const char* kName = "mr._domainkey.example.com";
const std::string kValue = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

DnsReply txt(std::vector<std::vector<std::string>> records) {
  DnsReply r;
  for (auto& strings : records) r.answers.push_back({kName, wire::kTypeTxt, 60, dd::txt(strings)});
  return r;
}

class DnsCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& s : servers_) {
      auto started = FakeDnsServer::start(io_.get_executor());
      ASSERT_TRUE(started.ok()) << started.error().message;
      s = std::move(*started);
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    onServers([this] { servers_[0].reset(), servers_[1].reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  // The servers live on their thread: change them there.
  void onServers(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  void set(int server, std::string_view name, uint16_t type, DnsReply reply) {
    onServers([&] { servers_[server]->set(name, type, reply); });
  }
  DnsCheckerOptions overrides() {
    DnsCheckerOptions o;
    o.servers = {servers_[0]->server(), servers_[1]->server()};
    o.timeout = std::chrono::milliseconds(200);
    o.tries = 1;
    return o;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<FakeDnsServer> servers_[2];
  std::thread thread_;
};

TEST_F(DnsCheckerTest, ServedOnlyWhenEveryServerServesTheValue) {
  DnsAuthoritativeChecker checker(overrides());
  // A long value comes as several character-strings; they are compared concatenated.
  auto split = txt({{kValue.substr(0, 20), kValue.substr(20)}});
  set(0, kName, wire::kTypeTxt, split);
  auto r = checker.served("example.com", kName, kValue);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(*r);  // the second server answers NXDOMAIN: not yet
  set(1, kName, wire::kTypeTxt, txt({{"v=DKIM1; k=ed25519; p=old"}}));
  r = checker.served("example.com", kName, kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);  // another value
  set(1, kName, wire::kTypeTxt, txt({{kValue}, {"v=DKIM1; k=ed25519; p=old"}}));
  EXPECT_FALSE(*checker.served("example.com", kName, kValue));  // two records
  set(1, kName, wire::kTypeTxt, txt({{kValue}}));
  r = checker.served("example.com", kName, kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
}

TEST_F(DnsCheckerTest, AServerThatDoesNotAnswerIsAnErrorNotAnAnswer) {
  DnsAuthoritativeChecker checker(overrides());
  set(0, kName, wire::kTypeTxt, txt({{kValue}}));
  DnsReply drop;
  drop.drop = true;
  set(1, kName, wire::kTypeTxt, drop);
  auto r = checker.served("example.com", kName, kValue);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTemporary);
  EXPECT_NE(r.error().message.find(servers_[1]->server()), std::string::npos) << r.error().message;
  // A server that answers wrongly settles it even when another is silent.
  set(0, kName, wire::kTypeTxt, DnsReply{});
  r = checker.served("example.com", kName, kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

TEST_F(DnsCheckerTest, FindsTheServersThroughTheZonesNs) {
  DnsCheckerOptions o;
  o.recursiveServers = {servers_[0]->server()};
  o.port = servers_[1]->port();  // the authoritative server found through NS, on its test port
  o.timeout = std::chrono::milliseconds(200);
  o.tries = 1;
  DnsReply ns;
  ns.answers = {{"example.com", wire::kTypeNs, 3600, dd::name("ns1.example.net")}};
  set(0, "example.com", wire::kTypeNs, ns);
  DnsReply a;
  a.answers = {{"ns1.example.net", wire::kTypeA, 3600, dd::a("127.0.0.1")}};
  set(0, "ns1.example.net", wire::kTypeA, a);
  set(0, "ns1.example.net", wire::kTypeAaaa, DnsReply{});
  // The recursive resolver has the old value cached; the authoritative server the new one.
  set(0, kName, wire::kTypeTxt, txt({{"v=DKIM1; k=ed25519; p=old"}}));
  set(1, kName, wire::kTypeTxt, txt({{kValue}}));
  DnsAuthoritativeChecker checker(o);
  auto r = checker.served("example.com", kName, kValue);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(*r);
  bool askedAuthoritative = false;
  onServers([&] {
    for (const auto& q : servers_[1]->seen()) askedAuthoritative |= q.name == kName;
  });
  EXPECT_TRUE(askedAuthoritative);
}

TEST_F(DnsCheckerTest, NoNsIsAnErrorNamingTheZone) {
  DnsCheckerOptions o;
  o.recursiveServers = {servers_[0]->server()};
  o.timeout = std::chrono::milliseconds(200);
  o.tries = 1;
  DnsAuthoritativeChecker checker(o);
  auto r = checker.served("example.com", kName, kValue);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(r.error().message.find("NS of example.com"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace mailroom::dkimkeys
