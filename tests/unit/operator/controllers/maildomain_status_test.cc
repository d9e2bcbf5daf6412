#include "operator/controllers/maildomain_status.h"

#include <gtest/gtest.h>

namespace mailroom::controllers {
namespace {

using namespace std::chrono_literals;
using api::Json;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));

api::MailDomain mailDomain(const Json& spec, int64_t generation = 2) {
  Json o = {{"apiVersion", "mailroom.dev/v1alpha1"},
            {"kind", "MailDomain"},
            {"metadata", {{"name", "a"}, {"namespace", "ns"}, {"generation", generation}}},
            {"spec", spec}};
  auto md = api::decode<api::MailDomain>(o);
  EXPECT_TRUE(md.ok()) << md.error().message;
  return md.ok() ? *md : api::MailDomain{};
}

const Json kSpec = Json::parse(R"({"domain":"a.example","sendingIPs":["198.51.100.7"],
  "dkim":{"selectors":[{"name":"s1"}]},"transportRefs":[{"name":"t"}]})");

TEST(Status, ComputesRecordsAndConditions) {
  auto md = mailDomain(kSpec);
  MailDomainInputs in;
  in.transportAddresses = {"2001:db8:5::10"};
  auto s = desiredStatus(md, in, t0);
  EXPECT_EQ(s.observedGeneration, 2);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[0].values[0], "v=spf1 ip4:198.51.100.7 ip6:2001:db8:5::10 ~all");
  auto* computed = kube::findCondition(s.conditions, "RecordsComputed");
  ASSERT_NE(computed, nullptr);
  EXPECT_EQ(computed->status, "True");
  EXPECT_NE(computed->message.find("1 DKIM keys pending"), std::string::npos);
  auto* ready = kube::findCondition(s.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "DNSProviderNotConfigured");
  EXPECT_EQ(ready->observedGeneration, 2);
  EXPECT_EQ(s.dkim, "Pending");
}

TEST(Status, SteadyStateNeedsNoWrite) {
  auto md = mailDomain(kSpec);
  auto first = desiredStatus(md, {}, t0);
  EXPECT_NE(first, md.status) << "a fresh object needs a write";
  md.status = *api::decode<api::MailDomainStatus>(api::encodeValue(first));
  EXPECT_EQ(md.status, first) << "the status round-trips through JSON";
  EXPECT_EQ(desiredStatus(md, {}, t0 + 1h), md.status) << "an hour later: no write";
}

TEST(Status, MissingTransportSaysWhatToDo) {
  MailDomainInputs in;
  in.missingTransports = {"t"};
  auto s = desiredStatus(mailDomain(kSpec), in, t0);
  auto* computed = kube::findCondition(s.conditions, "RecordsComputed");
  ASSERT_NE(computed, nullptr);
  EXPECT_EQ(computed->status, "False");
  EXPECT_EQ(computed->reason, "TransportNotFound");
  EXPECT_NE(computed->message.find("Transport t in namespace ns not found"), std::string::npos)
      << computed->message;
  EXPECT_NE(computed->message.find("spec.transportRefs"), std::string::npos);
  EXPECT_EQ(s.records.size(), 3u) << "records are still computed from what exists";
}

TEST(Status, InvalidSpecKeepsRecordsAndSaysWhy) {
  auto md = mailDomain(kSpec);
  auto good = desiredStatus(md, {}, t0);
  Json badSpec = kSpec;
  badSpec["sendingIPs"] = {"198.51.100.0/24"};
  auto bad = mailDomain(badSpec, 3);
  bad.status = good;
  auto s = desiredStatus(bad, {}, t0 + 1min);
  EXPECT_EQ(s.records, good.records);
  auto* computed = kube::findCondition(s.conditions, "RecordsComputed");
  EXPECT_EQ(computed->status, "False");
  EXPECT_EQ(computed->reason, "InvalidSpec");
  EXPECT_NE(computed->message.find("spec.sendingIPs[0]"), std::string::npos);
  EXPECT_EQ(computed->lastTransitionTime, kube::formatRfc3339(t0 + 1min));
  EXPECT_EQ(kube::findCondition(s.conditions, "Ready")->lastTransitionTime, kube::formatRfc3339(t0))
      << "Ready stayed False: no transition";
}

}  // namespace
}  // namespace mailroom::controllers
