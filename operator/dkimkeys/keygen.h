// DKIM key generation for the keys the operator owns (issue #9): RSA (RFC 6376 §3.3.1; 2048 bits
// unless the selector's keySize says otherwise; lib/auth/dkim refuses to make signing keys under
// 2048 bits, RFC 8301 §3.2's SHOULD, so a keySize of 1024 is an error here) or Ed25519
// (RFC 8463), through lib/auth/dkim's OpenSSL 3 EVP key type. The private key is stored as PKCS#8
// PEM; the public half is published as the TXT value lib/auth/dkim renders (the one renderer of key
// records).
#pragma once

#include <optional>
#include <string>

#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"

namespace mailroom::dkimkeys {

struct GeneratedKey {
  dkim::Algorithm algorithm = dkim::Algorithm::kRsaSha256;
  int bits = 0;            // RSA modulus size; 256 for Ed25519
  std::string privatePem;  // PKCS#8 "PRIVATE KEY"
  std::string txtValue;    // "v=DKIM1; k=rsa; p=..." (one string; split at publication)
};

// rsaBits: the selector's keySize (unset: 2048); must be unset for Ed25519.
Result<GeneratedKey> generateKey(dkim::Algorithm algorithm, std::optional<int> rsaBits);

// The TXT value for a stored private key, and its algorithm and size (a key read back from its
// Secret is described by the key itself, not by what its annotations claim).
Result<GeneratedKey> describeKey(const std::string& privatePem);

}  // namespace mailroom::dkimkeys
