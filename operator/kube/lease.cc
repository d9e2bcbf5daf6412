#include "operator/kube/lease.h"

#include <yaml-cpp/yaml.h>

#include <ctime>

#include "lib/log/log.h"
#include "operator/kube/informer.h"

namespace mailroom::kube {

LeaseAction decideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                        Clock::time_point observedAt, Clock::time_point now) {
  if (!current) return LeaseAction::kCreate;
  if (current->holderIdentity == identity) return LeaseAction::kRenew;
  if (current->holderIdentity.empty()) return LeaseAction::kTakeOver;  // released
  if (now >= observedAt + std::chrono::seconds(current->leaseDurationSeconds))
    return LeaseAction::kTakeOver;
  return LeaseAction::kWait;
}

std::string formatMicroTime(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = us / 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1000000));
  return buf;
}

Result<LeaseRecord> parseLease(const std::string& json) {
  try {
    YAML::Node n = YAML::Load(json);
    LeaseRecord r;
    r.resourceVersion = n["metadata"]["resourceVersion"].as<std::string>("");
    if (const auto spec = n["spec"]; spec && spec.IsMap()) {
      r.holderIdentity = spec["holderIdentity"].as<std::string>("");
      r.leaseDurationSeconds = spec["leaseDurationSeconds"].as<int>(15);
      r.acquireTime = spec["acquireTime"].as<std::string>("");
      r.renewTime = spec["renewTime"].as<std::string>("");
      r.leaseTransitions = spec["leaseTransitions"].as<int>(0);
    }
    return r;
  } catch (const YAML::Exception& e) {
    return Error::invalidArgument(std::string("lease: ") + e.what());
  }
}

std::string renderLease(const std::string& ns, const std::string& name, const LeaseRecord& r) {
  std::string out = "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{";
  out += "\"name\":";
  log::appendJsonString(out, name);
  out += ",\"namespace\":";
  log::appendJsonString(out, ns);
  if (!r.resourceVersion.empty()) {
    out += ",\"resourceVersion\":";
    log::appendJsonString(out, r.resourceVersion);
  }
  out += "},\"spec\":{\"holderIdentity\":";
  log::appendJsonString(out, r.holderIdentity);
  out += ",\"leaseDurationSeconds\":" + std::to_string(r.leaseDurationSeconds);
  if (!r.acquireTime.empty()) out += ",\"acquireTime\":\"" + r.acquireTime + "\"";
  if (!r.renewTime.empty()) out += ",\"renewTime\":\"" + r.renewTime + "\"";
  out += ",\"leaseTransitions\":" + std::to_string(r.leaseTransitions) + "}}";
  return out;
}

LeaderElector::LeaderElector(Api& api, LeaderElectionConfig config, const Clock& clock)
    : api_(api), config_(std::move(config)), clock_(clock) {}

bool LeaderElector::tryAcquireOrRenew() {
  ResourceRef leases{"coordination.k8s.io", "v1", "leases"};
  std::string path = leases.objectPath(config_.ns, config_.name);
  auto got = api_.get(path);
  if (!got) return false;
  std::optional<LeaseRecord> current;
  if (got->ok()) {
    auto parsed = parseLease(got->body);
    if (!parsed) return false;
    current = *parsed;
  } else if (got->code != 404) {
    return false;
  }
  auto now = clock_.now();
  // Compare without the resourceVersion: only a change of the record proves the holder alive.
  auto withoutRv = [](std::optional<LeaseRecord> r) {
    if (r) r->resourceVersion.clear();
    return r;
  };
  if (withoutRv(current) != withoutRv(observed_)) {
    observed_ = current;
    observedAt_ = now;
  }
  if (current) observed_->resourceVersion = current->resourceVersion;
  auto action = decideLease(current, config_.identity, observedAt_, now);
  if (action == LeaseAction::kWait) return false;

  auto wallNow = formatMicroTime(std::chrono::system_clock::now());
  LeaseRecord next = current.value_or(LeaseRecord{});
  next.leaseDurationSeconds = static_cast<int>(config_.leaseDuration.count());
  next.renewTime = wallNow;
  if (action != LeaseAction::kRenew) {
    next.holderIdentity = config_.identity;
    next.acquireTime = wallNow;
    if (action == LeaseAction::kTakeOver) ++next.leaseTransitions;
  }
  auto resp = action == LeaseAction::kCreate
                  ? api_.create(leases.collectionPath(config_.ns),
                                renderLease(config_.ns, config_.name, next))
                  : api_.update(path, renderLease(config_.ns, config_.name, next));
  if (!resp || !resp->ok()) return false;  // 409: someone else wrote first
  if (auto written = parseLease(resp->body); written.ok()) {
    observed_ = *written;
    observedAt_ = now;
  }
  return true;
}

void LeaderElector::release() {
  if (!observed_ || observed_->holderIdentity != config_.identity) return;
  ResourceRef leases{"coordination.k8s.io", "v1", "leases"};
  LeaseRecord r = *observed_;
  r.holderIdentity.clear();
  r.leaseDurationSeconds = 1;  // as client-go's ReleaseOnCancel: the next candidate need not wait
  r.renewTime = formatMicroTime(std::chrono::system_clock::now());
  auto resp = api_.update(leases.objectPath(config_.ns, config_.name),
                          renderLease(config_.ns, config_.name, r));
  log::info("lease released", {{"ok", resp.ok() && resp->ok()}});
}

void LeaderElector::run(StopSignal& stop, const std::function<void()>& onStarted,
                        const std::function<void()>& onStopped) {
  log::info("campaigning for leadership",
            {{"lease", config_.ns + "/" + config_.name}, {"identity", config_.identity}});
  while (!stop.stopped()) {
    if (tryAcquireOrRenew()) break;
    if (stop.waitFor(config_.retryPeriod)) return;
  }
  if (stop.stopped()) return;
  leading_ = true;
  log::info("became leader", {{"identity", config_.identity}});
  onStarted();
  auto lastRenew = clock_.now();
  while (!stop.waitFor(config_.retryPeriod)) {
    if (tryAcquireOrRenew()) {
      lastRenew = clock_.now();
      continue;
    }
    bool otherHolder = observed_ && observed_->holderIdentity != config_.identity;
    if (otherHolder || clock_.now() - lastRenew >= config_.renewDeadline) {
      leading_ = false;
      log::error("leadership lost", {{"identity", config_.identity},
                                     {"holder", observed_ ? observed_->holderIdentity : ""}});
      onStopped();
      return;
    }
  }
  leading_ = false;
  release();
}

}  // namespace mailroom::kube
