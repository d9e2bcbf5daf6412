// The in-memory reference provider (after external-dns's provider/inmemory): zones held in a
// map, changes applied by value and atomically, and strict about what a change may do: removing
// an absent value or adding a present one is rejected, so a plan that is wrong about the zone
// fails its tests instead of passing silently. Tests also write "foreign" records directly and
// can make the next call fail.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/dns/provider.h"

namespace mailroom::dnspub {

class InMemoryProvider : public Provider {
 public:
  void createZone(const std::string& zone);
  // Sets a whole RRset as someone else would (no ownership); empty values delete it.
  void put(const std::string& zone, RecordSet rs);
  std::vector<std::string> values(const std::string& zone, const std::string& name,
                                  const std::string& type = "TXT") const;
  void failNext(ProviderError e) { failNext_ = std::move(e); }
  int applyCalls() const { return applyCalls_; }

  std::string name() const override { return "in-memory"; }
  ProviderResult<std::vector<RecordSet>> records(const std::string& zone) override;
  std::optional<ProviderError> applyChanges(const std::string& zone,
                                            const std::vector<Change>& changes) override;

 private:
  std::map<std::string, std::map<RecordKey, RecordSet>> zones_;
  std::optional<ProviderError> failNext_;
  int applyCalls_ = 0;
};

}  // namespace mailroom::dnspub
