// DKIM public keys in one comparable form, so "the published key equals the one we sign with"
// (RFC 6376 §3.6.1 p=, RFC 8463 §4 for Ed25519) does not depend on how either side spelled it:
// RSA keys become DER SubjectPublicKeyInfo (a bare PKCS#1 RSAPublicKey, which some records
// carry, is converted), Ed25519 keys their 32 raw bytes.
#pragma once

#include <string>
#include <string_view>

#include "lib/auth/dkim/key_record.h"
#include "lib/common/result.h"

namespace mailroom::health {

struct DkimKey {
  std::string keyType;  // "rsa" or "ed25519" (the k= spelling)
  std::string bytes;    // DER SubjectPublicKeyInfo (rsa) or 32 raw bytes (ed25519)
  int bits = 0;
  bool operator==(const DkimKey& o) const { return keyType == o.keyType && bytes == o.bytes; }
};

// What a user hands us as "the key that should be published": a PEM public key ("PUBLIC KEY",
// "RSA PUBLIC KEY"), a PEM private key (its public half: the signing key itself), DER
// SubjectPublicKeyInfo, a TXT value "v=DKIM1; k=...; p=..." or the base64 p= text alone.
// kInvalidArgument with a reason when it is none of those.
Result<DkimKey> parseExpectedKey(std::string_view input);

// The key a parsed record publishes (not revoked); kInvalidArgument when p= is not a key of
// the record's k= type.
Result<DkimKey> publishedKey(const dkim::KeyRecord& record);

}  // namespace mailroom::health
