// Finalizers for any kind (kube-rs's finalizer(), controller-runtime's controllerutil): a pure
// four-state step, and RFC 6902 patches that add or remove only our finalizer, guarded by a
// "test" of the current list so that a concurrent change by another controller makes the patch
// fail (422) instead of being lost.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/meta.h"
#include "operator/kube/action.h"
#include "operator/kube/api.h"

namespace mailroom::kube {

enum class FinalizerStep {
  kAdd,      // live, our finalizer missing: add it before creating anything outside the object
  kApply,    // live, finalizer present: reconcile
  kCleanup,  // deleting, finalizer present: remove what we created, then the finalizer
  kDone,     // deleting, finalizer gone: nothing to do
};
FinalizerStep finalizerStep(const api::ObjectMeta& meta, const std::string& finalizer);

api::Json addFinalizerPatch(const std::vector<std::string>& current, const std::string& finalizer);
// nullopt when the finalizer is not in the list.
std::optional<api::Json> removeFinalizerPatch(const std::vector<std::string>& current,
                                              const std::string& finalizer);

// Sends a finalizer patch to objectPath. A gone object (404) is done; a failed "test" (422,
// someone changed the list) is a temporary error, retried once the watch delivers their change.
Result<Action> applyFinalizerPatch(Api& api, const std::string& objectPath, const api::Json& patch);

}  // namespace mailroom::kube
