// Parsing the sidecar config (config.h). Strict: an unknown or duplicated key, a wrong type or a
// bad value is an error naming the field's path and line ("sidecar.yaml:12:
// transports[0].direct.addressFamily: must be one of IPv4, IPv6, Any (got "IPv5")"). Fields that
// moved name their new place.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "lib/common/result.h"
#include "lib/sidecarconfig/config.h"

namespace mailroom::sidecarconfig {

// Parses a YAML document; sourceName prefixes error messages ("sidecar.yaml:12: ...").
Result<SidecarConfig> parseConfig(std::string_view yaml, std::string_view sourceName = "config");
Result<SidecarConfig> loadConfig(const std::filesystem::path& path);

struct NextHop {
  std::string host;  // a name or an IP address (IPv6 without brackets)
  uint16_t port = 25;
};
// "[host]" or "[host]:port" (brackets as in Postfix: no MX lookup).
std::optional<NextHop> parseNextHop(std::string_view text, uint16_t defaultPort);

// "90s", "5m", "1h30m", "120h", "250ms" (Go duration syntax without fractions).
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

// The CRD's bounceRateThreshold: "5", "5%", "2.5", "2.5%" (more than 0, at most 100, at most two
// decimals), in hundredths of a percent.
std::optional<int> parsePercentBasisPoints(std::string_view text);

// True when a listen address is loopback or a Unix socket (the only binds the sidecar allows).
bool isLoopbackListen(std::string_view listen);

}  // namespace mailroom::sidecarconfig
