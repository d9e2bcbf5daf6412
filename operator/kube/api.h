// The Kubernetes REST API as used by the operator: a Transport interface (one HTTP request, or
// a streaming watch delivering one JSON line at a time) with the real implementation over
// cpprestsdk in http_transport.h and fakes in tests; typed helpers for get / list / watch /
// create / patch (JSON merge patch, RFC 7386; JSON patch, RFC 6902) / status subresource writes;
// and the mapping from HTTP status and metav1.Status to errors as values.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/codec.h"

namespace mailroom::kube {

struct ApiResponse {
  int code = 0;      // HTTP status
  std::string body;  // JSON text
  bool ok() const { return code >= 200 && code < 300; }
};

struct ApiRequest {
  std::string verb;    // for metrics: get, list, watch, create, patch, update, delete
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // "/apis/mailroom.dev/v1alpha1/namespaces/ns/maildomains/x"
  std::string query;   // "resourceVersion=5&watch=true" (already encoded)
  std::string body;
  std::string contentType = "application/json";
  std::chrono::seconds timeout{30};
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Transport failures (connect, TLS, timeout) are temporary errors; any HTTP status is a
  // response.
  virtual Result<ApiResponse> request(const ApiRequest& req) = 0;
  // Streams the body line by line into onLine until the server ends it, onLine returns false,
  // or the timeout passes with nothing received. A non-2xx status returns its response
  // without calling onLine.
  virtual Result<ApiResponse> stream(const ApiRequest& req,
                                     const std::function<bool(const std::string&)>& onLine) = 0;
};

// metav1.Status reason ("Conflict", "NotFound", "Expired"...) from an error body, or "".
std::string statusReason(const std::string& body);
// HTTP outcome -> error kind: 409/429/5xx temporary, 404/410 not found, 400/422 invalid
// argument, 401/403 permanent. The message carries the code and reason: "409 Conflict: ...".
Error apiError(const ApiResponse& resp);

// Resource paths. group "" is the core API (/api/v1).
struct ResourceRef {
  std::string group, version, resource;  // "mailroom.dev", "v1alpha1", "maildomains"
  std::string collectionPath(const std::string& ns) const;  // ns "" : all namespaces
  std::string objectPath(const std::string& ns, const std::string& name) const;
};

struct WatchEvent {
  std::string type;   // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  api::Json object;   // the object (or metav1.Status for ERROR)
  int errorCode = 0;  // ERROR: the Status code (410: resourceVersion too old)
  std::string resourceVersion;
};
// One line of a watch stream: {"type": "...", "object": {...}}.
Result<WatchEvent> parseWatchEvent(const std::string& line);

class Api {
 public:
  explicit Api(Transport& t) : t_(t) {}
  Result<ApiResponse> get(const std::string& path);
  Result<ApiResponse> list(const std::string& path, const std::string& resourceVersion = {},
                           const std::string& labelSelector = {});
  // Returns when the watch ends (server timeout, onEvent false, or error).
  Result<ApiResponse> watch(const std::string& path, const std::string& resourceVersion,
                            int timeoutSeconds, const std::string& labelSelector,
                            const std::function<bool(const WatchEvent&)>& onEvent);
  Result<ApiResponse> create(const std::string& collectionPath, const std::string& body);
  Result<ApiResponse> update(const std::string& path, const std::string& body);
  Result<ApiResponse> mergePatch(const std::string& path, const std::string& patch);
  Result<ApiResponse> jsonPatch(const std::string& path, const std::string& patch);
  Result<ApiResponse> remove(const std::string& path);
  Transport& transport() { return t_; }

 private:
  Transport& t_;
};

}  // namespace mailroom::kube
