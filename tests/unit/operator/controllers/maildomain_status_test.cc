#include "operator/controllers/maildomain_status.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace mailroom::controllers {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));

const char* kObject = R"({"apiVersion":"mailroom.dev/v1alpha1","kind":"MailDomain",
  "metadata":{"name":"a","namespace":"ns","generation":2,"resourceVersion":"41",
              "finalizers":["other.example/keep","mailroom.dev/dns-records"]},
  "spec":{"domain":"a.example","sendingIPs":["198.51.100.7"],
          "dkim":{"selectors":[{"name":"s1"}]}}})";

// The object as the API server returns it after a status patch.
std::string withStatus(const std::string& object, const MailDomainStatus& s) {
  YAML::Node obj = YAML::Load(object);
  YAML::Node patch = YAML::Load(statusMergePatch(s, "41"));
  obj["status"] = patch["status"];
  return YAML::Dump(obj);
}

TEST(Status, ComputesRecordsAndConditions) {
  auto md = parseObserved(kObject);
  ASSERT_TRUE(md.ok()) << md.error().message;
  auto s = desiredStatus(*md, {}, t0);
  EXPECT_EQ(s.observedGeneration, 2);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[0].values[0], "\"v=spf1 ip4:198.51.100.7 ~all\"");
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
  auto md = parseObserved(kObject);
  ASSERT_TRUE(md.ok());
  auto first = desiredStatus(*md, {}, t0);
  EXPECT_NE(first, md->status) << "a fresh object needs a write";
  auto reread = parseObserved(withStatus(kObject, first));
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->status, first) << "the patch round-trips";
  EXPECT_EQ(desiredStatus(*reread, {}, t0 + 1h), reread->status) << "an hour later: no write";
}

TEST(Status, InvalidSpecKeepsRecordsAndSaysWhy) {
  auto md = parseObserved(kObject);
  ASSERT_TRUE(md.ok());
  auto good = desiredStatus(*md, {}, t0);
  auto bad = parseObserved(withStatus(
      R"({"metadata":{"name":"a","namespace":"ns","generation":3},"spec":{"domain":"a.example","spf":{"policy":"+all"}}})",
      good));
  ASSERT_TRUE(bad.ok());
  ASSERT_FALSE(bad->spec.ok());
  auto s = desiredStatus(*bad, {}, t0 + 1min);
  EXPECT_EQ(s.records, good.records);
  auto* computed = kube::findCondition(s.conditions, "RecordsComputed");
  EXPECT_EQ(computed->status, "False");
  EXPECT_EQ(computed->reason, "InvalidSpec");
  EXPECT_EQ(computed->lastTransitionTime, kube::formatRfc3339(t0 + 1min));
  EXPECT_EQ(kube::findCondition(s.conditions, "Ready")->lastTransitionTime, kube::formatRfc3339(t0))
      << "Ready stayed False: no transition";
}

TEST(Status, MergePatchCarriesResourceVersion) {
  auto patch = YAML::Load(statusMergePatch({}, "41"));
  EXPECT_EQ(patch["metadata"]["resourceVersion"].as<std::string>(), "41");
  EXPECT_TRUE(patch["status"]["records"].IsSequence());
}

TEST(Finalizer, FourStates) {
  ObservedMailDomain md;
  EXPECT_EQ(finalizerStep(md), FinalizerStep::kAdd);
  md.finalizers = {"x", kFinalizer};
  EXPECT_EQ(finalizerStep(md), FinalizerStep::kApply);
  md.deleting = true;
  EXPECT_EQ(finalizerStep(md), FinalizerStep::kCleanup);
  md.finalizers = {"x"};
  EXPECT_EQ(finalizerStep(md), FinalizerStep::kDone);
}

TEST(Finalizer, PatchesTestTheCurrentListAndTouchOnlyOurs) {
  EXPECT_EQ(addFinalizerPatch({}),
            R"([{"op":"test","path":"/metadata/finalizers","value":null},)"
            R"({"op":"add","path":"/metadata/finalizers","value":["mailroom.dev/dns-records"]}])");
  EXPECT_EQ(addFinalizerPatch({"other/keep"}),
            R"([{"op":"test","path":"/metadata/finalizers","value":["other/keep"]},)"
            R"({"op":"add","path":"/metadata/finalizers/-","value":"mailroom.dev/dns-records"}])");
  EXPECT_EQ(
      *removeFinalizerPatch({"other/keep", kFinalizer, "z"}),
      R"([{"op":"test","path":"/metadata/finalizers","value":["other/keep","mailroom.dev/dns-records","z"]},)"
      R"({"op":"remove","path":"/metadata/finalizers/1"}])");
  EXPECT_FALSE(removeFinalizerPatch({"other/keep"}).has_value());
}

}  // namespace
}  // namespace mailroom::controllers
