// Keys shared by the health tests, generated once per process (RSA generation takes a moment).
#pragma once

#include <cstdlib>
#include <string>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"

namespace mailroom::health {

// PEM "PUBLIC KEY" armor around DER SubjectPublicKeyInfo bytes.
inline std::string spkiPem(const std::string& der) {
  std::string b64 = dkim::base64Encode(der), out = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END PUBLIC KEY-----\n";
}

struct TestKeys {
  dkim::PrivateKey rsa, ed25519;
  std::string rsaPem;      // the private key, as a signer has it
  std::string ed25519Pem;  // the private key
};

inline TestKeys makeTestKeys() {
  auto rsa = dkim::PrivateKey::generate(dkim::Algorithm::kRsaSha256, 2048);
  auto ed = dkim::PrivateKey::generate(dkim::Algorithm::kEd25519Sha256);
  if (!rsa || !ed) std::abort();  // OpenSSL cannot make keys: nothing below can be tested
  std::string rsaPem = rsa->toPem(), edPem = ed->toPem();
  return TestKeys{std::move(*rsa), std::move(*ed), std::move(rsaPem), std::move(edPem)};
}

inline const TestKeys& testKeys() {
  static const TestKeys keys = makeTestKeys();
  return keys;
}

}  // namespace mailroom::health
