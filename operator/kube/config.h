// How to reach the Kubernetes API server: from a kubeconfig file (the current context's
// cluster and user: server URL, CA data or file, bearer token or token file, client certificate
// and key) or in-cluster (KUBERNETES_SERVICE_HOST/PORT and the mounted service account,
// whose token rotates and is therefore re-read from its file on every request).
// Parsing is pure over the file's text; relative file paths are resolved against the
// kubeconfig's directory, as kubectl does.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lib/common/result.h"

namespace mailroom::kube {

struct KubeConfig {
  std::string server;         // "https://127.0.0.1:6443"
  std::string caPem;          // trusted CA certificates; empty: the system store
  std::string token;          // static bearer token
  std::string tokenFile;      // re-read per request (bound service-account tokens rotate)
  std::string clientCertPem;  // client certificate authentication
  std::string clientKeyPem;
  bool insecureSkipVerify = false;
  std::string namespace_;  // the context's namespace, or the pod's in-cluster
  // Sent as User-Agent: the API server's audit log and managedFields name the writer by it.
  std::string userAgent = "mailroom-operator";

  // The bearer token to send now: tokenFile's current contents when set, else token.
  Result<std::string> bearerToken() const;
};

// contextName empty: current-context.
Result<KubeConfig> parseKubeconfig(std::string_view yaml, const std::string& baseDir,
                                   const std::string& contextName = {});
Result<KubeConfig> loadKubeconfig(const std::string& path, const std::string& contextName = {});

// getenv is injected for tests; saDir is /var/run/secrets/kubernetes.io/serviceaccount.
Result<KubeConfig> inClusterConfig(
    const std::function<const char*(const char*)>& getenv,
    const std::string& saDir = "/var/run/secrets/kubernetes.io/serviceaccount");

Result<std::string> readTextFile(const std::string& path);

}  // namespace mailroom::kube
