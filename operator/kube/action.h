// What a reconcile asks of the work queue next, as a value (kube-rs's Action,
// controller-runtime's Result): requeue after a delay, wait for the next change, or retry with
// per-key backoff. errorPolicy maps an error to an Action: temporary and internal errors are
// retried with backoff; invalid input, permanent failures and not-found are terminal (retrying
// them unchanged cannot help; the next change to the object requeues it anyway).
#pragma once

#include <chrono>
#include <string>

#include "lib/common/result.h"
#include "operator/kube/workqueue.h"

namespace mailroom::kube {

struct [[nodiscard]] Action {
  enum class Kind { kAwaitChange, kRequeueAfter, kRetryWithBackoff };
  Kind kind = Kind::kAwaitChange;
  std::chrono::milliseconds after{0};
  bool operator==(const Action&) const = default;
};

[[nodiscard]] inline Action requeue(std::chrono::milliseconds after) {
  return {Action::Kind::kRequeueAfter, after};
}
[[nodiscard]] inline Action awaitChange() {
  return {Action::Kind::kAwaitChange, {}};
}
[[nodiscard]] inline Action retryWithBackoff() {
  return {Action::Kind::kRetryWithBackoff, {}};
}

[[nodiscard]] Action errorPolicy(const Error& error);

// Applies a reconcile outcome for key: success resets the backoff (forget); retry backs off.
void applyAction(WorkQueue& queue, const std::string& key, const Action& action);

}  // namespace mailroom::kube
