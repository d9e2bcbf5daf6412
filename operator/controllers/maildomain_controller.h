// The MailDomain controller: reconcile(key) reads the object from the informer cache (never
// from the event that queued it), walks the finalizer state machine and writes status through
// the /status subresource only when the desired status differs from what the object carries.
// A 409 on the status write (the object changed since it was read) re-reads it from the API
// server and tries again.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "operator/controllers/maildomain_status.h"
#include "operator/kube/action.h"
#include "operator/kube/api.h"
#include "operator/kube/informer.h"

namespace mailroom::controllers {

inline const kube::ResourceRef kMailDomains{"mailroom.dev", "v1alpha1", "maildomains"};

class MailDomainController {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  MailDomainController(kube::Api& api, const kube::Cache& cache, WallClock now);

  [[nodiscard]] kube::Action reconcile(const std::string& key);

  // Counters for tests and metrics.
  uint64_t statusWrites() const { return statusWrites_; }
  uint64_t conflicts() const { return conflicts_; }

 private:
  void recordTransitions(const ObservedMailDomain& md, const MailDomainStatus& written);
  Result<kube::Action> apply(ObservedMailDomain md);
  Result<kube::Action> patchFinalizers(const ObservedMailDomain& md, const std::string& patch);

  kube::Api& api_;
  const kube::Cache& cache_;
  WallClock now_;
  uint64_t statusWrites_ = 0, conflicts_ = 0;
};

}  // namespace mailroom::controllers
