#include "operator/dkimkeys/manager.h"

#include "lib/auth/dkim/key_record.h"

#include <algorithm>

#include "lib/sidecarconfig/parse.h"
#include "operator/dkimkeys/key_secret.h"
#include "operator/kube/conditions.h"

namespace mailroom::dkimkeys {
namespace {

using std::chrono::seconds;

Result<api::Json> body(const Result<kube::ApiResponse>& resp) {
  if (!resp) return resp.error();
  if (!resp->ok()) return kube::apiError(*resp);
  return api::parseJson(resp->body);
}

Result<std::vector<SelectorSpec>> selectorsOf(const api::MailDomainSpec& spec) {
  std::vector<SelectorSpec> out;
  for (size_t i = 0; i < spec.dkimSelectors.size(); ++i) {
    const auto& s = spec.dkimSelectors[i];
    SelectorSpec sel{s.name, s.algorithm, s.keySize, std::nullopt};
    if (!s.rotationPeriod.empty()) {
      auto d = sidecarconfig::parseDuration(s.rotationPeriod);
      if (!d || d->count() <= 0)
        return Error::invalidArgument("spec.dkim.selectors[" + std::to_string(i) +
                                      "].rotationPeriod: not a positive duration: \"" +
                                      s.rotationPeriod + "\"");
      sel.rotation = std::chrono::duration_cast<seconds>(*d);
    }
    out.push_back(std::move(sel));
  }
  return out;
}

bool ownedBy(const api::Json& item, const std::string& uid) {
  auto meta = api::decodeMeta(item);
  if (!meta) return false;
  for (const auto& ref : meta->ownerReferences)
    if (ref.uid == uid && ref.controller.value_or(false)) return true;
  return false;
}

std::string time(const std::optional<TimePoint>& t) {
  return t ? kube::formatRfc3339(*t) : "";
}

api::DkimKeyStatus statusOf(const KeySecret& s) {
  const KeyState& k = s.key;
  return {k.selector,          k.configuredSelector,
          k.algorithm,         k.phase,
          time(k.createdAt),   time(k.publishedAt),
          time(k.activatedAt), time(k.retiringAt),
          time(k.revokedAt),   s.name};
}

// One reconcile's working state.
class Run {
 public:
  Run(kube::Api& api, AuthoritativeChecker& checker, const DkimManagerOptions& options,
      const DkimKeyManager::Generator& generate, const api::MailDomain& md, TimePoint now)
      : api_(api),
        checker_(checker),
        options_(options),
        generate_(generate),
        md_(md),
        now_(now),
        path_(secretsPath(md.metadata.namespace_)),
        owner_{md.metadata.name, md.metadata.namespace_,
               api::controllerRef(api::kApiVersion, api::MailDomain::kKind, md.metadata)} {}

  Result<DkimReconcileResult> run() {
    auto selectors = selectorsOf(md_.spec);
    if (!selectors) return selectors.error();
    if (auto listed = list(); !listed) return listed.error();

    LifecycleInput in{*selectors, {}, servedKeys(), {}, now_, options_.lifecycle};
    for (const auto& [sel, s] : secrets_) in.keys.push_back(s.key);
    for (const auto& k : md_.status.dkimKeys) in.usedSelectors.insert(k.selector);
    LifecyclePlan plan = planKeys(in);

    if (auto r = writeChanges(plan); !r) return r.error();
    if (auto r = removeKeys(plan); !r) return r.error();
    if (auto r = generateKeys(plan); !r) return r.error();
    if (auto r = writeActive(plan); !r) return r.error();
    finish(plan);
    return std::move(out_);
  }

 private:
  std::string fqdn(const std::string& selector) const {
    return dkim::keyRecordName(selector, md_.spec.domain);
  }

  Result<void> list() {
    auto json = body(api_.list(path_, "", keySecretSelector(md_.metadata.name)));
    if (!json) return json.error();
    for (const auto& item : json->value("items", api::Json::array())) {
      if (!ownedBy(item, md_.metadata.uid)) continue;  // a namesake's, awaiting collection
      auto parsed = parseKeySecret(item);
      if (!parsed) {
        out_.problems.push_back(parsed.error().message);
        continue;
      }
      secrets_[parsed->key.selector] = std::move(parsed).value();
    }
    return {};
  }

  // The Pending keys every authoritative server serves.
  std::set<std::string> servedKeys() {
    std::set<std::string> served;
    std::string zone = md_.spec.domain;
    if (md_.spec.dnsProvider && !md_.spec.dnsProvider->zone.empty())
      zone = md_.spec.dnsProvider->zone;
    for (const auto& [sel, s] : secrets_) {
      if (s.key.phase != KeyPhase::kPending) continue;
      auto r = checker_.served(zone, fqdn(sel), s.key.txtValue);
      if (!r) {
        out_.problems.push_back(fqdn(sel) + ": " + r.error().message);
      } else if (*r) {
        served.insert(sel);
      }
    }
    return served;
  }

  Result<void> put(const KeySecret& s) {
    api::Json secret = renderKeySecret(owner_, s);
    secret["metadata"]["resourceVersion"] = s.resourceVersion;
    ++out_.writes;
    auto json = body(api_.update(path_ + "/" + s.name, secret.dump()));
    if (!json) return json.error();
    return {};
  }

  // Each changed key written once, in the order the plan first changed it (a successor's
  // Active before its predecessor's Retiring).
  Result<void> writeChanges(const LifecyclePlan& plan) {
    std::vector<KeyState> keys;
    for (const auto& [sel, s] : secrets_) keys.push_back(s.key);
    keys = applyPlan(std::move(keys), plan, now_);
    std::set<std::string> written;
    for (const auto& change : plan.changes) {
      if (!written.insert(change.selector).second) continue;
      KeySecret& s = secrets_.at(change.selector);
      for (const auto& k : keys)
        if (k.selector == change.selector) s.key = k;
      if (auto r = put(s); !r) return r;
    }
    return {};
  }

  Result<void> removeKeys(const LifecyclePlan& plan) {
    for (const auto& sel : plan.remove) {
      ++out_.writes;
      auto resp = api_.remove(path_ + "/" + secrets_.at(sel).name);
      if (!resp) return resp.error();
      if (!resp->ok() && resp->code != 404) return kube::apiError(*resp);
      secrets_.erase(sel);
    }
    return {};
  }

  Result<void> generateKeys(const LifecyclePlan& plan) {
    for (const auto& g : plan.generate) {
      auto key = generate_(g.algorithm, g.keySize);
      if (!key) {
        out_.problems.push_back("selector " + g.configuredSelector + ": " + key.error().message);
        continue;
      }
      KeySecret s;
      s.name = keySecretName(md_.metadata.name, g.selector);
      s.privatePem = key->privatePem;
      s.key = {g.selector,         g.configuredSelector,
               key->algorithm,     key->algorithm == dkim::Algorithm::kRsaSha256 ? key->bits : 0,
               KeyPhase::kPending, now_,
               std::nullopt,       std::nullopt,
               std::nullopt,       std::nullopt,
               key->txtValue};
      ++out_.writes;
      auto resp = api_.create(path_, renderKeySecret(owner_, s).dump());
      if (resp && resp->code == 409) {  // listed as not ours: another owner's, or unlabelled
        out_.problems.push_back("Secret " + s.name + " exists and is not a key of this MailDomain");
        continue;
      }
      auto json = body(resp);
      if (!json) return json.error();
      s.resourceVersion = json->value("/metadata/resourceVersion"_json_pointer, "");
      secrets_[g.selector] = std::move(s);
    }
    return {};
  }

  Result<void> writeActive(const LifecyclePlan& plan) {
    std::vector<ActiveKey> active;
    for (const auto& [configured, sel] : plan.active) {
      const KeySecret& s = secrets_.at(sel);
      active.push_back({md_.spec.domain, sel, configured, s.key.algorithm, s.privatePem});
    }
    std::string objectPath = path_ + "/" + activeSecretName(md_.metadata.name);
    api::Json want = renderActiveKeysSecret(owner_, active);
    auto got = api_.get(objectPath);
    if (!got) return got.error();
    if (got->code == 404) {
      ++out_.writes;
      auto created = body(api_.create(path_, want.dump()));
      return created ? Result<void>() : created.error();
    }
    auto current = body(got);
    if (!current) return current.error();
    auto data = secretData(*current);
    auto meta = api::decodeMeta(*current);
    auto wantMeta = api::decodeMeta(want);
    if (data && *data == activeKeysData(active) && meta && wantMeta &&
        meta->labels == wantMeta->labels && meta->ownerReferences == wantMeta->ownerReferences)
      return {};
    want["metadata"]["resourceVersion"] = meta ? meta->resourceVersion : "";
    ++out_.writes;
    auto updated = body(api_.update(objectPath, want.dump()));
    return updated ? Result<void>() : updated.error();
  }

  void finish(const LifecyclePlan& plan) {
    std::vector<const KeySecret*> ordered;
    for (const auto& [sel, s] : secrets_) ordered.push_back(&s);
    std::stable_sort(ordered.begin(), ordered.end(), [](const KeySecret* a, const KeySecret* b) {
      return a->key.createdAt < b->key.createdAt;
    });
    bool pending = false;
    for (const KeySecret* s : ordered) {
      const KeyState& k = s->key;
      out_.records[fqdn(k.selector)] = k.phase == KeyPhase::kRevoked ? kRevokedRecord : k.txtValue;
      out_.keys.push_back(statusOf(*s));
      pending = pending || k.phase == KeyPhase::kPending;
    }
    out_.active = plan.active;
    out_.requeueAt = plan.nextDue;
    if (pending) {
      TimePoint poll = now_ + options_.pendingPoll;
      if (!out_.requeueAt || poll < *out_.requeueAt) out_.requeueAt = poll;
    }
  }

  kube::Api& api_;
  AuthoritativeChecker& checker_;
  const DkimManagerOptions& options_;
  const DkimKeyManager::Generator& generate_;
  const api::MailDomain& md_;
  TimePoint now_;
  std::string path_;
  SecretOwner owner_;
  std::map<std::string, KeySecret> secrets_;  // by actual selector
  DkimReconcileResult out_;
};

}  // namespace

std::string secretsPath(const std::string& ns) {
  return "/api/v1/namespaces/" + ns + "/secrets";
}

Result<DkimReconcileResult> DkimKeyManager::reconcile(const api::MailDomain& md,
                                                      std::chrono::system_clock::time_point now) {
  // Times are stored at second precision (RFC 3339); plan with the time as it will read back.
  return Run(api_, checker_, options_, generate_, md, std::chrono::time_point_cast<seconds>(now))
      .run();
}

}  // namespace mailroom::dkimkeys
