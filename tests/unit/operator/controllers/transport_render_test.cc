#include "operator/controllers/transport_render.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/sidecarconfig/parse.h"
#include "operator/api/v1alpha1/yaml.h"

namespace mailroom::controllers {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

api::Transport example(const std::string& file) {
  auto docs = api::yamlDocumentsToJson(readFile(fs::path(MAILROOM_EXAMPLES_DIR) / file));
  EXPECT_TRUE(docs.ok());
  auto t = api::decode<api::Transport>(docs->front());
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : api::Transport{};
}

api::Transport transport(const std::string& name, const std::string& specYaml) {
  auto docs = api::yamlDocumentsToJson(specYaml);
  api::Transport t;
  t.metadata.name = name;
  auto spec = api::decode<api::TransportSpec>(docs->front(), "spec");
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  if (spec.ok()) t.spec = *spec;
  return t;
}

// Golden files: golden/sidecar/<case>.yaml is the config rendered from the examples/ Transports
// the case names. MAILROOM_UPDATE_GOLDEN=1 rewrites them.
class Golden : public testing::TestWithParam<std::pair<std::string, std::vector<std::string>>> {};

TEST_P(Golden, RenderedConfigMatchesAndParsesBackEqual) {
  const auto& [name, files] = GetParam();
  std::vector<api::Transport> transports;
  for (const auto& f : files) transports.push_back(example(f));
  auto rendered = renderSidecarConfig(transports, {{"example.com", "rsa2026", "rsa-sha256"}});
  ASSERT_FALSE(rendered.yaml.empty());
  auto parsed = sidecarconfig::parseConfig(rendered.yaml, name);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << rendered.yaml;
  EXPECT_EQ(*parsed, rendered.config) << "the sidecar parses exactly what the operator renders";
  fs::path golden = fs::path(MAILROOM_GOLDEN_DIR) / "sidecar" / (name + ".yaml");
  if (std::getenv("MAILROOM_UPDATE_GOLDEN"))
    std::ofstream(golden, std::ios::binary) << rendered.yaml;
  ASSERT_TRUE(fs::exists(golden)) << "missing " << golden;
  EXPECT_EQ(rendered.yaml, readFile(golden));
}

INSTANTIATE_TEST_SUITE_P(Examples, Golden,
                         testing::Values(
                             std::pair<std::string, std::vector<std::string>>{
                                 "direct-dual", {"transport-direct-dual.yaml"}},
                             std::pair<std::string, std::vector<std::string>>{
                                 "direct-ipv4", {"transport-direct-ipv4.yaml"}},
                             std::pair<std::string, std::vector<std::string>>{
                                 "namespace-all",
                                 {"transport-direct-dual.yaml", "transport-direct-ipv4.yaml",
                                  "transport-relay.yaml"}}),
                         [](const auto& info) {
                           std::string n = info.param.first;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The sidecar delivers mode: relay now: the relay is rendered, with no problem reported.
TEST(TransportRender, RelayIsRenderedNowThatTheSidecarRunsIt) {
  auto rendered = renderSidecarConfig(
      {example("transport-relay.yaml"), example("transport-direct-dual.yaml")}, {});
  ASSERT_EQ(rendered.config.transports.size(), 2u);
  EXPECT_EQ(rendered.config.transports[0].name, "dual-stack");
  EXPECT_EQ(rendered.config.transports[1].name, "smarthost");
  ASSERT_NE(rendered.config.transports[1].relay(), nullptr);
  for (const auto& p : rendered.problemsOf("smarthost")) EXPECT_FALSE(p.error) << p.message;
  EXPECT_TRUE(rendered.problemsOf("dual-stack").empty());
}

TEST(TransportRender, TiesGoToTheLowestNameAndBothAreWarned) {
  auto rendered = renderSidecarConfig(
      {transport("b", "{mode: direct, direct: {ehloHostname: mail.example.com}}"),
       transport("a", "{mode: direct, routes: [{domains: ['*']}]}")},
      {});
  EXPECT_EQ(sidecarconfig::routeFor(rendered.config, "example.net")->name, "a");
  for (const char* name : {"a", "b"}) {
    auto p = rendered.problemsOf(name);
    ASSERT_EQ(p.size(), 1u) << name;
    EXPECT_FALSE(p[0].error);
    EXPECT_EQ(p[0].reason, "RouteTie");
    EXPECT_NE(p[0].message.find("a serves it"), std::string::npos) << p[0].message;
  }
  EXPECT_EQ(rendered.config.hostname, "mail.example.com");
}

TEST(TransportRender, MissingEhloHostnameIsAWarning) {
  auto rendered = renderSidecarConfig({transport("a", "{mode: direct}")}, {});
  EXPECT_EQ(rendered.config.hostname, "localhost");
  auto p = rendered.problemsOf("a");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, "EhloHostnameMissing");
}

TEST(TransportRender, NothingRenderableMeansNoConfig) {
  auto rendered = renderSidecarConfig({}, {});
  EXPECT_TRUE(rendered.yaml.empty());
}

}  // namespace
}  // namespace mailroom::controllers
