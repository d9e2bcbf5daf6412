// Pure reconcile decisions for a MailDomain: the status it should have (status.records and the
// RecordsComputed / DNSPublished / Ready conditions) from its spec and what the controller
// gathered (the referenced Transports' source addresses, the DKIM public keys, the outcome of
// publishing, the DNS health report). Ready needs every record published and SPF, DKIM and
// DMARC passing; PTR and blocklist verdicts are per address and do not gate Ready (the sidecar
// falls back to the other family), but they have their own conditions and columns. Conditions are
// set through kube::setCondition, so unchanged ones keep their times and a steady state writes
// nothing.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/maildomain.h"
#include "operator/api/v1alpha1/transport.h"
#include "operator/controllers/health_status.h"
#include "operator/controllers/records.h"

namespace mailroom::controllers {

inline constexpr const char* kMailDomainFinalizer = "mailroom.dev/dns-records";

// The outcome of one publishing pass (dns_publishing.h makes it from the provider's answer).
struct PublishOutcome {
  std::string status = "Unknown";  // DNSPublished: True / False / Unknown
  std::string reason, message;
  bool temporary = false;                    // worth retrying unchanged
  std::vector<std::string> conflictedNames;  // record names a foreign value blocks (normalized)
  bool operator==(const PublishOutcome&) const = default;
};

struct MailDomainInputs {
  DkimRecords dkim;  // every key's record (operator/dkimkeys)
  // Set when the key manager ran: status.dkimKeys, and configured selector -> signing selector.
  std::optional<std::vector<api::DkimKeyStatus>> dkimKeys;
  std::map<std::string, std::string> activeSelectors;
  std::vector<std::string> dkimProblems;           // why a key waits
  std::vector<std::string> transportAddresses;     // source addresses of referenced Transports
  std::vector<std::string> missingTransports;      // transportRefs that do not exist
  std::vector<std::string> undecodableTransports;  // exist, but could not be read
  std::optional<PublishOutcome> published;         // nullopt: no spec.dnsProvider
  std::vector<api::Transport> referenced;          // the Transports found
  bool healthEnabled = true;
  std::optional<health::HealthReport> health;  // nullopt: not checked yet
  std::string claimedBy;  // an older MailDomain of the same domain ("ns/name"): it owns it
};

api::MailDomainStatus desiredStatus(const api::MailDomain& md, const MailDomainInputs& inputs,
                                    std::chrono::system_clock::time_point now);

}  // namespace mailroom::controllers
