// The learned address family (issue #11): after a receiver rejected us over one family for
// reverse DNS (no PTR for that source address), later messages to that destination try the
// other family first for a while (default 24 h), so they no longer pay a rejected connection
// first. The same-attempt fallback stays: the rejected family is still tried after the other.
// Pure: the caller passes the time, and loads and stores the text form (one line per
// destination) in the spool directory so the lesson survives a restart.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/address_family.h"

namespace mailroom::policy {

inline constexpr std::chrono::seconds kDefaultFamilyMemory{std::chrono::hours(24)};

class FamilyMemory {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  struct Entry {
    std::string destination;  // lower-case recipient domain
    AddressFamily rejected = AddressFamily::kIpv6;
    TimePoint until;
    std::string reason;  // the receiver's reply, one line
    bool operator==(const Entry&) const = default;
  };

  // A reverse-DNS rejection over `rejected` at `destination`: prefer the other family there
  // until now + forTime. A later rejection replaces the entry (the latest lesson wins).
  void learn(std::string_view destination, AddressFamily rejected, TimePoint now,
             std::chrono::seconds forTime, std::string reason);
  // The entry in force at `destination` now, or nullptr.
  const Entry* inForce(std::string_view destination, TimePoint now) const;
  // Drops entries past their time; true when any was dropped.
  bool forgetExpired(TimePoint now);
  std::vector<Entry> entries() const;
  bool empty() const { return byDestination_.empty(); }

  // "destination IPv6 <until, unix seconds> reason\n" per entry, sorted by destination.
  std::string serialize() const;
  // The entries of serialize()'s form; malformed lines are skipped (a damaged file costs a
  // lesson, never the sidecar's start), and *skipped counts them.
  static FamilyMemory parse(std::string_view text, size_t* skipped = nullptr);

 private:
  std::map<std::string, Entry, std::less<>> byDestination_;
};

}  // namespace mailroom::policy
