#include "operator/controllers/maildomain_controller.h"

#include <gtest/gtest.h>

#include "operator/kube/informer.h"
#include "tests/mocks/fake_kube_api.h"

namespace mailroom::controllers {
namespace {

using api::Json;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
const std::string kCol = kMailDomains.collectionPath("ns");
const std::string kPath = kMailDomains.objectPath("ns", "a");
const std::string kEvents = "/api/v1/namespaces/ns/events";

Json mailDomain(Json finalizers = Json::array()) {
  return {{"apiVersion", "mailroom.dev/v1alpha1"},
          {"kind", "MailDomain"},
          {"metadata", {{"name", "a"}, {"finalizers", finalizers}}},
          {"spec",
           {{"domain", "a.example"},
            {"sendingIPs", {"198.51.100.7"}},
            {"transportRefs", {{{"name", "dual"}}}}}}};
}

Json transport(const std::string& address) {
  return {{"apiVersion", "mailroom.dev/v1alpha1"},
          {"kind", "Transport"},
          {"metadata", {{"name", "dual"}}},
          {"spec", {{"mode", "direct"}, {"direct", {{"sourceAddresses", {address}}}}}}};
}

// The operator wired as main.cc wires it, over the in-memory API server.
struct Fixture {
  mailroom::testing::FakeKubeApi server;
  kube::Api api{server};
  kube::FakeClock clock;
  kube::Store<api::MailDomain> mailDomains;
  kube::Store<api::Transport> transports;
  kube::Informer mdInformer{api, {kMailDomains.collectionPath("")}, mailDomains};
  kube::Informer trInformer{api, {kTransports.collectionPath("")}, transports};
  kube::EventRecorder events{api, "mailroom-operator", [] { return t0; }};
  MailDomainController c{api, mailDomains, transports, events, [] { return t0; }};
  kube::Controller controller{"maildomain", clock,
                              [this](const std::string& key) { return c.reconcile(key); }};
  Fixture() { c.wire(controller, mailDomains, transports); }

  // Lets the informers catch up with the server, then reconciles until the queue is empty.
  void settle() {
    for (int round = 0; round < 5; ++round) {
      ASSERT_TRUE(mdInformer.list().ok());
      ASSERT_TRUE(trInformer.list().ok());
      while (controller.processReady()) {
      }
    }
  }
  Json object() { return *server.get(kPath); }
  std::vector<Json> eventList() { return server.list(kEvents); }
};

TEST(MailDomainController, AddsFinalizerKeepingOthersThenWritesStatusOnce) {
  Fixture f;
  f.server.create(kTransports.collectionPath("ns"), transport("2001:db8:5::10"));
  f.server.create(kCol, mailDomain({"other/keep"}));
  f.settle();
  Json o = f.object();
  EXPECT_EQ(o["metadata"]["finalizers"], Json({"other/keep", kMailDomainFinalizer}));
  EXPECT_EQ(o["status"]["records"][0]["values"][0],
            "\"v=spf1 ip4:198.51.100.7 ip6:2001:db8:5::10 ~all\"")
      << "SPF authorizes the referenced Transport's source addresses";
  EXPECT_EQ(o["status"]["observedGeneration"], 1);
  auto events = f.eventList();
  ASSERT_EQ(events.size(), 2u) << "one Event per new condition";
  EXPECT_EQ(f.c.statusWrites(), 1u);
  // Steady state: resyncs and relists write nothing.
  f.server.clearRequests();
  f.controller.resync();
  f.settle();
  EXPECT_EQ(f.server.writes(), 0);
}

TEST(MailDomainController, TransportChangeUpdatesSpf) {
  Fixture f;
  f.server.create(kTransports.collectionPath("ns"), transport("2001:db8:5::10"));
  f.server.create(kCol, mailDomain());
  f.settle();
  f.server.request({"patch", "PATCH", kTransports.objectPath("ns", "dual"), "",
                    R"({"spec":{"direct":{"sourceAddresses":["198.51.100.99"]}}})",
                    "application/merge-patch+json"});
  f.settle();
  EXPECT_EQ(f.object()["status"]["records"][0]["values"][0],
            "\"v=spf1 ip4:198.51.100.7 ip4:198.51.100.99 ~all\"");
}

TEST(MailDomainController, MissingTransportIsAConditionAndAWarningEvent) {
  Fixture f;
  f.server.create(kCol, mailDomain());
  f.settle();
  Json o = f.object();
  Json computed;
  for (const auto& c : o["status"]["conditions"])
    if (c["type"] == "RecordsComputed") computed = c;
  EXPECT_EQ(computed["reason"], "TransportNotFound");
  bool warned = false;
  for (const auto& e : f.eventList())
    warned |= e["reason"] == "TransportNotFound" && e["type"] == "Warning";
  EXPECT_TRUE(warned);
  // Creating the Transport repairs it without touching the MailDomain.
  f.server.create(kTransports.collectionPath("ns"), transport("198.51.100.8"));
  f.settle();
  for (const auto& c : f.object()["status"]["conditions"])
    if (c["type"] == "RecordsComputed") EXPECT_EQ(c["status"], "True");
}

TEST(MailDomainController, ConflictRereadsAndWritesTheFreshGeneration) {
  Fixture f;
  f.server.create(kCol, mailDomain({kMailDomainFinalizer}));
  ASSERT_TRUE(f.mdInformer.list().ok());
  // The spec changes after the informer saw it: the status write conflicts and is redone from a
  // fresh read.
  f.server.request({"patch", "PATCH", kPath, "", R"({"spec":{"sendingIPs":["198.51.100.9"]}})",
                    "application/merge-patch+json"});
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
  EXPECT_EQ(f.c.conflicts(), 1u);
  Json o = f.object();
  EXPECT_EQ(o["status"]["observedGeneration"], 2);
  EXPECT_NE(o["status"]["records"][0]["values"][0].get<std::string>().find("198.51.100.9"),
            std::string::npos);
}

TEST(MailDomainController, EndlessConflictsBackOff) {
  Fixture f;
  f.server.create(kCol, mailDomain({kMailDomainFinalizer}));
  ASSERT_TRUE(f.mdInformer.list().ok());
  f.server.failNext("PATCH", kPath + "/status", 409, 10);
  EXPECT_EQ(f.c.reconcile("ns/a").kind, kube::Action::Kind::kRetryWithBackoff);
}

TEST(MailDomainController, DeletionRemovesOnlyOurFinalizer) {
  Fixture f;
  f.server.create(kCol, mailDomain({"a/b"}));
  f.settle();
  f.server.request({"delete", "DELETE", kPath, "", "", ""});
  f.settle();
  EXPECT_EQ(f.object()["metadata"]["finalizers"], Json({"a/b"}));
  EXPECT_TRUE(f.object()["metadata"].contains("deletionTimestamp"));
}

TEST(MailDomainController, ForbiddenIsTerminalAndGoneNeedsNothing) {
  Fixture f;
  EXPECT_EQ(f.c.reconcile("ns/none"), kube::awaitChange());
  EXPECT_EQ(f.server.writes(), 0);
  f.server.create(kCol, mailDomain({kMailDomainFinalizer}));
  ASSERT_TRUE(f.mdInformer.list().ok());
  f.server.failNext("PATCH", kPath + "/status", 403);
  EXPECT_EQ(f.c.reconcile("ns/a"), kube::awaitChange());
}

}  // namespace
}  // namespace mailroom::controllers
