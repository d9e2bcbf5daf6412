#include "operator/api/v1alpha1/meta.h"

namespace mailroom::api {

std::string ObjectMeta::key() const {
  return namespace_.empty() ? name : namespace_ + "/" + name;
}

ObjectRef refTo(const std::string& apiVersion, const std::string& kind, const ObjectMeta& meta) {
  return {apiVersion, kind, meta.namespace_, meta.name, meta.uid, meta.resourceVersion};
}

OwnerReference controllerRef(const std::string& apiVersion, const std::string& kind,
                             const ObjectMeta& owner) {
  return {apiVersion, kind, owner.name, owner.uid, true, true};
}

void decodeFields(FieldReader& r, OwnerReference& o) {
  r.allowUnknown();
  r.required("apiVersion", o.apiVersion);
  r.required("kind", o.kind);
  r.required("name", o.name);
  r.required("uid", o.uid);
  r.optional("controller", o.controller);
  r.optional("blockOwnerDeletion", o.blockOwnerDeletion);
}

void encodeFields(FieldWriter& w, const OwnerReference& o) {
  w.field("apiVersion", o.apiVersion);
  w.field("kind", o.kind);
  w.field("name", o.name);
  w.field("uid", o.uid);
  w.field("controller", o.controller);
  w.field("blockOwnerDeletion", o.blockOwnerDeletion);
}

void decodeFields(FieldReader& r, ObjectMeta& m) {
  r.allowUnknown();
  r.optional("name", m.name);
  r.optional("namespace", m.namespace_);
  r.optional("uid", m.uid);
  r.optional("resourceVersion", m.resourceVersion);
  r.optional("generation", m.generation);
  r.optional("creationTimestamp", m.creationTimestamp);
  r.optional("deletionTimestamp", m.deletionTimestamp);
  r.optional("finalizers", m.finalizers);
  r.optional("labels", m.labels);
  r.optional("annotations", m.annotations);
  r.optional("ownerReferences", m.ownerReferences);
}

void encodeFields(FieldWriter& w, const ObjectMeta& m) {
  w.field("name", m.name);
  w.field("namespace", m.namespace_);
  w.field("uid", m.uid);
  w.field("resourceVersion", m.resourceVersion);
  if (m.generation) w.field("generation", m.generation);
  w.field("creationTimestamp", m.creationTimestamp);
  w.field("deletionTimestamp", m.deletionTimestamp);
  w.field("finalizers", m.finalizers);
  w.field("labels", m.labels);
  w.field("annotations", m.annotations);
  w.field("ownerReferences", m.ownerReferences);
}

Result<ObjectMeta> decodeMeta(const Json& object) {
  if (!object.is_object()) return Error::invalidArgument("object: must be an object");
  auto it = object.find("metadata");
  if (it == object.end()) return Error::invalidArgument("metadata: required");
  return decode<ObjectMeta>(*it, "metadata");
}

}  // namespace mailroom::api

namespace mailroom::kube {

void decodeFields(api::FieldReader& r, Condition& c) {
  r.required("type", c.type);
  r.required("status", c.status);
  r.optional("reason", c.reason);
  r.optional("message", c.message);
  r.optional("observedGeneration", c.observedGeneration);
  r.optional("lastTransitionTime", c.lastTransitionTime);
}

void encodeFields(api::FieldWriter& w, const Condition& c) {
  w.field("type", c.type);
  w.field("status", c.status);
  w.field("reason", c.reason);
  w.always("message", c.message);  // required by the CRD, even when empty
  if (c.observedGeneration) w.field("observedGeneration", c.observedGeneration);
  w.field("lastTransitionTime", c.lastTransitionTime);
}

}  // namespace mailroom::kube
