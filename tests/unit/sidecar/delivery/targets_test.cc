#include <gtest/gtest.h>

#include <set>

#include "sidecar/delivery/targets.h"

namespace mailroom::delivery {
namespace {

dns::Answer<dns::MxRecord> mxAnswer(std::vector<dns::MxRecord> records) {
  return {dns::Status::kOk, std::move(records), 300, ""};
}

TEST(PlanMx, SortsByPreferenceAndShufflesEqualOnes) {
  std::mt19937 rng(1);
  std::set<std::string> firstSeen;
  for (int i = 0; i < 50; ++i) {
    auto plan = planMx("example.net", mxAnswer({{20, "c"}, {10, "a"}, {10, "b"}}), rng);
    ASSERT_EQ(plan.kind, MxPlan::Kind::kHosts);
    ASSERT_EQ(plan.hosts.size(), 3u);
    EXPECT_EQ(plan.hosts[2].host, "c");
    firstSeen.insert(plan.hosts[0].host);
  }
  EXPECT_EQ(firstSeen, (std::set<std::string>{"a", "b"}));
}

TEST(PlanMx, ImplicitNullNxdomainTempfail) {
  std::mt19937 rng(1);
  auto implicit = planMx("Example.NET.", {dns::Status::kNoData, {}, 0, ""}, rng);
  ASSERT_EQ(implicit.kind, MxPlan::Kind::kHosts);
  EXPECT_EQ(implicit.hosts[0].host, "example.net");
  EXPECT_EQ(planMx("x", mxAnswer({{0, ""}}), rng).kind, MxPlan::Kind::kNullMx);
  EXPECT_EQ(planMx("x", {dns::Status::kNxDomain, {}, 0, ""}, rng).kind,
            MxPlan::Kind::kNoSuchDomain);
  EXPECT_EQ(planMx("x", {dns::Status::kTimeout, {}, 0, ""}, rng).kind, MxPlan::Kind::kTempFail);
  EXPECT_EQ(planMx("x", {dns::Status::kTempFail, {}, 0, ""}, rng).kind, MxPlan::Kind::kTempFail);
}

HostAddresses host(std::string name, std::vector<std::string> v4, std::vector<std::string> v6) {
  HostAddresses h;
  h.mx = {10, name};
  auto fill = [](dns::Answer<dns::Address>& a, const std::vector<std::string>& ips) {
    a.status = ips.empty() ? dns::Status::kNoData : dns::Status::kOk;
    for (const auto& ip : ips) a.records.push_back(asio::ip::make_address(ip));
  };
  fill(h.a, v4);
  fill(h.aaaa, v6);
  return h;
}

sidecarconfig::DirectTransport transport(FamilyPolicy family) {
  sidecarconfig::DirectTransport t;
  t.family = family;
  return t;
}
const FamilyPolicy kIpv4Only{AddressFamily::kIpv4}, kIpv6Only{AddressFamily::kIpv6},
    kAnyIpv6First{}, kAnyIpv4First{std::nullopt, AddressFamily::kIpv4};

std::vector<std::string> ips(const TargetPlan& p) {
  std::vector<std::string> out;
  for (const auto& t : p.targets) out.push_back(t.address.to_string());
  return out;
}

TEST(PlanTargets, FamilyPolicies) {
  std::vector<HostAddresses> hosts{host("mx1", {"198.51.100.25"}, {"2001:db8:5::25"}),
                                   host("mx2", {"198.51.100.26"}, {})};
  EXPECT_EQ(ips(planTargets(hosts, transport(kIpv4Only))),
            (std::vector<std::string>{"198.51.100.25", "198.51.100.26"}));
  EXPECT_EQ(ips(planTargets(hosts, transport(kIpv6Only))),
            (std::vector<std::string>{"2001:db8:5::25"}));
  EXPECT_EQ(ips(planTargets(hosts, transport(kAnyIpv6First))),
            (std::vector<std::string>{"2001:db8:5::25", "198.51.100.25", "198.51.100.26"}));
  EXPECT_EQ(ips(planTargets(hosts, transport(kAnyIpv4First))),
            (std::vector<std::string>{"198.51.100.25", "2001:db8:5::25", "198.51.100.26"}));
}

TEST(PlanTargets, NoAddressOfTheFamilyIsPermanentUnlessDnsFailed) {
  std::vector<HostAddresses> hosts{host("mx.v4only", {"198.51.100.25"}, {})};
  auto p = planTargets(hosts, transport(kIpv6Only));
  EXPECT_TRUE(p.targets.empty());
  EXPECT_TRUE(p.permanent);
  EXPECT_NE(p.reason.find("mx.v4only has no IPv6 address"), std::string::npos) << p.reason;
  hosts[0].aaaa.status = dns::Status::kTimeout;
  auto q = planTargets(hosts, transport(kIpv6Only));
  EXPECT_FALSE(q.permanent);
}

}  // namespace
}  // namespace mailroom::delivery
