// Rendering the sidecar config as the YAML document parse.h reads: parseConfig(render(c)) == c
// for every valid config (the operator renders exactly what the sidecar parses). Deterministic:
// fields in a fixed order, every field with a default written out (the file shows what is in
// force), unset optional fields left out, strings double-quoted.
#pragma once

#include <string>

#include "lib/sidecarconfig/config.h"

namespace mailroom::sidecarconfig {

std::string render(const SidecarConfig& config);

// "1h6m40s", "250ms", "0s": the shortest Go duration parseDuration reads back as `d`.
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace mailroom::sidecarconfig
