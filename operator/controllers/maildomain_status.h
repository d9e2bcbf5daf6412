// Pure reconcile decisions for a MailDomain: the status it should have (status.records and the
// RecordsComputed / Ready conditions), whether that differs from what the object carries (a
// steady state writes nothing), the status patch, and the finalizer step with JSON patches
// (RFC 6902) that add or remove only our finalizer, guarded by a "test" of the current list so
// that a concurrent change by another controller makes the patch fail instead of being lost.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "operator/controllers/records.h"
#include "operator/kube/conditions.h"

namespace YAML {
class Node;
}

namespace mailroom::controllers {

inline constexpr const char* kFinalizer = "mailroom.dev/dns-records";

struct StatusRecord {
  std::string name, type, purpose;
  std::vector<std::string> values;
  bool published = false;
  bool operator==(const StatusRecord&) const = default;
};

struct MailDomainStatus {
  int64_t observedGeneration = 0;
  std::vector<StatusRecord> records;
  std::vector<kube::Condition> conditions;
  std::string spf, dkim, dmarc;  // printer columns: Pass, Fail, Pending, Unknown
  bool operator==(const MailDomainStatus&) const = default;
};

// What the controller reads from an object (JSON or YAML text).
struct ObservedMailDomain {
  std::string namespace_, name, resourceVersion, uid;
  int64_t generation = 0;
  bool deleting = false;  // metadata.deletionTimestamp set
  std::vector<std::string> finalizers;
  Result<MailDomainSpec> spec = Error::invalidArgument("no spec");
  MailDomainStatus status;
};
Result<ObservedMailDomain> parseObserved(const std::string& objectText);
MailDomainStatus parseStatus(const YAML::Node& status);

// The status to write: records from desiredRecords (or an InvalidSpec condition when the spec
// cannot be rendered), conditions set through setCondition so unchanged ones keep their times.
MailDomainStatus desiredStatus(const ObservedMailDomain& md, const DkimPublicKeys& keys,
                               std::chrono::system_clock::time_point now);

// {"metadata":{"resourceVersion":..},"status":{...}}: a JSON merge patch for the /status
// subresource; the resourceVersion makes the API server refuse it (409) if the object changed
// since it was read.
std::string statusMergePatch(const MailDomainStatus& status, const std::string& resourceVersion);

// The finalizer as a four-state machine (kube-rs's finalizer()).
enum class FinalizerStep {
  kAdd,      // live, our finalizer missing: add it before publishing anything
  kApply,    // live, finalizer present: reconcile
  kCleanup,  // deleting, finalizer present: remove what we published, then the finalizer
  kDone,     // deleting, finalizer gone: nothing to do
};
FinalizerStep finalizerStep(const ObservedMailDomain& md);
std::string addFinalizerPatch(const std::vector<std::string>& current);
// nullopt when our finalizer is not in the list.
std::optional<std::string> removeFinalizerPatch(const std::vector<std::string>& current);

}  // namespace mailroom::controllers
