// An informer (client-go's reflector + store): list, then watch from the list's
// resourceVersion with bookmarks; reconnect with backoff after transport errors; relist when
// the server answers 410 Gone (the resourceVersion was compacted away). The cache holds each
// object's text keyed by "namespace/name"; every change (and every key on relist, including
// keys that disappeared) is handed to onChange, which only enqueues the key: reconcile re-reads
// the cache and never acts on event contents (level-based).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/api.h"
#include "operator/kube/stop.h"
#include "operator/kube/workqueue.h"

namespace mailroom::kube {

class Cache {
 public:
  std::optional<std::string> get(const std::string& key) const;
  std::vector<std::string> keys() const;
  void upsert(const std::string& key, std::string object);
  void erase(const std::string& key);
  // Replaces everything; returns the keys that were present before or after.
  std::vector<std::string> replace(std::map<std::string, std::string> objects);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

std::string objectKey(const std::string& ns, const std::string& name);

struct InformerOptions {
  std::string path;  // collection path (ResourceRef::collectionPath)
  int watchTimeoutSeconds = 300;
  BackoffConfig reconnectBackoff{std::chrono::milliseconds(500), std::chrono::milliseconds(30000)};
};

class Informer {
 public:
  Informer(Api& api, InformerOptions options, std::function<void(const std::string&)> onChange);

  // Lists and watches until stop; returns then.
  void run(StopSignal& stop);

  // One list: fills the cache, returns the list's resourceVersion.
  Result<std::string> list();
  enum class WatchEnd { kExpired, kClosed, kStopped };
  // One watch from resourceVersion (updated as events and bookmarks arrive).
  Result<WatchEnd> watchOnce(std::string& resourceVersion, StopSignal& stop);

  Cache& cache() { return cache_; }
  bool synced() const { return synced_.load(); }
  uint64_t relists() const { return relists_.load(); }
  void enqueueAll();

 private:
  Api& api_;
  InformerOptions options_;
  std::function<void(const std::string&)> onChange_;
  Cache cache_;
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> relists_{0};
};

}  // namespace mailroom::kube
