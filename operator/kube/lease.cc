#include "operator/kube/lease.h"

#include <ctime>

#include "lib/log/log.h"
#include "operator/api/v1alpha1/meta.h"

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

namespace {

// coordination.k8s.io/v1 LeaseSpec, the fields leader election uses.
struct LeaseSpec {
  std::string holderIdentity;
  int leaseDurationSeconds = 15;
  std::string acquireTime, renewTime;
  int leaseTransitions = 0;
};
void decodeFields(api::FieldReader& r, LeaseSpec& s) {
  r.allowUnknown();
  r.optional("holderIdentity", s.holderIdentity);
  r.optional("leaseDurationSeconds", s.leaseDurationSeconds);
  r.optional("acquireTime", s.acquireTime);
  r.optional("renewTime", s.renewTime);
  r.optional("leaseTransitions", s.leaseTransitions);
}
void encodeFields(api::FieldWriter& w, const LeaseSpec& s) {
  w.always("holderIdentity", s.holderIdentity);
  w.field("leaseDurationSeconds", s.leaseDurationSeconds);
  w.field("acquireTime", s.acquireTime);
  w.field("renewTime", s.renewTime);
  w.field("leaseTransitions", s.leaseTransitions);
}

}  // namespace

Result<LeaseRecord> parseLease(const std::string& json) {
  auto object = api::parseJson(json);
  if (!object) return object.error();
  auto meta = api::decodeMeta(*object);
  if (!meta) return meta.error();
  LeaseSpec spec;
  if (auto it = object->find("spec"); it != object->end()) {
    auto decoded = api::decode<LeaseSpec>(*it, "spec");
    if (!decoded) return decoded.error();
    spec = *decoded;
  }
  return LeaseRecord{spec.holderIdentity, spec.leaseDurationSeconds, spec.acquireTime,
                     spec.renewTime,      spec.leaseTransitions,     meta->resourceVersion};
}

std::string renderLease(const std::string& ns, const std::string& name, const LeaseRecord& r) {
  api::ObjectMeta meta;
  meta.name = name;
  meta.namespace_ = ns;
  meta.resourceVersion = r.resourceVersion;
  api::Json lease = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", api::encodeValue(meta)},
      {"spec", api::encodeValue(LeaseSpec{r.holderIdentity, r.leaseDurationSeconds, r.acquireTime,
                                          r.renewTime, r.leaseTransitions})}};
  return lease.dump();
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
