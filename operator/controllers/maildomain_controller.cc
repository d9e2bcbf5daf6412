#include "operator/controllers/maildomain_controller.h"

#include <algorithm>

#include "lib/auth/dkim/key_record.h"
#include "lib/log/log.h"
#include "operator/kube/finalizers.h"
#include "operator/kube/status.h"

namespace mailroom::controllers {

MailDomainController::MailDomainController(kube::Api& api,
                                           const kube::Store<api::MailDomain>& mailDomains,
                                           const kube::Store<api::Transport>& transports,
                                           kube::EventRecorder& events, ProviderFactory& providers,
                                           HealthChecker& checker, dkimkeys::DkimKeyManager& dkim,
                                           WallClock now, MailDomainOptions options)
    : api_(api),
      mailDomains_(mailDomains),
      transports_(transports),
      events_(events),
      providers_(providers),
      checker_(checker),
      dkim_(dkim),
      now_(std::move(now)),
      options_(std::move(options)) {}

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
      .watches(transports, [this](const kube::Cached<api::Transport>& t) { return referencing(t); })
      .watches(mailDomains, [this](const kube::Cached<api::MailDomain>& md) {
        // Another MailDomain of the same domain may take over (or give way).
        std::vector<std::string> keys;
        if (!md.object) return keys;
        for (const auto& other : claimants(md.object->spec.domain))
          if (other != md.meta.key()) keys.push_back(other);
        return keys;
      });
}

std::vector<std::string> MailDomainController::claimants(const std::string& domain) const {
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> found;
  const std::string want = dnspub::normalizeName(domain);
  for (const auto& e : mailDomains_.list()) {
    if (!e->object || e->meta.deleting() || dnspub::normalizeName(e->object->spec.domain) != want)
      continue;
    found.push_back({{e->meta.creationTimestamp, e->meta.uid}, e->meta.key()});
  }
  // RFC 3339 timestamps of one form sort as strings; the uid breaks ties.
  std::sort(found.begin(), found.end());
  std::vector<std::string> keys;
  for (auto& f : found) keys.push_back(std::move(f.second));
  return keys;
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
      in.referenced.push_back(*entry->object);
    }
  }
  return in;
}

dnspub::Owner MailDomainController::owner(const api::MailDomain& md) const {
  return {options_.clusterName, md.metadata.namespace_, md.metadata.name};
}

PublishOutcome MailDomainController::publish(const api::MailDomain& md,
                                             const std::vector<dnspub::RecordSet>& desired) {
  auto made = providers_.make(*md.spec.dnsProvider, md.metadata.namespace_);
  if (auto* e = std::get_if<ProviderSetupError>(&made)) return toOutcome(*e);
  auto& handle = std::get<ProviderHandle>(made);
  dnspub::Publisher publisher(*handle.provider);
  auto result = publisher.sync(zoneOf(md.spec), desired, owner(md));
  if (result && result->applied) {
    log::info("dns records published", {{"key", md.metadata.key()},
                                        {"zone", zoneOf(md.spec)},
                                        {"added", result->plan.valuesAdded},
                                        {"removed", result->plan.valuesRemoved}});
  } else if (!result) {
    log::warn("dns publishing failed",
              {{"key", md.metadata.key()}, {"error", result.error().message}});
  }
  return toOutcome(result);
}

namespace {

std::string canonical(const health::HealthRequest& r) {
  std::string out = r.domain + "|" + r.ehloHostname + "|";
  for (const auto& ip : r.ips) out += ip.to_string() + ",";
  out += "|";
  for (const auto& s : r.selectors) out += s.selector + "=" + s.expectedKey.value_or("") + ",";
  out += "|";
  for (const auto& z : r.dnsblZones) out += z + ",";
  return out;
}

}  // namespace

std::optional<health::HealthReport> MailDomainController::healthOf(
    const api::MailDomain& md, const MailDomainInputs& inputs,
    std::chrono::system_clock::time_point& due) {
  const auto now = now_();
  auto request = healthRequest(md, inputs.referenced, {}, options_.health, now);
  // The keys that sign must be the keys served.
  for (const auto& [configured, selector] : inputs.activeSelectors) {
    auto it = std::find_if(inputs.dkim.begin(), inputs.dkim.end(),
                           [&](const DkimKeyRecord& k) { return k.selector == selector; });
    if (it != inputs.dkim.end()) request.selectors.push_back({selector, it->value});
  }
  const std::string key = canonical(request);
  {
    std::lock_guard lock(healthMu_);
    auto it = health_.find(md.metadata.key());
    if (it != health_.end() && it->second.request == key && now < it->second.due) {
      due = it->second.due;
      return it->second.report;
    }
  }
  auto report = checker_.check(std::move(request));
  if (!report) {
    log::warn("health checks failed",
              {{"key", md.metadata.key()}, {"error", report.error().message}});
    due = now + std::chrono::seconds(30);
    return std::nullopt;
  }
  // Jitter spreads the checks of many MailDomains created together over the interval.
  auto jitter = std::chrono::seconds(std::hash<std::string>{}(md.metadata.uid + key) %
                                     (options_.healthInterval.count() / 10 + 1));
  due = now + options_.healthInterval - jitter;
  std::lock_guard lock(healthMu_);
  health_[md.metadata.key()] = {key, due, *report};
  return std::move(report).value();
}

Result<kube::Action> MailDomainController::apply(const api::MailDomain& md) {
  MailDomainInputs inputs = gather(md);
  // Two MailDomains of one domain would fight over its records: the older one wins.
  auto claims = claimants(md.spec.domain);
  if (!claims.empty() && claims.front() != md.metadata.key()) inputs.claimedBy = claims.front();
  std::optional<std::chrono::system_clock::time_point> keysDue;
  const bool ours = inputs.claimedBy.empty();
  if (ours && api::validate(md.spec)) {
    auto keys = dkim_.reconcile(md, now_());
    if (!keys) return keys.error();
    for (const auto& k : keys->keys) {
      auto value = keys->records.find(dkim::keyRecordName(k.selector, md.spec.domain));
      if (value != keys->records.end())
        inputs.dkim.push_back({k.configuredSelector, k.selector, value->second});
    }
    inputs.dkimKeys = std::move(keys->keys);
    inputs.activeSelectors = std::move(keys->active);
    inputs.dkimProblems = std::move(keys->problems);
    keysDue = keys->requeueAt;
  }
  if (ours && md.spec.dnsProvider && api::validate(md.spec)) {
    auto records = desiredRecords(md.spec, inputs.dkim, inputs.transportAddresses);
    inputs.published = publish(md, recordSets(records, options_.ttl));
  }
  std::chrono::system_clock::time_point healthDue{};
  inputs.healthEnabled = ours && options_.healthInterval.count() > 0;
  if (inputs.healthEnabled) inputs.health = healthOf(md, inputs, healthDue);
  const std::string path = kMailDomains.objectPath(md.metadata.namespace_, md.metadata.name);
  auto written = kube::writeStatus(api_, path, md, [&](const api::MailDomain& current) {
    MailDomainInputs fresh = gather(current);
    fresh.published = inputs.published;
    fresh.healthEnabled = inputs.healthEnabled;
    fresh.health = inputs.health;
    fresh.dkim = inputs.dkim;
    fresh.dkimKeys = inputs.dkimKeys;
    fresh.activeSelectors = inputs.activeSelectors;
    fresh.dkimProblems = inputs.dkimProblems;
    fresh.claimedBy = inputs.claimedBy;
    return Result<api::MailDomainStatus>(desiredStatus(current, fresh, now_()));
  });
  if (!written) return written.error();
  if (*written) {
    const auto& w = **written;
    ++statusWrites_;
    conflicts_ += w.conflicts;
    log::info("status updated", {{"key", md.metadata.key()},
                                 {"generation", static_cast<long long>(md.metadata.generation)}});
    events_.recordTransitions(
        api::refTo(api::kApiVersion, api::MailDomain::kKind, w.object.metadata),
        w.object.status.conditions, w.after.conditions);
  }
  // A failed publish is retried with backoff; the status already says why.
  if (inputs.published && inputs.published->status == "False" &&
      inputs.published->reason != "Conflict")
    return kube::retryWithBackoff();
  // Look again when the next health check or key transition is due, whichever comes first.
  std::optional<std::chrono::system_clock::time_point> due = keysDue;
  if (inputs.healthEnabled && (!due || healthDue < *due)) due = healthDue;
  if (due) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*due - now_());
    return kube::requeue(std::max(wait, std::chrono::milliseconds(1000)));
  }
  return kube::awaitChange();
}

Result<kube::Action> MailDomainController::cleanup(const api::MailDomain& md) {
  const std::string path = kMailDomains.objectPath(md.metadata.namespace_, md.metadata.name);
  if (md.spec.dnsProvider) {
    PublishOutcome removed = publish(md, {});
    if (removed.status != "True") {
      auto since = md.metadata.deletionTimestamp
                       ? kube::parseRfc3339(*md.metadata.deletionTimestamp)
                       : std::nullopt;
      if (since && now_() - *since < options_.cleanupTimeout) {
        return Error::temporary("removing DNS records: " + removed.message);
      }
      // Deletion must not hang forever on a dead provider: release it and say what may be left.
      events_.record(api::refTo(api::kApiVersion, api::MailDomain::kKind, md.metadata),
                     kube::EventType::kWarning, "DNSCleanupAbandoned",
                     "records of " + md.spec.domain + " may remain in zone " + zoneOf(md.spec) +
                         " (owner " + dnspub::describe(owner(md)) + "): " + removed.reason + ": " +
                         removed.message);
    }
  }
  return kube::applyFinalizerPatch(
      api_, path, *kube::removeFinalizerPatch(md.metadata.finalizers, kMailDomainFinalizer));
}

kube::Action MailDomainController::reconcile(const std::string& key) {
  auto entry = mailDomains_.get(key);
  if (!entry) {
    std::lock_guard lock(healthMu_);
    health_.erase(key);
    return kube::awaitChange();  // deleted; cleanup ran while the finalizer held it
  }
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
      result = cleanup(md);
      break;
    case kube::FinalizerStep::kDone:
      break;
  }
  if (result) return *result;
  log::warn("reconcile failed", {{"key", key}, {"error", result.error().message}});
  return kube::errorPolicy(result.error());
}

}  // namespace mailroom::controllers
