#include "tests/mocks/fake_kube_api.h"

#include "operator/kube/conditions.h"

#include <sstream>

namespace mailroom::testing {
namespace {

using api::Json;

kube::ApiResponse status(int code, const std::string& reason, const std::string& message) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
            {"reason", reason}, {"message", message}, {"code", code}};
  return {code, s.dump()};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

std::string queryValue(const std::string& query, const std::string& key) {
  for (const auto& kv : split(query, '&')) {
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
  }
  return {};
}

std::string decodePercent(std::string s) {
  for (size_t i = 0; (i = s.find('%', i)) != std::string::npos;) {
    if (i + 2 >= s.size()) break;
    s.replace(i, 3, 1, char(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
    ++i;
  }
  return s;
}

// Kinds whose status is a subresource (everything the operator writes status on).
bool hasStatusSubresource(const std::string& resource) {
  return resource != "configmaps" && resource != "secrets" && resource != "events" &&
         resource != "leases" && resource != "serviceaccounts";
}

const Json& metaOf(const Json& o) {
  static const Json empty = Json::object();
  auto it = o.find("metadata");
  return it != o.end() && it->is_object() ? *it : empty;
}

std::string metaString(const Json& o, const char* key) {
  return metaOf(o).value(key, std::string());
}

bool hasFinalizers(const Json& o) {
  auto it = metaOf(o).find("finalizers");
  return it != metaOf(o).end() && it->is_array() && !it->empty();
}

// RFC 6902 as the API server applies it: "test" of an absent member against null passes.
Json withoutNullTestsOfAbsent(const Json& patch, const Json& doc) {
  Json out = Json::array();
  for (const auto& op : patch) {
    if (op.value("op", "") == "test" && op.contains("value") && op["value"].is_null()) {
      if (!doc.contains(Json::json_pointer(op.value("path", "")))) continue;
    }
    out.push_back(op);
  }
  return out;
}

}  // namespace

std::optional<FakeKubeApi::Path> FakeKubeApi::parsePath(const std::string& path) {
  auto parts = split(path, '/');  // "", "api"|"apis", ...
  size_t i;
  Path p;
  if (parts.size() >= 3 && parts[1] == "api") {
    p.prefix = "/api/" + parts[2];
    i = 3;
  } else if (parts.size() >= 4 && parts[1] == "apis") {
    p.prefix = "/apis/" + parts[2] + "/" + parts[3];
    i = 4;
  } else {
    return std::nullopt;
  }
  if (i + 2 < parts.size() && parts[i] == "namespaces") {
    p.namespace_ = parts[i + 1];
    i += 2;
  }
  if (i >= parts.size()) return std::nullopt;
  p.resource = parts[i];
  if (i + 1 < parts.size()) p.name = parts[i + 1];
  if (i + 2 < parts.size()) p.subresource = parts[i + 2];
  return p;
}

Json& FakeKubeApi::stamp(const Path& p, Json& object, const std::string& type) {
  // The API server omits empty lists in metadata (omitempty), so clients never see [].
  auto& meta = object["metadata"];
  for (const char* k : {"finalizers", "ownerReferences"}) {
    if (meta.contains(k) && meta[k].is_array() && meta[k].empty()) meta.erase(k);
  }
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  changes_.push_back({rv_, type, p.kind(), metaString(object, "namespace"), object});
  return object;
}

std::vector<Json> FakeKubeApi::select(const Path& collection, const std::string& query) const {
  std::vector<Json> out;
  std::string selector = decodePercent(queryValue(query, "labelSelector"));
  const std::string kindPrefix = collection.kind() + "|";
  for (auto it = objects_.lower_bound(kindPrefix);
       it != objects_.end() && it->first.rfind(kindPrefix, 0) == 0; ++it) {
    const Json& o = it->second;
    if (!collection.namespace_.empty() && metaString(o, "namespace") != collection.namespace_)
      continue;
    bool ok = true;
    for (const auto& term : split(selector, ',')) {
      auto eq = term.find('=');
      if (eq == std::string::npos) continue;
      auto labels = metaOf(o).value("labels", Json::object());
      ok = ok && labels.value(term.substr(0, eq), std::string("\x01")) == term.substr(eq + 1);
    }
    if (ok) out.push_back(o);
  }
  return out;
}

Json FakeKubeApi::create(const std::string& collectionPath, Json object) {
  auto p = parsePath(collectionPath);
  if (!p) return nullptr;
  std::lock_guard lock(mu_);
  auto resp = doCreate(*p, std::move(object));
  return Json::parse(resp.body);
}

std::optional<Json> FakeKubeApi::get(const std::string& objectPath) const {
  auto p = parsePath(objectPath);
  if (!p) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = objects_.find(p->key());
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> FakeKubeApi::list(const std::string& collectionPath) const {
  auto p = parsePath(collectionPath);
  if (!p) return {};
  std::lock_guard lock(mu_);
  return select(*p, "");
}

void FakeKubeApi::touch(const std::string& objectPath) {
  auto p = parsePath(objectPath);
  std::lock_guard lock(mu_);
  auto it = objects_.find(p->key());
  if (it != objects_.end()) stamp(*p, it->second, "MODIFIED");
}

void FakeKubeApi::compact() {
  std::lock_guard lock(mu_);
  compactedRv_ = rv_;
  changes_.clear();
}

void FakeKubeApi::failNext(const std::string& method, const std::string& pathPrefix, int code,
                           int times) {
  std::lock_guard lock(mu_);
  injected_.push_back({method, pathPrefix, code, times});
}

std::vector<kube::ApiRequest> FakeKubeApi::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int FakeKubeApi::writes() const {
  return writesTo("");
}

int FakeKubeApi::writesTo(const std::string& pathPrefix) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& r : requests_) n += r.method != "GET" && r.path.rfind(pathPrefix, 0) == 0;
  return n;
}

void FakeKubeApi::clearRequests() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

int64_t FakeKubeApi::resourceVersion() const {
  std::lock_guard lock(mu_);
  return rv_;
}

kube::ApiResponse FakeKubeApi::doGet(const Path& p, const std::string& query) {
  if (!p.name.empty()) {
    auto it = objects_.find(p.key());
    if (it == objects_.end())
      return status(404, "NotFound", p.resource + " \"" + p.name + "\" not found");
    return {200, it->second.dump()};
  }
  Json items = select(p, query);
  Json list = {{"kind", "List"},
               {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
               {"items", std::move(items)}};
  return {200, list.dump()};
}

kube::ApiResponse FakeKubeApi::doCreate(const Path& p, Json object) {
  auto& meta = object["metadata"];
  if (!meta.contains("name") && meta.contains("generateName"))
    meta["name"] = meta["generateName"].get<std::string>() + "x" + std::to_string(++generated_);
  if (!meta.contains("name")) return status(422, "Invalid", "metadata.name: Required value");
  if (!p.namespace_.empty()) meta["namespace"] = p.namespace_;
  Path at = p;
  at.name = meta["name"].get<std::string>();
  if (objects_.contains(at.key()))
    return status(409, "AlreadyExists", p.resource + " \"" + at.name + "\" already exists");
  meta["uid"] = "uid-" + std::to_string(++uid_);
  meta["generation"] = 1;
  // One second apart, so creation order is visible as on a real server.
  meta["creationTimestamp"] = kube::formatRfc3339(
      std::chrono::system_clock::time_point(std::chrono::seconds(1795000000 + uid_)));
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  auto& stored = objects_[at.key()] = std::move(object);
  stamp(at, stored, "ADDED");
  return {201, stored.dump()};
}

kube::ApiResponse FakeKubeApi::store(const Path& p, Json before, Json after, int code) {
  const std::string key = p.key();
  const bool statusOnly = p.subresource == "status";
  if (hasStatusSubresource(p.resource)) {
    // Each endpoint changes only its part.
    if (statusOnly) {
      Json keep = before;
      if (after.contains("status"))
        keep["status"] = after["status"];
      else
        keep.erase("status");
      after = std::move(keep);
    } else if (before.contains("status")) {
      after["status"] = before["status"];
    } else {
      after.erase("status");
    }
  }
  // Identity and server-set fields cannot be changed by clients.
  for (const char* k :
       {"uid", "creationTimestamp", "deletionTimestamp", "generation", "name", "namespace"}) {
    if (metaOf(before).contains(k))
      after["metadata"][k] = metaOf(before)[k];
    else
      after["metadata"].erase(k);
  }
  if (before.value("spec", Json()) != after.value("spec", Json()))
    after["metadata"]["generation"] = metaOf(before).value("generation", 1) + 1;
  Json a = after, b = before;
  a["metadata"].erase("resourceVersion");
  b["metadata"].erase("resourceVersion");
  if (a == b) return {code, before.dump()};  // no-op writes keep the resourceVersion
  if (metaOf(after).contains("deletionTimestamp") && !hasFinalizers(after)) {
    objects_.erase(key);
    stamp(p, after, "DELETED");
    return {code, after.dump()};
  }
  auto& stored = objects_[key] = std::move(after);
  stamp(p, stored, "MODIFIED");
  return {code, stored.dump()};
}

kube::ApiResponse FakeKubeApi::doUpdate(const Path& p, Json object) {
  auto it = objects_.find(p.key());
  if (it == objects_.end()) return status(404, "NotFound", p.name + " not found");
  std::string rv = metaString(object, "resourceVersion");
  if (!rv.empty() && rv != metaString(it->second, "resourceVersion"))
    return status(409, "Conflict",
                  "the object has been modified; please apply your changes to "
                  "the latest version and try again");
  return store(p, it->second, std::move(object), 200);
}

kube::ApiResponse FakeKubeApi::doPatch(const Path& p, const kube::ApiRequest& req) {
  auto it = objects_.find(p.key());
  if (it == objects_.end()) return status(404, "NotFound", p.name + " not found");
  auto patch = api::parseJson(req.body);
  if (!patch) return status(400, "BadRequest", patch.error().message);
  Json doc = it->second;
  if (req.contentType == "application/merge-patch+json") {
    std::string rv = metaString(*patch, "resourceVersion");
    if (!rv.empty() && rv != metaString(doc, "resourceVersion"))
      return status(409, "Conflict", "the object has been modified");
    doc.merge_patch(*patch);
  } else if (req.contentType == "application/json-patch+json") {
    try {
      doc = doc.patch(withoutNullTestsOfAbsent(*patch, doc));
    } catch (const Json::exception& e) {
      return status(422, "Invalid", std::string("the server rejected our request: ") + e.what());
    }
  } else {
    return status(415, "UnsupportedMediaType", req.contentType);
  }
  return store(p, it->second, std::move(doc), 200);
}

kube::ApiResponse FakeKubeApi::doDelete(const Path& p) {
  auto it = objects_.find(p.key());
  if (it == objects_.end()) return status(404, "NotFound", p.name + " not found");
  Json o = it->second;
  if (hasFinalizers(o)) {
    if (!metaOf(o).contains("deletionTimestamp")) {
      o["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:01Z";
      auto& stored = it->second = std::move(o);
      stamp(p, stored, "MODIFIED");
    }
    return {202, it->second.dump()};
  }
  objects_.erase(it);
  stamp(p, o, "DELETED");
  return {200, o.dump()};
}

kube::ApiResponse FakeKubeApi::handle(const kube::ApiRequest& req) {
  for (auto& inj : injected_) {
    if (inj.times > 0 && inj.method == req.method && req.path.rfind(inj.prefix, 0) == 0) {
      --inj.times;
      return status(inj.code, inj.code == 409 ? "Conflict" : "InternalError", "injected");
    }
  }
  auto p = parsePath(req.path);
  if (!p) return status(404, "NotFound", req.path);
  if (req.method == "GET") return doGet(*p, req.query);
  if (req.method == "DELETE") return doDelete(*p);
  if (req.method == "POST" || req.method == "PUT") {
    auto body = api::parseJson(req.body);
    if (!body || !body->is_object()) return status(400, "BadRequest", "body is not an object");
    return req.method == "POST" ? doCreate(*p, std::move(body).value())
                                : doUpdate(*p, std::move(body).value());
  }
  if (req.method == "PATCH") return doPatch(*p, req);
  return status(405, "MethodNotAllowed", req.method);
}

Result<kube::ApiResponse> FakeKubeApi::request(const kube::ApiRequest& req) {
  std::lock_guard lock(mu_);
  requests_.push_back(req);
  return handle(req);
}

Result<kube::ApiResponse> FakeKubeApi::stream(
    const kube::ApiRequest& req, const std::function<bool(const std::string&)>& onLine) {
  std::vector<std::string> lines;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
    auto p = parsePath(req.path);
    if (!p) return kube::ApiResponse{404, "{}"};
    std::string from = queryValue(req.query, "resourceVersion");
    int64_t since = from.empty() ? rv_ : std::stoll(from);
    if (since < compactedRv_) {
      Json gone = {
          {"type", "ERROR"},
          {"object", Json::parse(status(410, "Expired", "too old resource version").body)}};
      lines.push_back(gone.dump());
    } else {
      for (const auto& c : changes_) {
        if (c.rv <= since || c.kind != p->kind()) continue;
        if (!p->namespace_.empty() && p->namespace_ != c.namespace_) continue;
        lines.push_back(Json({{"type", c.type}, {"object", c.object}}).dump());
      }
    }
  }
  for (const auto& l : lines) {
    if (!onLine(l)) break;
  }
  return kube::ApiResponse{200, ""};
}

}  // namespace mailroom::testing
