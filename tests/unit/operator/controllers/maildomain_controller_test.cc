#include "operator/controllers/maildomain_controller.h"

#include <gtest/gtest.h>

#include "operator/dkimkeys/authoritative.h"
#include "operator/kube/informer.h"
#include "tests/mocks/fake_health_checker.h"
#include "tests/mocks/fake_kube_api.h"
#include "tests/mocks/fake_provider_factory.h"

namespace mailroom::controllers {
namespace {

using api::Json;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
const std::string kCol = kMailDomains.collectionPath("ns");
const std::string kPath = kMailDomains.objectPath("ns", "a");
const std::string kEvents = "/api/v1/namespaces/ns/events";
std::string kTransportsPath() {
  return kTransports.collectionPath("ns");
}

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

// The authoritative servers of the in-memory zone: a record is served once it is published.
class ZoneServes : public dkimkeys::AuthoritativeChecker {
 public:
  explicit ZoneServes(dnspub::InMemoryProvider& zone) : zone_(zone) {}
  Result<bool> served(const std::string& zone, const std::string& fqdn,
                      const std::string& expected) override {
    return zone_.values(zone, fqdn) == std::vector<std::string>{expected};
  }

 private:
  dnspub::InMemoryProvider& zone_;
};

// The operator wired as main.cc wires it, over the in-memory API server.
struct Fixture {
  mailroom::testing::FakeKubeApi server;
  kube::Api api{server};
  kube::FakeClock clock;
  kube::Store<api::MailDomain> mailDomains;
  kube::Store<api::Transport> transports;
  kube::Informer mdInformer{api, {kMailDomains.collectionPath("")}, mailDomains};
  kube::Informer trInformer{api, {kTransports.collectionPath("")}, transports};
  kube::EventRecorder events{api, "mailroom-operator", [this] { return now; }};
  mailroom::testing::FakeProviderFactory providers;
  mailroom::testing::FakeHealthChecker checker;
  ZoneServes served{providers.zone};
  dkimkeys::DkimKeyManager dkim{api, served};
  std::chrono::system_clock::time_point now = t0;
  MailDomainController c{
      api,
      mailDomains,
      transports,
      events,
      providers,
      checker,
      dkim,
      [this] { return now; },
      MailDomainOptions{"lab", 300, std::chrono::seconds(600), std::chrono::seconds(600), {}}};
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
  Json condition(const std::string& type) {
    Json o = object();
    for (const auto& c : o["status"]["conditions"])
      if (c["type"] == type) return c;
    return nullptr;
  }
  bool hasEvent(const std::string& reason, const std::string& type) {
    for (const auto& e : eventList())
      if (e["reason"] == reason && e["type"] == type) return true;
    return false;
  }
};

Json published(Json md) {
  md["spec"]["dnsProvider"] = {{"kind", "PowerDNS"}, {"url", "http://pdns.test:8081"}};
  md["spec"].erase("transportRefs");
  return md;
}

TEST(MailDomainController, AddsFinalizerKeepingOthersThenWritesStatusOnce) {
  Fixture f;
  f.server.create(kTransports.collectionPath("ns"), transport("2001:db8:5::10"));
  f.server.create(kCol, mailDomain({"other/keep"}));
  f.settle();
  Json o = f.object();
  EXPECT_EQ(o["metadata"]["finalizers"], Json({"other/keep", kMailDomainFinalizer}));
  EXPECT_EQ(o["status"]["records"][0]["values"][0],
            "v=spf1 ip4:198.51.100.7 ip6:2001:db8:5::10 ~all")
      << "SPF authorizes the referenced Transport's source addresses";
  EXPECT_EQ(o["status"]["observedGeneration"], 1);
  auto events = f.eventList();
  // One Event per new condition: RecordsComputed, DNSPublished, Ready and the five health ones.
  ASSERT_EQ(events.size(), 8u);
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
            "v=spf1 ip4:198.51.100.7 ip4:198.51.100.99 ~all");
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
  EXPECT_EQ(f.condition("RecordsComputed")["status"], "True");
}

TEST(MailDomainController, ConflictRereadsAndWritesTheFreshGeneration) {
  Fixture f;
  f.server.create(kCol, mailDomain({kMailDomainFinalizer}));
  ASSERT_TRUE(f.mdInformer.list().ok());
  // The spec changes after the informer saw it: the status write conflicts and is redone from a
  // fresh read.
  f.server.request({"patch", "PATCH", kPath, "", R"({"spec":{"sendingIPs":["198.51.100.9"]}})",
                    "application/merge-patch+json"});
  EXPECT_EQ(f.c.reconcile("ns/a").kind, kube::Action::Kind::kRequeueAfter)
      << "requeued for the next health check";
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

TEST(MailDomainController, PublishesOnlyWhatItOwnsAndKeepsForeignRecords) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  f.providers.zone.put("a.example", {"a.example", "TXT", 300, {"google-site-verification=abc"}});
  f.server.create(kCol, published(mailDomain()));
  f.settle();
  EXPECT_EQ(f.condition("DNSPublished")["status"], "True") << f.object()["status"].dump();
  EXPECT_EQ(f.condition("Ready")["reason"], "NoSelectors") << "published, but no DKIM";
  auto apex = f.providers.zone.values("a.example", "a.example");
  EXPECT_EQ(apex.size(), 2u);
  EXPECT_NE(std::find(apex.begin(), apex.end(), "google-site-verification=abc"), apex.end());
  EXPECT_NE(std::find(apex.begin(), apex.end(), "v=spf1 ip4:198.51.100.7 ~all"), apex.end());
  EXPECT_EQ(f.providers.zone.values("a.example", "_dmarc.a.example"),
            std::vector<std::string>{"v=DMARC1; p=none"});
  EXPECT_TRUE(f.object()["status"]["records"][0]["published"]);
  // Second round: in sync, no provider writes, no API writes.
  int applied = f.providers.zone.applyCalls();
  f.server.clearRequests();
  f.controller.resync();
  f.settle();
  EXPECT_EQ(f.providers.zone.applyCalls(), applied);
  EXPECT_EQ(f.server.writes(), 0);
  // Deletion removes exactly ours.
  f.server.request({"delete", "DELETE", kPath, "", "", ""});
  f.settle();
  EXPECT_FALSE(f.server.get(kPath).has_value()) << "finalizer released";
  EXPECT_EQ(f.providers.zone.values("a.example", "a.example"),
            std::vector<std::string>{"google-site-verification=abc"});
  EXPECT_TRUE(f.providers.zone.values("a.example", "_dmarc.a.example").empty());
}

TEST(MailDomainController, HealthBecomesConditionsColumnsAndChecksAndIsNotRewrittenUnchanged) {
  Fixture f;
  f.server.create(kTransportsPath(), transport("2001:db8:5::10"));
  f.checker.answer = [](const health::HealthRequest& req) {
    std::vector<health::CheckResult> out;
    for (const auto& ip : req.ips) {
      bool v6 = ip.is_v6();
      out.push_back({"spf", ip.to_string(), health::Status::kPass, "pass", "authorized"});
      out.push_back({"ptr", ip.to_string(), v6 ? health::Status::kFail : health::Status::kPass,
                     v6 ? "noPtr" : "pass",
                     v6 ? ip.to_string() + " has no PTR record: receivers such as Gmail reject "
                                           "mail sent from it over IPv6 (550 5.7.25)."
                        : "ok"});
    }
    out.push_back({"dmarc", req.domain, health::Status::kPass, "present", "p=none"});
    return out;
  };
  f.server.create(kCol, mailDomain());
  f.settle();
  ASSERT_EQ(f.checker.requests.size(), 1u) << "one check, cached while fresh";
  EXPECT_EQ(f.checker.requests[0].ips.size(), 2u) << "sendingIPs and the Transport's address";
  Json o = f.object();
  EXPECT_EQ(o["status"]["spf"], "Pass");
  EXPECT_EQ(o["status"]["ptr"], "Fail");
  EXPECT_EQ(f.condition("SPFAuthorized")["status"], "True");
  auto ptr = f.condition("PTRValid");
  EXPECT_EQ(ptr["status"], "False");
  EXPECT_NE(
      ptr["message"].get<std::string>().find("for Transport dual that means addressFamily: IPv4"),
      std::string::npos)
      << ptr["message"];
  ASSERT_EQ(o["status"]["checks"].size(), 2u);
  EXPECT_EQ(o["status"]["checks"][1]["family"], "IPv6");
  EXPECT_EQ(o["status"]["checks"][1]["forwardConfirmed"], false);
  // Ten minutes later the check runs again; the same result writes nothing.
  f.now += std::chrono::minutes(11);
  f.server.clearRequests();
  f.controller.resync();
  f.settle();
  EXPECT_EQ(f.checker.requests.size(), 2u);
  EXPECT_EQ(f.server.writes(), 0);
  // The PTR appears: PTRValid flips, with an Event.
  f.checker.answer = mailroom::testing::FakeHealthChecker().answer;
  f.now += std::chrono::minutes(11);
  f.controller.resync();
  f.settle();
  EXPECT_EQ(f.condition("PTRValid")["status"], "True");
  EXPECT_EQ(f.object()["status"]["ptr"], "Pass");
  EXPECT_TRUE(f.hasEvent("PtrValid", "Normal"));
}

TEST(MailDomainController, DkimKeySignsOnlyOnceItsRecordIsServed) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  Json md = published(mailDomain());
  md["spec"]["dkim"] = {{"selectors", {{{"name", "ed"}, {"algorithm", "ed25519-sha256"}}}}};
  f.server.create(kCol, md);
  // One pass: the key is generated and its record published, but nothing signs yet.
  ASSERT_TRUE(f.mdInformer.list().ok());
  ASSERT_TRUE(f.trInformer.list().ok());
  while (f.controller.processReady()) {
  }
  ASSERT_TRUE(f.mdInformer.list().ok());
  while (f.controller.processReady()) {
  }
  auto value = f.providers.zone.values("a.example", "ed._domainkey.a.example");
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value[0].rfind("v=DKIM1; k=ed25519; p=", 0), 0u) << value[0];
  // Later passes see it served: it becomes the signing key, the active-keys Secret names it.
  f.now += std::chrono::minutes(1);
  f.clock.advance(std::chrono::minutes(1));
  f.settle();
  Json o = f.object();
  ASSERT_EQ(o["status"]["dkimKeys"].size(), 1u) << o["status"].dump();
  EXPECT_EQ(o["status"]["dkimKeys"][0]["phase"], "Active");
  EXPECT_EQ(f.condition("Ready")["status"], "True") << f.condition("Ready").dump();
  auto active = f.server.get("/api/v1/namespaces/ns/secrets/a-dkim-active");
  ASSERT_TRUE(active.has_value());
  EXPECT_TRUE((*active)["data"].contains("manifest.json"));
  ASSERT_FALSE(f.checker.requests.empty());
  EXPECT_EQ(f.checker.requests.back().selectors.size(), 1u) << "health checks the served key";
}

TEST(MailDomainController, TwoMailDomainsOfOneDomainTheOlderWinsTheNewerWaits) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  f.server.create(kCol, published(mailDomain()));
  Json newer = published(mailDomain());
  newer["metadata"]["name"] = "b";
  f.server.create(kCol, newer);
  f.settle();
  auto bConditions = [&](const std::string& type) {
    Json o = *f.server.get(kCol + "/b");
    for (const auto& c : o["status"]["conditions"])
      if (c["type"] == type) return c;
    return Json();
  };
  EXPECT_EQ(f.condition("DNSPublished")["status"], "True");
  Json conflict = bConditions("DNSPublished");
  EXPECT_EQ(conflict["reason"], "Conflict");
  EXPECT_NE(conflict["message"].get<std::string>().find("ns/a"), std::string::npos) << conflict;
  // The older one goes: the newer one takes over.
  f.server.request({"delete", "DELETE", kPath, "", "", ""});
  f.settle();
  EXPECT_EQ(bConditions("DNSPublished")["status"], "True");
  EXPECT_EQ(f.providers.zone.values("a.example", "_dmarc.a.example"),
            std::vector<std::string>{"v=DMARC1; p=none"});
}

TEST(MailDomainController, ForeignValueIsAConflictNamingTheRecord) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  f.providers.zone.put("a.example", {"_dmarc.a.example", "TXT", 300, {"v=DMARC1; p=reject"}});
  f.server.create(kCol, published(mailDomain()));
  f.settle();
  EXPECT_EQ(f.condition("DNSPublished")["reason"], "Conflict");
  EXPECT_NE(f.condition("DNSPublished")["message"].get<std::string>().find("_dmarc.a.example"),
            std::string::npos);
  EXPECT_EQ(f.providers.zone.values("a.example", "_dmarc.a.example"),
            std::vector<std::string>{"v=DMARC1; p=reject"})
      << "left alone";
  Json o = f.object();
  for (const auto& r : o["status"]["records"]) {
    EXPECT_EQ(r["published"], r["purpose"] != "DMARC") << r.dump();
  }
  EXPECT_TRUE(f.hasEvent("Conflict", "Warning"));
}

TEST(MailDomainController, ProviderFailuresAreConditionsAndRetries) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  f.providers.setupError = ProviderSetupError{"CredentialsNotFound", "Secret ns/pdns missing"};
  f.server.create(kCol, published(mailDomain()));
  f.settle();
  EXPECT_EQ(f.condition("DNSPublished")["reason"], "CredentialsNotFound");
  EXPECT_EQ(f.condition("Ready")["status"], "False");
  f.providers.setupError.reset();
  f.providers.zone.failNext({dnspub::ProviderErrorReason::kUnavailable, "503 from PowerDNS"});
  f.controller.resync();
  while (f.controller.processReady()) {
  }
  EXPECT_EQ(f.condition("DNSPublished")["reason"], "ProviderUnavailable");
  EXPECT_GE(f.controller.queue().numRequeues("ns/a"), 1) << "retried with backoff";
  EXPECT_FALSE(f.controller.processReady()) << "not before the backoff";
  f.clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(f.controller.processReady());
  EXPECT_EQ(f.condition("DNSPublished")["status"], "True") << "the backoff retry repaired it";
}

TEST(MailDomainController, DeletionWaitsForADeadProviderOnlyUpToTheTimeout) {
  Fixture f;
  f.providers.zone.createZone("a.example");
  f.server.create(kCol, published(mailDomain()));
  f.settle();
  f.server.request({"delete", "DELETE", kPath, "", "", ""});
  f.providers.setupError = ProviderSetupError{"ProviderUnavailable", "connection refused"};
  f.now = *kube::parseRfc3339((*f.server.get(kPath))["metadata"]["deletionTimestamp"]) +
          std::chrono::seconds(60);
  f.settle();
  EXPECT_TRUE(f.server.get(kPath).has_value()) << "still waiting within the timeout";
  f.now += std::chrono::seconds(600);
  f.clock.advance(std::chrono::hours(1));
  f.settle();
  EXPECT_FALSE(f.server.get(kPath).has_value()) << "released after the timeout";
  bool warned = false;
  for (const auto& e : f.server.list(kEvents))
    warned |= e["reason"] == "DNSCleanupAbandoned" && e["type"] == "Warning";
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace mailroom::controllers
