// The sidecar config of one namespace, rendered from its Transports (pure): each Transport
// becomes one transport of lib/sidecarconfig's model with the same field names, the active DKIM
// keys of the namespace's MailDomains become dkim.keys (files as the injected sidecar mounts
// them), and what the sidecar cannot run or the user should know becomes a problem attached to
// the Transport it concerns:
// - an error excludes that Transport from the config (its ConfigRendered is False), so one bad
//   Transport never takes the namespace's mail down;
// - a warning keeps it (e.g. two Transports claiming one pattern at one priority: the lowest
//   name wins, the sidecar's documented tie rule, and both are told).
// The YAML is lib/sidecarconfig's render(), so the operator writes exactly what the sidecar
// parses.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lib/sidecarconfig/config.h"
#include "operator/api/v1alpha1/transport.h"

namespace mailroom::controllers {

// Where the injected sidecar finds what the operator renders (docs/injection.md).
struct SidecarPaths {
  // <selector>._domainkey.<domain>.pem, from the namespace's Secret mailroom-sidecar-dkim
  std::filesystem::path dkimDir = "/etc/mailroom/dkim";
  std::filesystem::path relayDir = "/etc/mailroom/relay";  // <transport>/<key>
  std::filesystem::path spoolDir = "/var/spool/mailroom";
};

// An active signing key of a MailDomain in the namespace.
struct ActiveDkimKey {
  std::string domain, selector, algorithm;  // algorithm: rsa-sha256 | ed25519-sha256
  bool operator==(const ActiveDkimKey&) const = default;
};
// The file (and Secret key) a signing key is mounted as: "<selector>._domainkey.<domain>.pem".
std::string dkimKeyFileName(const ActiveDkimKey& key);

struct RenderProblem {
  std::string transport;  // the Transport's name
  bool error = false;     // true: excluded from the config
  std::string reason;     // CamelCase condition reason
  std::string message;
  bool operator==(const RenderProblem&) const = default;
};

struct RenderedConfig {
  sidecarconfig::SidecarConfig config;
  std::vector<RenderProblem> problems;
  std::string yaml;  // sidecarconfig::render(config); "" when no Transport could be rendered
  // The problems of one Transport.
  std::vector<RenderProblem> problemsOf(const std::string& transport) const;
};

RenderedConfig renderSidecarConfig(const std::vector<api::Transport>& transports,
                                   const std::vector<ActiveDkimKey>& keys,
                                   const SidecarPaths& paths = {});

}  // namespace mailroom::controllers
