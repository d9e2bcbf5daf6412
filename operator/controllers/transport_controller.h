// The Transport controller: for the namespace of the Transport it reconciles, renders the sidecar
// config from all the namespace's Transports (transport_render.h) into the ConfigMap the injected
// sidecars mount (kConfigMapName, key sidecar.yaml), copies the signing keys of the namespace's
// MailDomains (their "<name>-dkim-active" Secrets, operator/dkimkeys) into the one Secret the
// sidecars mount (kDkimSecretName), then writes that Transport's ConfigRendered and Ready
// conditions. Only keys already seen served are ever in it. The ConfigMap is owned by every
// Transport that is in it (owner references without controller), so it goes away with the last of
// them; it is written only when its content or owners change. When no Transport of a namespace can
// be rendered the previous ConfigMap stays: the sidecars keep the last config that worked.
//
// Watches: a Transport change wakes every Transport of its namespace (they share the config); a
// change of the ConfigMap (edited or deleted by someone) wakes them too, so it is repaired.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/transport.h"
#include "operator/controllers/transport_render.h"
#include "operator/kube/api.h"
#include "operator/kube/controller.h"
#include "operator/kube/events.h"
#include "operator/kube/store.h"

namespace mailroom::controllers {

inline constexpr const char* kConfigMapName = "mailroom-sidecar-config";
inline constexpr const char* kConfigKey = "sidecar.yaml";
inline constexpr const char* kDkimSecretName = "mailroom-sidecar-dkim";
using api::kManagedBy;
using api::kManagedByLabel;

class TransportController {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  TransportController(kube::Api& api, const kube::Store<api::Transport>& transports,
                      const kube::Store<kube::Unstructured>& configMaps,
                      const kube::Store<kube::Unstructured>& secrets, kube::EventRecorder& events,
                      WallClock now, SidecarPaths paths = {});

  [[nodiscard]] kube::Action reconcile(const std::string& key);
  // Registers For(Transport), Watches(Transport -> its namespace), Watches(ConfigMap and the
  // MailDomains' active-keys Secrets -> the Transports of their namespace).
  void wire(kube::Controller& controller, kube::Store<api::Transport>& transports,
            kube::Store<kube::Unstructured>& configMaps, kube::Store<kube::Unstructured>& secrets);
  // The label selectors of the ConfigMap and Secret informers: objects the operator manages
  // (the Secrets include the MailDomains' active-keys Secrets, which carry the private keys).
  static std::string configMapSelector();
  static std::string secretSelector();

  uint64_t configWrites() const { return configWrites_; }

 private:
  std::vector<std::string> transportsIn(const std::string& ns) const;
  // Creates or updates the namespace's ConfigMap; false when it was already right.
  Result<bool> ensureConfigMap(const std::string& ns, const RenderedConfig& rendered,
                               const std::vector<api::Transport>& owners);
  // Creates or updates an owned object (ConfigMap or Secret) of the namespace from `want`.
  Result<bool> ensureObject(const kube::ResourceRef& ref, const std::string& ns,
                            const kube::Store<kube::Unstructured>& store, api::Json want);
  // The signing keys of the namespace's MailDomains, with their PEM files; problems in `bad`.
  std::vector<std::pair<ActiveDkimKey, std::string>> activeKeys(
      const std::string& ns, std::vector<std::string>& bad) const;
  Result<void> writeStatus(const api::Transport& t, const RenderedConfig& rendered);

  kube::Api& api_;
  const kube::Store<api::Transport>& transports_;
  const kube::Store<kube::Unstructured>& configMaps_;
  const kube::Store<kube::Unstructured>& secrets_;
  kube::EventRecorder& events_;
  WallClock now_;
  SidecarPaths paths_;
  uint64_t configWrites_ = 0;
};

// The ConfigRendered condition of one Transport: False with the error when it was left out,
// True with the warnings when there are any. Pure.
kube::Condition configRenderedCondition(const std::vector<RenderProblem>& problems,
                                        int64_t generation);

}  // namespace mailroom::controllers
