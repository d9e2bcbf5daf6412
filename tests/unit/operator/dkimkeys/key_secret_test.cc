// The key Secrets and the active-keys Secret: render -> parse round trips, strict parsing with
// field paths, and names that stay within Kubernetes' limits.
#include "operator/dkimkeys/key_secret.h"

#include <gtest/gtest.h>

#include "lib/auth/dkim/base64.h"
#include "operator/dkimkeys/keygen.h"

namespace mailroom::dkimkeys {
namespace {

using api::Json;
const TimePoint kT0{std::chrono::seconds(1795000000)};  // a whole second, as stored

SecretOwner owner() {
  api::ObjectMeta md;
  md.name = "shop";
  md.namespace_ = "prod";
  md.uid = "uid-1";
  return {"shop", "prod", api::controllerRef(api::kApiVersion, "MailDomain", md)};
}

const GeneratedKey& edKey() {
  static GeneratedKey k = *generateKey(dkim::Algorithm::kEd25519Sha256, std::nullopt);
  return k;
}

KeySecret secretIn(KeyPhase phase) {
  KeySecret s;
  s.name = keySecretName("shop", "mr-r1");
  s.privatePem = edKey().privatePem;
  KeyState& k = s.key;
  k.selector = "mr-r1";
  k.configuredSelector = "mr";
  k.algorithm = dkim::Algorithm::kEd25519Sha256;
  k.phase = phase;
  k.createdAt = kT0;
  k.txtValue = edKey().txtValue;
  auto at = [](int minutes) { return kT0 + std::chrono::minutes(minutes); };
  if (phase >= KeyPhase::kPublished) k.publishedAt = at(1);
  if (phase >= KeyPhase::kActive) k.activatedAt = at(1);
  if (phase >= KeyPhase::kRetiring) k.retiringAt = at(60);
  if (phase >= KeyPhase::kRevoked) k.revokedAt = at(120);
  return s;
}

TEST(KeySecret, RendersLabelsOwnerAnnotationsAndKey) {
  Json j = renderKeySecret(owner(), secretIn(KeyPhase::kRetiring));
  EXPECT_EQ(j["kind"], "Secret");
  EXPECT_EQ(j["metadata"]["name"], "shop-dkim-mr-r1");
  EXPECT_EQ(j["metadata"]["namespace"], "prod");
  EXPECT_EQ(j["metadata"]["labels"], Json({{"app.kubernetes.io/managed-by", "mailroom-operator"},
                                           {"mailroom.dev/maildomain", "shop"},
                                           {"mailroom.dev/dkim-key", "true"}}));
  const Json& ref = j["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "MailDomain");
  EXPECT_EQ(ref["uid"], "uid-1");
  EXPECT_EQ(ref["controller"], true);
  const Json& a = j["metadata"]["annotations"];
  EXPECT_EQ(a["mailroom.dev/dkim-selector"], "mr-r1");
  EXPECT_EQ(a["mailroom.dev/dkim-configured-selector"], "mr");
  EXPECT_EQ(a["mailroom.dev/dkim-algorithm"], "ed25519-sha256");
  EXPECT_EQ(a["mailroom.dev/dkim-phase"], "Retiring");
  EXPECT_EQ(a["mailroom.dev/dkim-created-at"], "2026-11-18T11:06:40Z");
  EXPECT_EQ(a["mailroom.dev/dkim-retiring-at"], "2026-11-18T12:06:40Z");
  EXPECT_FALSE(a.contains("mailroom.dev/dkim-revoked-at"));
  EXPECT_EQ(*dkim::base64Decode(j["data"]["private.pem"].get<std::string>()), edKey().privatePem);
}

TEST(KeySecret, RoundTripsInEveryPhase) {
  for (KeyPhase p : {KeyPhase::kPending, KeyPhase::kPublished, KeyPhase::kActive,
                     KeyPhase::kRetiring, KeyPhase::kRevoked}) {
    KeySecret s = secretIn(p);
    Json j = renderKeySecret(owner(), s);
    j["metadata"]["resourceVersion"] = "42";
    auto back = parseKeySecret(j);
    ASSERT_TRUE(back.ok()) << api::enumName(p) << ": " << back.error().message;
    EXPECT_EQ(back->key, s.key) << api::enumName(p);
    EXPECT_EQ(back->privatePem, s.privatePem);
    EXPECT_EQ(back->name, s.name);
    EXPECT_EQ(back->resourceVersion, "42");
  }
}

TEST(KeySecret, RsaBitsComeFromTheKey) {
  auto rsa = generateKey(dkim::Algorithm::kRsaSha256, std::nullopt);
  ASSERT_TRUE(rsa.ok());
  KeySecret s = secretIn(KeyPhase::kPending);
  s.key.algorithm = dkim::Algorithm::kRsaSha256;
  s.privatePem = rsa->privatePem;
  auto back = parseKeySecret(renderKeySecret(owner(), s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->key.bits, 2048);
  EXPECT_EQ(back->key.txtValue, rsa->txtValue);
}

TEST(KeySecret, StrictErrorsNameTheField) {
  struct Case {
    std::string what;
    std::function<void(Json&)> mutate;
    std::string want;
  };
  const std::string ann = "metadata.annotations[\"mailroom.dev/dkim-";
  const Case cases[] = {
      {"no phase", [](Json& j) { j["metadata"]["annotations"].erase("mailroom.dev/dkim-phase"); },
       ann + "phase\"]: required"},
      {"unknown phase",
       [](Json& j) { j["metadata"]["annotations"]["mailroom.dev/dkim-phase"] = "Live"; },
       ann + "phase\"]: unknown value \"Live\""},
      {"active without its time",
       [](Json& j) {
         j["metadata"]["annotations"]["mailroom.dev/dkim-phase"] = "Active";
         j["metadata"]["annotations"].erase("mailroom.dev/dkim-activated-at");
       },
       ann + "activated-at\"]: required in this phase"},
      {"bad time",
       [](Json& j) { j["metadata"]["annotations"]["mailroom.dev/dkim-created-at"] = "yesterday"; },
       ann + "created-at\"]: not an RFC 3339 time"},
      {"unknown algorithm",
       [](Json& j) { j["metadata"]["annotations"]["mailroom.dev/dkim-algorithm"] = "rsa-sha1"; },
       ann + "algorithm\"]: unknown value"},
      {"algorithm not the key's",
       [](Json& j) { j["metadata"]["annotations"]["mailroom.dev/dkim-algorithm"] = "rsa-sha256"; },
       "data[\"private.pem\"]: a ed25519-sha256 key, but the annotation says rsa-sha256"},
      {"no key", [](Json& j) { j["data"].erase("private.pem"); },
       "data[\"private.pem\"]: required"},
      {"not a key", [](Json& j) { j["data"]["private.pem"] = dkim::base64Encode("junk"); },
       "data[\"private.pem\"]: cannot read PEM private key"},
  };
  for (const auto& c : cases) {
    Json j = renderKeySecret(owner(), secretIn(KeyPhase::kActive));
    c.mutate(j);
    auto r = parseKeySecret(j);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos)
        << c.what << ": " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("Secret shop-dkim-mr-r1: ", 0), 0u) << r.error().message;
  }
}

TEST(SecretNames, StayWithinKubernetesLimitsAndApart) {
  EXPECT_EQ(keySecretName("shop", "mr"), "shop-dkim-mr");
  EXPECT_EQ(activeSecretName("shop"), "shop-dkim-active");
  EXPECT_EQ(mailDomainLabel("shop"), "shop");
  std::string longName(250, 'a');
  std::string a = keySecretName(longName, "mr"), b = keySecretName(longName, "mr-r1");
  EXPECT_LE(a.size(), 253u);
  EXPECT_LE(b.size(), 253u);
  EXPECT_NE(a, b);
  EXPECT_LE(activeSecretName(longName).size(), 253u);
  std::string label = mailDomainLabel(longName);
  EXPECT_LE(label.size(), 63u);
  EXPECT_NE(label, mailDomainLabel(longName + "b"));
  EXPECT_EQ(keySecretSelector("shop"), "mailroom.dev/maildomain=shop,mailroom.dev/dkim-key=true");
}

TEST(ActiveKeys, OneFilePerKeyAndAManifest) {
  std::vector<ActiveKey> keys = {
      {"example.com", "mr-r1", "mr", dkim::Algorithm::kRsaSha256, "RSA PEM"},
      {"example.com", "ed", "ed", dkim::Algorithm::kEd25519Sha256, "ED PEM"}};
  Json j = renderActiveKeysSecret(owner(), keys);
  EXPECT_EQ(j["metadata"]["name"], "shop-dkim-active");
  EXPECT_EQ(j["metadata"]["labels"]["mailroom.dev/dkim-active"], "true");
  EXPECT_FALSE(j["metadata"]["labels"].contains("mailroom.dev/dkim-key"));  // not a key
  auto data = secretData(j);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->at("mr-r1.pem"), "RSA PEM");
  EXPECT_EQ(data->at("ed.pem"), "ED PEM");
  Json manifest = Json::parse(data->at("manifest.json"));
  EXPECT_EQ(manifest, Json::parse(R"({"keys": [
      {"domain": "example.com", "selector": "mr-r1", "configuredSelector": "mr",
       "algorithm": "rsa-sha256", "file": "mr-r1.pem"},
      {"domain": "example.com", "selector": "ed", "configuredSelector": "ed",
       "algorithm": "ed25519-sha256", "file": "ed.pem"}]})"));
  auto none = secretData(renderActiveKeysSecret(owner(), {}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 1u);
  EXPECT_EQ(Json::parse(none->at("manifest.json")), Json::parse(R"({"keys": []})"));
  // Read back as signers and the Transport controller read it.
  auto back = parseActiveKeysSecret(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].selector, "mr-r1");
  EXPECT_EQ((*back)[0].privatePem, "RSA PEM");
  EXPECT_EQ((*back)[1].algorithm, dkim::Algorithm::kEd25519Sha256);
  Json broken = j;
  broken["data"].erase("ed.pem");
  auto bad = parseActiveKeysSecret(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("ed.pem"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::dkimkeys
