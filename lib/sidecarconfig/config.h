// The sidecar's configuration (docs/config.md): one versioned YAML document,
// `apiVersion: mailroom.dev/v1alpha1`, `kind: SidecarConfig`. The operator renders it from
// Transport resources (render.h), the sidecar parses it (parse.h), and a person may write it by
// hand to run the sidecar outside Kubernetes. Field names are the Transport CRD's
// (crds/mailroom.dev_transports.yaml): a transport here is one Transport's spec plus its name.
//
// The model holds what the file says, nothing derived: defaults that depend on other fields (the
// EHLO name, a nextHop's port, a transport without routes) are resolved by the queries below,
// so parse(render(c)) == c for every valid config.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/common/address_family.h"
#include "lib/common/tls_policy.h"

namespace mailroom::sidecarconfig {

// Straight to each recipient domain's MX hosts (the CRD's spec.direct).
struct DirectTransport {
  FamilyPolicy family;                        // addressFamily + preferredFamily
  std::vector<std::string> sourceAddresses;   // at most one per family
  std::string ehloHostname;                   // "": the config's hostname
  TlsPolicy tls = TlsPolicy::kOpportunistic;  // none | opportunistic | required
  uint16_t port = 25;
  // Config-file only (tests, standalone): deliver every message to this host instead of the MX
  // hosts, like Postfix's "smtp:[host]:port": "[mx.example.net]", "[198.51.100.25]:2525".
  std::string nextHop;
  // With both families: after a reverse-DNS rejection over one family at a destination, try the
  // other family first there for this long (unset: 24 h; 0: never learn).
  std::optional<std::chrono::seconds> rememberRejectedFamily;

  // The port delivery connects to: nextHop's, else `port`.
  uint16_t connectPort() const;
  // The source address to bind for a family ("" when none is configured).
  std::string sourceFor(AddressFamily family) const;
  bool operator==(const DirectTransport&) const = default;
};

// SMTP AUTH credentials: files holding the mounted Secret's keys (the Secret itself stays out of
// the config, which lives in a ConfigMap).
struct RelayCredentials {
  std::filesystem::path usernameFile;
  std::filesystem::path passwordFile;
  bool operator==(const RelayCredentials&) const = default;
};

// Everything to one smarthost over submission (the CRD's spec.relay). TLS is always required.
struct RelayTransport {
  std::string host;
  uint16_t port = 587;
  TlsPolicy tls = TlsPolicy::kRequired;         // kRequired ("starttls") or kImplicit ("implicit")
  std::optional<RelayCredentials> credentials;  // unset: no AUTH
  std::filesystem::path caFile;                 // config-file only; "": the system trust store
  bool operator==(const RelayTransport&) const = default;
};

// Destination domains a transport serves (the CRD's spec.routes[]).
struct Route {
  std::vector<std::string> domains;  // destination patterns (destination.h), lower case
  int priority = 0;                  // 0–1000
  bool operator==(const Route&) const = default;
};

// Limits towards destinations matching one pattern (the CRD's spec.limits.perDestination[]).
struct DestinationLimits {
  std::string domain;  // destination pattern; "*" is the default for every other domain
  std::optional<int> messagesPerMinute;
  std::optional<int> maxConnections;
  std::optional<int> deliveriesPerConnection;
  // RCPTs in one mail transaction; the rest go in the next transaction at once (RFC 5321
  // §4.5.3.1.8 lets a server stop at 100; Postfix's smtpd_recipient_limit is 1000).
  std::optional<int> maxRecipientsPerTransaction;
  bool operator==(const DestinationLimits&) const = default;
};
inline constexpr int kDefaultDeliveriesPerConnection = 100;
// Postfix's default_destination_recipient_limit: what a sender meets nowhere as too many.
inline constexpr int kDefaultMaxRecipientsPerTransaction = 50;

struct WarmupDay {
  int day = 1;  // 1 = the first day
  int64_t messagesPerDay = 0;
  bool operator==(const WarmupDay&) const = default;
};

// Automatic pause when too much bounces (the CRD's spec.pause).
struct Pause {
  int bounceRateThresholdBasisPoints = 0;  // hundredths of a percent: "2.5%" is 250
  std::chrono::milliseconds window{std::chrono::hours(1)};
  int minMessages = 100;
  bool operator==(const Pause&) const = default;
};

// A reply that speaks for the whole destination (the CRD's spec.responseRules[]; matched and
// acted on by sidecar/policy/response_rules.h). A rule here goes before the built-in table; one
// named like a built-in rule replaces it, and `action: none` turns that one off.
struct ResponseRule {
  std::string name;
  std::vector<int> codes;  // reply codes; empty: any
  std::string enhanced;    // "4.7.28"; "": any
  std::string text;        // ECMAScript regex searched case-insensitively; "": any
  std::string mxSuffix;    // the MX host ends with this label suffix; "": any
  std::string action;  // defer-destination | reduce-rate | pause | switch-family | bounce | none
  std::chrono::seconds duration{0};
  bool operator==(const ResponseRule&) const = default;
};

struct Retry {
  std::chrono::seconds initialBackoff{300};                     // Postfix minimal_backoff_time
  std::chrono::seconds maxBackoff{4000};                        // Postfix maximal_backoff_time
  std::chrono::seconds queueLifetime{std::chrono::hours(120)};  // Postfix maximal_queue_lifetime
  bool operator==(const Retry&) const = default;
};

struct Transport {
  std::string name;
  std::variant<DirectTransport, RelayTransport> mode;  // the CRD's mode: direct | relay
  std::vector<Route> routes;                           // empty: every domain ("*" at priority 0)
  std::vector<DestinationLimits> perDestination;       // limits.perDestination, unique by domain
  std::vector<WarmupDay> warmup;  // warmup.schedule, unique by day; empty: none
  std::optional<Pause> pause;
  std::vector<ResponseRule> responseRules;  // unique by name
  Retry retry;

  const DirectTransport* direct() const { return std::get_if<DirectTransport>(&mode); }
  const RelayTransport* relay() const { return std::get_if<RelayTransport>(&mode); }
  bool operator==(const Transport&) const = default;
};

struct Delivery {
  int concurrency = 20;  // simultaneous SMTP sessions, all transports and destinations
  bool operator==(const Delivery&) const = default;
};

struct DkimKey {
  std::string domain;
  std::string selector;
  std::string algorithm;  // rsa-sha256 | ed25519-sha256
  std::string keyFile;    // PEM (PKCS#1/PKCS#8) or base64 Ed25519 seed
  bool operator==(const DkimKey&) const = default;
};

struct Dkim {
  std::vector<DkimKey> keys;
  bool required = false;  // refuse messages whose From domain has no key
  bool operator==(const Dkim&) const = default;
};

struct SidecarConfig {
  std::vector<std::string> grpcListen{"127.0.0.1:7587"};  // "ip:port", "[::1]:port", "unix:/path"
  std::string metricsListen = "127.0.0.1:9587";           // "" disables the metrics endpoint
  // listen.exposeMetrics: lets metricsListen be a non-loopback address (the pod IP, 0.0.0.0,
  // ::) so that the kubelet's HTTP probes and Prometheus, which reach a pod on its pod IP, can
  // use it. That listener serves only /metrics, /healthz and /readyz; gRPC stays loopback-only.
  bool exposeMetrics = false;
  std::filesystem::path spoolDirectory = "/var/spool/mailroom";
  uint64_t maxMessageBytes = 26214400;
  std::string hostname;                // default EHLO name and Message-ID domain (required)
  std::vector<std::string> resolvers;  // "ip" or "ip:port" / "[v6]:port"; empty: /etc/resolv.conf
  std::chrono::milliseconds dnsTimeout{5000};
  int dnsTries = 3;
  Delivery delivery;
  Dkim dkim;
  std::vector<Transport> transports;  // unique by name, at least one

  const Transport* transport(std::string_view name) const;
  bool operator==(const SidecarConfig&) const = default;
};

// The transport for a recipient domain: the most specific route pattern wins (exact >
// longest "*.suffix" > "*", destination.h); when several transports claim that same pattern, the
// highest priority wins, then the lowest name (the CRD's rule). A transport without routes
// claims "*" at priority 0. nullptr when nothing matches (the message bounces: no route).
const Transport* routeFor(const SidecarConfig& config, std::string_view domain);

// The transport's perDestination entry for a domain (the most specific pattern), or nullptr.
const DestinationLimits* limitsFor(const Transport& transport, std::string_view domain);

// The EHLO name a direct transport sends.
const std::string& ehloName(const SidecarConfig& config, const DirectTransport& direct);

}  // namespace mailroom::sidecarconfig
