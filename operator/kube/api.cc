#include "operator/kube/api.h"

#include <yaml-cpp/yaml.h>

namespace mailroom::kube {

std::string statusReason(const std::string& body) {
  try {
    YAML::Node n = YAML::Load(body);
    if (n.IsMap() && n["kind"].as<std::string>("") == "Status")
      return n["reason"].as<std::string>("");
  } catch (const YAML::Exception&) {
  }
  return {};
}

Error apiError(const ApiResponse& resp) {
  std::string message;
  try {
    YAML::Node n = YAML::Load(resp.body);
    if (n.IsMap()) message = n["message"].as<std::string>("");
  } catch (const YAML::Exception&) {
  }
  std::string text = std::to_string(resp.code) + " " + statusReason(resp.body) + ": " + message;
  int c = resp.code;
  if (c == 409 || c == 429 || c >= 500) return Error::temporary(text);
  if (c == 404 || c == 410) return Error::notFound(text);
  if (c == 400 || c == 422) return Error::invalidArgument(text);
  if (c == 401 || c == 403) return Error::permanent(text);
  return Error::internal(text);
}

std::string ResourceRef::collectionPath(const std::string& ns) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!ns.empty()) p += "/namespaces/" + ns;
  return p + "/" + resource;
}

std::string ResourceRef::objectPath(const std::string& ns, const std::string& name) const {
  return collectionPath(ns) + "/" + name;
}

Result<WatchEvent> parseWatchEvent(const std::string& line) {
  try {
    YAML::Node n = YAML::Load(line);
    if (!n.IsMap() || !n["type"] || !n["object"].IsMap())
      return Error::invalidArgument("watch event without type/object");
    WatchEvent ev;
    ev.type = n["type"].as<std::string>();
    YAML::Node obj = n["object"];
    ev.object = YAML::Dump(obj);
    if (ev.type == "ERROR") {
      ev.errorCode = obj["code"].as<int>(0);
      return ev;
    }
    ev.resourceVersion = obj["metadata"]["resourceVersion"].as<std::string>("");
    ev.namespace_ = obj["metadata"]["namespace"].as<std::string>("");
    ev.name = obj["metadata"]["name"].as<std::string>("");
    return ev;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("watch event: ") + e.what());
  }
}

Result<ApiResponse> Api::get(const std::string& path) {
  return t_.request({"get", "GET", path, "", "", "application/json"});
}

Result<ApiResponse> Api::list(const std::string& path, const std::string& resourceVersion) {
  // resourceVersion=0 would serve from the watch cache; "" means a consistent read from etcd.
  std::string q = resourceVersion.empty() ? "" : "resourceVersion=" + resourceVersion;
  return t_.request({"list", "GET", path, q, "", "application/json"});
}

Result<ApiResponse> Api::watch(const std::string& path, const std::string& resourceVersion,
                               int timeoutSeconds,
                               const std::function<bool(const WatchEvent&)>& onEvent) {
  ApiRequest req{"watch",
                 "GET",
                 path,
                 "watch=true&allowWatchBookmarks=true&timeoutSeconds=" +
                     std::to_string(timeoutSeconds) + "&resourceVersion=" + resourceVersion,
                 "",
                 "application/json"};
  // The server ends the watch after timeoutSeconds; allow for bookmarks arriving late.
  req.timeout = std::chrono::seconds(timeoutSeconds + 30);
  return t_.stream(req, [&](const std::string& line) {
    if (line.empty()) return true;
    auto ev = parseWatchEvent(line);
    if (!ev) return false;  // a broken stream: end it and relist
    return onEvent(*ev);
  });
}

Result<ApiResponse> Api::create(const std::string& collectionPath, const std::string& body) {
  return t_.request({"create", "POST", collectionPath, "", body, "application/json"});
}

Result<ApiResponse> Api::update(const std::string& path, const std::string& body) {
  return t_.request({"update", "PUT", path, "", body, "application/json"});
}

Result<ApiResponse> Api::mergePatch(const std::string& path, const std::string& patch) {
  return t_.request({"patch", "PATCH", path, "", patch, "application/merge-patch+json"});
}

Result<ApiResponse> Api::jsonPatch(const std::string& path, const std::string& patch) {
  return t_.request({"patch", "PATCH", path, "", patch, "application/json-patch+json"});
}

}  // namespace mailroom::kube
