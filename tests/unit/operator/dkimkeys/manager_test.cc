// DkimKeyManager over the in-memory API server and the fake authoritative servers, with a fake
// clock: whole rotations over simulated weeks, asserting the Secrets, the active-keys manifest and
// the records at each step, and no writes in steady state.
#include "operator/dkimkeys/manager.h"

#include <gtest/gtest.h>

#include "operator/dkimkeys/key_secret.h"
#include "tests/mocks/fake_authoritative_checker.h"
#include "tests/mocks/fake_kube_api.h"

namespace mailroom::dkimkeys {
namespace {

using api::Json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0{seconds(1795000000)};
const std::string kSecrets = "/api/v1/namespaces/prod/secrets";
const std::string kMr = "mr._domainkey.example.com";
const std::string kMr1 = "mr-r1._domainkey.example.com";

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    md_.metadata.name = "shop";
    md_.metadata.namespace_ = "prod";
    md_.metadata.uid = "uid-1";
    md_.spec.domain = "example.com";
    md_.spec.dkimSelectors = {{"mr", dkim::Algorithm::kEd25519Sha256, std::nullopt, "720h"}};
  }

  // One reconcile, its status written back as the controller would.
  DkimReconcileResult reconcile() {
    int before = kube_.writes();
    auto r = manager_.reconcile(md_, now_);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    EXPECT_EQ(kube_.writes() - before, r->writes);
    md_.status.dkimKeys = r->keys;
    return *r;
  }
  // The DNS provider published the records and every authoritative server serves them.
  void publish(const DkimReconcileResult& r) {
    for (const auto& [name, value] : r.records) dns_.serve(name, value);
  }
  std::map<std::string, KeySecret> keySecrets() {
    std::map<std::string, KeySecret> out;
    for (const auto& j : kube_.list(kSecrets)) {
      if (!j["metadata"]["labels"].contains(kDkimKeyLabel)) continue;
      auto s = parseKeySecret(j);
      EXPECT_TRUE(s.ok()) << s.error().message;
      if (s.ok()) out[s->key.selector] = *s;
    }
    return out;
  }
  KeyPhase phase(const std::string& selector) {
    auto all = keySecrets();
    EXPECT_TRUE(all.count(selector)) << selector;
    return all.count(selector) ? all[selector].key.phase : KeyPhase::kPending;
  }
  // The selectors in the active-keys Secret's manifest, each checked against its file.
  std::vector<std::string> manifest() {
    auto secret = kube_.get(kSecrets + "/shop-dkim-active");
    EXPECT_TRUE(secret.has_value());
    if (!secret) return {};
    auto data = secretData(*secret);
    EXPECT_TRUE(data.ok());
    std::vector<std::string> out;
    auto keys = keySecrets();
    Json parsed = Json::parse(data->at("manifest.json"));
    for (const auto& k : parsed["keys"]) {
      std::string sel = k["selector"];
      EXPECT_EQ(k["domain"], "example.com");
      EXPECT_EQ(data->at(k["file"].get<std::string>()), keys[sel].privatePem) << sel;
      out.push_back(sel);
    }
    return out;
  }

  testing::FakeKubeApi kube_;
  kube::Api api_{kube_};
  testing::FakeAuthoritativeChecker dns_;
  DkimKeyManager manager_{api_, dns_};
  api::MailDomain md_;
  TimePoint now_ = kT0;
};

TEST_F(ManagerTest, FullRotationCycle) {
  // Day 0: the first key, under the configured name; nothing signs yet.
  auto r = reconcile();
  EXPECT_EQ(r.writes, 2);  // the key's Secret and the (empty) active-keys Secret
  ASSERT_EQ(keySecrets().size(), 1u);
  EXPECT_EQ(phase("mr"), KeyPhase::kPending);
  EXPECT_EQ(keySecrets()["mr"].name, "shop-dkim-mr");
  EXPECT_TRUE(manifest().empty());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records.at(kMr).rfind("v=DKIM1; k=ed25519; p=", 0), 0u);
  EXPECT_EQ(r.requeueAt, now_ + seconds(30));
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.keys[0].phase, api::DkimKeyPhase::kPending);
  EXPECT_EQ(r.keys[0].secretName, "shop-dkim-mr");

  // Not served yet: asked again, nothing written, still nothing signs.
  now_ += seconds(30);
  r = reconcile();
  EXPECT_EQ(r.writes, 0);
  EXPECT_EQ(dns_.asked, (std::vector<std::string>{kMr}));
  EXPECT_TRUE(manifest().empty());

  // Served by every authoritative server: Active, and in the manifest.
  publish(r);
  now_ += seconds(30);
  r = reconcile();
  EXPECT_EQ(phase("mr"), KeyPhase::kActive);
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr"});
  EXPECT_EQ(r.active.at("mr"), "mr");
  EXPECT_EQ(r.keys[0].activatedAt, "2026-11-18T11:07:40Z");
  const TimePoint firstActive = now_;
  EXPECT_EQ(r.requeueAt, firstActive + hours(720));

  // Steady state: no writes, no DNS questions.
  dns_.asked.clear();
  for (int day = 1; day <= 3; ++day) {
    now_ += hours(24);
    EXPECT_EQ(reconcile().writes, 0) << "day " << day;
  }
  EXPECT_TRUE(dns_.asked.empty());

  // Rotation due: a successor under a new name; the old key still signs.
  now_ = firstActive + hours(720);
  r = reconcile();
  EXPECT_EQ(phase("mr-r1"), KeyPhase::kPending);
  EXPECT_EQ(phase("mr"), KeyPhase::kActive);
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr"});
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_NE(r.records.at(kMr1), r.records.at(kMr));

  // The successor is served: signing switches, the old key retires with its record kept.
  publish(r);
  now_ += minutes(1);
  const TimePoint switchAt = now_;
  r = reconcile();
  EXPECT_EQ(phase("mr-r1"), KeyPhase::kActive);
  EXPECT_EQ(phase("mr"), KeyPhase::kRetiring);
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr-r1"});
  EXPECT_EQ(r.records.at(kMr), keySecrets()["mr"].key.txtValue);
  EXPECT_EQ(r.writes, 3);  // mr-r1 Active, mr Retiring, the active-keys Secret
  EXPECT_EQ(r.requeueAt, switchAt + hours(24 * 7));

  // Grace over: the old record is revoked.
  now_ = *r.requeueAt;
  r = reconcile();
  EXPECT_EQ(phase("mr"), KeyPhase::kRevoked);
  EXPECT_EQ(r.records.at(kMr), "v=DKIM1; p=");
  EXPECT_EQ(r.keys[0].revokedAt, kube::formatRfc3339(now_));
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr-r1"});

  // Revoked lifetime over: the old key and its record are gone.
  now_ = *r.requeueAt;
  r = reconcile();
  EXPECT_EQ(keySecrets().size(), 1u);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_TRUE(r.records.count(kMr1));
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.requeueAt, switchAt + hours(720));
  EXPECT_EQ(reconcile().writes, 0);
}

TEST_F(ManagerTest, KeySecretsAreOwnedAndLabelled) {
  reconcile();
  auto secret = kube_.get(kSecrets + "/shop-dkim-mr");
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ((*secret)["metadata"]["labels"]["mailroom.dev/maildomain"], "shop");
  EXPECT_EQ((*secret)["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ((*secret)["metadata"]["ownerReferences"][0]["controller"], true);
  auto active = kube_.get(kSecrets + "/shop-dkim-active");
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ((*active)["metadata"]["ownerReferences"][0]["uid"], "uid-1");
}

TEST_F(ManagerTest, SecretDeletedByHandIsReplacedAndNotUsedUntilServed) {
  publish(reconcile());
  now_ += minutes(1);
  publish(reconcile());
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr"});
  ASSERT_EQ(kube_.request({"delete", "DELETE", kSecrets + "/shop-dkim-mr", "", ""})->code, 200);

  now_ += minutes(1);
  auto r = reconcile();
  EXPECT_EQ(phase("mr-r1"), KeyPhase::kPending);  // a fresh name: "mr" may be cached elsewhere
  EXPECT_TRUE(manifest().empty());
  EXPECT_TRUE(r.active.empty());
  publish(r);
  now_ += minutes(1);
  reconcile();
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr-r1"});
}

TEST_F(ManagerTest, SpecChangeRotatesToANewKey) {
  publish(reconcile());
  now_ += minutes(1);
  reconcile();
  md_.spec.dkimSelectors[0].algorithm = dkim::Algorithm::kRsaSha256;
  md_.spec.dkimSelectors[0].keySize = 3072;
  now_ += minutes(1);
  auto r = reconcile();
  auto keys = keySecrets();
  ASSERT_TRUE(keys.count("mr-r1"));
  EXPECT_EQ(keys["mr-r1"].key.algorithm, dkim::Algorithm::kRsaSha256);
  EXPECT_EQ(keys["mr-r1"].key.bits, 3072);
  EXPECT_EQ(keys["mr"].key.algorithm, dkim::Algorithm::kEd25519Sha256);  // untouched
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr"});
  publish(r);
  now_ += minutes(1);
  reconcile();
  EXPECT_EQ(manifest(), std::vector<std::string>{"mr-r1"});
  EXPECT_EQ(phase("mr"), KeyPhase::kRetiring);
}

TEST_F(ManagerTest, AuthoritativeFailuresKeepTheKeyPendingAndSayWhy) {
  reconcile();
  dns_.failWith(Error::temporary("name server ns1.example.com did not answer"));
  now_ += minutes(1);
  auto r = reconcile();
  EXPECT_EQ(r.writes, 0);
  EXPECT_EQ(phase("mr"), KeyPhase::kPending);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find(kMr + ": name server ns1.example.com"), std::string::npos);
  EXPECT_EQ(r.requeueAt, now_ + seconds(30));
}

TEST_F(ManagerTest, ABrokenSecretIsReportedAndLeftAlone) {
  Json broken = {
      {"metadata",
       {{"name", "shop-dkim-x"},
        {"labels", {{"mailroom.dev/maildomain", "shop"}, {"mailroom.dev/dkim-key", "true"}}},
        {"ownerReferences",
         {{{"apiVersion", "mailroom.dev/v1alpha1"},
           {"kind", "MailDomain"},
           {"name", "shop"},
           {"uid", "uid-1"},
           {"controller", true}}}}}},
      {"data", Json::object()}};
  kube_.create(kSecrets, broken);
  auto r = reconcile();
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("Secret shop-dkim-x: "), std::string::npos) << r.problems[0];
  EXPECT_TRUE(kube_.get(kSecrets + "/shop-dkim-x").has_value());
  auto mine = parseKeySecret(*kube_.get(kSecrets + "/shop-dkim-mr"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->key.phase, KeyPhase::kPending);
}

TEST_F(ManagerTest, AnotherMailDomainsSecretsAreNotTouched) {
  md_.metadata.uid = "uid-old";  // a deleted namesake's keys, awaiting garbage collection
  reconcile();
  md_.metadata.uid = "uid-1";
  md_.status.dkimKeys.clear();
  auto r = reconcile();
  EXPECT_EQ(r.keys.size(), 0u) << "the namesake's Secret is neither used nor deleted";
  ASSERT_FALSE(r.problems.empty());  // its name is taken: the new key cannot be created
}

TEST_F(ManagerTest, KeyThatCannotBeGeneratedIsAProblemNotAnError) {
  md_.spec.dkimSelectors = {{"mr", dkim::Algorithm::kRsaSha256, 1024, ""}};
  auto r = reconcile();
  EXPECT_TRUE(keySecrets().empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("selector mr: keySize: "), std::string::npos) << r.problems[0];
}

TEST_F(ManagerTest, ErrorsAreValues) {
  md_.spec.dkimSelectors[0].rotationPeriod = "0s";
  auto bad = manager_.reconcile(md_, now_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("spec.dkim.selectors[0].rotationPeriod"), std::string::npos);
  md_.spec.dkimSelectors[0].rotationPeriod = "720h";
  kube_.failNext("POST", kSecrets, 500);
  auto failed = manager_.reconcile(md_, now_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTemporary);
  EXPECT_EQ(reconcile().keys.size(), 1u);  // the next reconcile recovers
}

}  // namespace
}  // namespace mailroom::dkimkeys
