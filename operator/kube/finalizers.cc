#include "operator/kube/finalizers.h"

#include <algorithm>

namespace mailroom::kube {

FinalizerStep finalizerStep(const api::ObjectMeta& meta, const std::string& finalizer) {
  bool has =
      std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) != meta.finalizers.end();
  if (meta.deleting()) return has ? FinalizerStep::kCleanup : FinalizerStep::kDone;
  return has ? FinalizerStep::kApply : FinalizerStep::kAdd;
}

api::Json addFinalizerPatch(const std::vector<std::string>& current, const std::string& finalizer) {
  if (current.empty()) {
    // "add" on /metadata/finalizers replaces the member; the test makes sure it is still absent
    // (the API server's JSON patch treats an absent member as null in "test").
    return api::Json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", nullptr}},
                             {{"op", "add"},
                              {"path", "/metadata/finalizers"},
                              {"value", api::Json::array({finalizer})}}});
  }
  return api::Json::array(
      {{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", current}},
       {{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", finalizer}}});
}

std::optional<api::Json> removeFinalizerPatch(const std::vector<std::string>& current,
                                              const std::string& finalizer) {
  auto it = std::find(current.begin(), current.end(), finalizer);
  if (it == current.end()) return std::nullopt;
  std::string at = "/metadata/finalizers/" + std::to_string(it - current.begin());
  return api::Json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", current}},
                           {{"op", "remove"}, {"path", at}}});
}

Result<Action> applyFinalizerPatch(Api& api, const std::string& objectPath,
                                   const api::Json& patch) {
  auto resp = api.jsonPatch(objectPath, patch.dump());
  if (!resp) return resp.error();
  if (resp->code == 404) return awaitChange();  // gone already
  if (resp->code == 422) return Error::temporary("finalizers changed concurrently");
  if (!resp->ok()) return apiError(*resp);
  return awaitChange();
}

}  // namespace mailroom::kube
