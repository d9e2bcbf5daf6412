// The Transport resource (mailroom.dev/v1alpha1), field for field as
// crds/mailroom.dev_transports.yaml declares it, with strict codecs. `mode` selects one of
// `direct` (to each recipient's MX) and `relay` (a smarthost on 465/587 with SMTP AUTH); the
// address family and TLS words decode into the project's one vocabulary (lib/common).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/common/address_family.h"
#include "lib/common/tls_policy.h"
#include "operator/api/v1alpha1/meta.h"

namespace mailroom::api {

enum class TransportMode { kDirect, kRelay };

struct DirectSpec {
  FamilyPolicy family;  // addressFamily (+ preferredFamily)
  std::vector<std::string> sourceAddresses;
  std::string ehloHostname;
  TlsPolicy tls = TlsPolicy::kOpportunistic;  // tls.policy: none | opportunistic | required
  int port = 25;
  std::string rememberRejectedFamily;  // Go duration; "" : the sidecar's default (24h)
  bool operator==(const DirectSpec&) const = default;
};

struct RelayCredentialsRef {
  std::string name;
  std::string usernameKey = "username", passwordKey = "password";
  bool operator==(const RelayCredentialsRef&) const = default;
};

struct RelaySpec {
  std::string host;
  int port = 587;
  TlsPolicy tls = TlsPolicy::kRequired;  // "starttls" (kRequired) or "implicit" (kImplicit)
  std::optional<RelayCredentialsRef> credentialsSecretRef;
  bool operator==(const RelaySpec&) const = default;
};

struct RouteSpec {
  std::vector<std::string> domains;
  int priority = 0;
  bool operator==(const RouteSpec&) const = default;
};

struct DestinationLimits {
  std::string domain;
  std::optional<int> messagesPerMinute, maxConnections, deliveriesPerConnection,
      maxRecipientsPerTransaction;
  bool operator==(const DestinationLimits&) const = default;
};

struct WarmupDay {
  int day = 1;
  int64_t messagesPerDay = 0;
  bool operator==(const WarmupDay&) const = default;
};

struct ResponseRuleSpec {
  std::string name;
  std::vector<int> codes;
  std::string enhanced, text, mxSuffix;
  std::string action;    // defer-destination | reduce-rate | pause | switch-family | bounce | none
  std::string duration;  // Go duration
  bool operator==(const ResponseRuleSpec&) const = default;
};

struct PauseSpec {
  std::string bounceRateThreshold;  // "5", "2.5%"
  std::string window = "1h";
  int minMessages = 100;
  bool operator==(const PauseSpec&) const = default;
};

struct RetrySpec {
  std::string initialBackoff = "5m", maxBackoff = "4000s", queueLifetime = "120h";
  bool operator==(const RetrySpec&) const = default;
};

struct TransportSpec {
  TransportMode mode = TransportMode::kDirect;
  std::optional<DirectSpec> direct;
  std::optional<RelaySpec> relay;
  std::vector<RouteSpec> routes;
  std::vector<DestinationLimits> perDestination;  // limits.perDestination
  std::vector<WarmupDay> warmup;                  // warmup.schedule
  std::optional<PauseSpec> pause;
  std::vector<ResponseRuleSpec> responseRules;
  std::optional<RetrySpec> retry;
  bool operator==(const TransportSpec&) const = default;

  // The source addresses mail leaves from (direct only; a relay sends from its own).
  std::vector<std::string> sourceAddresses() const;
};

struct LastFailure {
  std::string time, reply, classification, family, sourceIP, receiverQuotedIP;
  bool operator==(const LastFailure&) const = default;
};

struct DestinationStatus {
  std::string domain;
  int64_t delivered = 0, deferred = 0, bounced = 0;
  std::optional<bool> paused;
  std::optional<LastFailure> lastFailure;
  bool operator==(const DestinationStatus&) const = default;
};

struct TransportStatus {
  int64_t observedGeneration = 0;
  std::vector<kube::Condition> conditions;
  int64_t delivered = 0, deferred = 0, bounced = 0;
  std::vector<DestinationStatus> perDestination;
  bool operator==(const TransportStatus&) const = default;
};

struct Transport {
  static constexpr const char* kKind = "Transport";
  static constexpr const char* kPlural = "transports";
  ObjectMeta metadata;
  TransportSpec spec;
  TransportStatus status;
  bool operator==(const Transport&) const = default;
};

void decodeFields(FieldReader& r, DirectSpec& v);
void encodeFields(FieldWriter& w, const DirectSpec& v);
void decodeFields(FieldReader& r, RelayCredentialsRef& v);
void encodeFields(FieldWriter& w, const RelayCredentialsRef& v);
void decodeFields(FieldReader& r, RelaySpec& v);
void encodeFields(FieldWriter& w, const RelaySpec& v);
void decodeFields(FieldReader& r, RouteSpec& v);
void encodeFields(FieldWriter& w, const RouteSpec& v);
void decodeFields(FieldReader& r, DestinationLimits& v);
void encodeFields(FieldWriter& w, const DestinationLimits& v);
void decodeFields(FieldReader& r, WarmupDay& v);
void encodeFields(FieldWriter& w, const WarmupDay& v);
void decodeFields(FieldReader& r, ResponseRuleSpec& v);
void encodeFields(FieldWriter& w, const ResponseRuleSpec& v);
void decodeFields(FieldReader& r, PauseSpec& v);
void encodeFields(FieldWriter& w, const PauseSpec& v);
void decodeFields(FieldReader& r, RetrySpec& v);
void encodeFields(FieldWriter& w, const RetrySpec& v);
void decodeFields(FieldReader& r, TransportSpec& v);
void encodeFields(FieldWriter& w, const TransportSpec& v);
void decodeFields(FieldReader& r, LastFailure& v);
void encodeFields(FieldWriter& w, const LastFailure& v);
void decodeFields(FieldReader& r, DestinationStatus& v);
void encodeFields(FieldWriter& w, const DestinationStatus& v);
void decodeFields(FieldReader& r, TransportStatus& v);
void encodeFields(FieldWriter& w, const TransportStatus& v);
void decodeFields(FieldReader& r, Transport& v);
void encodeFields(FieldWriter& w, const Transport& v);

}  // namespace mailroom::api

namespace mailroom {
template <>
struct api::EnumNames<api::TransportMode> {
  static constexpr std::pair<api::TransportMode, const char*> values[] = {
      {api::TransportMode::kDirect, "direct"}, {api::TransportMode::kRelay, "relay"}};
};
template <>
struct api::EnumNames<AddressFamily> {
  static constexpr std::pair<AddressFamily, const char*> values[] = {
      {AddressFamily::kIpv4, "IPv4"}, {AddressFamily::kIpv6, "IPv6"}};
};
}  // namespace mailroom
