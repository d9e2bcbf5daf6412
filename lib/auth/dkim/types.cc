#include "lib/auth/dkim/types.h"

#include <string>

namespace mailroom::dkim {

const char* algorithmName(Algorithm a) {
  return a == Algorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

const char* keyTypeName(Algorithm a) {
  return a == Algorithm::kRsaSha256 ? "rsa" : "ed25519";
}

std::optional<Algorithm> parseAlgorithm(std::string_view name) {
  // Algorithm names are compared case-insensitively in practice (dkimpy, OpenDKIM lower-case).
  std::string lower;
  for (char c : name) lower += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  if (lower == "rsa-sha256") return Algorithm::kRsaSha256;
  if (lower == "ed25519-sha256") return Algorithm::kEd25519Sha256;
  return std::nullopt;
}

const char* canonName(Canon c) {
  return c == Canon::kSimple ? "simple" : "relaxed";
}

}  // namespace mailroom::dkim
