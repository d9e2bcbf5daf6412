// An informer (client-go's reflector): list, then watch from the list's resourceVersion with
// bookmarks; reconnect with backoff after transport errors; relist when the server answers
// 410 Gone (the resourceVersion was compacted away). Objects go into an ObjectSink (a typed
// Store<T>, store.h), whose change handlers enqueue keys: reconciles re-read the store and
// never act on event contents (level-based).
#pragma once

#include <atomic>
#include <string>

#include "operator/kube/api.h"
#include "operator/kube/stop.h"
#include "operator/kube/store.h"
#include "operator/kube/workqueue.h"

namespace mailroom::kube {

std::string objectKey(const std::string& ns, const std::string& name);

struct InformerOptions {
  std::string path;  // collection path (ResourceRef::collectionPath)
  int watchTimeoutSeconds = 300;
  BackoffConfig reconnectBackoff{std::chrono::milliseconds(500), std::chrono::milliseconds(30000)};
  std::string labelSelector;  // "" : every object
};

class Informer {
 public:
  Informer(Api& api, InformerOptions options, ObjectSink& sink);

  // Lists and watches until stop; returns then.
  void run(StopSignal& stop);

  // One list: fills the sink, returns the list's resourceVersion.
  Result<std::string> list();
  enum class WatchEnd { kExpired, kClosed, kStopped };
  // One watch from resourceVersion (updated as events and bookmarks arrive).
  Result<WatchEnd> watchOnce(std::string& resourceVersion, StopSignal& stop);

  bool synced() const { return synced_.load(); }
  uint64_t relists() const { return relists_.load(); }
  const std::string& path() const { return options_.path; }

 private:
  Api& api_;
  InformerOptions options_;
  ObjectSink& sink_;
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> relists_{0};
};

}  // namespace mailroom::kube
