#include "operator/kube/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mailroom::kube {
namespace {

const char* kKubeconfig = R"(
apiVersion: v1
kind: Config
current-context: ops
clusters:
- name: other
  cluster: {server: "https://198.51.100.1:6443"}
- name: lab
  cluster:
    server: "https://127.0.0.1:6443/"
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
contexts:
- name: admin
  context: {cluster: other, user: admin}
- name: ops
  context: {cluster: lab, user: operator, namespace: mail}
users:
- name: admin
  user: {token: admin-token}
- name: operator
  user: {token: operator-token}
)";

TEST(Kubeconfig, CurrentContextPicksClusterUserAndNamespace) {
  auto c = parseKubeconfig(kKubeconfig, "/nonexistent");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->caPem, "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(c->namespace_, "mail");
  EXPECT_EQ(*c->bearerToken(), "operator-token");
}

TEST(Kubeconfig, NamedContextOverrides) {
  auto c = parseKubeconfig(kKubeconfig, "/nonexistent", "admin");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://198.51.100.1:6443");
  EXPECT_EQ(c->namespace_, "default");
  EXPECT_EQ(*c->bearerToken(), "admin-token");
  EXPECT_FALSE(parseKubeconfig(kKubeconfig, "/x", "missing").ok());
}

TEST(Kubeconfig, RejectsBrokenInput) {
  EXPECT_FALSE(parseKubeconfig("current-context: a", "/x").ok());
  EXPECT_FALSE(parseKubeconfig("{[", "/x").ok());
  EXPECT_FALSE(parseKubeconfig(R"(current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate-data: QQ==}}])",
                               "/x")
                   .ok())
      << "a certificate without its key";
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("operator-config-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) {
    auto p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(Kubeconfig, RelativeFilesResolveAgainstTheKubeconfigDirectory) {
  TempDir dir;
  dir.write("ca.crt", "CA PEM");
  dir.write("token", "file-token\n");
  auto path = dir.write("config", R"(current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token}}])");
  auto c = loadKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->caPem, "CA PEM");
  EXPECT_EQ(*c->bearerToken(), "file-token");
}

TEST(InCluster, ReadsServiceAccountAndRereadsRotatedToken) {
  TempDir dir;
  dir.write("ca.crt", "CA");
  dir.write("token", "t1");
  dir.write("namespace", "mailroom-system");
  auto env = [](const char* name) -> const char* {
    if (std::string(name) == "KUBERNETES_SERVICE_HOST") return "2001:db8::1";
    if (std::string(name) == "KUBERNETES_SERVICE_PORT") return "443";
    return nullptr;
  };
  auto c = inClusterConfig(env, dir.path());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://[2001:db8::1]:443");
  EXPECT_EQ(c->namespace_, "mailroom-system");
  EXPECT_EQ(*c->bearerToken(), "t1");
  dir.write("token", "t2");  // the kubelet rotated it
  EXPECT_EQ(*c->bearerToken(), "t2");
  auto none = inClusterConfig([](const char*) -> const char* { return nullptr; }, dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace mailroom::kube
