#include "operator/kube/api.h"

namespace mailroom::kube {

namespace {

api::Json parseOrNull(const std::string& text) {
  return api::Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::string stringAt(const api::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string statusReason(const std::string& body) {
  api::Json n = parseOrNull(body);
  if (n.is_object() && stringAt(n, "kind") == "Status") return stringAt(n, "reason");
  return {};
}

Error apiError(const ApiResponse& resp) {
  api::Json n = parseOrNull(resp.body);
  std::string message = n.is_object() ? stringAt(n, "message") : std::string();
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
  api::Json n = parseOrNull(line);
  if (!n.is_object() || !n.contains("type") || !n["type"].is_string() || !n.contains("object") ||
      !n["object"].is_object())
    return Error::invalidArgument("watch event without type/object");
  WatchEvent ev;
  ev.type = n["type"].get<std::string>();
  ev.object = std::move(n["object"]);
  if (ev.type == "ERROR") {
    auto code = ev.object.find("code");
    ev.errorCode = code != ev.object.end() && code->is_number_integer() ? code->get<int>() : 0;
    return ev;
  }
  if (auto meta = ev.object.find("metadata"); meta != ev.object.end() && meta->is_object())
    ev.resourceVersion = stringAt(*meta, "resourceVersion");
  return ev;
}
Result<ApiResponse> Api::get(const std::string& path) {
  return t_.request({"get", "GET", path, "", "", "application/json"});
}

namespace {

// Label selectors use only [-A-Za-z0-9_./=!,()] and spaces here; '=' and ',' are legal in a
// query value, spaces are not.
std::string selectorQuery(const std::string& labelSelector) {
  if (labelSelector.empty()) return {};
  std::string out = "labelSelector=";
  for (char c : labelSelector) {
    if (c == ' ') {
      out += "%20";
    } else if (c == '!') {
      out += "%21";
    } else {
      out += c;
    }
  }
  return out;
}

std::string joinQuery(std::string a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "&" + b;
}

}  // namespace

Result<ApiResponse> Api::list(const std::string& path, const std::string& resourceVersion,
                              const std::string& labelSelector) {
  // resourceVersion=0 would serve from the watch cache; "" means a consistent read from etcd.
  std::string q = resourceVersion.empty() ? "" : "resourceVersion=" + resourceVersion;
  return t_.request(
      {"list", "GET", path, joinQuery(q, selectorQuery(labelSelector)), "", "application/json"});
}

Result<ApiResponse> Api::watch(const std::string& path, const std::string& resourceVersion,
                               int timeoutSeconds, const std::string& labelSelector,
                               const std::function<bool(const WatchEvent&)>& onEvent) {
  ApiRequest req{
      "watch",
      "GET",
      path,
      joinQuery("watch=true&allowWatchBookmarks=true&timeoutSeconds=" +
                    std::to_string(timeoutSeconds) + "&resourceVersion=" + resourceVersion,
                selectorQuery(labelSelector)),
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

Result<ApiResponse> Api::remove(const std::string& path) {
  return t_.request({"delete", "DELETE", path, "", "", "application/json"});
}

}  // namespace mailroom::kube
