#include "operator/kube/manager.h"

#include <thread>

#include "lib/log/log.h"

namespace mailroom::kube {

Manager::Manager(Api& api, const Clock& clock, metrics::Registry* registry)
    : api_(api), clock_(clock), registry_(registry) {
  if (registry_) {
    registry_->describe("mailroom_operator_reconciles_total", "counter",
                        "Reconciles by controller and outcome");
    registry_->gaugeFn("mailroom_operator_leader", [this] { return leading_ ? 1.0 : 0.0; });
    registry_->gaugeFn("mailroom_operator_workqueue_depth", [this] {
      double depth = 0;
      for (const auto& c : controllers_) depth += double(c->queue().len());
      return depth;
    });
  }
}

Manager::~Manager() = default;

void Manager::addInformer(std::unique_ptr<ObjectSink> store, InformerOptions options) {
  informers_.push_back(std::make_unique<Informer>(api_, std::move(options), *store));
  stores_.push_back(std::move(store));
}

Controller& Manager::controller(std::string name, Controller::Reconcile reconcile) {
  controllers_.push_back(std::make_unique<Controller>(name, clock_, std::move(reconcile)));
  return *controllers_.back();
}

bool Manager::synced() const {
  for (const auto& i : informers_) {
    if (!i->synced()) return false;
  }
  return true;
}

void Manager::resyncAll() {
  for (auto& c : controllers_) c->resync();
}

void Manager::setLeading(bool leading) {
  bool was = leading_.exchange(leading);
  if (leading && !was) resyncAll();
}

void Manager::worker(Controller& c, StopSignal& stop) {
  while (!stop.stopped()) {
    if (!leading_) {
      stop.waitFor(std::chrono::milliseconds(200));
      continue;
    }
    uint64_t errorsBefore = c.errors();
    if (!c.processNext(std::chrono::seconds(1))) continue;
    if (registry_) {
      registry_->inc(
          "mailroom_operator_reconciles_total",
          {{"controller", c.name()}, {"outcome", c.errors() > errorsBefore ? "error" : "ok"}});
    }
  }
}

void Manager::run(StopSignal& stop, const ManagerOptions& options) {
  std::vector<std::thread> threads;
  for (auto& i : informers_) threads.emplace_back([&i, &stop] { i->run(stop); });
  while (!synced() && !stop.waitFor(std::chrono::milliseconds(100))) {
  }
  if (!stop.stopped())
    log::info("caches synced", {{"informers", static_cast<int>(informers_.size())}});
  for (auto& c : controllers_) {
    for (int w = 0; w < options.workersPerController; ++w)
      threads.emplace_back([this, &c, &stop] { worker(*c, stop); });
  }
  threads.emplace_back([this, &stop, resync = options.resync] {
    while (!stop.waitFor(std::chrono::seconds(std::max<int64_t>(1, resync.count())))) resyncAll();
  });
  while (!stop.waitFor(std::chrono::seconds(1))) {
  }
  for (auto& c : controllers_) c->queue().shutdown();
  for (auto& t : threads) t.join();
}

}  // namespace mailroom::kube
