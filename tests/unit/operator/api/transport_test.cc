#include "operator/api/v1alpha1/transport.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "operator/api/v1alpha1/yaml.h"

namespace mailroom::api {
namespace {

Result<Transport> fromFile(const std::string& name) {
  std::ifstream in(std::string(MAILROOM_EXAMPLES_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  auto docs = yamlDocumentsToJson(ss.str());
  if (!docs) return docs.error();
  return decode<Transport>(docs->front());
}

Result<TransportSpec> specFrom(const std::string& yaml) {
  auto docs = yamlDocumentsToJson(yaml);
  if (!docs) return docs.error();
  return decode<TransportSpec>(docs->front(), "spec");
}

TEST(Transport, ExamplesDecodeAndRoundTrip) {
  for (const char* file :
       {"transport-direct-dual.yaml", "transport-direct-ipv4.yaml", "transport-relay.yaml"}) {
    auto t = fromFile(file);
    ASSERT_TRUE(t.ok()) << file << ": " << t.error().message;
    auto back = decode<Transport>(encodeValue(*t));
    ASSERT_TRUE(back.ok()) << file << ": " << back.error().message;
    EXPECT_EQ(*back, *t) << file;
  }
}

TEST(Transport, DirectFamilyAndTlsUseTheProjectVocabulary) {
  auto dual = fromFile("transport-direct-dual.yaml");
  ASSERT_TRUE(dual.ok());
  EXPECT_TRUE(dual->spec.direct->family.both());
  EXPECT_EQ(dual->spec.direct->family.preferred, AddressFamily::kIpv6);
  EXPECT_EQ(dual->spec.sourceAddresses(),
            (std::vector<std::string>{"198.51.100.10", "2001:db8:5::10"}));
  EXPECT_EQ(dual->spec.warmup.size(), 4u);
  EXPECT_EQ(dual->spec.perDestination[0].maxConnections, 5);
  auto v4 = fromFile("transport-direct-ipv4.yaml");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->spec.direct->family.only, AddressFamily::kIpv4);
  EXPECT_EQ(v4->spec.direct->tls, TlsPolicy::kRequired);
  auto relay = fromFile("transport-relay.yaml");
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(relay->spec.relay->tls, TlsPolicy::kRequired);
  EXPECT_TRUE(relay->spec.sourceAddresses().empty()) << "a relay sends from its own addresses";
}

TEST(Transport, RejectsModeMismatchesAndUnknownWords) {
  const std::pair<const char*, const char*> cases[] = {
      {"{mode: direct, relay: {host: smtp.example.net}}", "spec.relay: forbidden"},
      {"{mode: relay}", "spec.relay: required"},
      {"{mode: relay, relay: {host: h.example}, direct: {}}", "spec.direct: forbidden"},
      {"{mode: direct, direct: {addressFamily: IPv5}}", "spec.direct.addressFamily"},
      {"{mode: direct, direct: {tls: {policy: implicit}}}", "spec.direct.tls.policy"},
      {"{mode: relay, relay: {host: h.example, tls: ssl}}", "spec.relay.tls"},
      {"{mode: direct, limits: {perDestination: [{messagesPerMinute: 5}]}}",
       "spec.limits.perDestination[0].domain: required"},
      {"{mode: direct, direct: {messagesPerConnection: 5}}",
       "spec.direct.messagesPerConnection: unknown field"},
  };
  for (const auto& [yaml, want] : cases) {
    auto r = specFrom(yaml);
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_NE(r.error().message.find(want), std::string::npos)
        << yaml << " -> " << r.error().message;
  }
}

TEST(Transport, ImplicitTlsRelayRoundTrips) {
  auto r = specFrom("{mode: relay, relay: {host: h.example, port: 465, tls: implicit}}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->relay->tls, TlsPolicy::kImplicit);
  EXPECT_EQ(encodeValue(*r)["relay"]["tls"], "implicit");
}

TEST(Transport, StatusRoundTrips) {
  TransportStatus s;
  s.delivered = 10;
  s.perDestination.push_back(
      {"gmail.com", 3, 1, 0, false,
       LastFailure{"t", "550 5.7.25", "PTR", "IPv6", "2001:db8::1", "2001:db8::1"}});
  auto back = decode<TransportStatus>(encodeValue(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
}

}  // namespace
}  // namespace mailroom::api
