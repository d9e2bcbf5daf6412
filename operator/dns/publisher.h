// The entry point for the MailDomain controller: sync(zone, desired, owner) reads the zone,
// plans by value against the ownership registry and applies the plan through the provider; an
// empty desired list deletes everything the owner published (the finalizer's job). Level
// based: every call re-reads the zone, so a failed or raced write is repaired by the next one.
// publishedCondition() turns the outcome into the DNSPublished condition.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "operator/dns/plan.h"
#include "operator/dns/provider.h"

namespace mailroom::dnspub {

struct SyncReport {
  Plan plan;             // the changes made (empty when in sync) and the conflicts
  bool applied = false;  // whether the provider was asked to write
};

class Publisher {
 public:
  explicit Publisher(Provider& provider) : provider_(provider) {}
  // zone: the provider's zone holding every desired name ("example.com").
  ProviderResult<SyncReport> sync(const std::string& zone, const std::vector<RecordSet>& desired,
                                  const Owner& owner);

 private:
  Provider& provider_;
};

// The DNSPublished condition (metav1.Condition's status/reason/message; the controller adds
// observedGeneration and lastTransitionTime): True/Published when everything wanted is
// published, False/Conflict naming the records when a foreign value blocks one, False with the
// provider's reason on failure.
struct PublishedCondition {
  std::string type = "DNSPublished";
  std::string status;  // "True" / "False"
  std::string reason;
  std::string message;
  bool operator==(const PublishedCondition&) const = default;
};

PublishedCondition publishedCondition(const ProviderResult<SyncReport>& outcome);

}  // namespace mailroom::dnspub
