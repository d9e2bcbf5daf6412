// The Manager (controller-runtime's): owns the informers and their typed stores, and the
// controllers; runs every informer on its own thread, waits for their first list, then runs
// each controller's workers while this replica leads, and resyncs every controller
// periodically. Several controllers share one informer per kind (one watch per kind).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/metrics/metrics.h"
#include "operator/kube/controller.h"
#include "operator/kube/informer.h"

namespace mailroom::kube {

struct ManagerOptions {
  int workersPerController = 2;
  std::chrono::seconds resync{600};
};

class Manager {
 public:
  Manager(Api& api, const Clock& clock, metrics::Registry* registry = nullptr);
  ~Manager();

  // A typed store filled by an informer on `path` (ResourceRef::collectionPath).
  template <class T>
  Store<T>& informer(const std::string& path, const std::string& labelSelector = {}) {
    auto store = std::make_unique<Store<T>>();
    auto& ref = *store;
    addInformer(std::move(store), InformerOptions{path, 300, {}, labelSelector});
    return ref;
  }

  Controller& controller(std::string name, Controller::Reconcile reconcile);

  // Until stop: informers, then workers (only while leading() is true), and resyncs.
  void run(StopSignal& stop, const ManagerOptions& options);

  // Leader election sets this; becoming leader resyncs everything skipped while following.
  void setLeading(bool leading);
  bool leading() const { return leading_.load(); }
  bool synced() const;  // every informer has listed once
  void resyncAll();

 private:
  void addInformer(std::unique_ptr<ObjectSink> store, InformerOptions options);
  void worker(Controller& c, StopSignal& stop);

  Api& api_;
  const Clock& clock_;
  metrics::Registry* registry_;
  std::vector<std::unique_ptr<ObjectSink>> stores_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::atomic<bool> leading_{true};
};

}  // namespace mailroom::kube
