#include "operator/dns/provider.h"

namespace mailroom::dnspub {

const char* conditionReason(ProviderErrorReason r) {
  switch (r) {
    case ProviderErrorReason::kUnauthorized:
      return "ProviderUnauthorized";
    case ProviderErrorReason::kZoneNotFound:
      return "ZoneNotFound";
    case ProviderErrorReason::kRejected:
      return "ProviderRejectedChange";
    case ProviderErrorReason::kRateLimited:
      return "ProviderRateLimited";
    case ProviderErrorReason::kUnavailable:
      return "ProviderUnavailable";
    case ProviderErrorReason::kTimeout:
      return "ProviderTimeout";
    case ProviderErrorReason::kBadResponse:
      return "ProviderBadResponse";
    case ProviderErrorReason::kInvalidRecords:
      return "InvalidRecords";
  }
  return "ProviderError";
}

bool isTemporary(ProviderErrorReason r) {
  switch (r) {
    case ProviderErrorReason::kRateLimited:
    case ProviderErrorReason::kUnavailable:
    case ProviderErrorReason::kTimeout:
    case ProviderErrorReason::kBadResponse:
      return true;
    case ProviderErrorReason::kUnauthorized:
    case ProviderErrorReason::kZoneNotFound:
    case ProviderErrorReason::kRejected:
    case ProviderErrorReason::kInvalidRecords:
      return false;
  }
  return true;
}

}  // namespace mailroom::dnspub
