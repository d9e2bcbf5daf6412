#include "operator/controllers/maildomain_status.h"

#include <algorithm>

#include "operator/dns/endpoint.h"

namespace mailroom::controllers {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The first of the conditions that gate Ready that is not True (health enabled only).
const kube::Condition* failingHealth(const api::MailDomainStatus& s, const MailDomainInputs& in) {
  if (!in.healthEnabled) return nullptr;
  for (const char* type : {"SPFAuthorized", "DKIMPublished", "DMARCPresent"}) {
    const auto* c = kube::findCondition(s.conditions, type);
    if (c && c->status != "True") return c;
  }
  return nullptr;
}

}  // namespace

api::MailDomainStatus desiredStatus(const api::MailDomain& md, const MailDomainInputs& inputs,
                                    std::chrono::system_clock::time_point now) {
  api::MailDomainStatus s = md.status;
  const int64_t generation = md.metadata.generation;
  s.observedGeneration = generation;
  auto set = [&](const char* type, const char* status, const char* reason, std::string msg) {
    kube::setCondition(s.conditions, {type, status, reason, std::move(msg), generation, ""}, now);
  };
  if (auto valid = api::validate(md.spec); !valid) {
    // Keep the last good records: they describe what may still be published.
    set("RecordsComputed", "False", "InvalidSpec", valid.error().message);
    set("Ready", "False", "InvalidSpec", valid.error().message);
    return s;
  }
  if (!inputs.claimedBy.empty()) {
    // The older MailDomain publishes; this one touches nothing until that one goes.
    const std::string why = "domain " + md.spec.domain +
                            " is already managed by the older MailDomain " + inputs.claimedBy +
                            "; this one publishes nothing until that one is deleted";
    set("DNSPublished", "False", "Conflict", why);
    set("Ready", "False", "Conflict", why);
    return s;
  }
  s.records.clear();
  int pendingKeys = 0;
  const auto& pub = inputs.published;
  for (const auto& r : desiredRecords(md.spec, inputs.dkim, inputs.transportAddresses)) {
    if (r.pending) ++pendingKeys;
    bool blocked = pub && std::find(pub->conflictedNames.begin(), pub->conflictedNames.end(),
                                    dnspub::normalizeName(r.name)) != pub->conflictedNames.end();
    bool published = pub && pub->status == "True" && !r.pending;
    if (pub && pub->reason == "Conflict") published = !r.pending && !blocked;
    s.records.push_back({r.name, r.type, r.values, r.purpose, published, std::nullopt});
  }
  std::string msg = std::to_string(s.records.size()) + " records computed";
  if (pendingKeys) msg += "; " + std::to_string(pendingKeys) + " DKIM keys pending";
  if (inputs.dkimKeys) s.dkimKeys = *inputs.dkimKeys;
  // Configured selectors that nothing signs for yet: their key waits to be seen served.
  std::vector<std::string> unsigned_;
  for (const auto& sel : md.spec.dkimSelectors)
    if (!inputs.activeSelectors.contains(sel.name)) unsigned_.push_back(sel.name);
  std::vector<std::string> unusable = inputs.missingTransports;
  unusable.insert(unusable.end(), inputs.undecodableTransports.begin(),
                  inputs.undecodableTransports.end());
  std::string transportProblem;
  if (!unusable.empty()) {
    transportProblem = "Transport " + joined(unusable) + " in namespace " + md.metadata.namespace_ +
                       (inputs.undecodableTransports.empty() ? " not found" : " not readable") +
                       ": its source addresses are not in SPF. Create it, or remove it from "
                       "spec.transportRefs.";
    set("RecordsComputed", "False", "TransportNotFound", msg + "; " + transportProblem);
  } else {
    set("RecordsComputed", "True", "RecordsComputed", msg);
  }
  if (!inputs.healthEnabled) {
    s.spf = s.dkim = s.dmarc = s.ptr = "Unknown";
  } else if (inputs.health) {
    applyHealth(s, *inputs.health, inputs.referenced, generation, now);
  } else {
    applyHealthPending(s, generation, now);
  }
  if (pub) {
    set("DNSPublished", pub->status.c_str(), pub->reason.c_str(), pub->message);
  } else {
    set("DNSPublished", "False", "DNSProviderNotConfigured",
        "no spec.dnsProvider: publish the records in status.records by hand");
  }
  if (!transportProblem.empty()) {
    set("Ready", "False", "TransportNotFound", transportProblem);
  } else if (!pub || pub->status != "True") {
    const auto* c = kube::findCondition(s.conditions, "DNSPublished");
    set("Ready", "False", c->reason.c_str(), c->message);
  } else if (pendingKeys || !unsigned_.empty()) {
    std::string why = "no key signs yet for selector " + joined(unsigned_) +
                      ": a key signs only once every authoritative server serves its record";
    for (const auto& p : inputs.dkimProblems) why += "; " + p;
    set("Ready", "False", "DKIMKeysPending", why);
  } else if (const auto* failing = failingHealth(s, inputs)) {
    set("Ready", "False", failing->reason.c_str(), failing->type + ": " + failing->message);
  } else {
    set("Ready", "True", "Published",
        inputs.healthEnabled ? "every record is published; SPF, DKIM and DMARC pass"
                             : "every record is published");
  }
  return s;
}

}  // namespace mailroom::controllers
