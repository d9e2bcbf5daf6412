#include "operator/kube/informer.h"

#include "lib/log/log.h"

namespace mailroom::kube {

std::string objectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(Api& api, InformerOptions options, ObjectSink& sink)
    : api_(api), options_(std::move(options)), sink_(sink) {}

Result<std::string> Informer::list() {
  auto resp = api_.list(options_.path, {}, options_.labelSelector);
  if (!resp) return resp.error();
  if (!resp->ok()) return apiError(*resp);
  auto root = api::parseJson(resp->body);
  if (!root || !root->is_object()) return Error::temporary("list: not a JSON object");
  std::vector<api::Json> objects;
  if (auto items = root->find("items"); items != root->end() && items->is_array()) {
    for (auto& item : *items) {
      if (item.is_object()) objects.push_back(std::move(item));
    }
  }
  std::string rv;
  if (auto meta = root->find("metadata"); meta != root->end() && meta->is_object())
    rv = meta->value("resourceVersion", "");
  // Keys that vanished while we were not watching are notified too: their reconcile finds
  // them gone.
  sink_.replaceAll(objects);
  ++relists_;
  synced_ = true;
  return rv;
}

Result<Informer::WatchEnd> Informer::watchOnce(std::string& resourceVersion, StopSignal& stop) {
  bool expired = false;
  auto resp = api_.watch(
      options_.path, resourceVersion, options_.watchTimeoutSeconds, options_.labelSelector,
      [&](const WatchEvent& ev) {
        if (stop.stopped()) return false;
        if (ev.type == "ERROR") {
          expired = ev.errorCode == 410;
          if (!expired)
            log::warn("watch error event", {{"path", options_.path}, {"code", ev.errorCode}});
          return false;
        }
        if (!ev.resourceVersion.empty()) resourceVersion = ev.resourceVersion;
        if (ev.type == "BOOKMARK") return true;
        if (ev.type == "DELETED") {
          sink_.remove(ev.object);
        } else {
          sink_.upsert(ev.object);
        }
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
