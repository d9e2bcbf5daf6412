#include "operator/controllers/maildomain_controller.h"

#include "lib/log/log.h"
#include "operator/kube/finalizers.h"
#include "operator/kube/status.h"

namespace mailroom::controllers {

MailDomainController::MailDomainController(kube::Api& api,
                                           const kube::Store<api::MailDomain>& mailDomains,
                                           const kube::Store<api::Transport>& transports,
                                           kube::EventRecorder& events, WallClock now)
    : api_(api),
      mailDomains_(mailDomains),
      transports_(transports),
      events_(events),
      now_(std::move(now)) {}

std::vector<std::string> MailDomainController::referencing(
    const kube::Cached<api::Transport>& transport) const {
  std::vector<std::string> keys;
  for (const auto& entry : mailDomains_.list(transport.meta.namespace_)) {
    if (!entry->object) continue;
    for (const auto& ref : entry->object->spec.transportRefs) {
      if (ref.name == transport.meta.name) keys.push_back(entry->meta.key());
    }
  }
  return keys;
}

void MailDomainController::wire(kube::Controller& controller,
                                kube::Store<api::MailDomain>& mailDomains,
                                kube::Store<api::Transport>& transports) {
  controller.watchFor(mailDomains)
      .watches(transports,
               [this](const kube::Cached<api::Transport>& t) { return referencing(t); });
}

MailDomainInputs MailDomainController::gather(const api::MailDomain& md) const {
  MailDomainInputs in;
  for (const auto& ref : md.spec.transportRefs) {
    auto entry = transports_.get(md.metadata.namespace_ + "/" + ref.name);
    if (!entry) {
      in.missingTransports.push_back(ref.name);
    } else if (!entry->object) {
      in.undecodableTransports.push_back(ref.name);
    } else {
      for (const auto& a : entry->object->spec.sourceAddresses())
        in.transportAddresses.push_back(a);
    }
  }
  return in;
}

Result<kube::Action> MailDomainController::apply(const api::MailDomain& md) {
  const std::string path = kMailDomains.objectPath(md.metadata.namespace_, md.metadata.name);
  auto written = kube::writeStatus(api_, path, md, [&](const api::MailDomain& current) {
    return Result<api::MailDomainStatus>(desiredStatus(current, gather(current), now_()));
  });
  if (!written) return written.error();
  if (!*written) return kube::awaitChange();  // steady state: no write
  const auto& w = **written;
  ++statusWrites_;
  conflicts_ += w.conflicts;
  log::info("status updated", {{"key", md.metadata.key()},
                               {"generation", static_cast<long long>(md.metadata.generation)}});
  events_.recordTransitions(api::refTo(api::kApiVersion, api::MailDomain::kKind, w.object.metadata),
                            w.object.status.conditions, w.after.conditions);
  return kube::awaitChange();
}

kube::Action MailDomainController::reconcile(const std::string& key) {
  auto entry = mailDomains_.get(key);
  if (!entry) return kube::awaitChange();  // deleted; nothing of ours outlives the object yet
  if (!entry->object) {
    log::warn("unreadable MailDomain", {{"key", key}, {"error", entry->error}});
    return kube::awaitChange();
  }
  const api::MailDomain& md = *entry->object;
  const std::string path = kMailDomains.objectPath(md.metadata.namespace_, md.metadata.name);
  Result<kube::Action> result = kube::awaitChange();
  switch (kube::finalizerStep(md.metadata, kMailDomainFinalizer)) {
    case kube::FinalizerStep::kAdd:
      result = kube::applyFinalizerPatch(
          api_, path, kube::addFinalizerPatch(md.metadata.finalizers, kMailDomainFinalizer));
      break;
    case kube::FinalizerStep::kApply:
      result = apply(md);
      break;
    case kube::FinalizerStep::kCleanup:
      // Nothing is published to DNS yet; once providers land, their records go first.
      result = kube::applyFinalizerPatch(
          api_, path, *kube::removeFinalizerPatch(md.metadata.finalizers, kMailDomainFinalizer));
      break;
    case kube::FinalizerStep::kDone:
      break;
  }
  if (result) return *result;
  log::warn("reconcile failed", {{"key", key}, {"error", result.error().message}});
  return kube::errorPolicy(result.error());
}

}  // namespace mailroom::controllers
