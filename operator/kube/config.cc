#include "operator/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cpprest/asyncrt_utils.h>
#include <fstream>
#include <sstream>

namespace mailroom::kube {
namespace {

YAML::Node findNamed(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& item : list) {
    if (item["name"].as<std::string>("") == name) return item[field];
  }
  return YAML::Node();
}

std::string resolve(const std::string& path, const std::string& baseDir) {
  if (path.empty() || path[0] == '/' || baseDir.empty()) return path;
  return baseDir + "/" + path;
}

Result<std::string> base64Decode(const std::string& data, const char* what) {
  try {
    auto bytes = utility::conversions::from_base64(data);
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    return Error::invalidArgument(std::string(what) + ": bad base64");
  }
}

// "<x>-data" (base64 inline) wins over "<x>" (a file), as in client-go.
Result<std::string> dataOrFile(const YAML::Node& node, const std::string& key,
                               const std::string& baseDir) {
  if (auto data = node[key + "-data"].as<std::string>(""); !data.empty())
    return base64Decode(data, (key + "-data").c_str());
  if (auto file = node[key].as<std::string>(""); !file.empty())
    return readTextFile(resolve(file, baseDir));
  return std::string();
}

}  // namespace

Result<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::notFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> KubeConfig::bearerToken() const {
  if (tokenFile.empty()) return token;
  auto t = readTextFile(tokenFile);
  if (!t) return Error::temporary(t.error().message);
  std::string s = std::move(t).value();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<KubeConfig> parseKubeconfig(std::string_view yaml, const std::string& baseDir,
                                   const std::string& contextName) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    std::string ctxName =
        contextName.empty() ? root["current-context"].as<std::string>("") : contextName;
    if (ctxName.empty()) return Error::invalidArgument("kubeconfig: no current-context");
    YAML::Node ctx = findNamed(root["contexts"], ctxName, "context");
    if (!ctx) return Error::invalidArgument("kubeconfig: no context " + ctxName);
    std::string clusterName = ctx["cluster"].as<std::string>("");
    std::string userName = ctx["user"].as<std::string>("");
    YAML::Node cluster = findNamed(root["clusters"], clusterName, "cluster");
    if (!cluster) return Error::invalidArgument("kubeconfig: no cluster " + clusterName);
    YAML::Node user = findNamed(root["users"], userName, "user");
    if (!user) user = YAML::Node(YAML::NodeType::Map);  // anonymous

    KubeConfig c;
    c.server = cluster["server"].as<std::string>("");
    if (c.server.empty()) return Error::invalidArgument("kubeconfig: cluster has no server");
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    c.insecureSkipVerify = cluster["insecure-skip-tls-verify"].as<bool>(false);
    c.namespace_ = ctx["namespace"].as<std::string>("default");
    auto ca = dataOrFile(cluster, "certificate-authority", baseDir);
    auto cert = dataOrFile(user, "client-certificate", baseDir);
    auto key = dataOrFile(user, "client-key", baseDir);
    for (const auto* r : {&ca, &cert, &key}) {
      if (!*r) return r->error();
    }
    c.caPem = *ca;
    c.clientCertPem = *cert;
    c.clientKeyPem = *key;
    c.token = user["token"].as<std::string>("");
    if (auto f = user["tokenFile"].as<std::string>(""); !f.empty())
      c.tokenFile = resolve(f, baseDir);
    if (c.clientCertPem.empty() != c.clientKeyPem.empty())
      return Error::invalidArgument(
          "kubeconfig: client certificate without key (or key without certificate)");
    return c;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("kubeconfig: ") + e.what());
  }
}

Result<KubeConfig> loadKubeconfig(const std::string& path, const std::string& contextName) {
  auto text = readTextFile(path);
  if (!text) return text.error();
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return parseKubeconfig(*text, dir, contextName);
}

Result<KubeConfig> inClusterConfig(const std::function<const char*(const char*)>& getenv,
                                   const std::string& saDir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return Error::notFound("not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset");
  KubeConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 service address
  c.server = "https://" + h + ":" + port;
  c.tokenFile = saDir + "/token";
  auto ca = readTextFile(saDir + "/ca.crt");
  if (!ca) return ca.error();
  c.caPem = *ca;
  auto token = c.bearerToken();
  if (!token) return token.error();
  auto ns = readTextFile(saDir + "/namespace");
  c.namespace_ = ns ? *ns : "default";
  return c;
}

}  // namespace mailroom::kube
