#include "operator/api/v1alpha1/maildomain.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "operator/api/v1alpha1/yaml.h"

namespace mailroom::api {
namespace {

Result<MailDomainSpec> specFrom(const std::string& yaml) {
  auto docs = yamlDocumentsToJson(yaml);
  if (!docs) return docs.error();
  auto spec = decode<MailDomainSpec>(docs->front(), "spec");
  if (!spec) return spec;
  if (auto valid = validate(*spec); !valid) return valid.error();
  return spec;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MailDomain, RejectsWhatTheSchemaAndRenderingForbidWithTheFieldPath) {
  const std::pair<const char*, const char*> cases[] = {
      {"{}", "spec.domain: required"},
      {"{domain: d.example, spf: {policy: '+all'}}", "spec.spf.policy: unknown value"},
      {"{domain: d.example, spf: {ip4: ['2001:db8::1']}}", "spec.spf.ip4[0]"},
      {"{domain: d.example, spf: {ip6: ['198.51.100.1']}}", "spec.spf.ip6[0]"},
      {"{domain: d.example, sendingIPs: ['198.51.100.0/24']}", "spec.sendingIPs[0]"},
      {"{domain: d.example, sendingIPs: ['mail.example']}", "spec.sendingIPs[0]"},
      {"{domain: d.example, dmarc: {policy: block}}", "spec.dmarc.policy: unknown value"},
      {"{domain: d.example, dmarc: {pct: 101}}", "spec.dmarc.pct"},
      {"{domain: d.example, dmarc: {rua: ['https://x']}}", "spec.dmarc.rua[0]"},
      {"{domain: d.example, dkim: {selectors: [{name: a}, {name: a}]}}",
       "spec.dkim.selectors[1].name: duplicate"},
      {"{domain: d.example, dkim: {selectors: [{name: a, algorithm: rsa-sha1}]}}",
       "spec.dkim.selectors[0].algorithm: unknown value"},
      {"{domain: d.example, dkim: {selectors: [{name: a, keySize: big}]}}",
       "spec.dkim.selectors[0].keySize: must be an integer"},
      {"{domain: d.example, dkim: {selectors: [{name: a, algorithm: ed25519-sha256, "
       "keySize: 2048}]}}",
       "spec.dkim.selectors[0].keySize: only with rsa-sha256"},
      {"{domain: d.example, dnsProvider: {kind: AlibabaCloud}}", "spec.dnsProvider.kind"},
      {"{domain: d.example, transportRefs: [{}]}", "spec.transportRefs[0].name: required"},
      {"{domain: d.example, surprise: 1}", "spec.surprise: unknown field"},
  };
  for (const auto& [yaml, want] : cases) {
    auto r = specFrom(yaml);
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << yaml;
    EXPECT_NE(r.error().message.find(want), std::string::npos)
        << yaml << " -> " << r.error().message;
  }
}

TEST(MailDomain, ExampleDecodesEveryFieldAndRoundTrips) {
  auto docs = yamlDocumentsToJson(readFile(MAILROOM_EXAMPLES_DIR "/maildomain.yaml"));
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  auto md = decode<MailDomain>(docs->front());
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ(md->metadata.name, "example-com");
  EXPECT_EQ(md->spec.dnsProvider->url, "http://pdns.dns.svc:8081");
  EXPECT_EQ(md->spec.dnsProvider->credentialsSecretRef->key, "api-key");
  ASSERT_EQ(md->spec.dkimSelectors.size(), 2u);
  EXPECT_EQ(md->spec.dkimSelectors[1].algorithm, dkim::Algorithm::kEd25519Sha256);
  EXPECT_EQ(md->spec.dkimSelectors[0].keySize, 2048);
  EXPECT_EQ(md->spec.dmarc.subdomainPolicy, dmarc::Policy::kReject);
  EXPECT_EQ(md->spec.transportRefs, std::vector<LocalObjectRef>{{"dual-stack"}});
  EXPECT_TRUE(validate(md->spec).ok());
  auto back = decode<MailDomain>(encodeValue(*md));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *md);
}

TEST(MailDomain, WholeObjectChecksKindAndReadsMetadata) {
  auto md = decode<MailDomain>(Json::parse(
      R"({"apiVersion":"mailroom.dev/v1alpha1","kind":"MailDomain",
          "metadata":{"name":"a","namespace":"ns","generation":4,"managedFields":[{}],
                      "finalizers":["x"],"deletionTimestamp":"2026-01-01T00:00:00Z"},
          "spec":{"domain":"a.example"}})"));
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ(md->metadata.key(), "ns/a");
  EXPECT_EQ(md->metadata.generation, 4);
  EXPECT_TRUE(md->metadata.deleting());
  EXPECT_EQ(md->metadata.finalizers, std::vector<std::string>{"x"});
  auto wrongKind = decode<MailDomain>(Json::parse(
      R"({"kind":"Transport","apiVersion":"mailroom.dev/v1alpha1","spec":{"domain":"x.example"}})"));
  ASSERT_FALSE(wrongKind.ok());
  EXPECT_NE(wrongKind.error().message.find("kind: must be MailDomain"), std::string::npos);
  EXPECT_FALSE(decode<MailDomain>(Json::parse(R"({"kind":"MailDomain"})")).ok());
}

TEST(MailDomain, StatusRoundTrips) {
  MailDomainStatus s;
  s.observedGeneration = 3;
  s.conditions.push_back({"Ready", "False", "X", "m", 3, "2026-11-24T08:00:00Z"});
  s.records.push_back({"d.example", "TXT", {"\"v=spf1 ~all\""}, "SPF", true, 300});
  s.checks.push_back({"2001:db8::1", "IPv6", {}, false, std::nullopt, "pass", {}, "t"});
  s.spf = "Pass";
  s.ptr = "Fail";
  s.dkimKeys.push_back({"mr-r1", "mr", dkim::Algorithm::kEd25519Sha256, DkimKeyPhase::kActive,
                        "2026-11-24T08:00:00Z", "2026-11-24T08:01:00Z", "2026-11-24T08:01:00Z", "",
                        "", "md-dkim-mr-r1"});
  s.dkimKeys.push_back({"mr", "mr", dkim::Algorithm::kRsaSha256, DkimKeyPhase::kRevoked,
                        "2026-10-01T00:00:00Z", "2026-10-01T00:01:00Z", "2026-10-01T00:01:00Z",
                        "2026-11-24T08:01:00Z", "2026-12-01T08:01:00Z", "md-dkim-mr"});
  auto back = decode<MailDomainStatus>(encodeValue(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(encodeValue(s)["dkimKeys"][0]["phase"], "Active");
  EXPECT_FALSE(encodeValue(s)["dkimKeys"][0].contains("retiringAt"));
}

TEST(MailDomain, DkimKeyStatusErrorsNameTheField) {
  auto bad = decode<MailDomainStatus>(
      Json::parse(R"({"dkimKeys":[{"selector":"a","configuredSelector":"a",)"
                  R"("algorithm":"rsa-sha256","phase":"Live","secretName":"s"}]})"),
      "status");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("status.dkimKeys[0].phase: unknown value \"Live\""),
            std::string::npos)
      << bad.error().message;
  auto missing = decode<MailDomainStatus>(Json::parse(R"({"dkimKeys":[{"selector":"a"}]})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("dkimKeys[0].secretName: required"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::api
