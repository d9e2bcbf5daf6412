// metav1.Condition handling (Kubernetes API conventions, "Typical status properties"; the
// cert-manager pattern): one pure helper that sets a condition so that lastTransitionTime moves
// only when the status flips and that reports whether anything changed, so a controller in
// steady state writes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailroom::kube {

struct Condition {
  std::string type;     // "Ready", "RecordsComputed"
  std::string status;   // "True", "False" or "Unknown"
  std::string reason;   // CamelCase, machine-readable
  std::string message;  // for humans
  int64_t observedGeneration = 0;
  std::string lastTransitionTime;  // RFC 3339, UTC, seconds precision
  bool operator==(const Condition&) const = default;
};

// "2026-11-24T08:00:00Z": the form the API server stores (metav1.Time has second precision).
std::string formatRfc3339(std::chrono::system_clock::time_point t);
// The inverse, for the times the API server writes ("2026-11-24T08:00:00Z", fractions and
// numeric offsets accepted); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text);

// Sets cond (its lastTransitionTime is ignored) into list. lastTransitionTime becomes now when
// the condition is new or its status differs, and is kept otherwise. Returns true if the list
// changed in any field.
bool setCondition(std::vector<Condition>& list, const Condition& cond,
                  std::chrono::system_clock::time_point now);

const Condition* findCondition(const std::vector<Condition>& list, const std::string& type);

}  // namespace mailroom::kube
