// Publishing a MailDomain's records through its dnsProvider (operator/dns): the provider built
// from spec.dnsProvider with the credential read from the Secret it names (never logged), the
// record sets from the computed records, and the outcome as the DNSPublished condition.
// ProviderFactory is the I/O edge; tests swap in one that hands out an in-memory provider.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "operator/api/v1alpha1/maildomain.h"
#include "operator/controllers/maildomain_status.h"
#include "operator/controllers/records.h"
#include "operator/dns/provider.h"
#include "operator/dns/publisher.h"
#include "operator/kube/api.h"

namespace mailroom::controllers {

// Why a provider could not be built: a condition reason and an actionable message.
struct ProviderSetupError {
  std::string reason;  // CredentialsNotFound, ProviderNotSupported, InvalidProvider
  std::string message;
};

// A provider ready to use, and whatever it needs to stay alive (its HTTP client).
struct ProviderHandle {
  std::shared_ptr<void> keepAlive;
  dnspub::Provider* provider = nullptr;
};

class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;
  // A provider for a MailDomain in namespace ns, or why not.
  virtual std::variant<ProviderHandle, ProviderSetupError> make(const api::DnsProviderSpec& spec,
                                                                const std::string& ns) = 0;
};

// Reads credentials with GET on the Secret (no cluster-wide Secret watch: the operator reads
// only the Secrets MailDomains name) and builds the real providers.
class KubeProviderFactory : public ProviderFactory {
 public:
  explicit KubeProviderFactory(kube::Api& api,
                               std::chrono::seconds timeout = std::chrono::seconds(10))
      : api_(api), timeout_(timeout) {}
  std::variant<ProviderHandle, ProviderSetupError> make(const api::DnsProviderSpec& spec,
                                                        const std::string& ns) override;

 private:
  std::variant<std::string, ProviderSetupError> credential(const api::DnsProviderSpec& spec,
                                                           const std::string& ns);
  kube::Api& api_;
  std::chrono::seconds timeout_;
};

// The zone records go into: spec.dnsProvider.zone, else the domain.
std::string zoneOf(const api::MailDomainSpec& spec);

// The publishable record sets (pending DKIM records are not published yet).
std::vector<dnspub::RecordSet> recordSets(const std::vector<DnsRecord>& records, uint32_t ttl);

PublishOutcome toOutcome(const dnspub::ProviderResult<dnspub::SyncReport>& result);
PublishOutcome toOutcome(const ProviderSetupError& error);

}  // namespace mailroom::controllers
