// Rendering: parse(render(c)) == c over a set of configs, and golden files for a few.
// MAILROOM_UPDATE_GOLDEN=1 rewrites golden/<case>.yaml (review the diff before committing).
#include "lib/sidecarconfig/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/sidecarconfig/parse.h"
#include "tests/unit/lib/sidecarconfig/samples.h"

namespace mailroom::sidecarconfig {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::everyFieldConfig;
using testing::minimalConfig;

std::vector<SidecarConfig> roundTripConfigs() {
  std::vector<SidecarConfig> out{minimalConfig(), everyFieldConfig()};
  SidecarConfig v4 = minimalConfig();
  DirectTransport d;
  d.family = {AddressFamily::kIpv4, AddressFamily::kIpv4};  // a preference that cannot count
  d.sourceAddresses = {"192.0.2.1"};
  v4.transports[0].mode = d;
  v4.transports[0].retry = {0s, 1s, 1s};  // the smallest durations
  out.push_back(v4);
  SidecarConfig relay = minimalConfig();
  relay.transports[0].mode = RelayTransport{"2001:db8::25"};
  relay.transports[0].pause = Pause{10000, 1ms, 1};  // 100%
  relay.transports[0].perDestination = {{"*", 1000000, 1000, 10000}};
  out.push_back(relay);
  SidecarConfig odd = minimalConfig();
  odd.spoolDirectory = "/path with spaces/\"quoted\" #not a comment";
  odd.dkim.keys = {{"ex.example", "sel: colon", "rsa-sha256", "* star & anchor"}};
  odd.transports[0].name = "null";  // YAML words stay strings
  odd.hostname = "true.example";
  odd.dnsTimeout = 90061001ms;  // 25h1m1s1ms
  odd.metricsListen = "";       // the endpoint off
  out.push_back(odd);
  return out;
}

TEST(Render, ParseOfRenderIsTheSameConfig) {
  for (const auto& c : roundTripConfigs()) {
    std::string yaml = render(c);
    auto back = parseConfig(yaml, "rendered");
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << yaml;
    EXPECT_EQ(*back, c) << yaml;
    EXPECT_EQ(render(*back), yaml);
  }
}

TEST(Render, EveryFieldConfigIsNotDefaultAnywhere) {
  // Guards the round trip above: a field left at its default would not prove it is rendered.
  const auto c = everyFieldConfig();
  const SidecarConfig defaults;
  EXPECT_NE(c.grpcListen, defaults.grpcListen);
  EXPECT_NE(c.metricsListen, defaults.metricsListen);
  EXPECT_NE(c.exposeMetrics, defaults.exposeMetrics);
  EXPECT_NE(c.spoolDirectory, defaults.spoolDirectory);
  EXPECT_NE(c.maxMessageBytes, defaults.maxMessageBytes);
  EXPECT_NE(c.dnsTimeout, defaults.dnsTimeout);
  EXPECT_NE(c.dnsTries, defaults.dnsTries);
  EXPECT_NE(c.delivery, defaults.delivery);
  EXPECT_NE(c.dkim.required, defaults.dkim.required);
  const DirectTransport& d = *c.transports[0].direct();
  const DirectTransport dd;
  EXPECT_NE(d.family.preferred, dd.family.preferred);
  EXPECT_NE(d.tls, dd.tls);
  EXPECT_NE(d.port, dd.port);
  EXPECT_FALSE(d.nextHop.empty());
  EXPECT_FALSE(d.ehloHostname.empty());
  const Retry r = c.transports[0].retry, rd;
  EXPECT_NE(r.initialBackoff, rd.initialBackoff);
  EXPECT_NE(r.maxBackoff, rd.maxBackoff);
  EXPECT_NE(r.queueLifetime, rd.queueLifetime);
  const Pause p = *c.transports[0].pause, pd;
  EXPECT_NE(p.window, pd.window);
  EXPECT_NE(p.minMessages, pd.minMessages);
  const RelayTransport& relay = *c.transports[2].relay();
  const RelayTransport rdef;
  EXPECT_NE(relay.port, rdef.port);
  EXPECT_NE(relay.tls, rdef.tls);
  EXPECT_TRUE(relay.credentials);
  EXPECT_FALSE(relay.caFile.empty());
}

TEST(FormatDuration, ShortestGoDuration) {
  EXPECT_EQ(formatDuration(0ms), "0s");
  EXPECT_EQ(formatDuration(4000s), "1h6m40s");
  EXPECT_EQ(formatDuration(250ms), "250ms");
  EXPECT_EQ(formatDuration(120h), "120h");
  EXPECT_EQ(formatDuration(61001ms), "1m1s1ms");
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// golden/<case>.in.yaml (written by hand) -> render -> golden/<case>.yaml.
class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RenderMatches) {
  const fs::path dir = MAILROOM_GOLDEN_DIR;
  const fs::path input = dir / (GetParam() + ".in.yaml"), expected = dir / (GetParam() + ".yaml");
  ASSERT_TRUE(fs::exists(input)) << input;
  auto c = parseConfig(readFile(input), input.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  const std::string got = render(*c);
  if (std::getenv("MAILROOM_UPDATE_GOLDEN")) std::ofstream(expected, std::ios::binary) << got;
  ASSERT_TRUE(fs::exists(expected)) << expected;
  EXPECT_EQ(got, readFile(expected));
  auto back = parseConfig(got, expected.string());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *c);
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::Values("minimal", "dual-stack", "routes-relay"));

TEST(Golden, EveryFieldConfig) {
  const fs::path expected = fs::path(MAILROOM_GOLDEN_DIR) / "every-field.yaml";
  const std::string got = render(everyFieldConfig());
  if (std::getenv("MAILROOM_UPDATE_GOLDEN")) std::ofstream(expected, std::ios::binary) << got;
  EXPECT_EQ(got, readFile(expected));
}

}  // namespace
}  // namespace mailroom::sidecarconfig
