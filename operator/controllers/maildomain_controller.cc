#include "operator/controllers/maildomain_controller.h"

#include "lib/log/log.h"
#include "operator/controllers/events.h"

namespace mailroom::controllers {

MailDomainController::MailDomainController(kube::Api& api, const kube::Cache& cache, WallClock now)
    : api_(api), cache_(cache), now_(std::move(now)) {}

Result<kube::Action> MailDomainController::patchFinalizers(const ObservedMailDomain& md,
                                                           const std::string& patch) {
  auto resp = api_.jsonPatch(kMailDomains.objectPath(md.namespace_, md.name), patch);
  if (!resp) return resp.error();
  if (resp->code == 404) return kube::awaitChange();  // gone already
  // 422: the "test" op failed because someone changed the finalizers; try again from the
  // cache once the watch has delivered their change.
  if (resp->code == 422) return Error::temporary("finalizers changed concurrently");
  if (!resp->ok()) return kube::apiError(*resp);
  return kube::awaitChange();
}

void MailDomainController::recordTransitions(const ObservedMailDomain& md,
                                             const MailDomainStatus& written) {
  // Events are best effort: a failure is logged, never retried (the status is the record).
  for (const auto& c : conditionTransitions(md.status.conditions, written.conditions)) {
    auto resp = api_.create(eventsPath(md.namespace_), transitionEvent(md, c, now_()));
    if (!resp || !resp->ok())
      log::warn("event not recorded",
                {{"key", kube::objectKey(md.namespace_, md.name)},
                 {"reason", c.reason},
                 {"error", resp ? std::to_string(resp->code) : resp.error().message}});
  }
}

Result<kube::Action> MailDomainController::apply(ObservedMailDomain md) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    MailDomainStatus want = desiredStatus(md, {}, now_());
    if (want == md.status) return kube::awaitChange();  // steady state: no write
    auto resp = api_.mergePatch(kMailDomains.objectPath(md.namespace_, md.name) + "/status",
                                statusMergePatch(want, md.resourceVersion));
    if (!resp) return resp.error();
    if (resp->ok()) {
      ++statusWrites_;
      log::info("status updated", {{"key", kube::objectKey(md.namespace_, md.name)},
                                   {"generation", static_cast<long long>(md.generation)}});
      recordTransitions(md, want);
      return kube::awaitChange();
    }
    if (resp->code != 409) return kube::apiError(*resp);
    // The object changed since we read it: read it again (from the server, the cache may lag)
    // and recompute.
    ++conflicts_;
    auto fresh = api_.get(kMailDomains.objectPath(md.namespace_, md.name));
    if (!fresh) return fresh.error();
    if (fresh->code == 404) return kube::awaitChange();
    if (!fresh->ok()) return kube::apiError(*fresh);
    auto parsed = parseObserved(fresh->body);
    if (!parsed) return parsed.error();
    if (finalizerStep(*parsed) != FinalizerStep::kApply) return kube::retryWithBackoff();
    md = std::move(parsed).value();
  }
  return Error::temporary("status write kept conflicting");
}

kube::Action MailDomainController::reconcile(const std::string& key) {
  auto text = cache_.get(key);
  if (!text) return kube::awaitChange();  // deleted; nothing of ours outlives the object yet
  auto md = parseObserved(*text);
  if (!md) {
    log::warn("unreadable MailDomain", {{"key", key}, {"error", md.error().message}});
    return kube::awaitChange();
  }
  Result<kube::Action> result = kube::awaitChange();
  switch (finalizerStep(*md)) {
    case FinalizerStep::kAdd:
      result = patchFinalizers(*md, addFinalizerPatch(md->finalizers));
      break;
    case FinalizerStep::kApply:
      result = apply(std::move(md).value());
      break;
    case FinalizerStep::kCleanup:
      // Nothing is published to DNS yet; once providers land, their records go first.
      result = patchFinalizers(*md, *removeFinalizerPatch(md->finalizers));
      break;
    case FinalizerStep::kDone:
      break;
  }
  if (result) return *result;
  log::warn("reconcile failed", {{"key", key}, {"error", result.error().message}});
  return kube::errorPolicy(result.error());
}

}  // namespace mailroom::controllers
