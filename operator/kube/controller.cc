#include "operator/kube/controller.h"

namespace mailroom::kube {

Controller::Controller(std::string name, const Clock& clock, Reconcile reconcile)
    : name_(std::move(name)), queue_(clock), reconcile_(std::move(reconcile)) {}

void Controller::resync() {
  if (!primaryKeys_) return;
  for (const auto& key : primaryKeys_()) queue_.add(key);
}

void Controller::process(const std::string& key) {
  Action action = reconcile_(key);
  ++reconciles_;
  if (action.kind == Action::Kind::kRetryWithBackoff) ++errors_;
  applyAction(queue_, key, action);
  queue_.done(key);
}

bool Controller::processNext(std::chrono::milliseconds wait) {
  auto key = queue_.get(wait);
  if (!key) return false;
  process(*key);
  return true;
}

bool Controller::processReady() {
  auto key = queue_.tryGet();
  if (!key) return false;
  process(*key);
  return true;
}

}  // namespace mailroom::kube
