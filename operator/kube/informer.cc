#include "operator/kube/informer.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "lib/log/log.h"

namespace mailroom::kube {

std::string objectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::optional<std::string> Cache::get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Cache::keys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [k, v] : objects_) out.push_back(k);
  return out;
}

void Cache::upsert(const std::string& key, std::string object) {
  std::lock_guard lock(mu_);
  objects_[key] = std::move(object);
}

void Cache::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  objects_.erase(key);
}

std::vector<std::string> Cache::replace(std::map<std::string, std::string> objects) {
  std::lock_guard lock(mu_);
  std::set<std::string> keys;
  for (const auto& [k, v] : objects_) keys.insert(k);
  for (const auto& [k, v] : objects) keys.insert(k);
  objects_ = std::move(objects);
  return {keys.begin(), keys.end()};
}

size_t Cache::size() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

Informer::Informer(Api& api, InformerOptions options,
                   std::function<void(const std::string&)> onChange)
    : api_(api), options_(std::move(options)), onChange_(std::move(onChange)) {}

void Informer::enqueueAll() {
  for (const auto& key : cache_.keys()) onChange_(key);
}

Result<std::string> Informer::list() {
  auto resp = api_.list(options_.path);
  if (!resp) return resp.error();
  if (!resp->ok()) return apiError(*resp);
  try {
    YAML::Node root = YAML::Load(resp->body);
    std::map<std::string, std::string> objects;
    if (const auto items = root["items"]; items && items.IsSequence()) {
      for (const auto& item : items) {
        const auto meta = item["metadata"];
        std::string key =
            objectKey(meta["namespace"].as<std::string>(""), meta["name"].as<std::string>(""));
        objects[key] = YAML::Dump(item);
      }
    }
    std::string rv = root["metadata"]["resourceVersion"].as<std::string>("");
    // Keys that vanished while we were not watching are enqueued too: their reconcile finds
    // them gone.
    for (const auto& key : cache_.replace(std::move(objects))) onChange_(key);
    ++relists_;
    synced_ = true;
    return rv;
  } catch (const YAML::Exception& e) {
    return Error::temporary(std::string("list: ") + e.what());
  }
}

Result<Informer::WatchEnd> Informer::watchOnce(std::string& resourceVersion, StopSignal& stop) {
  bool expired = false;
  auto resp = api_.watch(
      options_.path, resourceVersion, options_.watchTimeoutSeconds, [&](const WatchEvent& ev) {
        if (stop.stopped()) return false;
        if (ev.type == "ERROR") {
          expired = ev.errorCode == 410;
          if (!expired)
            log::warn("watch error event", {{"path", options_.path}, {"code", ev.errorCode}});
          return false;
        }
        if (!ev.resourceVersion.empty()) resourceVersion = ev.resourceVersion;
        if (ev.type == "BOOKMARK") return true;
        std::string key = objectKey(ev.namespace_, ev.name);
        if (ev.type == "DELETED") {
          cache_.erase(key);
        } else {
          cache_.upsert(key, ev.object);
        }
        onChange_(key);
        return true;
      });
  if (!resp) return resp.error();
  if (resp->code == 410) return WatchEnd::kExpired;
  if (!resp->ok()) return apiError(*resp);
  if (stop.stopped()) return WatchEnd::kStopped;
  return expired ? WatchEnd::kExpired : WatchEnd::kClosed;
}

void Informer::run(StopSignal& stop) {
  int failures = 0;
  std::string rv;
  bool needList = true;
  while (!stop.stopped()) {
    if (needList) {
      auto listed = list();
      if (stop.stopped()) break;
      if (!listed) {
        ++failures;
        auto d = backoffDelay(failures, options_.reconnectBackoff);
        log::warn("list failed", {{"path", options_.path},
                                  {"error", listed.error().message},
                                  {"retryMs", static_cast<long long>(d.count())}});
        stop.waitFor(d);
        continue;
      }
      rv = *listed;
      needList = false;
    }
    auto end = watchOnce(rv, stop);
    if (stop.stopped()) break;
    if (!end) {
      ++failures;
      auto d = backoffDelay(failures, options_.reconnectBackoff);
      log::warn("watch failed", {{"path", options_.path},
                                 {"error", end.error().message},
                                 {"retryMs", static_cast<long long>(d.count())}});
      // A not-found (404/410 mapped) or any unexpected answer: start over from a list.
      needList = end.error().kind != ErrorKind::kTemporary;
      stop.waitFor(d);
      continue;
    }
    failures = 0;
    if (*end == WatchEnd::kExpired) {
      log::info("watch expired (410 Gone), relisting", {{"path", options_.path}});
      needList = true;
    }
  }
}

}  // namespace mailroom::kube
