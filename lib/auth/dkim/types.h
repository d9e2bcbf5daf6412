// DKIM vocabulary shared by signing and verification: the signature algorithms of RFC 6376
// §3.3 (rsa-sha256) and RFC 8463 §3 (ed25519-sha256), and the canonicalizations of §3.4.
// rsa-sha1 is deliberately absent: RFC 8301 §3.1 forbids signing with it and forbids verifiers
// from treating it as valid, so it only ever appears as an "unsupported algorithm" error.
#pragma once

#include <optional>
#include <string_view>

namespace mailroom::dkim {

enum class Algorithm { kRsaSha256, kEd25519Sha256 };

// "rsa-sha256" / "ed25519-sha256" (the a= spelling).
const char* algorithmName(Algorithm a);
// The k= key type an algorithm needs: "rsa" / "ed25519".
const char* keyTypeName(Algorithm a);
std::optional<Algorithm> parseAlgorithm(std::string_view name);

enum class Canon { kSimple, kRelaxed };

const char* canonName(Canon c);

// c= header/body; RFC 6376 §3.5 defaults to simple/simple when c= is absent, but signers here
// default to relaxed/relaxed, which survives the whitespace changes MTAs make.
struct Canonicalization {
  Canon header = Canon::kRelaxed;
  Canon body = Canon::kRelaxed;
  bool operator==(const Canonicalization&) const = default;
};

}  // namespace mailroom::dkim
