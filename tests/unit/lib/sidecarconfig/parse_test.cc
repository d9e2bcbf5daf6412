// Parsing: every field read, defaults, and errors that name the field path and the line.
#include "lib/sidecarconfig/parse.h"

#include <gtest/gtest.h>

namespace mailroom::sidecarconfig {
namespace {

using namespace std::chrono_literals;

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
delivery:
  concurrency: 5
transports:
  - name: v6first
    direct:
      addressFamily: Any
      preferredFamily: IPv6
      sourceAddresses: ["198.51.100.10", "2001:DB8:5::10"]
      tls: {policy: required}
    routes:
      - domains: ["*"]
    limits:
      perDestination:
        - {domain: Gmail.COM, messagesPerMinute: 100, maxConnections: 5, deliveriesPerConnection: 50}
        - {domain: "*", deliveriesPerConnection: 20}
    warmup:
      schedule: [{day: 1, messagesPerDay: 50}, {day: 2, messagesPerDay: 100}]
    pause: {bounceRateThreshold: "2.5%", window: 30m}
    retry:
      initialBackoff: 5m
      maxBackoff: 1h
      queueLifetime: 120h
  - name: v4
    direct:
      addressFamily: IPv4
      ehloHostname: out.example.com
    routes:
      - domains: ["example.net", "*.example.org"]
        priority: 10
  - name: smarthost
    relay:
      host: smtp.example.net
      tls: implicit
      port: 465
      credentials: {usernameFile: /run/u, passwordFile: /run/p}
    routes:
      - domains: "*.example.com"
)";

TEST(Parse, ReadsEveryField) {
  auto c = parseConfig(kFull);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->grpcListen.size(), 2u);
  EXPECT_EQ(c->maxMessageBytes, 1048576u);
  EXPECT_EQ(c->dnsTimeout, 2s);
  EXPECT_EQ(c->delivery.concurrency, 5);
  const auto* t = c->transport("v6first");
  ASSERT_NE(t, nullptr);
  ASSERT_NE(t->direct(), nullptr);
  EXPECT_TRUE(t->direct()->family.both());
  EXPECT_EQ(t->direct()->family.preferred, AddressFamily::kIpv6);
  EXPECT_EQ(t->direct()->tls, TlsPolicy::kRequired);
  EXPECT_EQ(t->direct()->sourceFor(AddressFamily::kIpv6), "2001:db8:5::10");  // one spelling
  EXPECT_EQ(ehloName(*c, *t->direct()), "mail.example.com");                  // inherits hostname
  EXPECT_EQ(t->retry.maxBackoff, 1h);
  ASSERT_EQ(t->perDestination.size(), 2u);
  EXPECT_EQ(t->perDestination[0],
            (DestinationLimits{"gmail.com", 100, 5, 50}));  // patterns in lower case
  EXPECT_EQ(t->perDestination[1], (DestinationLimits{"*", {}, {}, 20}));
  EXPECT_EQ(t->warmup, (std::vector<WarmupDay>{{1, 50}, {2, 100}}));
  ASSERT_TRUE(t->pause);
  EXPECT_EQ(*t->pause, (Pause{250, 30min, 100}));
  const auto* v4 = c->transport("v4");
  EXPECT_EQ(ehloName(*c, *v4->direct()), "out.example.com");
  EXPECT_EQ(v4->routes, (std::vector<Route>{{{"example.net", "*.example.org"}, 10}}));
  const auto* relay = c->transport("smarthost")->relay();
  ASSERT_NE(relay, nullptr);
  EXPECT_EQ(*relay, (RelayTransport{"smtp.example.net", 465, TlsPolicy::kImplicit,
                                    RelayCredentials{"/run/u", "/run/p"}, ""}));
}

TEST(Parse, DefaultsAreTheCrdsAndPostfixs) {
  auto c = parseConfig(
      "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\nhostname: h.example\n"
      "transports:\n  - {name: d, direct: {}}\n  - {name: r, relay: {host: smtp.example.net}}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto& d = *c->transports[0].direct();
  EXPECT_EQ(d, DirectTransport{});
  EXPECT_TRUE(d.family.both());
  EXPECT_EQ(d.family.preferred, AddressFamily::kIpv6);
  EXPECT_EQ(d.tls, TlsPolicy::kOpportunistic);
  EXPECT_EQ(d.port, 25);
  const auto& r = *c->transports[1].relay();
  EXPECT_EQ(r.port, 587);
  EXPECT_EQ(r.tls, TlsPolicy::kRequired);  // "starttls"
  EXPECT_FALSE(r.credentials);
  EXPECT_EQ(c->transports[0].retry, Retry{});
  EXPECT_EQ(c->transports[0].retry.initialBackoff, 5min);
  EXPECT_EQ(c->delivery.concurrency, 20);
}

TEST(Parse, ExposeMetricsAllowsAnyMetricsAddressOnly) {
  const std::string head =
      "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\nhostname: h.example\n"
      "transports:\n  - {name: d, direct: {}}\n";
  for (const char* addr : {"0.0.0.0:9587", "[::]:9587", "10.1.2.3:9587", "127.0.0.1:9587"}) {
    auto c = parseConfig(head + "listen:\n  exposeMetrics: true\n  metrics: \"" + addr + "\"\n");
    ASSERT_TRUE(c.ok()) << addr << ": " << c.error().message;
    EXPECT_TRUE(c->exposeMetrics);
    EXPECT_EQ(c->metricsListen, addr);
    EXPECT_EQ(c->grpcListen, SidecarConfig{}.grpcListen);
  }
  auto plain = parseConfig(head);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->exposeMetrics);
}

TEST(Parse, NextHopKeepsItsOwnPort) {
  auto c = parseConfig(
      "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\nhostname: h.example\n"
      "transports:\n  - name: t\n    direct: {nextHop: \"[127.0.0.1]:2602\"}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto& d = *c->transports[0].direct();
  EXPECT_EQ(d.port, 25);
  EXPECT_EQ(d.connectPort(), 2602);
}

const std::string kHead =
    "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\nhostname: h.example\n";  // lines 1-3
const std::string kOne = "transports:\n  - name: t\n    direct: {addressFamily: IPv4}\n";  // 4-6
const std::string kT = "transports:\n  - name: t\n";                                       // 4-5

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string want;  // "sidecar.yaml:LINE: path: message" prefix or substring
};

class ParseError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseError, NamesFieldPathAndLine) {
  auto c = parseConfig(GetParam().yaml, "sidecar.yaml");
  ASSERT_FALSE(c.ok()) << "accepted:\n" << GetParam().yaml;
  EXPECT_NE(c.error().message.find(GetParam().want), std::string::npos)
      << "got:  " << c.error().message << "\nwant: " << GetParam().want;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseError,
    ::testing::Values(
        ErrorCase{"NotLoopback", kHead + "listen:\n  grpc: [\"0.0.0.0:7587\"]\n" + kOne,
                  "sidecar.yaml:5: listen.grpc[0]: \"0.0.0.0:7587\" is not a loopback"},
        ErrorCase{"MetricsNotLoopbackWithoutExpose",
                  kHead + "listen:\n  metrics: 0.0.0.0:9587\n" + kOne,
                  "sidecar.yaml:5: listen.metrics: must be a loopback address unless "
                  "listen.exposeMetrics is true"},
        ErrorCase{"ExposeWithoutMetrics",
                  kHead + "listen:\n  metrics: \"\"\n  exposeMetrics: true\n" + kOne,
                  "sidecar.yaml:6: listen.exposeMetrics: needs listen.metrics"},
        ErrorCase{"MetricsOnAUnixSocket", kHead + "listen:\n  metrics: unix:/run/m.sock\n" + kOne,
                  "sidecar.yaml:5: listen.metrics: must be an ip:port address"},
        ErrorCase{"ExposeDoesNotOpenGrpc",
                  kHead + "listen:\n  grpc: [\"0.0.0.0:7587\"]\n  exposeMetrics: true\n" + kOne,
                  "sidecar.yaml:5: listen.grpc[0]: \"0.0.0.0:7587\" is not a loopback"},
        ErrorCase{"UnknownField", kHead + kOne + "retyr:\n  maxBackoff: 1h\n",
                  "sidecar.yaml:7: retyr: unknown field"},
        ErrorCase{"MovedRoutes", kHead + kOne + "routes: []\n",
                  "sidecar.yaml:7: routes: unknown field (routes are per transport now"},
        ErrorCase{"RenamedMessagesPerConnection",
                  kHead + kOne + "delivery:\n  messagesPerConnection: 5\n",
                  "sidecar.yaml:8: delivery.messagesPerConnection: unknown field (now "
                  "transports[].limits.perDestination[].deliveriesPerConnection)"},
        ErrorCase{"ResponseRuleBadRegex",
                  kHead + kT +
                      "    direct: {}\n    responseRules:\n"
                      "      - {name: x, text: \"(unclosed\", action: pause}\n",
                  "transports[0].responseRules[0].text: is not a valid regular expression"},
        ErrorCase{"ResponseRuleMatchesEverything",
                  kHead + kT +
                      "    direct: {}\n    responseRules:\n"
                      "      - {name: x, action: defer-destination, duration: 1h}\n",
                  "transports[0].responseRules[0]: needs codes, enhanced or text"},
        ErrorCase{"ResponseRuleUnknownAction",
                  kHead + kT +
                      "    direct: {}\n    responseRules:\n"
                      "      - {name: x, codes: [421], action: slow}\n",
                  "transports[0].responseRules[0].action: must be one of defer-destination"},
        ErrorCase{"DuplicateKey", kHead + kOne + "transports: []\n",
                  "sidecar.yaml:7: transports: duplicate key"},
        ErrorCase{"BadFamily", kHead + kT + "    direct: {addressFamily: IPv5}\n",
                  "sidecar.yaml:6: transports[0].direct.addressFamily: must be one of IPv4, IPv6, "
                  "Any (got "
                  "\"IPv5\")"},
        ErrorCase{
            "PreferredWithoutAny",
            kHead + kT + "    direct:\n      addressFamily: IPv4\n      preferredFamily: IPv4\n",
            "sidecar.yaml:8: transports[0].direct.preferredFamily: is only allowed with "
            "addressFamily: Any"},
        ErrorCase{"SourceOfTheWrongFamily",
                  kHead + kT +
                      "    direct:\n      addressFamily: IPv4\n"
                      "      sourceAddresses: [\"2001:db8::1\"]\n",
                  "sidecar.yaml:8: transports[0].direct.sourceAddresses[0]: an IPv6 address on "
                  "an IPv4-only transport"},
        ErrorCase{"ImplicitIsNotADirectPolicy",
                  kHead + kT + "    direct:\n      tls: {policy: implicit}\n",
                  "sidecar.yaml:7: transports[0].direct.tls.policy: must be one of"},
        ErrorCase{"DirectAndRelay",
                  kHead + kT + "    direct: {}\n    relay: {host: smtp.example.net}\n",
                  "sidecar.yaml:7: transports[0].relay: a transport is either direct or relay"},
        ErrorCase{"NeitherDirectNorRelay", kHead + kT,
                  "sidecar.yaml:5: transports[0]: needs direct (to MX hosts) or relay"},
        ErrorCase{"RelayWithoutHost", kHead + kT + "    relay: {port: 587}\n",
                  "sidecar.yaml:6: transports[0].relay.host: is required"},
        ErrorCase{"RelayTls",
                  kHead + kT + "    relay:\n      host: a.example\n      tls: required\n",
                  "sidecar.yaml:8: transports[0].relay.tls: must be starttls or implicit"},
        ErrorCase{"RelayHalfCredentials",
                  kHead + kT +
                      "    relay:\n      host: a.example\n      credentials:\n"
                      "        usernameFile: /u\n",
                  "sidecar.yaml:9: transports[0].relay.credentials.passwordFile: is required"},
        ErrorCase{"BadRoutePattern",
                  kHead + kOne + "    routes:\n      - domains: [\"a..example\"]\n",
                  "sidecar.yaml:8: transports[0].routes[0].domains[0]: \"a..example\" is not a "
                  "domain"},
        ErrorCase{"RoutePriorityRange",
                  kHead + kOne + "    routes:\n      - domains: [\"*\"]\n        priority: 1001\n",
                  "sidecar.yaml:9: transports[0].routes[0].priority: must be between 0 and 1000"},
        ErrorCase{"LimitsDomainTwice",
                  kHead + kOne +
                      "    limits:\n      perDestination:\n        - {domain: a.example}\n"
                      "        - {domain: A.example}\n",
                  "sidecar.yaml:10: transports[0].limits.perDestination[1].domain: \"a.example\" "
                  "is listed twice"},
        ErrorCase{"LimitsRange",
                  kHead + kOne +
                      "    limits:\n      perDestination:\n"
                      "        - {domain: a.example, maxConnections: 0}\n",
                  "sidecar.yaml:9: transports[0].limits.perDestination[0].maxConnections: must be "
                  "between 1 and 1000"},
        ErrorCase{"OldLimitName",
                  kHead + kOne +
                      "    limits:\n      perDestination:\n"
                      "        - {domain: a.example, messagesPerConnection: 5}\n",
                  "sidecar.yaml:9: transports[0].limits.perDestination[0].messagesPerConnection: "
                  "unknown field"},
        ErrorCase{"WarmupDayTwice",
                  kHead + kOne +
                      "    warmup:\n      schedule:\n        - {day: 1, messagesPerDay: 5}\n"
                      "        - {day: 1, messagesPerDay: 9}\n",
                  "sidecar.yaml:10: transports[0].warmup.schedule[1].day: day 1 is listed twice"},
        ErrorCase{"WarmupEmpty", kHead + kOne + "    warmup: {schedule: []}\n",
                  "sidecar.yaml:7: transports[0].warmup.schedule: must have at least one day"},
        ErrorCase{"PauseThreshold", kHead + kOne + "    pause: {bounceRateThreshold: \"0%\"}\n",
                  "sidecar.yaml:7: transports[0].pause.bounceRateThreshold: must be a percentage"},
        ErrorCase{"PauseWithoutThreshold", kHead + kOne + "    pause: {window: 1h}\n",
                  "sidecar.yaml:7: transports[0].pause.bounceRateThreshold: is required"},
        ErrorCase{"RetryDuration", kHead + kOne + "    retry: {initialBackoff: soon}\n",
                  "sidecar.yaml:7: transports[0].retry.initialBackoff: must be a duration"},
        ErrorCase{"RetryOrder", kHead + kOne + "    retry: {initialBackoff: 2h, maxBackoff: 1h}\n",
                  "sidecar.yaml:7: transports[0].retry.maxBackoff: must not be shorter than "
                  "transports[0].retry.initialBackoff"},
        ErrorCase{"DuplicateTransport", kHead + kOne + "  - name: t\n    direct: {}\n",
                  "sidecar.yaml:7: transports[1].name: duplicate transport name"},
        ErrorCase{"NoTransports", kHead + "transports: []\n",
                  "sidecar.yaml:4: transports: at least one transport is required"},
        ErrorCase{"NoHostname", "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\n" + kOne,
                  "hostname: is required"},
        ErrorCase{"BadHostname",
                  "apiVersion: mailroom.dev/v1alpha1\nkind: SidecarConfig\n"
                  "hostname: \"mail example\"\n" +
                      kOne,
                  "sidecar.yaml:3: hostname: \"mail example\" is not a host name"},
        ErrorCase{"ApiVersion", "apiVersion: v1\nkind: SidecarConfig\n",
                  "sidecar.yaml:1: apiVersion: must be mailroom.dev/v1alpha1"},
        ErrorCase{"NotUtf8", kHead + "spool: {directory: \"\xff\xfe\"}\n" + kOne,
                  "sidecar.yaml:4: spool.directory: must be valid UTF-8"},
        ErrorCase{"YamlSyntax", kHead + "transports: [\n", "YAML syntax"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Duration, GoSyntax) {
  EXPECT_EQ(parseDuration("1h30m"), 90min);
  EXPECT_EQ(parseDuration("250ms"), 250ms);
  EXPECT_EQ(parseDuration("5"), std::nullopt);
  EXPECT_EQ(parseDuration("5d"), std::nullopt);
  EXPECT_EQ(parseDuration(""), std::nullopt);
  EXPECT_EQ(parseDuration(std::string(2000, '9').substr(0, 9) + "h999999999h999999999h"),
            std::nullopt);  // too long to be meant, and no overflow
}

TEST(Parse, KeepsUnicodeAndEscapes) {
  auto c = parseConfig(kHead + "spool: {directory: \"/\u2603 \\u00e9\\t\xc3\xa9\"}\n" + kOne);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->spoolDirectory, "/\u2603 \u00e9\t\xc3\xa9");
}

TEST(Percent, CrdPattern) {
  EXPECT_EQ(parsePercentBasisPoints("5"), 500);
  EXPECT_EQ(parsePercentBasisPoints("5%"), 500);
  EXPECT_EQ(parsePercentBasisPoints("2.5%"), 250);
  EXPECT_EQ(parsePercentBasisPoints("0.01"), 1);
  EXPECT_EQ(parsePercentBasisPoints("100%"), 10000);
  for (const char* bad : {"0", "0%", "100.01", "101", "2.555", "5 %", "%", "", ".5", "5.", "-1"})
    EXPECT_EQ(parsePercentBasisPoints(bad), std::nullopt) << bad;
}

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
}

}  // namespace
}  // namespace mailroom::sidecarconfig
