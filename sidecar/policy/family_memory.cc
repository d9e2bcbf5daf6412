#include "sidecar/policy/family_memory.h"

#include <charconv>

namespace mailroom::policy {

void FamilyMemory::learn(std::string_view destination, AddressFamily rejected, TimePoint now,
                         std::chrono::seconds forTime, std::string reason) {
  for (char& c : reason)
    if (c == '\n' || c == '\r') c = ' ';
  Entry e{std::string(destination), rejected, now + forTime, std::move(reason)};
  byDestination_.insert_or_assign(e.destination, std::move(e));
}

const FamilyMemory::Entry* FamilyMemory::inForce(std::string_view destination,
                                                 TimePoint now) const {
  auto it = byDestination_.find(destination);
  if (it == byDestination_.end() || it->second.until <= now) return nullptr;
  return &it->second;
}

bool FamilyMemory::forgetExpired(TimePoint now) {
  return std::erase_if(byDestination_, [&](const auto& e) { return e.second.until <= now; }) > 0;
}

std::vector<FamilyMemory::Entry> FamilyMemory::entries() const {
  std::vector<Entry> out;
  for (const auto& [_, e] : byDestination_) out.push_back(e);
  return out;
}

std::string FamilyMemory::serialize() const {
  std::string out;
  for (const auto& [_, e] : byDestination_) {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(e.until.time_since_epoch()).count();
    out += e.destination + " " + familyName(e.rejected) + " " + std::to_string(secs) + " " +
           e.reason + "\n";
  }
  return out;
}

FamilyMemory FamilyMemory::parse(std::string_view text, size_t* skipped) {
  FamilyMemory m;
  size_t bad = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    auto word = [&line]() {
      const size_t sp = line.find(' ');
      std::string_view w = line.substr(0, sp);
      line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
      return w;
    };
    const std::string_view destination = word(), family = word(), until = word();
    const auto f = parseFamily(family);
    long long secs = 0;
    auto [ptr, ec] = std::from_chars(until.data(), until.data() + until.size(), secs);
    if (destination.empty() || !f || ec != std::errc() || ptr != until.data() + until.size()) {
      ++bad;
      continue;
    }
    Entry e{std::string(destination), *f, TimePoint(std::chrono::seconds(secs)), std::string(line)};
    m.byDestination_.insert_or_assign(e.destination, std::move(e));
  }
  if (skipped) *skipped = bad;
  return m;
}

}  // namespace mailroom::policy
