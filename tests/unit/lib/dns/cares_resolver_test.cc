// CaresResolver against an in-process DNS server on loopback (UDP and TCP, port 0): every
// outcome the Resolver interface distinguishes, decoded from real wire-format answers.
#include "lib/dns/cares_resolver.h"

#include <gtest/gtest.h>

#include <optional>

#include "lib/dns/wire.h"
#include "tests/mocks/fake_dns_server.h"

namespace mailroom::dns {
namespace {

using testing::DnsReply;
using testing::DnsRr;
using testing::FakeDnsServer;
namespace dd = testing::dnsdata;

class CaresResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = FakeDnsServer::start(io_.get_executor());
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
  }

  std::unique_ptr<CaresResolver> makeResolver(
      std::chrono::milliseconds timeout = std::chrono::seconds(2), int tries = 2) {
    CaresOptions o;
    o.servers = {server_->server()};
    o.timeout = timeout;
    o.tries = tries;
    auto r = CaresResolver::create(io_.get_executor(), o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : nullptr;
  }

  // Runs the loop until the task is done; a hung query fails the test instead of hanging it.
  template <class T>
  T run(Task<T> task) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(task), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    while (!out) {
      if (io_.run_one_for(std::chrono::seconds(20)) == 0) break;
    }
    if (!out) {
      ADD_FAILURE() << "query did not complete";
      return T{};
    }
    return std::move(*out);
  }

  int queriesOver(bool tcp, std::string_view name) const {
    int n = 0;
    for (const auto& q : server_->seen()) n += (q.tcp == tcp && q.name == name);
    return n;
  }

  asio::io_context io_;
  std::unique_ptr<FakeDnsServer> server_;
};

DnsReply answer(std::vector<DnsRr> rrs) {
  DnsReply r;
  r.answers = std::move(rrs);
  return r;
}

TEST_F(CaresResolverTest, MxWithSeveralPreferencesAndMinimumTtl) {
  server_->set("example.com", wire::kTypeMx,
               answer({{"example.com", wire::kTypeMx, 600, dd::mx(20, "MX2.example.com")},
                       {"example.com", wire::kTypeMx, 300, dd::mx(10, "mx1.example.com")},
                       {"example.com", wire::kTypeMx, 900, dd::mx(30, "mx3.example.net")}}));
  auto r = makeResolver();
  auto mx = run(r->mx("Example.COM."));
  ASSERT_EQ(mx.status, Status::kOk) << mx.detail;
  std::vector<MxRecord> want{
      {20, "mx2.example.com"}, {10, "mx1.example.com"}, {30, "mx3.example.net"}};
  EXPECT_EQ(mx.records, want);
  EXPECT_EQ(mx.ttl, 300u);
}

TEST_F(CaresResolverTest, NullMxIsEmptyHostPreferenceZero) {
  server_->set("nomail.example", wire::kTypeMx,
               answer({{"nomail.example", wire::kTypeMx, 3600, dd::mx(0, "")}}));
  auto r = makeResolver();
  auto mx = run(r->mx("nomail.example"));
  ASSERT_EQ(mx.status, Status::kOk) << mx.detail;
  ASSERT_EQ(mx.records.size(), 1u);
  EXPECT_EQ(mx.records[0], (MxRecord{0, ""}));
}

TEST_F(CaresResolverTest, NxDomainWithNegativeTtlFromSoa) {
  DnsReply nx;
  nx.rcode = 3;
  nx.authority = {
      {"example", wire::kTypeSoa, 900, dd::soa("ns.example", "hostmaster.example", 60)}};
  server_->set("gone.example", wire::kTypeTxt, nx);
  auto r = makeResolver();
  auto txt = run(r->txt("gone.example"));
  EXPECT_EQ(txt.status, Status::kNxDomain) << txt.detail;
  EXPECT_TRUE(txt.records.empty());
  EXPECT_EQ(txt.ttl, 60u);  // RFC 2308 §5: min(SOA TTL, MINIMUM)
  EXPECT_NE(txt.detail.find("gone.example"), std::string::npos);
}

TEST_F(CaresResolverTest, NoErrorWithoutRecordsIsNoData) {
  server_->set("example.com", wire::kTypeAaaa, DnsReply{});
  auto r = makeResolver();
  EXPECT_EQ(run(r->aaaa("example.com")).status, Status::kNoData);
}

TEST_F(CaresResolverTest, ServfailAndRefusedAreTemporary) {
  DnsReply servfail;
  servfail.rcode = 2;
  DnsReply refused;
  refused.rcode = 5;
  server_->set("broken.example", wire::kTypeMx, servfail);
  server_->set("refused.example", wire::kTypeMx, refused);
  auto r = makeResolver();
  auto a = run(r->mx("broken.example"));
  EXPECT_EQ(a.status, Status::kTempFail) << a.detail;
  EXPECT_TRUE(isTemporary(a.status));
  EXPECT_EQ(run(r->mx("refused.example")).status, Status::kTempFail);
}

TEST_F(CaresResolverTest, NoAnswerTimesOut) {
  DnsReply silent;
  silent.drop = true;
  server_->set("slow.example", wire::kTypeA, silent);
  auto r = makeResolver(std::chrono::milliseconds(100), 1);
  auto a = run(r->a("slow.example"));
  EXPECT_EQ(a.status, Status::kTimeout) << a.detail;
  EXPECT_GE(queriesOver(false, "slow.example"), 1);
}

TEST_F(CaresResolverTest, TxtStringsConcatenatedPerRecord) {
  server_->set("example.com", wire::kTypeTxt,
               answer({{"example.com", wire::kTypeTxt, 300,
                        dd::txt({"v=spf1 ip4:198.51.100.0/24 ", "-all"})},
                       {"example.com", wire::kTypeTxt, 300, dd::txt({"hello"})},
                       {"example.com", wire::kTypeTxt, 300, dd::txt({"a", "", "b"})}}));
  auto r = makeResolver();
  auto txt = run(r->txt("example.com"));
  ASSERT_EQ(txt.status, Status::kOk) << txt.detail;
  EXPECT_EQ(txt.records,
            (std::vector<std::string>{"v=spf1 ip4:198.51.100.0/24 -all", "hello", "ab"}));
}

TEST_F(CaresResolverTest, NsNamesOfAZone) {
  server_->set("example.com", wire::kTypeNs,
               answer({{"example.com", wire::kTypeNs, 3600, dd::name("NS1.example.com.")},
                       {"example.com", wire::kTypeNs, 3600, dd::name("ns2.example.net")}}));
  server_->set("host.example.com", wire::kTypeNs, DnsReply{});
  auto r = makeResolver();
  auto ns = run(r->ns("example.com."));
  ASSERT_EQ(ns.status, Status::kOk) << ns.detail;
  EXPECT_EQ(ns.records, (std::vector<std::string>{"ns1.example.com", "ns2.example.net"}));
  EXPECT_EQ(ns.ttl, 3600u);
  EXPECT_EQ(run(r->ns("host.example.com")).status, Status::kNoData);
  EXPECT_EQ(run(r->ns("gone.example.com")).status, Status::kNxDomain);
}

TEST_F(CaresResolverTest, PtrForIpv4AndIpv6) {
  auto v4 = asio::ip::make_address("198.51.100.10");
  auto v6 = asio::ip::make_address("2001:db8::10");
  server_->set(reverseName(v4), wire::kTypePtr,
               answer({{reverseName(v4), wire::kTypePtr, 300, dd::ptr("Mail.Example.com.")},
                       {reverseName(v4), wire::kTypePtr, 300, dd::ptr("other.example.net")}}));
  server_->set(reverseName(v6), wire::kTypePtr,
               answer({{reverseName(v6), wire::kTypePtr, 120, dd::ptr("mail6.example.com")}}));
  auto r = makeResolver();
  auto p4 = run(r->ptr(v4));
  ASSERT_EQ(p4.status, Status::kOk) << p4.detail;
  EXPECT_EQ(p4.records, (std::vector<std::string>{"mail.example.com", "other.example.net"}));
  auto p6 = run(r->ptr(v6));
  ASSERT_EQ(p6.status, Status::kOk) << p6.detail;
  EXPECT_EQ(p6.records, (std::vector<std::string>{"mail6.example.com"}));
  EXPECT_EQ(p6.ttl, 120u);
  EXPECT_EQ(run(r->ptr(asio::ip::make_address("203.0.113.7"))).status, Status::kNxDomain);
}

TEST_F(CaresResolverTest, ClasslessReverseDelegationThroughCnameRfc2317) {
  auto v4 = asio::ip::make_address("198.51.100.70");
  server_->set(reverseName(v4), wire::kTypePtr,
               answer({{reverseName(v4), wire::kTypeCname, 300,
                        dd::cname("70.64/26.100.51.198.in-addr.arpa")},
                       {"70.64/26.100.51.198.in-addr.arpa", wire::kTypePtr, 300,
                        dd::ptr("mail.example.com")}}));
  auto r = makeResolver();
  auto p = run(r->ptr(v4));
  ASSERT_EQ(p.status, Status::kOk) << p.detail;
  EXPECT_EQ(p.records, (std::vector<std::string>{"mail.example.com"}));
}

TEST_F(CaresResolverTest, UnreachableServerIsTemporary) {
  // A loopback UDP port that was free a moment ago and has no listener now.
  uint16_t port = 0;
  {
    asio::ip::udp::socket s(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = s.local_endpoint().port();
  }
  CaresOptions o;
  o.servers = {"127.0.0.1:" + std::to_string(port)};
  o.timeout = std::chrono::milliseconds(200);
  o.tries = 1;
  auto r = CaresResolver::create(io_.get_executor(), o);
  ASSERT_TRUE(r.ok());
  auto a = run((*r)->a("example.com"));
  EXPECT_TRUE(isTemporary(a.status)) << statusName(a.status) << " " << a.detail;
}

TEST_F(CaresResolverTest, CnameToAInOneAnswer) {
  server_->set("www.example.com", wire::kTypeA,
               answer({{"www.example.com", wire::kTypeCname, 60, dd::cname("host.example.net")},
                       {"host.example.net", wire::kTypeA, 300, dd::a("198.51.100.20")},
                       {"host.example.net", wire::kTypeA, 300, dd::a("198.51.100.21")}}));
  auto r = makeResolver();
  auto a = run(r->a("www.example.com"));
  ASSERT_EQ(a.status, Status::kOk) << a.detail;
  EXPECT_EQ(a.records, (std::vector<Address>{asio::ip::make_address("198.51.100.20"),
                                             asio::ip::make_address("198.51.100.21")}));
  EXPECT_EQ(a.ttl, 60u);
}

TEST_F(CaresResolverTest, MxAndTxtThroughCnameInOneAnswer) {
  server_->set("alias.example", wire::kTypeMx,
               answer({{"alias.example", wire::kTypeCname, 300, dd::cname("real.example")},
                       {"real.example", wire::kTypeMx, 300, dd::mx(5, "mx.real.example")}}));
  server_->set("_dmarc.alias.example", wire::kTypeTxt,
               answer({{"_dmarc.alias.example", wire::kTypeCname, 300, dd::cname("d.example")},
                       {"d.example", wire::kTypeTxt, 300, dd::txt({"v=DMARC1; p=none"})}}));
  auto r = makeResolver();
  auto mx = run(r->mx("alias.example"));
  ASSERT_EQ(mx.status, Status::kOk) << mx.detail;
  EXPECT_EQ(mx.records, (std::vector<MxRecord>{{5, "mx.real.example"}}));
  auto txt = run(r->txt("_dmarc.alias.example"));
  ASSERT_EQ(txt.status, Status::kOk) << txt.detail;
  EXPECT_EQ(txt.records, (std::vector<std::string>{"v=DMARC1; p=none"}));
}

TEST_F(CaresResolverTest, CnameTheServerDidNotFollowIsChased) {
  server_->set("alias.example", wire::kTypeMx,
               answer({{"alias.example", wire::kTypeCname, 300, dd::cname("real.example")}}));
  server_->set("real.example", wire::kTypeMx,
               answer({{"real.example", wire::kTypeMx, 300, dd::mx(10, "mx.real.example")}}));
  server_->set("t.example", wire::kTypeTxt,
               answer({{"t.example", wire::kTypeCname, 300, dd::cname("empty.example")}}));
  server_->set("empty.example", wire::kTypeTxt, DnsReply{});
  auto r = makeResolver();
  auto mx = run(r->mx("alias.example"));
  ASSERT_EQ(mx.status, Status::kOk) << mx.detail;
  EXPECT_EQ(mx.records, (std::vector<MxRecord>{{10, "mx.real.example"}}));
  EXPECT_EQ(queriesOver(false, "real.example"), 1);
  EXPECT_EQ(run(r->txt("t.example")).status, Status::kNoData);
}

TEST_F(CaresResolverTest, CnameLoopIsTemporaryNotEndless) {
  server_->set("a.loop.example", wire::kTypeTxt,
               answer({{"a.loop.example", wire::kTypeCname, 300, dd::cname("b.loop.example")}}));
  server_->set("b.loop.example", wire::kTypeTxt,
               answer({{"b.loop.example", wire::kTypeCname, 300, dd::cname("a.loop.example")}}));
  auto r = makeResolver();
  auto txt = run(r->txt("a.loop.example"));
  EXPECT_EQ(txt.status, Status::kTempFail);
  EXPECT_NE(txt.detail.find("CNAME"), std::string::npos) << txt.detail;
}

TEST_F(CaresResolverTest, TruncatedUdpAnswerRetriedOverTcp) {
  // A DKIM-sized key record: over 512 bytes, several strings.
  std::vector<std::string> parts{"v=DKIM1; k=rsa; p=", std::string(250, 'A'), std::string(250, 'B'),
                                 std::string(100, 'C')};
  DnsReply big = answer({{"s1._domainkey.example.com", wire::kTypeTxt, 300, dd::txt(parts)}});
  big.truncateOverUdp = true;
  server_->set("s1._domainkey.example.com", wire::kTypeTxt, big);
  auto r = makeResolver();
  auto txt = run(r->txt("s1._domainkey.example.com"));
  ASSERT_EQ(txt.status, Status::kOk) << txt.detail;
  ASSERT_EQ(txt.records.size(), 1u);
  EXPECT_EQ(txt.records[0], parts[0] + parts[1] + parts[2] + parts[3]);
  EXPECT_EQ(queriesOver(false, "s1._domainkey.example.com"), 1);
  EXPECT_EQ(queriesOver(true, "s1._domainkey.example.com"), 1);
}

TEST_F(CaresResolverTest, ConcurrentQueriesEachGetTheirAnswer) {
  server_->set("one.example", wire::kTypeA,
               answer({{"one.example", wire::kTypeA, 300, dd::a("198.51.100.1")}}));
  server_->set("two.example", wire::kTypeAaaa,
               answer({{"two.example", wire::kTypeAaaa, 300, dd::aaaa("2001:db8::2")}}));
  auto r = makeResolver();
  // Two coroutines in flight on one channel at the same time.
  std::optional<Answer<Address>> one, two;
  asio::co_spawn(io_, r->a("one.example"), [&](std::exception_ptr, Answer<Address> a) { one = a; });
  asio::co_spawn(io_, r->aaaa("two.example"),
                 [&](std::exception_ptr, Answer<Address> a) { two = a; });
  while (!(one && two) && io_.run_one_for(std::chrono::seconds(20)) > 0) {
  }
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->records, (std::vector<Address>{asio::ip::make_address("198.51.100.1")}));
  EXPECT_EQ(two->records, (std::vector<Address>{asio::ip::make_address("2001:db8::2")}));
}

TEST_F(CaresResolverTest, BadNamesNeverReachTheServer) {
  auto r = makeResolver();
  EXPECT_EQ(run(r->mx(std::string(64, 'a') + ".example")).status, Status::kBadName);
  EXPECT_EQ(run(r->txt("a..example")).status, Status::kBadName);
  EXPECT_EQ(run(r->a("")).status, Status::kBadName);
  EXPECT_TRUE(server_->seen().empty());
}

TEST_F(CaresResolverTest, DestroyingTheResolverCompletesPendingQueriesAsTempFail) {
  DnsReply silent;
  silent.drop = true;
  server_->set("slow.example", wire::kTypeMx, silent);
  auto r = makeResolver(std::chrono::seconds(30), 1);
  std::optional<Answer<MxRecord>> got;
  asio::co_spawn(io_, r->mx("slow.example"),
                 [&](std::exception_ptr, Answer<MxRecord> a) { got = std::move(a); });
  // Until the server has seen the query: it is then outstanding inside c-ares.
  while (server_->seen().empty() && io_.run_one_for(std::chrono::seconds(20)) > 0) {
  }
  ASSERT_FALSE(server_->seen().empty());
  ASSERT_FALSE(got);
  r.reset();
  while (!got && io_.run_one_for(std::chrono::seconds(20)) > 0) {
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, Status::kTempFail);
}

TEST(CaresOptions, ServersCsv) {
  auto csv =
      serversCsv({"198.51.100.53", "198.51.100.54:5353", "2001:db8::53", "[2001:db8::54]:54"});
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(*csv, "198.51.100.53:53,198.51.100.54:5353,[2001:db8::53]:53,[2001:db8::54]:54");
  for (std::string bad :
       {"dns.example", "198.51.100.53:0", "198.51.100.53:99999", "[198.51.100.53]:53",
        "[2001:db8::1", "2001:db8::1]:53", "198.51.100.53:"}) {
    auto r = serversCsv({bad});
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << bad;
    }
  }
}

TEST(CaresOptions, CreateRejectsBadOptions) {
  asio::io_context io;
  CaresOptions o;
  o.servers = {"not-an-ip"};
  EXPECT_FALSE(CaresResolver::create(io.get_executor(), o).ok());
  o.servers = {"127.0.0.1"};
  o.tries = 0;
  EXPECT_FALSE(CaresResolver::create(io.get_executor(), o).ok());
}

TEST(CaresStatus, MapsAresCodes) {
  EXPECT_EQ(statusFromAres(0), Status::kOk);
  EXPECT_EQ(statusFromAres(4), Status::kNxDomain);   // ARES_ENOTFOUND
  EXPECT_EQ(statusFromAres(1), Status::kNoData);     // ARES_ENODATA
  EXPECT_EQ(statusFromAres(3), Status::kTempFail);   // ARES_ESERVFAIL
  EXPECT_EQ(statusFromAres(6), Status::kTempFail);   // ARES_EREFUSED
  EXPECT_EQ(statusFromAres(11), Status::kTempFail);  // ARES_ECONNREFUSED
  EXPECT_EQ(statusFromAres(12), Status::kTimeout);   // ARES_ETIMEOUT
  EXPECT_EQ(statusFromAres(8), Status::kBadName);    // ARES_EBADNAME
  EXPECT_EQ(statusFromAres(16), Status::kTempFail);  // ARES_EDESTRUCTION
}

}  // namespace
}  // namespace mailroom::dns
