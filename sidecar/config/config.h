// The sidecar's configuration file (docs/config.md): one versioned YAML document,
// `apiVersion: mailroom.dev/v1alpha1`, `kind: SidecarConfig`. The operator renders it from
// Transport resources; a person writes it by hand to run the sidecar outside Kubernetes.
// Parsing is strict (unknown keys are errors) and every error names the field and its line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/address_family.h"
#include "lib/common/result.h"
#include "lib/common/tls_policy.h"

namespace mailroom::config {

struct DirectTransport {
  FamilyPolicy family;                       // addressFamily (unset only: Any) + preferredFamily
  std::vector<std::string> sourceAddresses;  // at most one per family
  std::string ehloHostname;                  // default: the top-level hostname
  TlsPolicy tls = TlsPolicy::kOpportunistic;
  uint16_t port = 25;
  // Deliver every message to this host instead of the recipient domain's MX hosts, like
  // Postfix's "smtp:[host]:port": "[mx.example.net]", "[198.51.100.25]:2525". Empty: MX lookup.
  std::string nextHop;
};

struct Transport {
  std::string name;
  DirectTransport direct;
  // Source address to bind for a family, if configured ("" when none).
  std::string sourceFor(AddressFamily family) const;
};

struct Route {
  std::vector<std::string> domains;  // "example.net", "*.example.org" (subdomains), "*"
  std::string transport;
};

struct Retry {
  std::chrono::seconds initialBackoff{300};                     // Postfix minimal_backoff_time
  std::chrono::seconds maxBackoff{4000};                        // Postfix maximal_backoff_time
  std::chrono::seconds queueLifetime{std::chrono::hours(120)};  // Postfix maximal_queue_lifetime
};

struct Delivery {
  int concurrency = 20;                // simultaneous SMTP sessions, all destinations
  int connectionsPerDestination = 10;  // simultaneous sessions to one destination domain
  int messagesPerConnection = 100;     // transactions before a session is closed
};

struct DkimKey {
  std::string domain;
  std::string selector;
  std::string algorithm;  // rsa-sha256 | ed25519-sha256
  std::string keyFile;    // PEM (PKCS#1/PKCS#8) or base64 Ed25519 seed
};

struct Dkim {
  std::vector<DkimKey> keys;
  bool required = false;  // refuse messages whose From domain has no key
};

struct SidecarConfig {
  std::vector<std::string> grpcListen{"127.0.0.1:7587"};  // "ip:port", "[::1]:port", "unix:/path"
  std::string metricsListen = "127.0.0.1:9587";           // "" disables the metrics endpoint
  std::filesystem::path spoolDirectory = "/var/spool/mailroom";
  uint64_t maxMessageBytes = 26214400;
  std::string hostname;                // default EHLO name and Message-ID domain (required)
  std::vector<std::string> resolvers;  // "ip" or "ip:port" / "[v6]:port"; empty: /etc/resolv.conf
  std::chrono::milliseconds dnsTimeout{5000};
  int dnsTries = 3;
  Retry retry;
  Delivery delivery;
  Dkim dkim;
  std::vector<Transport> transports;
  std::vector<Route> routes;

  const Transport* transport(std::string_view name) const;
};

// Parses a YAML document; sourceName prefixes error messages ("sidecar.yaml:12: ...").
Result<SidecarConfig> parseConfig(std::string_view yaml, std::string_view sourceName = "config");
Result<SidecarConfig> loadConfig(const std::filesystem::path& path);

// The transport for a recipient domain: an exact domain beats the longest "*.suffix" match,
// which beats "*". nullptr when no route matches (the message is bounced: no route).
const Transport* routeFor(const SidecarConfig& config, std::string_view domain);

struct NextHop {
  std::string host;  // a name or an IP address (IPv6 without brackets)
  uint16_t port = 25;
};
// "[host]" or "[host]:port" (brackets as in Postfix: no MX lookup).
std::optional<NextHop> parseNextHop(std::string_view text, uint16_t defaultPort);

// "90s", "5m", "1h30m", "120h", "250ms" (Go duration syntax without fractions).
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

// True when a listen address is loopback or a Unix socket (the only binds the sidecar allows).
bool isLoopbackListen(std::string_view listen);

}  // namespace mailroom::config
