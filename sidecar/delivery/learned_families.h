// The learned address families (sidecar/policy/family_memory.h) kept durably and shown: the
// lessons live in <spool directory>/state/learned-families, written whole on each change (a
// temporary file, fsync, rename, fsync of the directory; a change is a reverse-DNS rejection,
// which is rare), loaded at start. Each lesson in force is the metric
// mailroom_learned_family{domain, rejected} 1 (0 once it expired) and is logged when learned.
// Runs on the engine's thread.
#pragma once

#include <filesystem>

#include "lib/metrics/metrics.h"
#include "sidecar/policy/family_memory.h"

namespace mailroom::delivery {

class LearnedFamilies {
 public:
  using TimePoint = policy::FamilyMemory::TimePoint;

  // `directory` "" keeps the lessons in memory only (tests).
  LearnedFamilies(std::filesystem::path directory, metrics::Registry& metrics);

  // Reads the file; a missing file is no lesson, a damaged line is skipped and logged.
  void load(TimePoint now);
  void learn(std::string_view destination, AddressFamily rejected, TimePoint now,
             std::chrono::seconds forTime, std::string reason);
  // The lesson in force at destination now, or nullptr (an expired one is forgotten).
  const policy::FamilyMemory::Entry* inForce(std::string_view destination, TimePoint now);

 private:
  void save();
  void show(const policy::FamilyMemory::Entry& e, bool inForce);

  std::filesystem::path directory_;
  metrics::Registry& metrics_;
  policy::FamilyMemory memory_;
};

}  // namespace mailroom::delivery
