// Kubernetes object metadata (metav1.ObjectMeta, the fields the operator reads and writes),
// owner references, object references for Events, and the codec of metav1.Condition. Metadata
// is decoded leniently: the API server owns it and adds fields (managedFields, ...).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/codec.h"
#include "operator/kube/conditions.h"

namespace mailroom::api {

inline constexpr const char* kGroup = "mailroom.dev";
inline constexpr const char* kVersion = "v1alpha1";
inline constexpr const char* kApiVersion = "mailroom.dev/v1alpha1";
// The label on every object the operator creates (Kubernetes' recommended labels).
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedBy = "mailroom-operator";

struct OwnerReference {
  std::string apiVersion, kind, name, uid;
  std::optional<bool> controller, blockOwnerDeletion;
  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name, namespace_, uid, resourceVersion;
  int64_t generation = 0;
  std::string creationTimestamp;
  std::optional<std::string> deletionTimestamp;
  std::vector<std::string> finalizers;
  std::map<std::string, std::string> labels, annotations;
  std::vector<OwnerReference> ownerReferences;
  bool operator==(const ObjectMeta&) const = default;

  bool deleting() const { return deletionTimestamp.has_value(); }
  std::string key() const;  // "namespace/name" (or "name" when cluster-scoped)
};

// What an Event points at (core/v1 ObjectReference).
struct ObjectRef {
  std::string apiVersion, kind, namespace_, name, uid, resourceVersion;
};
ObjectRef refTo(const std::string& apiVersion, const std::string& kind, const ObjectMeta& meta);

// An owner reference from `owner` (controller: true), for objects the operator creates.
OwnerReference controllerRef(const std::string& apiVersion, const std::string& kind,
                             const ObjectMeta& owner);

void decodeFields(FieldReader& r, OwnerReference& o);
void encodeFields(FieldWriter& w, const OwnerReference& o);
void decodeFields(FieldReader& r, ObjectMeta& m);
void encodeFields(FieldWriter& w, const ObjectMeta& m);

// The fields of one of our resources (T has kKind, metadata, spec, status): apiVersion and kind
// checked when present, spec required, status written only when it holds anything.
template <class T>
void decodeResourceFields(FieldReader& r, T& v) {
  std::string apiVersion, kind;
  r.optional("apiVersion", apiVersion);
  r.optional("kind", kind);
  if (!apiVersion.empty() && apiVersion != kApiVersion)
    r.fail("apiVersion", "must be " + std::string(kApiVersion));
  if (!kind.empty() && kind != T::kKind) r.fail("kind", "must be " + std::string(T::kKind));
  r.optional("metadata", v.metadata);
  r.required("spec", v.spec);
  r.optional("status", v.status);
}
template <class T>
void encodeResourceFields(FieldWriter& w, const T& v) {
  w.field("apiVersion", std::string(kApiVersion));
  w.field("kind", std::string(T::kKind));
  w.always("metadata", v.metadata);
  w.always("spec", v.spec);
  if (!(v.status == decltype(v.status){})) w.field("status", v.status);
}

// Only the metadata of any object ({"metadata": {...}}), for generic code (finalizers, owner
// mapping) that does not know the type.
Result<ObjectMeta> decodeMeta(const Json& object);

}  // namespace mailroom::api

namespace mailroom::kube {
void decodeFields(api::FieldReader& r, Condition& c);
void encodeFields(api::FieldWriter& w, const Condition& c);
}  // namespace mailroom::kube
