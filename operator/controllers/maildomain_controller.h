// The MailDomain controller: reconcile(key) reads the MailDomain and the Transports it
// references from the typed stores (never from the event that queued it), walks the finalizer
// steps and writes status through the /status subresource only when it changes (kube/status.h,
// 409s retried from a fresh read), with one Event per condition flip.
//
// Watches: a Transport change wakes the MailDomains in its namespace that reference it, since
// their SPF authorizes its source addresses.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/maildomain.h"
#include "operator/api/v1alpha1/transport.h"
#include "operator/controllers/maildomain_status.h"
#include "operator/kube/action.h"
#include "operator/kube/api.h"
#include "operator/kube/controller.h"
#include "operator/kube/events.h"
#include "operator/kube/store.h"

namespace mailroom::controllers {

inline const kube::ResourceRef kMailDomains{"mailroom.dev", "v1alpha1", "maildomains"};
inline const kube::ResourceRef kTransports{"mailroom.dev", "v1alpha1", "transports"};

class MailDomainController {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  MailDomainController(kube::Api& api, const kube::Store<api::MailDomain>& mailDomains,
                       const kube::Store<api::Transport>& transports, kube::EventRecorder& events,
                       WallClock now);

  [[nodiscard]] kube::Action reconcile(const std::string& key);

  // Keys of the MailDomains that reference a Transport (the Watches mapping).
  std::vector<std::string> referencing(const kube::Cached<api::Transport>& transport) const;
  // Registers For(MailDomain) and Watches(Transport) on a controller.
  void wire(kube::Controller& controller, kube::Store<api::MailDomain>& mailDomains,
            kube::Store<api::Transport>& transports);

  uint64_t statusWrites() const { return statusWrites_; }
  uint64_t conflicts() const { return conflicts_; }

 private:
  MailDomainInputs gather(const api::MailDomain& md) const;
  Result<kube::Action> apply(const api::MailDomain& md);

  kube::Api& api_;
  const kube::Store<api::MailDomain>& mailDomains_;
  const kube::Store<api::Transport>& transports_;
  kube::EventRecorder& events_;
  WallClock now_;
  uint64_t statusWrites_ = 0, conflicts_ = 0;
};

}  // namespace mailroom::controllers
