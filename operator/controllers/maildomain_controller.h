// The MailDomain controller: reconcile(key) reads the MailDomain and the Transports it
// references from the typed stores (never from the event that queued it), walks the finalizer
// steps, publishes its records through spec.dnsProvider (operator/dns: by value, only what it
// owns) and writes status through the /status subresource only when it changes (kube/status.h,
// 409s retried from a fresh read), with one Event per condition flip. Deletion removes exactly
// what it published before the finalizer goes; a provider that keeps failing holds deletion
// for at most cleanupTimeout. DKIM keys are generated, published, activated once served and
// rotated by operator/dkimkeys; their records go out with the rest.
//
// Watches: a Transport change wakes the MailDomains in its namespace that reference it, since
// their SPF authorizes its source addresses.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/maildomain.h"
#include "operator/api/v1alpha1/transport.h"
#include "operator/controllers/dns_publishing.h"
#include "operator/controllers/health_checker.h"
#include "operator/controllers/maildomain_status.h"
#include "operator/dkimkeys/manager.h"
#include "operator/kube/action.h"
#include "operator/kube/api.h"
#include "operator/kube/controller.h"
#include "operator/kube/events.h"
#include "operator/kube/store.h"

namespace mailroom::controllers {

inline const kube::ResourceRef kMailDomains{"mailroom.dev", "v1alpha1", "maildomains"};
inline const kube::ResourceRef kTransports{"mailroom.dev", "v1alpha1", "transports"};

struct MailDomainOptions {
  std::string clusterName = "default";  // in the DNS ownership records
  uint32_t ttl = 300;                   // of the records the operator publishes
  // How long deletion waits for a provider that keeps failing before it releases the
  // MailDomain anyway (with a Warning Event naming what may be left in DNS).
  std::chrono::seconds cleanupTimeout{600};
  // How often the DNS health checks run again (jittered by up to a tenth); 0 disables them.
  std::chrono::seconds healthInterval{600};
  HealthOptions health;
};

class MailDomainController {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  MailDomainController(kube::Api& api, const kube::Store<api::MailDomain>& mailDomains,
                       const kube::Store<api::Transport>& transports, kube::EventRecorder& events,
                       ProviderFactory& providers, HealthChecker& checker,
                       dkimkeys::DkimKeyManager& dkim, WallClock now,
                       MailDomainOptions options = {});

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
  // Keys of the live MailDomains of a domain, oldest first (the first one owns the domain).
  std::vector<std::string> claimants(const std::string& domain) const;
  dnspub::Owner owner(const api::MailDomain& md) const;
  // Publishes desired (empty: removes everything the MailDomain published).
  PublishOutcome publish(const api::MailDomain& md, const std::vector<dnspub::RecordSet>& desired);
  Result<kube::Action> apply(const api::MailDomain& md);
  Result<kube::Action> cleanup(const api::MailDomain& md);
  // The health report for md: the cached one while it is fresh and was made for the same
  // request, else a new check. Also when the next check is due.
  std::optional<health::HealthReport> healthOf(const api::MailDomain& md,
                                               const MailDomainInputs& inputs,
                                               std::chrono::system_clock::time_point& due);

  kube::Api& api_;
  const kube::Store<api::MailDomain>& mailDomains_;
  const kube::Store<api::Transport>& transports_;
  kube::EventRecorder& events_;
  ProviderFactory& providers_;
  HealthChecker& checker_;
  dkimkeys::DkimKeyManager& dkim_;
  WallClock now_;
  MailDomainOptions options_;
  struct CachedHealth {
    std::string request;  // what was checked, canonical
    std::chrono::system_clock::time_point due;
    health::HealthReport report;
  };
  std::mutex healthMu_;
  std::map<std::string, CachedHealth> health_;  // by MailDomain key
  uint64_t statusWrites_ = 0, conflicts_ = 0;
};

}  // namespace mailroom::controllers
