#include "operator/dns/providers/inmemory/inmemory.h"

#include <algorithm>

namespace mailroom::dnspub {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
ProviderError rejected(std::string m) {
  return {ProviderErrorReason::kRejected, std::move(m)};
}
}  // namespace

void InMemoryProvider::createZone(const std::string& zone) {
  zones_[normalizeName(zone)];
}

void InMemoryProvider::put(const std::string& zone, RecordSet rs) {
  rs.name = normalizeName(rs.name);
  auto& z = zones_[normalizeName(zone)];
  if (rs.values.empty()) {
    z.erase(rs.key());
  } else {
    z[rs.key()] = std::move(rs);
  }
}

std::vector<std::string> InMemoryProvider::values(const std::string& zone, const std::string& name,
                                                  const std::string& type) const {
  auto z = zones_.find(normalizeName(zone));
  if (z == zones_.end()) return {};
  auto rs = z->second.find(RecordKey{normalizeName(name), type});
  return rs == z->second.end() ? std::vector<std::string>{} : rs->second.values;
}

ProviderResult<std::vector<RecordSet>> InMemoryProvider::records(const std::string& zone) {
  if (failNext_) return *std::exchange(failNext_, std::nullopt);
  auto z = zones_.find(normalizeName(zone));
  if (z == zones_.end()) {
    return ProviderError{ProviderErrorReason::kZoneNotFound, "zone " + zone + " does not exist"};
  }
  std::vector<RecordSet> out;
  for (const auto& [key, rs] : z->second) out.push_back(rs);
  return out;
}

std::optional<ProviderError> InMemoryProvider::applyChanges(const std::string& zone,
                                                            const std::vector<Change>& changes) {
  ++applyCalls_;
  if (failNext_) return std::exchange(failNext_, std::nullopt);
  auto z = zones_.find(normalizeName(zone));
  if (z == zones_.end()) {
    return ProviderError{ProviderErrorReason::kZoneNotFound, "zone " + zone + " does not exist"};
  }
  auto next = z->second;  // atomic: all changes or none
  for (const auto& c : changes) {
    if (!inZone(c.key.name, z->first)) return rejected(c.key.name + " is outside zone " + zone);
    auto& rs = next[c.key];
    if (rs.values.empty()) rs = RecordSet{c.key.name, c.key.type, c.ttl, {}};
    for (const auto& v : c.remove) {
      if (!contains(rs.values, v))
        return rejected(c.key.name + ": no value \"" + v + "\" to remove");
      std::erase(rs.values, v);
    }
    for (const auto& v : c.add) {
      if (contains(rs.values, v)) return rejected(c.key.name + ": value \"" + v + "\" exists");
      rs.values.push_back(v);
    }
    if (rs.values.empty()) next.erase(c.key);
  }
  z->second = std::move(next);
  return std::nullopt;
}

}  // namespace mailroom::dnspub
