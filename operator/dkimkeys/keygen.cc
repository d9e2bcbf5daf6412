#include "operator/dkimkeys/keygen.h"

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"

namespace mailroom::dkimkeys {
namespace {

GeneratedKey describe(const dkim::PrivateKey& key) {
  return {key.algorithm(), key.bits(), key.toPem(), dkim::renderKeyRecord(key)};
}

}  // namespace

Result<GeneratedKey> generateKey(dkim::Algorithm algorithm, std::optional<int> rsaBits) {
  if (algorithm == dkim::Algorithm::kEd25519Sha256 && rsaBits)
    return Error::invalidArgument("keySize: only for rsa-sha256 (Ed25519 keys have one size)");
  auto key = dkim::PrivateKey::generate(algorithm, rsaBits.value_or(dkim::kDefaultRsaBits));
  if (!key && key.error().kind == ErrorKind::kInvalidArgument)
    return Error::invalidArgument("keySize: " + key.error().message);
  if (!key) return key.error();
  return describe(*key);
}

Result<GeneratedKey> describeKey(const std::string& privatePem) {
  auto key = dkim::PrivateKey::fromPem(privatePem);
  if (!key) return key.error();
  GeneratedKey out = describe(*key);
  // Keep the stored bytes: re-encoding could differ (PKCS#1 in, PKCS#8 out) and would make a
  // comparison with the Secret see a change that is not there.
  out.privatePem = privatePem;
  return out;
}

}  // namespace mailroom::dkimkeys
