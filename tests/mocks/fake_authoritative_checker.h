// The authoritative-servers edge of operator/dkimkeys as a map: what "the zone's authoritative
// servers" serve is whatever the test put there (typically the records a reconcile asked for,
// once the test decides the DNS provider has published them). Records every question.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/dkimkeys/authoritative.h"

namespace mailroom::testing {

class FakeAuthoritativeChecker : public dkimkeys::AuthoritativeChecker {
 public:
  void serve(const std::string& fqdn, const std::string& value) { served_[fqdn] = value; }
  void unserve(const std::string& fqdn) { served_.erase(fqdn); }
  // Every question fails with error until cleared (nullopt): servers that do not answer.
  void failWith(std::optional<Error> error) { error_ = std::move(error); }

  Result<bool> served(const std::string& zone, const std::string& fqdn,
                      const std::string& expected) override {
    asked.push_back(fqdn);
    if (error_) return *error_;
    auto it = served_.find(fqdn);
    return it != served_.end() && it->second == expected;
  }

  std::vector<std::string> asked;  // fqdns, in order

 private:
  std::map<std::string, std::string> served_;
  std::optional<Error> error_;
};

}  // namespace mailroom::testing
