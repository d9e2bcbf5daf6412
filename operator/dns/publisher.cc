#include "operator/dns/publisher.h"

namespace mailroom::dnspub {

namespace {
ProviderError invalid(std::string message) {
  return {ProviderErrorReason::kInvalidRecords, std::move(message)};
}
}  // namespace

ProviderResult<SyncReport> Publisher::sync(const std::string& zoneName,
                                           const std::vector<RecordSet>& desired,
                                           const Owner& owner) {
  if (auto v = validateOwner(owner); !v) return invalid(v.error().message);
  std::string zone = normalizeName(zoneName);
  for (const auto& rs : desired) {
    if (!inZone(normalizeName(rs.name), zone))
      return invalid(rs.name + " is not in zone " + zone + ": set the MailDomain's DNS zone");
  }
  auto current = provider_.records(zone);
  if (!current) return current.error();
  auto planned = plan(*current, desired, owner);
  if (!planned) return invalid(planned.error().message);
  SyncReport report{std::move(planned).value(), false};
  if (report.plan.changes.empty()) return report;
  if (auto err = provider_.applyChanges(zone, report.plan.changes)) {
    ProviderError e = *err;
    if (e.changesApplied > 0) {
      e.message += " (" + std::to_string(e.changesApplied) + " of " +
                   std::to_string(report.plan.changes.size()) +
                   " record set changes were applied before the failure; the next attempt "
                   "re-reads the zone and completes them)";
    }
    return e;
  }
  report.applied = true;
  return report;
}

PublishedCondition publishedCondition(const ProviderResult<SyncReport>& outcome) {
  if (!outcome) {
    return {"DNSPublished", "False", conditionReason(outcome.error().reason),
            outcome.error().message};
  }
  const Plan& p = outcome->plan;
  if (!p.conflicts.empty()) {
    std::string message;
    for (const auto& c : p.conflicts) message += (message.empty() ? "" : "; ") + c.message;
    return {"DNSPublished", "False", "Conflict", message};
  }
  std::string message = outcome->applied
                            ? "published: " + std::to_string(p.valuesAdded) + " values added, " +
                                  std::to_string(p.valuesRemoved) + " removed"
                            : "all records published, no changes needed";
  return {"DNSPublished", "True", "Published", message};
}

}  // namespace mailroom::dnspub
