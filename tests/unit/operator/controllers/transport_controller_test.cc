#include "operator/controllers/transport_controller.h"

#include <gtest/gtest.h>

#include "lib/sidecarconfig/parse.h"
#include "operator/dkimkeys/key_secret.h"
#include "operator/kube/informer.h"
#include "tests/mocks/fake_kube_api.h"

namespace mailroom::controllers {
namespace {

using api::Json;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
const std::string kTransportsPath = "/apis/mailroom.dev/v1alpha1/namespaces/ns/transports";
const std::string kConfigMaps = "/api/v1/namespaces/ns/configmaps";
const std::string kConfigMap = kConfigMaps + "/" + kConfigMapName;

Json transport(const std::string& name, Json spec) {
  return {{"apiVersion", "mailroom.dev/v1alpha1"},
          {"kind", "Transport"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}
Json direct(const std::string& ehlo) {
  return {{"mode", "direct"}, {"direct", {{"ehloHostname", ehlo}}}};
}

struct Fixture {
  mailroom::testing::FakeKubeApi server;
  kube::Api api{server};
  kube::FakeClock clock;
  kube::Store<api::Transport> transports;
  kube::Store<kube::Unstructured> configMaps, secrets;
  kube::Informer trInformer{api, {"/apis/mailroom.dev/v1alpha1/transports"}, transports};
  kube::Informer cmInformer{
      api, {"/api/v1/configmaps", 300, {}, TransportController::configMapSelector()}, configMaps};
  kube::Informer secretInformer{
      api, {"/api/v1/secrets", 300, {}, TransportController::secretSelector()}, secrets};
  kube::EventRecorder events{api, "mailroom-operator", [] { return t0; }};
  TransportController c{api, transports, configMaps, secrets, events, [] { return t0; }};
  kube::Controller controller{"transport", clock,
                              [this](const std::string& key) { return c.reconcile(key); }};
  Fixture() { c.wire(controller, transports, configMaps, secrets); }
  void settle() {
    for (int round = 0; round < 5; ++round) {
      ASSERT_TRUE(trInformer.list().ok());
      ASSERT_TRUE(cmInformer.list().ok());
      ASSERT_TRUE(secretInformer.list().ok());
      while (controller.processReady()) {
      }
    }
  }
  sidecarconfig::SidecarConfig config() {
    auto cm = server.get(kConfigMap);
    EXPECT_TRUE(cm.has_value());
    auto parsed = sidecarconfig::parseConfig((*cm)["data"][kConfigKey].get<std::string>());
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    return parsed.ok() ? *parsed : sidecarconfig::SidecarConfig{};
  }
  Json condition(const std::string& name, const std::string& type) {
    Json o = *server.get(kTransportsPath + "/" + name);
    for (const auto& c : o["status"]["conditions"])
      if (c["type"] == type) return c;
    return nullptr;
  }
};

TEST(TransportController, RendersTheNamespaceIntoOneConfigMapOwnedByItsTransports) {
  Fixture f;
  f.server.create(kTransportsPath, transport("main", direct("mail.example.com")));
  Json v4 = direct("mail.example.com");
  v4["routes"] = {{{"domains", {"example.net"}}, {"priority", 10}}};
  f.server.create(kTransportsPath, transport("v4", v4));
  f.settle();
  auto config = f.config();
  ASSERT_EQ(config.transports.size(), 2u);
  EXPECT_EQ(config.hostname, "mail.example.com");
  EXPECT_EQ(sidecarconfig::routeFor(config, "example.net")->name, "v4");
  Json cm = *f.server.get(kConfigMap);
  EXPECT_EQ(cm["metadata"]["ownerReferences"].size(), 2u);
  EXPECT_EQ(cm["metadata"]["labels"][kManagedByLabel], kManagedBy);
  EXPECT_EQ(f.condition("main", "ConfigRendered")["status"], "True");
  EXPECT_EQ(f.condition("v4", "Ready")["status"], "True");
  f.server.clearRequests();
  f.controller.resync();
  f.settle();
  EXPECT_EQ(f.server.writes(), 0) << "steady state";
}

// The sidecar delivers mode: relay now (sidecar/delivery/relay_delivery.h): rendered like any.
TEST(TransportController, RelayTransportIsRenderedNextToDirect) {
  Fixture f;
  f.server.create(kTransportsPath, transport("main", direct("mail.example.com")));
  f.server.create(
      kTransportsPath,
      transport("smarthost", {{"mode", "relay"}, {"relay", {{"host", "smtp.example.net"}}}}));
  f.settle();
  EXPECT_EQ(f.config().transports.size(), 2u);
  EXPECT_EQ(f.condition("smarthost", "ConfigRendered")["status"], "True");
  EXPECT_EQ(f.condition("main", "ConfigRendered")["status"], "True");
}

TEST(TransportController, TieIsAWarningWithAnEvent) {
  Fixture f;
  f.server.create(kTransportsPath, transport("a", direct("mail.example.com")));
  f.settle();
  f.server.create(kTransportsPath, transport("b", direct("mail.example.com")));
  f.settle();
  EXPECT_EQ(f.condition("a", "ConfigRendered")["reason"], "RouteTie");
  EXPECT_EQ(f.condition("b", "ConfigRendered")["reason"], "RouteTie");
  int warnings = 0;
  for (const auto& e : f.server.list("/api/v1/namespaces/ns/events"))
    warnings += e["reason"] == "RouteTie" && e["type"] == "Warning";
  EXPECT_GE(warnings, 1);
}

TEST(TransportController, EditedOrDeletedConfigMapIsRepairedAndDeletionsReRender) {
  Fixture f;
  f.server.create(kTransportsPath, transport("a", direct("mail.example.com")));
  Json b = direct("mail.example.com");
  b["routes"] = {{{"domains", {"example.org"}}}};
  f.server.create(kTransportsPath, transport("b", b));
  f.settle();
  f.server.request({"patch", "PATCH", kConfigMap, "", R"({"data":{"sidecar.yaml":"oops"}})",
                    "application/merge-patch+json"});
  f.settle();
  EXPECT_EQ(f.config().transports.size(), 2u) << "repaired";
  f.server.request({"delete", "DELETE", kTransportsPath + "/b", "", "", ""});
  f.settle();
  auto config = f.config();
  ASSERT_EQ(config.transports.size(), 1u);
  EXPECT_EQ(config.transports[0].name, "a");
  EXPECT_EQ((*f.server.get(kConfigMap))["metadata"]["ownerReferences"].size(), 1u);
}

TEST(TransportController, SigningKeysOfTheNamespaceGoIntoOneSecretTheConfigNames) {
  Fixture f;
  f.server.create(kTransportsPath, transport("main", direct("mail.example.com")));
  api::ObjectMeta md;
  md.name = "shop";
  md.namespace_ = "ns";
  md.uid = "uid-md";
  dkimkeys::SecretOwner owner{"shop", "ns", api::controllerRef(api::kApiVersion, "MailDomain", md)};
  f.server.create("/api/v1/namespaces/ns/secrets",
                  dkimkeys::renderActiveKeysSecret(
                      owner, {{"example.com", "ed", "ed", dkim::Algorithm::kEd25519Sha256,
                               "-----BEGIN PRIVATE KEY-----\nED\n-----END PRIVATE KEY-----\n"}}));
  f.settle();
  auto config = f.config();
  ASSERT_EQ(config.dkim.keys.size(), 1u);
  EXPECT_EQ(config.dkim.keys[0].keyFile, "/etc/mailroom/dkim/ed._domainkey.example.com.pem");
  auto secret = f.server.get(std::string("/api/v1/namespaces/ns/secrets/") + kDkimSecretName);
  ASSERT_TRUE(secret.has_value());
  auto data = dkimkeys::secretData(*secret);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->at("ed._domainkey.example.com.pem"),
            "-----BEGIN PRIVATE KEY-----\nED\n-----END PRIVATE KEY-----\n");
  // A rotation replaces the Secret the MailDomain keeps: the namespace's copy follows.
  f.server.request(
      {"delete", "DELETE", "/api/v1/namespaces/ns/secrets/shop-dkim-active", "", "", ""});
  f.server.create(
      "/api/v1/namespaces/ns/secrets",
      dkimkeys::renderActiveKeysSecret(
          owner, {{"example.com", "ed-r1", "ed", dkim::Algorithm::kEd25519Sha256, "NEW"}}));
  f.settle();
  data = dkimkeys::secretData(
      *f.server.get(std::string("/api/v1/namespaces/ns/secrets/") + kDkimSecretName));
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 1u);
  EXPECT_EQ(data->at("ed-r1._domainkey.example.com.pem"), "NEW");
  EXPECT_EQ(f.config().dkim.keys[0].selector, "ed-r1");
}

}  // namespace
}  // namespace mailroom::controllers
