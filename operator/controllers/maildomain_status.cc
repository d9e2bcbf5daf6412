#include "operator/controllers/maildomain_status.h"

namespace mailroom::controllers {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
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
  s.records.clear();
  int pendingKeys = 0;
  for (const auto& r : desiredRecords(md.spec, inputs.keys, inputs.transportAddresses)) {
    if (r.pending) ++pendingKeys;
    s.records.push_back({r.name, r.type, r.values, r.purpose, false, std::nullopt});
  }
  std::string msg = std::to_string(s.records.size()) + " records computed";
  if (pendingKeys) msg += "; " + std::to_string(pendingKeys) + " DKIM keys pending";
  std::vector<std::string> unusable = inputs.missingTransports;
  unusable.insert(unusable.end(), inputs.undecodableTransports.begin(),
                  inputs.undecodableTransports.end());
  if (!unusable.empty()) {
    std::string why = "Transport " + joined(unusable) + " in namespace " + md.metadata.namespace_ +
                      (inputs.undecodableTransports.empty() ? " not found" : " not readable") +
                      ": its source addresses are not in SPF. Create it, or remove it from "
                      "spec.transportRefs.";
    set("RecordsComputed", "False", "TransportNotFound", msg + "; " + why);
    set("Ready", "False", "TransportNotFound", why);
  } else {
    set("RecordsComputed", "True", "RecordsComputed", msg);
    set("Ready", "False", "DNSProviderNotConfigured",
        "publishing through a DNS provider is not implemented yet; status.records lists the "
        "records to publish");
  }
  // Nothing is published yet, so every check is pending until the DNS provider lands.
  s.spf = s.dmarc = s.dkim = "Pending";
  return s;
}

}  // namespace mailroom::controllers
