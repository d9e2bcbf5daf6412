// The DNS provider edge: read a zone's records, apply planned changes (plan.h). Failures are
// values classified so that the MailDomain's DNSPublished condition can say what to do
// (conditionReason, message) and the controller knows whether waiting helps (temporary).
// Messages never contain credentials.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "operator/dns/endpoint.h"
#include "operator/dns/plan.h"

namespace mailroom::dnspub {

enum class ProviderErrorReason {
  kUnauthorized,    // 401/403: wrong or missing credentials, or too few permissions
  kZoneNotFound,    // the zone is not on the provider
  kRejected,        // 422 and other 4xx: the provider refused the change as invalid
  kRateLimited,     // 429
  kUnavailable,     // 5xx, connection refused, DNS failure of the API host
  kTimeout,         // no answer within the client's timeout
  kBadResponse,     // an answer we cannot parse
  kInvalidRecords,  // the desired records themselves are wrong (caught before any request)
};

// CamelCase condition reasons: ProviderUnauthorized, ZoneNotFound, ProviderRejectedChange,
// ProviderRateLimited, ProviderUnavailable, ProviderTimeout, ProviderBadResponse, InvalidRecords.
const char* conditionReason(ProviderErrorReason r);
// Whether retrying unchanged may succeed (rate limits, outages, timeouts, odd answers). The
// others need the user to act first; the controller still retries them, with a long backoff.
bool isTemporary(ProviderErrorReason r);

struct ProviderError {
  ProviderErrorReason reason = ProviderErrorReason::kUnavailable;
  std::string message;                 // actionable; no credentials
  std::chrono::seconds retryAfter{0};  // the provider's Retry-After, if it sent one
  int changesApplied = 0;              // of a change list, before the failure (0 if atomic)
};

template <class T>
class [[nodiscard]] ProviderResult {
 public:
  ProviderResult(T value) : v_(std::move(value)) {}              // NOLINT
  ProviderResult(ProviderError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const T* operator->() const { return &value(); }
  const T& operator*() const& { return value(); }
  const ProviderError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, ProviderError> v_;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // "PowerDNS", for messages.
  virtual std::string name() const = 0;
  // Every record set in zone (normalized names; TXT values as logical strings).
  virtual ProviderResult<std::vector<RecordSet>> records(const std::string& zone) = 0;
  // Applies changes by value: removes the listed values and adds the listed ones, leaving every
  // other value of the RRset as it is at the time of the write.
  virtual std::optional<ProviderError> applyChanges(const std::string& zone,
                                                    const std::vector<Change>& changes) = 0;
};

}  // namespace mailroom::dnspub
