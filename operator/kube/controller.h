// A controller (controller-runtime's builder, kube-rs's Controller): one reconcile function over
// keys of a primary kind, fed by stores it watches:
//   watchFor(primary)          every change of a primary object enqueues its key;
//   owns(store, kind)          a change of an object whose controller owner reference is of
//                              `kind` enqueues that owner;
//   watches(store, map)        a change of any object enqueues the keys `map` returns for it
//                              (before and after the change, so a reference that moves away
//                              still wakes the object it left).
// Reconciles are level-based: they re-read the stores by key and return an Action; errors go
// through errorPolicy. One key is never reconciled by two workers at once (WorkQueue).
#pragma once

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "operator/kube/action.h"
#include "operator/kube/store.h"
#include "operator/kube/workqueue.h"

namespace mailroom::kube {

class Controller {
 public:
  using Reconcile = std::function<Action(const std::string& key)>;

  Controller(std::string name, const Clock& clock, Reconcile reconcile);

  template <class T>
  Controller& watchFor(Store<T>& store) {
    primaryKeys_ = [&store] { return store.keys(); };
    store.onChange([this](const Cached<T>* before, const Cached<T>* after) {
      queue_.add((after ? after : before)->meta.key());
    });
    return *this;
  }

  template <class T>
  Controller& owns(Store<T>& store, std::string ownerKind) {
    store.onChange([this, ownerKind](const Cached<T>* before, const Cached<T>* after) {
      std::set<std::string> keys;
      for (const auto* c : {before, after}) {
        if (!c) continue;
        for (const auto& ref : c->meta.ownerReferences) {
          if (ref.kind == ownerKind && ref.controller.value_or(false))
            keys.insert(c->meta.namespace_.empty() ? ref.name
                                                   : c->meta.namespace_ + "/" + ref.name);
        }
      }
      for (const auto& k : keys) queue_.add(k);
    });
    return *this;
  }

  // map: (const Cached<T>&) -> std::vector<std::string> of primary keys.
  template <class T, class Map>
  Controller& watches(Store<T>& store, Map map) {
    store.onChange([this, map](const Cached<T>* before, const Cached<T>* after) {
      std::set<std::string> keys;
      for (const auto* c : {before, after}) {
        if (!c) continue;
        for (auto& k : map(*c)) keys.insert(std::move(k));
      }
      for (const auto& k : keys) queue_.add(k);
    });
    return *this;
  }

  // Enqueues every primary key (periodic resync, or on becoming leader).
  void resync();
  // Waits up to `wait` for a ready key, reconciles it and applies its Action. False when no key
  // was processed.
  bool processNext(std::chrono::milliseconds wait);
  // The same without waiting (tests with a fake clock).
  bool processReady();

  WorkQueue& queue() { return queue_; }
  const std::string& name() const { return name_; }
  uint64_t reconciles() const { return reconciles_; }
  uint64_t errors() const { return errors_; }

 private:
  void process(const std::string& key);

  std::string name_;
  WorkQueue queue_;
  Reconcile reconcile_;
  std::function<std::vector<std::string>()> primaryKeys_;
  std::atomic<uint64_t> reconciles_{0}, errors_{0};
};

}  // namespace mailroom::kube
