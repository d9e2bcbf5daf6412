#include "operator/controllers/transport_controller.h"

#include <set>

#include "lib/auth/dkim/base64.h"
#include "lib/log/log.h"
#include "operator/dkimkeys/key_secret.h"
#include "operator/kube/status.h"

namespace mailroom::controllers {
namespace {

const kube::ResourceRef kConfigMaps{"", "v1", "configmaps"};
const kube::ResourceRef kSecrets{"", "v1", "secrets"};
const kube::ResourceRef kTransportsRef{"mailroom.dev", "v1alpha1", "transports"};

api::Json ownerRefs(const std::vector<api::Transport>& owners) {
  api::Json refs = api::Json::array();
  for (const auto& t : owners) {
    auto ref = api::controllerRef(api::kApiVersion, api::Transport::kKind, t.metadata);
    ref.controller = false;
    ref.blockOwnerDeletion = false;
    refs.push_back(api::encodeValue(ref));
  }
  return refs;
}

}  // namespace

kube::Condition configRenderedCondition(const std::vector<RenderProblem>& problems,
                                        int64_t generation) {
  for (const auto& p : problems) {
    if (p.error) return {"ConfigRendered", "False", p.reason, p.message, generation, ""};
  }
  if (problems.empty())
    return {"ConfigRendered", "True",
            "Rendered",       std::string("in ConfigMap ") + kConfigMapName + " of the namespace",
            generation,       ""};
  std::string message;
  for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p.message;
  return {"ConfigRendered", "True", problems.front().reason, message, generation, ""};
}

TransportController::TransportController(kube::Api& api,
                                         const kube::Store<api::Transport>& transports,
                                         const kube::Store<kube::Unstructured>& configMaps,
                                         const kube::Store<kube::Unstructured>& secrets,
                                         kube::EventRecorder& events, WallClock now,
                                         SidecarPaths paths)
    : api_(api),
      transports_(transports),
      configMaps_(configMaps),
      secrets_(secrets),
      events_(events),
      now_(std::move(now)),
      paths_(std::move(paths)) {}

std::string TransportController::configMapSelector() {
  return std::string(kManagedByLabel) + "=" + kManagedBy;
}

std::string TransportController::secretSelector() {
  return configMapSelector();
}

std::vector<std::string> TransportController::transportsIn(const std::string& ns) const {
  std::vector<std::string> keys;
  for (const auto& e : transports_.list(ns)) keys.push_back(e->meta.key());
  return keys;
}

void TransportController::wire(kube::Controller& controller,
                               kube::Store<api::Transport>& transports,
                               kube::Store<kube::Unstructured>& configMaps,
                               kube::Store<kube::Unstructured>& secrets) {
  controller.watches(secrets, [this](const kube::Cached<kube::Unstructured>& secret) {
    auto label = secret.meta.labels.find(dkimkeys::kDkimActiveLabel);
    bool active = label != secret.meta.labels.end() && label->second == "true";
    if (!active && secret.meta.name != kDkimSecretName) return std::vector<std::string>();
    return transportsIn(secret.meta.namespace_);
  });
  controller.watchFor(transports)
      .watches(
          transports,
          [this](const kube::Cached<api::Transport>& t) { return transportsIn(t.meta.namespace_); })
      .watches(configMaps, [this](const kube::Cached<kube::Unstructured>& cm) {
        if (cm.meta.name != kConfigMapName && cm.meta.name != kDkimSecretName)
          return std::vector<std::string>();
        return transportsIn(cm.meta.namespace_);
      });
}

Result<bool> TransportController::ensureObject(const kube::ResourceRef& ref, const std::string& ns,
                                               const kube::Store<kube::Unstructured>& store,
                                               api::Json want) {
  const std::string name = want["metadata"]["name"];
  auto current = store.get(ns + "/" + name);
  if (!current) {
    auto resp = api_.create(ref.collectionPath(ns), want.dump());
    if (!resp) return resp.error();
    if (resp->code == 409) return Error::temporary(name + " created concurrently");
    if (!resp->ok()) return kube::apiError(*resp);
    return true;
  }
  const api::Json& have = current->object->raw;
  if (have.value("data", api::Json::object()) == want["data"] &&
      have["metadata"].value("ownerReferences", api::Json::array()) ==
          want["metadata"]["ownerReferences"] &&
      have["metadata"].value("labels", api::Json::object()).value(kManagedByLabel, "") ==
          kManagedBy)
    return false;
  want["metadata"]["resourceVersion"] = current->meta.resourceVersion;
  auto resp = api_.update(ref.objectPath(ns, name), want.dump());
  if (!resp) return resp.error();
  if (!resp->ok()) return kube::apiError(*resp);  // 409: the store lagged; retried
  return true;
}

Result<bool> TransportController::ensureConfigMap(const std::string& ns,
                                                  const RenderedConfig& rendered,
                                                  const std::vector<api::Transport>& owners) {
  return ensureObject(kConfigMaps, ns, configMaps_,
                      {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata",
                        {{"name", kConfigMapName},
                         {"namespace", ns},
                         {"labels", {{kManagedByLabel, kManagedBy}}},
                         {"ownerReferences", ownerRefs(owners)}}},
                       {"data", {{kConfigKey, rendered.yaml}}}});
}

std::vector<std::pair<ActiveDkimKey, std::string>> TransportController::activeKeys(
    const std::string& ns, std::vector<std::string>& bad) const {
  std::vector<std::pair<ActiveDkimKey, std::string>> out;
  for (const auto& entry : secrets_.list(ns)) {
    auto label = entry->meta.labels.find(dkimkeys::kDkimActiveLabel);
    if (label == entry->meta.labels.end() || label->second != "true") continue;
    auto keys = dkimkeys::parseActiveKeysSecret(entry->object->raw);
    if (!keys) {
      bad.push_back(keys.error().message);
      continue;
    }
    for (const auto& k : *keys)
      out.push_back({{k.domain, k.selector, api::enumName(k.algorithm)}, k.privatePem});
  }
  return out;
}

Result<void> TransportController::writeStatus(const api::Transport& t,
                                              const RenderedConfig& rendered) {
  auto written = kube::writeStatus(
      api_, kTransportsRef.objectPath(t.metadata.namespace_, t.metadata.name), t,
      [&](const api::Transport& current) {
        api::TransportStatus s = current.status;
        const int64_t gen = current.metadata.generation;
        s.observedGeneration = gen;
        auto rendered_ = configRenderedCondition(rendered.problemsOf(current.metadata.name), gen);
        kube::setCondition(s.conditions, rendered_, now_());
        kube::setCondition(
            s.conditions, {"Ready", rendered_.status, rendered_.reason, rendered_.message, gen, ""},
            now_());
        return Result<api::TransportStatus>(s);
      });
  if (!written) return written.error();
  if (!*written) return {};
  const auto& w = **written;
  auto ref = api::refTo(api::kApiVersion, api::Transport::kKind, w.object.metadata);
  events_.recordTransitions(ref, w.object.status.conditions, w.after.conditions);
  // A new warning does not flip ConfigRendered, but deserves an Event of its own.
  const auto* before = kube::findCondition(w.object.status.conditions, "ConfigRendered");
  const auto* after = kube::findCondition(w.after.conditions, "ConfigRendered");
  if (after && after->status == "True" && after->reason != "Rendered" && before &&
      before->status == "True" && before->reason != after->reason)
    events_.record(ref, kube::EventType::kWarning, after->reason, after->message);
  return {};
}

kube::Action TransportController::reconcile(const std::string& key) {
  auto entry = transports_.get(key);
  if (!entry) return kube::awaitChange();  // the others of its namespace were woken too
  if (!entry->object) {
    log::warn("unreadable Transport", {{"key", key}, {"error", entry->error}});
    return kube::awaitChange();
  }
  const std::string& ns = entry->meta.namespace_;
  std::vector<api::Transport> all;
  for (const auto& e : transports_.list(ns)) {
    if (e->object && !e->meta.deleting()) all.push_back(*e->object);
  }
  std::vector<std::string> badKeySecrets;
  auto keys = activeKeys(ns, badKeySecrets);
  for (const auto& b : badKeySecrets) log::warn("active DKIM keys not readable", {{"error", b}});
  std::vector<ActiveDkimKey> signing;
  for (const auto& [key, pem] : keys) signing.push_back(key);
  RenderedConfig rendered = renderSidecarConfig(all, signing, paths_);
  Result<void> result;
  if (!rendered.yaml.empty()) {
    std::vector<api::Transport> owners;
    for (const auto& t : all) {
      if (rendered.config.transport(t.metadata.name)) owners.push_back(t);
    }
    // The keys first: a config naming a key file must never reach a sidecar before the file.
    api::Json data = api::Json::object();
    for (const auto& [key, pem] : keys) data[dkimKeyFileName(key)] = dkim::base64Encode(pem);
    auto keysChanged = ensureObject(kSecrets, ns, secrets_,
                                    {{"apiVersion", "v1"},
                                     {"kind", "Secret"},
                                     {"type", "Opaque"},
                                     {"metadata",
                                      {{"name", kDkimSecretName},
                                       {"namespace", ns},
                                       {"labels", {{kManagedByLabel, kManagedBy}}},
                                       {"ownerReferences", ownerRefs(owners)}}},
                                     {"data", data}});
    if (!keysChanged) {
      log::warn("sidecar DKIM keys not written",
                {{"namespace", ns}, {"error", keysChanged.error().message}});
      return kube::errorPolicy(keysChanged.error());
    }
    auto changed = ensureConfigMap(ns, rendered, owners);
    if (!changed) {
      log::warn("sidecar config not written",
                {{"namespace", ns}, {"error", changed.error().message}});
      return kube::errorPolicy(changed.error());
    }
    if (*changed) {
      ++configWrites_;
      log::info("sidecar config rendered",
                {{"namespace", ns}, {"transports", static_cast<int>(owners.size())}});
    }
  }
  if (!entry->meta.deleting()) result = writeStatus(*entry->object, rendered);
  if (result) return kube::awaitChange();
  log::warn("reconcile failed", {{"key", key}, {"error", result.error().message}});
  return kube::errorPolicy(result.error());
}

}  // namespace mailroom::controllers
