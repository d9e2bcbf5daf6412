// The MailDomain resource (mailroom.dev/v1alpha1), field for field as
// crds/mailroom.dev_maildomains.yaml declares it, with strict codecs (meta.h, codec.h). The
// API server's schema has checked patterns, bounds and defaults; decoding checks the shapes and
// rejects unknown fields so a field the CRD grows cannot be silently ignored here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/auth/dkim/types.h"
#include "lib/auth/dmarc/record.h"
#include "lib/auth/spf/record.h"
#include "operator/api/v1alpha1/meta.h"

namespace mailroom::api {

enum class DnsProviderKind { kPowerDns, kRfc2136, kCloudflare, kRoute53, kWebhook };
enum class TsigAlgorithm { kHmacSha256, kHmacSha384, kHmacSha512, kHmacSha1 };

struct SecretKeyRef {
  std::string name;
  std::string key = "credentials";
  bool operator==(const SecretKeyRef&) const = default;
};

struct DnsProviderSpec {
  DnsProviderKind kind = DnsProviderKind::kPowerDns;
  std::string zone;  // "" : the domain
  std::optional<SecretKeyRef> credentialsSecretRef;
  std::string url;                     // PowerDNS, Webhook
  std::string server;                  // RFC2136 host[:port]
  std::string serverID = "localhost";  // PowerDNS
  std::string tsigKeyName;             // RFC2136
  std::optional<TsigAlgorithm> tsigAlgorithm;
  std::string zoneID, region;  // Cloudflare / Route53
  bool operator==(const DnsProviderSpec&) const = default;
};

struct DkimSelectorSpec {
  std::string name;
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  std::optional<int> keySize;  // RSA bits; unset: 2048
  std::string rotationPeriod;  // Go duration; "" : never rotated
  bool operator==(const DkimSelectorSpec&) const = default;
};

struct SpfSpec {
  spf::Qualifier policy = spf::Qualifier::kSoftFail;  // "~all" or "-all"
  std::vector<std::string> includes, ip4, ip6;
  bool operator==(const SpfSpec&) const = default;
};

struct DmarcSpec {
  dmarc::Policy policy = dmarc::Policy::kNone;
  std::optional<dmarc::Policy> subdomainPolicy;
  std::optional<int> pct;
  std::vector<std::string> rua, ruf;
  std::optional<dmarc::AlignmentMode> adkim, aspf;
  bool operator==(const DmarcSpec&) const = default;
};

struct LocalObjectRef {
  std::string name;
  bool operator==(const LocalObjectRef&) const = default;
};

struct MailDomainSpec {
  std::string domain;
  std::optional<DnsProviderSpec> dnsProvider;
  std::vector<DkimSelectorSpec> dkimSelectors;  // spec.dkim.selectors
  SpfSpec spf;
  DmarcSpec dmarc;
  std::vector<std::string> sendingIPs;
  std::vector<LocalObjectRef> transportRefs;
  bool operator==(const MailDomainSpec&) const = default;
};

struct StatusRecord {
  std::string name, type;
  std::vector<std::string> values;
  std::string purpose;  // SPF, DKIM, DMARC, PTR, MTA-STS, TLS-RPT, Ownership
  bool published = false;
  std::optional<int64_t> ttl;
  bool operator==(const StatusRecord&) const = default;
};

struct IpCheck {
  std::string ip, family;  // family: IPv4 / IPv6
  std::vector<std::string> ptr;
  std::optional<bool> forwardConfirmed, matchesEhlo;
  std::string spf;  // check_host() result: pass, fail, softfail, ...
  std::vector<std::string> listed;
  std::string checkedAt;
  bool operator==(const IpCheck&) const = default;
};

// Where a DKIM key is in its lifecycle (operator/dkimkeys/lifecycle.h tells the whole story).
enum class DkimKeyPhase { kPending, kPublished, kActive, kRetiring, kRevoked };

// One DKIM key the operator owns, as its Secret records it (the Secret is the source of truth).
struct DkimKeyStatus {
  std::string selector;            // the name it is published under, e.g. rsa2026-r1
  std::string configuredSelector;  // the spec.dkim.selectors[] entry it was made for
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  DkimKeyPhase phase = DkimKeyPhase::kPending;
  // RFC 3339; "" : not (yet) reached.
  std::string createdAt, publishedAt, activatedAt, retiringAt, revokedAt;
  std::string secretName;
  bool operator==(const DkimKeyStatus&) const = default;
};

struct MailDomainStatus {
  int64_t observedGeneration = 0;
  std::vector<kube::Condition> conditions;
  std::vector<StatusRecord> records;
  std::vector<IpCheck> checks;
  std::vector<DkimKeyStatus> dkimKeys;
  std::string spf, dkim, dmarc, ptr;  // printer columns: Pass, Fail, Pending, Unknown
  bool operator==(const MailDomainStatus&) const = default;
};

struct MailDomain {
  static constexpr const char* kKind = "MailDomain";
  static constexpr const char* kPlural = "maildomains";
  ObjectMeta metadata;
  MailDomainSpec spec;
  MailDomainStatus status;
  bool operator==(const MailDomain&) const = default;
};

void decodeFields(FieldReader& r, SecretKeyRef& v);
void encodeFields(FieldWriter& w, const SecretKeyRef& v);
void decodeFields(FieldReader& r, DnsProviderSpec& v);
void encodeFields(FieldWriter& w, const DnsProviderSpec& v);
void decodeFields(FieldReader& r, DkimSelectorSpec& v);
void encodeFields(FieldWriter& w, const DkimSelectorSpec& v);
void decodeFields(FieldReader& r, SpfSpec& v);
void encodeFields(FieldWriter& w, const SpfSpec& v);
void decodeFields(FieldReader& r, DmarcSpec& v);
void encodeFields(FieldWriter& w, const DmarcSpec& v);
void decodeFields(FieldReader& r, LocalObjectRef& v);
void encodeFields(FieldWriter& w, const LocalObjectRef& v);
void decodeFields(FieldReader& r, MailDomainSpec& v);
void encodeFields(FieldWriter& w, const MailDomainSpec& v);
void decodeFields(FieldReader& r, StatusRecord& v);
void encodeFields(FieldWriter& w, const StatusRecord& v);
void decodeFields(FieldReader& r, IpCheck& v);
void encodeFields(FieldWriter& w, const IpCheck& v);
void decodeFields(FieldReader& r, DkimKeyStatus& v);
void encodeFields(FieldWriter& w, const DkimKeyStatus& v);
void decodeFields(FieldReader& r, MailDomainStatus& v);
void encodeFields(FieldWriter& w, const MailDomainStatus& v);
void decodeFields(FieldReader& r, MailDomain& v);
void encodeFields(FieldWriter& w, const MailDomain& v);

// Checks the codec cannot express: selector names unique, keySize only with RSA, IP literals
// of the right family. Errors name the field path.
Result<void> validate(const MailDomainSpec& spec);

}  // namespace mailroom::api

namespace mailroom {
template <>
struct api::EnumNames<api::DnsProviderKind> {
  static constexpr std::pair<api::DnsProviderKind, const char*> values[] = {
      {api::DnsProviderKind::kPowerDns, "PowerDNS"},
      {api::DnsProviderKind::kRfc2136, "RFC2136"},
      {api::DnsProviderKind::kCloudflare, "Cloudflare"},
      {api::DnsProviderKind::kRoute53, "Route53"},
      {api::DnsProviderKind::kWebhook, "Webhook"}};
};
template <>
struct api::EnumNames<api::TsigAlgorithm> {
  static constexpr std::pair<api::TsigAlgorithm, const char*> values[] = {
      {api::TsigAlgorithm::kHmacSha256, "hmac-sha256"},
      {api::TsigAlgorithm::kHmacSha384, "hmac-sha384"},
      {api::TsigAlgorithm::kHmacSha512, "hmac-sha512"},
      {api::TsigAlgorithm::kHmacSha1, "hmac-sha1"}};
};
template <>
struct api::EnumNames<dkim::Algorithm> {
  static constexpr std::pair<dkim::Algorithm, const char*> values[] = {
      {dkim::Algorithm::kRsaSha256, "rsa-sha256"},
      {dkim::Algorithm::kEd25519Sha256, "ed25519-sha256"}};
};
template <>
struct api::EnumNames<api::DkimKeyPhase> {
  static constexpr std::pair<api::DkimKeyPhase, const char*> values[] = {
      {api::DkimKeyPhase::kPending, "Pending"},
      {api::DkimKeyPhase::kPublished, "Published"},
      {api::DkimKeyPhase::kActive, "Active"},
      {api::DkimKeyPhase::kRetiring, "Retiring"},
      {api::DkimKeyPhase::kRevoked, "Revoked"}};
};
// The CRD spells the SPF policy as the final all term.
template <>
struct api::EnumNames<spf::Qualifier> {
  static constexpr std::pair<spf::Qualifier, const char*> values[] = {
      {spf::Qualifier::kSoftFail, "~all"}, {spf::Qualifier::kFail, "-all"}};
};
template <>
struct api::EnumNames<dmarc::Policy> {
  static constexpr std::pair<dmarc::Policy, const char*> values[] = {
      {dmarc::Policy::kNone, "none"},
      {dmarc::Policy::kQuarantine, "quarantine"},
      {dmarc::Policy::kReject, "reject"}};
};
template <>
struct api::EnumNames<dmarc::AlignmentMode> {
  static constexpr std::pair<dmarc::AlignmentMode, const char*> values[] = {
      {dmarc::AlignmentMode::kRelaxed, "r"}, {dmarc::AlignmentMode::kStrict, "s"}};
};
}  // namespace mailroom
