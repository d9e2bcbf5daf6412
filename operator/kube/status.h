// Status writes for any kind: through the /status subresource, only when the desired status
// differs from what the object carries (steady state writes nothing), as a JSON merge patch of
// just the fields that changed, guarded by the resourceVersion it was computed from. A 409 (the
// object changed since it was read) re-reads the object from the API server (the cache may lag)
// and recomputes, a few times.
#pragma once

#include <optional>
#include <utility>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/codec.h"
#include "operator/kube/api.h"

namespace mailroom::kube {

template <class T>
using StatusOf = decltype(T::status);

template <class T>
struct StatusWrite {
  T object;           // the object the written status was computed from
  StatusOf<T> after;  // what was written
  int conflicts = 0;  // 409s on the way
};

// desired: (const T&) -> Result<StatusOf<T>>. Returns nullopt when nothing needed writing (or
// the object is gone).
template <class T, class Desired>
Result<std::optional<StatusWrite<T>>> writeStatus(Api& api, const std::string& objectPath, T object,
                                                  Desired&& desired) {
  int conflicts = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Result<StatusOf<T>> want = desired(std::as_const(object));
    if (!want) return want.error();
    if (*want == object.status) return std::optional<StatusWrite<T>>();
    api::Json patch = {{"metadata", {{"resourceVersion", object.metadata.resourceVersion}}},
                       {"status", api::mergePatchBetween(api::encodeValue(object.status),
                                                         api::encodeValue(*want))}};
    auto resp = api.mergePatch(objectPath + "/status", patch.dump());
    if (!resp) return resp.error();
    if (resp->ok()) {
      return std::optional<StatusWrite<T>>(
          StatusWrite<T>{std::move(object), std::move(want).value(), conflicts});
    }
    if (resp->code == 404) return std::optional<StatusWrite<T>>();
    if (resp->code != 409) return apiError(*resp);
    ++conflicts;
    auto fresh = api.get(objectPath);
    if (!fresh) return fresh.error();
    if (fresh->code == 404) return std::optional<StatusWrite<T>>();
    if (!fresh->ok()) return apiError(*fresh);
    auto json = api::parseJson(fresh->body);
    if (!json) return json.error();
    auto decoded = api::decode<T>(*json);
    if (!decoded) return decoded.error();
    object = std::move(decoded).value();
  }
  return Error::temporary("status write kept conflicting");
}

}  // namespace mailroom::kube
