// DKIM key material through OpenSSL 3 EVP only: RSA (RFC 6376 §3.3.1, PKCS#1 v1.5 over SHA-256)
// and Ed25519 (RFC 8463 §3: PureEdDSA over the SHA-256 hash of the canonical header data).
//
// The private-key operation sits behind Signer, which takes only the 32-byte SHA-256 digest
// of the data to sign and returns signature bytes. Everything else in the signing path works
// without key material, so the key can later move to a separate, minimal process (the
// OpenSMTPD ca.c idea) by implementing Signer over a pipe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace mailroom::dkim {

constexpr int kDefaultRsaBits = 2048;
// RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits; signers use >= 2048.
constexpr int kMinVerifyRsaBits = 1024;
constexpr int kMinSignRsaBits = 2048;

std::string sha256(std::string_view data);

// Incremental SHA-256 (the header and body hashes are fed piecewise).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string finish();      // 32 raw bytes
  void finish(char* out32);  // the same into out32[0, 32)
  void reset();              // start a new hash (reuses the context: no allocation)

 private:
  EVP_MD_CTX* ctx_;
};

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class PrivateKey {
 public:
  // PEM "RSA PRIVATE KEY" (PKCS#1) or "PRIVATE KEY" (PKCS#8, RSA or Ed25519).
  static Result<PrivateKey> fromPem(std::string_view pem);
  // Base64 of a raw 32-byte Ed25519 seed (RFC 8032 §5.1.5 secret key; dkimpy's key format).
  static Result<PrivateKey> fromEd25519Seed(std::string_view base64Seed);
  // A fresh key: RSA with rsaBits (>= 2048) or Ed25519.
  static Result<PrivateKey> generate(Algorithm algorithm, int rsaBits = kDefaultRsaBits);

  Algorithm algorithm() const { return algorithm_; }
  int bits() const;
  // p= bytes: DER SubjectPublicKeyInfo for RSA, the raw 32-byte key for Ed25519 (RFC 8463 §4).
  std::string publicKeyBytes() const;
  // PKCS#8 PEM, for storing a generated key (e.g. in a Kubernetes Secret).
  std::string toPem() const;
  // Signs a SHA-256 digest (32 bytes): RSASSA-PKCS1-v1_5 with DigestInfo, or Ed25519 over it.
  Result<std::string> signDigest(std::string_view digest) const;

 private:
  PrivateKey(PkeyPtr key, Algorithm a) : key_(std::move(key)), algorithm_(a) {}
  std::shared_ptr<EVP_PKEY> key_;
  Algorithm algorithm_;
};

class PublicKey {
 public:
  // From p= bytes for k=rsa (SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey as some
  // publish) or k=ed25519 (32 raw bytes).
  static Result<PublicKey> fromDnsKey(Algorithm algorithm, std::string_view bytes);
  int bits() const;
  Algorithm algorithm() const { return algorithm_; }
  // True when signature is valid for digest (32 bytes of SHA-256).
  bool verifyDigest(std::string_view digest, std::string_view signature) const;

 private:
  PublicKey(PkeyPtr key, Algorithm a) : key_(std::move(key)), algorithm_(a) {}
  std::shared_ptr<EVP_PKEY> key_;
  Algorithm algorithm_;
};

// The private-key operation: given the SHA-256 digest of the canonical header data, return the
// signature bytes for algorithm. Implementations must be safe to call from several threads.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Result<std::string> sign(Algorithm algorithm, std::string_view sha256Digest) = 0;
};

// A Signer holding the key in this process.
class LocalSigner : public Signer {
 public:
  explicit LocalSigner(PrivateKey key) : key_(std::move(key)) {}
  Result<std::string> sign(Algorithm algorithm, std::string_view sha256Digest) override;

 private:
  PrivateKey key_;
};

}  // namespace mailroom::dkim
