// Leader election on a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics:
// a candidate takes the lease only when its holder has not renewed it for leaseDurationSeconds
// as measured on the candidate's own clock since it last saw the record change (no trust in
// other clocks); the leader renews every retry period and gives up leadership when it could
// not renew within the renew deadline, or at once when it sees another holder. Writes are
// PUTs with the read resourceVersion, so two candidates cannot both win (409 for the loser).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "operator/kube/api.h"
#include "operator/kube/clock.h"
#include "operator/kube/stop.h"

namespace mailroom::kube {

struct LeaseRecord {
  std::string holderIdentity;
  int leaseDurationSeconds = 15;
  std::string acquireTime, renewTime;  // MicroTime
  int leaseTransitions = 0;
  std::string resourceVersion;
  bool operator==(const LeaseRecord&) const = default;
};

enum class LeaseAction { kCreate, kRenew, kTakeOver, kWait };

// current: nullopt when the Lease does not exist. observedAt: when this candidate last saw
// the record change. Pure.
LeaseAction decideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                        Clock::time_point observedAt, Clock::time_point now);

Result<LeaseRecord> parseLease(const std::string& json);
// The Lease object to PUT/POST (resourceVersion included when non-empty).
std::string renderLease(const std::string& ns, const std::string& name, const LeaseRecord& r);
// "2026-11-24T08:00:00.000000Z".
std::string formatMicroTime(std::chrono::system_clock::time_point t);

struct LeaderElectionConfig {
  std::string ns = "default", name = "mailroom-operator", identity;
  std::chrono::seconds leaseDuration{15};
  std::chrono::seconds renewDeadline{10};
  std::chrono::seconds retryPeriod{2};
};

class LeaderElector {
 public:
  LeaderElector(Api& api, LeaderElectionConfig config, const Clock& clock);
  // Campaigns until leading (calls onStarted), then renews; returns when leadership is lost
  // (after calling onStopped) or stop is signalled (releasing the lease if held).
  void run(StopSignal& stop, const std::function<void()>& onStarted,
           const std::function<void()>& onStopped);
  bool leading() const { return leading_.load(); }

  // One attempt to acquire or renew; true if we hold the lease afterwards.
  bool tryAcquireOrRenew();

 private:
  void release();

  Api& api_;
  LeaderElectionConfig config_;
  const Clock& clock_;
  std::optional<LeaseRecord> observed_;
  Clock::time_point observedAt_{};
  std::atomic<bool> leading_{false};
};

}  // namespace mailroom::kube
