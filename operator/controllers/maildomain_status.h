// Pure reconcile decisions for a MailDomain: the status it should have (status.records and the
// RecordsComputed / Ready conditions) from its spec and what the controller gathered (the
// referenced Transports' source addresses, the DKIM public keys). Conditions are set through
// kube::setCondition, so unchanged ones keep their times and a steady state writes nothing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "operator/api/v1alpha1/maildomain.h"
#include "operator/controllers/records.h"

namespace mailroom::controllers {

inline constexpr const char* kMailDomainFinalizer = "mailroom.dev/dns-records";

struct MailDomainInputs {
  DkimPublicKeys keys;
  std::vector<std::string> transportAddresses;     // source addresses of referenced Transports
  std::vector<std::string> missingTransports;      // transportRefs that do not exist
  std::vector<std::string> undecodableTransports;  // exist, but could not be read
};

api::MailDomainStatus desiredStatus(const api::MailDomain& md, const MailDomainInputs& inputs,
                                    std::chrono::system_clock::time_point now);

}  // namespace mailroom::controllers
