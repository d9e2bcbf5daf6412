// checkDomain over the real CaresResolver against the in-process DNS server on loopback (port
// 0): the verdicts survive real wire-format answers, a SERVFAILing or silent server gives
// "unknown" for every check (never pass), and lookups run side by side, so a dead server costs
// about one lookup timeout rather than one per lookup.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "lib/auth/health/health.h"
#include "lib/dns/cares_resolver.h"
#include "lib/dns/wire.h"
#include "tests/mocks/fake_dns_server.h"

namespace mailroom::health {
namespace {

using testing::DnsReply;
using testing::FakeDnsServer;
namespace dd = testing::dnsdata;
namespace wire = dns::wire;

class HealthWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = FakeDnsServer::start(io_.get_executor());
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
  }

  void answer(const std::string& name, uint16_t type, std::vector<std::string> rdatas) {
    DnsReply r;
    for (auto& d : rdatas) r.answers.push_back({name, type, 300, std::move(d)});
    server_->set(name, type, std::move(r));
  }

  // Every name and type the request below looks up.
  std::vector<std::pair<std::string, uint16_t>> allLookups() const {
    return {{"example.com", wire::kTypeTxt},
            {"example.com", wire::kTypeMx},
            {"_dmarc.example.com", wire::kTypeTxt},
            {"s1._domainkey.example.com", wire::kTypeTxt},
            {"_mta-sts.example.com", wire::kTypeTxt},
            {"_smtp._tls.example.com", wire::kTypeTxt},
            {dns::reverseName(asio::ip::make_address("198.51.100.10")), wire::kTypePtr},
            {dns::reverseName(asio::ip::make_address("2001:db8:5::10")), wire::kTypePtr}};
  }

  HealthRequest request() const {
    HealthRequest req;
    req.domain = "example.com";
    req.ips = {asio::ip::make_address("198.51.100.10"), asio::ip::make_address("2001:db8:5::10")};
    req.ehloHostname = "mail.example.com";
    req.selectors = {{"s1", std::nullopt}};
    req.now = std::chrono::system_clock::time_point(std::chrono::seconds(1795500000));
    return req;
  }

  HealthReport check(std::chrono::milliseconds timeout) {
    dns::CaresOptions o;
    o.servers = {server_->server()};
    o.timeout = timeout;
    o.tries = 2;
    auto resolver = dns::CaresResolver::create(io_.get_executor(), o);
    EXPECT_TRUE(resolver.ok());
    if (!resolver.ok()) return {};
    std::optional<HealthReport> out;
    asio::co_spawn(io_, checkDomain(**resolver, request()),
                   [&](std::exception_ptr e, HealthReport r) {
                     if (e) std::rethrow_exception(e);
                     out = std::move(r);
                   });
    // A hung lookup fails the test instead of hanging it.
    while (!out && io_.run_one_for(std::chrono::seconds(30)) > 0) {
    }
    EXPECT_TRUE(out.has_value()) << "checkDomain did not complete";
    return out.value_or(HealthReport{});
  }

  Status statusOf(const HealthReport& r, const std::string& check, const std::string& subject) {
    for (const auto& c : r.checks) {
      if (c.check == check && c.subject == subject) return c.status;
    }
    ADD_FAILURE() << "no " << check << " row for " << subject;
    return Status::kUnknown;
  }

  asio::io_context io_;
  std::unique_ptr<FakeDnsServer> server_;
};

TEST_F(HealthWireTest, VerdictsFromRealAnswers) {
  answer("example.com", wire::kTypeTxt, {dd::txt({"v=spf1 ip4:198.51.100.10 ", "-all"})});
  answer("_dmarc.example.com", wire::kTypeTxt, {dd::txt({"v=DMARC1; p=reject"})});
  answer(dns::reverseName(asio::ip::make_address("198.51.100.10")), wire::kTypePtr,
         {dd::ptr("mail.example.com")});
  answer("mail.example.com", wire::kTypeA, {dd::a("198.51.100.10")});
  answer("example.com", wire::kTypeMx, {dd::mx(10, "mx.example.com")});
  auto r = check(std::chrono::milliseconds(1000));
  EXPECT_EQ(statusOf(r, "spf", "198.51.100.10"), Status::kPass);
  EXPECT_EQ(statusOf(r, "spf", "2001:db8:5::10"), Status::kFail);  // -all, not in the record
  EXPECT_EQ(statusOf(r, "ptr", "198.51.100.10"), Status::kPass);
  EXPECT_EQ(statusOf(r, "ptr", "2001:db8:5::10"), Status::kFail);  // NXDOMAIN: no PTR
  EXPECT_EQ(statusOf(r, "dkim", "s1"), Status::kFail);             // NXDOMAIN: missing
  EXPECT_EQ(statusOf(r, "dmarc", "example.com"), Status::kFail);   // ::10 has no aligned path
  EXPECT_EQ(statusOf(r, "mx", "example.com"), Status::kPass);
  EXPECT_EQ(exitCode(r), 1);
}

TEST_F(HealthWireTest, ServfailEverywhereIsUnknownEverywhere) {
  DnsReply servfail;
  servfail.rcode = 2;
  for (const auto& [name, type] : allLookups()) server_->set(name, type, servfail);
  auto r = check(std::chrono::milliseconds(1000));
  ASSERT_EQ(r.checks.size(), 9u);
  for (const auto& c : r.checks) {
    EXPECT_EQ(c.status, Status::kUnknown) << c.check << " " << c.subject << ": " << c.reason;
  }
  EXPECT_EQ(exitCode(r), 2);
}

TEST_F(HealthWireTest, SilentServerIsUnknownAfterAboutOneTimeout) {
  DnsReply silent;
  silent.drop = true;
  for (const auto& [name, type] : allLookups()) server_->set(name, type, silent);
  // Each lookup gives up after 500 ms + 1000 ms (two tries). Nine lookups one after another
  // would take at least 13.5 s; side by side they take about 1.5 s.
  auto start = std::chrono::steady_clock::now();
  auto r = check(std::chrono::milliseconds(500));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.checks.size(), 9u);
  for (const auto& c : r.checks) {
    EXPECT_EQ(c.status, Status::kUnknown) << c.check << " " << c.subject << ": " << c.reason;
  }
  EXPECT_EQ(exitCode(r), 2);
  EXPECT_LT(elapsed, std::chrono::seconds(8));
}

}  // namespace
}  // namespace mailroom::health
