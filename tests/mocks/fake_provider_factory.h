// The ProviderFactory edge for controller tests: every MailDomain gets the same in-memory
// provider (operator/dns/providers/inmemory), or the setup error a test asks for.
#pragma once

#include <optional>

#include "operator/controllers/dns_publishing.h"
#include "operator/dns/providers/inmemory/inmemory.h"

namespace mailroom::testing {

class FakeProviderFactory : public controllers::ProviderFactory {
 public:
  std::variant<controllers::ProviderHandle, controllers::ProviderSetupError> make(
      const api::DnsProviderSpec& spec, const std::string& ns) override {
    ++made;
    if (setupError) return *setupError;
    return controllers::ProviderHandle{nullptr, &zone};
  }
  dnspub::InMemoryProvider zone;
  std::optional<controllers::ProviderSetupError> setupError;
  int made = 0;
};

}  // namespace mailroom::testing
