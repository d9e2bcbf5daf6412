#include "operator/kube/status.h"

#include <gtest/gtest.h>

#include "operator/api/v1alpha1/maildomain.h"
#include "tests/mocks/fake_kube_api.h"

namespace mailroom::kube {
namespace {

using api::Json;
const std::string kCol = "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains";
const std::string kObj = kCol + "/a";

struct Fixture {
  mailroom::testing::FakeKubeApi server;
  Api api{server};
  api::MailDomain read() { return *api::decode<api::MailDomain>(*server.get(kObj)); }
  Fixture() {
    server.create(kCol, {{"apiVersion", "mailroom.dev/v1alpha1"},
                         {"kind", "MailDomain"},
                         {"metadata", {{"name", "a"}}},
                         {"spec", {{"domain", "a.example"}}}});
  }
};

// Desired status: the spec's domain in the spf column (any function of the object will do).
Result<api::MailDomainStatus> fromSpec(const api::MailDomain& md) {
  api::MailDomainStatus s = md.status;
  s.spf = md.spec.domain;
  s.observedGeneration = md.metadata.generation;
  return s;
}

TEST(WriteStatus, WritesOnceThenNothing) {
  Fixture f;
  auto w = writeStatus(f.api, kObj, f.read(), fromSpec);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*f.server.get(kObj))["status"]["spf"], "a.example");
  f.server.clearRequests();
  auto again = writeStatus(f.api, kObj, f.read(), fromSpec);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(f.server.writes(), 0) << "steady state writes nothing";
}

TEST(WriteStatus, ConflictRereadsAndRecomputesFromTheFreshObject) {
  Fixture f;
  api::MailDomain stale = f.read();
  // Another client changes the spec after we read.
  ASSERT_EQ(f.server
                .request({"patch", "PATCH", kObj, "", R"({"spec":{"domain":"b.example"}})",
                          "application/merge-patch+json"})
                ->code,
            200);
  auto w = writeStatus(f.api, kObj, stale, fromSpec);
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE(w->has_value());
  EXPECT_EQ((*w)->conflicts, 1);
  Json o = *f.server.get(kObj);
  EXPECT_EQ(o["status"]["spf"], "b.example");
  EXPECT_EQ(o["status"]["observedGeneration"], 2);
}

TEST(WriteStatus, RemovedFieldsAreRemoved) {
  Fixture f;
  ASSERT_TRUE(
      f.server
          .request({"patch", "PATCH", kObj + "/status", "",
                    R"({"status":{"dkim":"Fail","spf":"x"}})", "application/merge-patch+json"})
          ->ok());
  auto w = writeStatus(f.api, kObj, f.read(), [](const api::MailDomain& md) {
    api::MailDomainStatus s;
    s.spf = "y";
    return Result<api::MailDomainStatus>(s);
  });
  ASSERT_TRUE(w.ok());
  Json o = *f.server.get(kObj);
  EXPECT_EQ(o["status"], Json::parse(R"({"spf":"y"})"));
}

TEST(WriteStatus, GoneObjectAndServerErrors) {
  Fixture f;
  api::MailDomain md = f.read();
  f.server.failNext("PATCH", kObj, 500);
  auto err = writeStatus(f.api, kObj, md, fromSpec);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().kind, ErrorKind::kTemporary);
  f.server.request({"delete", "DELETE", kObj, "", "", ""});
  auto gone = writeStatus(f.api, kObj, md, fromSpec);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

}  // namespace
}  // namespace mailroom::kube
