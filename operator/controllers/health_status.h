// Health into status (pure): what to check for a MailDomain (every sending IP: spec.sendingIPs
// and the referenced Transports' source addresses; the EHLO name they send; the DKIM selectors
// with the keys that must be published) and how a report becomes conditions (SPFAuthorized,
// PTRValid, DKIMPublished, DMARCPresent, NotListed), the printer columns and status.checks.
// A check that could not be made is Unknown, never Pass. Messages say what to do, naming the
// Transport where a setting of it is the way out.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lib/auth/health/health.h"
#include "operator/api/v1alpha1/maildomain.h"
#include "operator/api/v1alpha1/transport.h"

namespace mailroom::controllers {

struct HealthOptions {
  std::vector<std::string> dnsblZones;  // none by default (querying lists has a cost)
};

// The request for md; selectors pairs selector -> the TXT value it must serve (empty: any key).
health::HealthRequest healthRequest(const api::MailDomain& md,
                                    const std::vector<api::Transport>& referenced,
                                    const std::vector<health::DkimSelector>& selectors,
                                    const HealthOptions& options,
                                    std::chrono::system_clock::time_point now);

// Sets the health conditions, columns and checks of s from report.
void applyHealth(api::MailDomainStatus& s, const health::HealthReport& report,
                 const std::vector<api::Transport>& referenced, int64_t generation,
                 std::chrono::system_clock::time_point now);

// Before the first check: every health condition Unknown/NotCheckedYet, columns Pending.
void applyHealthPending(api::MailDomainStatus& s, int64_t generation,
                        std::chrono::system_clock::time_point now);

}  // namespace mailroom::controllers
