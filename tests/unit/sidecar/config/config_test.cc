#include <gtest/gtest.h>

#include "sidecar/config/config.h"

namespace mailroom::config {
namespace {

constexpr const char* kFull = R"(apiVersion: mailroom.dev/v1alpha1
kind: SidecarConfig
listen:
  grpc: ["127.0.0.1:7587", "[::1]:7587"]
  metrics: 127.0.0.1:9587
spool:
  directory: /var/spool/mailroom
  maxMessageBytes: 1048576
hostname: mail.example.com
dns:
  resolvers: ["198.51.100.53"]
  timeout: 2s
retry:
  initialBackoff: 5m
  maxBackoff: 1h
  queueLifetime: 120h
transports:
  - name: v6first
    direct:
      addressFamily: Any
      preferredFamily: IPv6
      sourceAddresses: ["198.51.100.10", "2001:db8:5::10"]
      tls: {policy: required}
  - name: v4
    direct:
      addressFamily: IPv4
      ehloHostname: out.example.com
routes:
  - domains: ["example.net", "*.example.org"]
    transport: v4
  - domains: ["*"]
    transport: v6first
)";

TEST(Config, ParsesEveryField) {
  auto c = parseConfig(kFull);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->grpcListen.size(), 2u);
  EXPECT_EQ(c->maxMessageBytes, 1048576u);
  EXPECT_EQ(c->dnsTimeout, std::chrono::seconds(2));
  EXPECT_EQ(c->retry.maxBackoff, std::chrono::hours(1));
  EXPECT_EQ(c->retry.queueLifetime, std::chrono::hours(120));
  const auto* t = c->transport("v6first");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->direct.family.both());
  EXPECT_EQ(t->direct.family.preferred, AddressFamily::kIpv6);
  EXPECT_EQ(t->direct.tls, TlsPolicy::kRequired);
  EXPECT_EQ(t->direct.ehloHostname, "mail.example.com");  // inherits hostname
  EXPECT_EQ(t->sourceFor(AddressFamily::kIpv6), "2001:db8:5::10");
  EXPECT_EQ(c->transport("v4")->direct.ehloHostname, "out.example.com");
}

TEST(Config, RoutesPreferExactThenLongestWildcardThenStar) {
  auto c = parseConfig(kFull);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(routeFor(*c, "EXAMPLE.NET")->name, "v4");
  EXPECT_EQ(routeFor(*c, "a.b.example.org")->name, "v4");
  EXPECT_EQ(routeFor(*c, "example.org")->name, "v6first");  // "*.example.org" is subdomains only
  EXPECT_EQ(routeFor(*c, "gmail.com")->name, "v6first");
}

std::string errorOf(const std::string& yaml) {
  auto c = parseConfig(yaml, "sidecar.yaml");
  return c.ok() ? "" : c.error().message;
}

const std::string kHead =
    "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\nhostname: h.example\n";
const std::string kOneTransport = "transports:\n  - name: t\n    direct: {addressFamily: IPv4}\n";

TEST(Config, RefusesNonLoopbackListenNamingFieldAndLine) {
  auto e = errorOf(kHead + "listen:\n  grpc: [\"0.0.0.0:7587\"]\n" + kOneTransport);
  EXPECT_NE(e.find("sidecar.yaml:5: listen.grpc[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("loopback"), std::string::npos) << e;
  EXPECT_TRUE(
      errorOf(kHead + "listen:\n  grpc: [\"unix:/run/m.sock\", \"[::1]:1\"]\n" + kOneTransport)
          .empty());
}

TEST(Config, UnknownFieldIsAnErrorWithLine) {
  auto e = errorOf(kHead + kOneTransport + "retyr:\n  maxBackoff: 1h\n");
  EXPECT_NE(e.find("sidecar.yaml:7: retyr: unknown field"), std::string::npos) << e;
}

TEST(Config, DuplicateKeyIsAnError) {
  auto e = errorOf(kHead + kOneTransport + "transports:\n  - name: u\n    direct: {}\n");
  EXPECT_NE(e.find("sidecar.yaml:7: transports: duplicate key"), std::string::npos) << e;
}

TEST(Config, BadValuesNameTheirField) {
  EXPECT_NE(errorOf(kHead + "transports:\n  - name: t\n    direct: {addressFamily: IPv5}\n")
                .find("transports[0].direct.addressFamily: must be one of"),
            std::string::npos);
  EXPECT_NE(errorOf(kHead + "transports:\n  - name: t\n    direct:\n      addressFamily: IPv4\n"
                            "      sourceAddresses: [\"2001:db8::1\"]\n")
                .find("IPv6 address on an IPv4-only transport"),
            std::string::npos);
  EXPECT_NE(errorOf(kHead + kOneTransport + "retry: {initialBackoff: soon}\n")
                .find("retry.initialBackoff: must be a duration"),
            std::string::npos);
  EXPECT_NE(
      errorOf(kHead + kOneTransport + "routes:\n  - domains: [x.example]\n    transport: nope\n")
          .find("no transport named \"nope\""),
      std::string::npos);
  EXPECT_NE(errorOf("apiVersion: v1\nkind: SidecarConfig\n").find("apiVersion"), std::string::npos);
  EXPECT_NE(errorOf(kHead + "transports: [\n").find("YAML syntax"), std::string::npos);
}

TEST(Config, SingleTransportServesEveryDomain) {
  auto c = parseConfig(kHead + kOneTransport);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(routeFor(*c, "anything.example")->name, "t");
}

TEST(Duration, GoSyntax) {
  EXPECT_EQ(parseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(parseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parseDuration("5"), std::nullopt);
  EXPECT_EQ(parseDuration("5d"), std::nullopt);
  EXPECT_EQ(parseDuration(""), std::nullopt);
}

}  // namespace
}  // namespace mailroom::config

namespace mailroom::config {
namespace {
TEST(NextHop, BracketedHostAndPort) {
  auto a = parseNextHop("[198.51.100.25]:2525", 25);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "198.51.100.25");
  EXPECT_EQ(a->port, 2525);
  auto b = parseNextHop("[2001:db8::25]", 25);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "2001:db8::25");
  EXPECT_EQ(b->port, 25);
  EXPECT_FALSE(parseNextHop("mx.example.net", 25));
  EXPECT_FALSE(parseNextHop("[x]:99999", 25));
  auto c = parseConfig(kHead +
                       "transports:\n  - name: t\n    direct: {nextHop: \"[127.0.0.1]:2602\"}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->transports[0].direct.port, 2602);
}
}  // namespace
}  // namespace mailroom::config
