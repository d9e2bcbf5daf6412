// Admission under the total and per-destination concurrency limits, as a table.
#include "sidecar/policy/admission.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

struct Case {
  const char* name;
  Occupancy occupancy;
  ConcurrencyLimits limits;
  Admission want;
};

TEST(AdmissionTest, Table) {
  const Case cases[] = {
      {"idle", {0, 0}, {20, 10}, Admission::kStart},
      {"room everywhere", {5, 3}, {20, 10}, Admission::kStart},
      {"destination one below its limit", {9, 9}, {20, 10}, Admission::kStart},
      {"destination at its limit", {10, 10}, {20, 10}, Admission::kWaitDestination},
      {"destination over its limit (config lowered)",
       {12, 12},
       {20, 10},
       Admission::kWaitDestination},
      {"total one below its limit", {19, 0}, {20, 10}, Admission::kStart},
      {"total at its limit", {20, 0}, {20, 10}, Admission::kWaitTotal},
      {"both full: total wins (no destination may start)",
       {20, 10},
       {20, 10},
       Admission::kWaitTotal},
      {"per-destination limit above total", {3, 3}, {4, 50}, Admission::kStart},
      {"per-destination limit of 2", {2, 2}, {4, 2}, Admission::kWaitDestination},
      {"no per-destination limit: only the total", {19, 19}, {20, std::nullopt}, Admission::kStart},
      {"no per-destination limit, total full", {20, 20}, {20, std::nullopt}, Admission::kWaitTotal},
      {"zero limits count as one: first starts", {0, 0}, {0, 0}, Admission::kStart},
      {"zero limits count as one: second waits", {1, 0}, {0, 0}, Admission::kWaitTotal},
      {"negative per-destination counts as one", {1, 1}, {20, -5}, Admission::kWaitDestination},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(admissionName(admit(c.occupancy, c.limits)), std::string(admissionName(c.want)))
        << c.name;
  }
}

}  // namespace
}  // namespace mailroom::policy
