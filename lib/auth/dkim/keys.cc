#include "lib/auth/dkim/keys.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lib/auth/dkim/base64.h"

namespace mailroom::dkim {
namespace {

std::string opensslError(const char* what) {
  std::string out = what;
  unsigned long e = ERR_get_error();
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  void operator()(BIO* b) const { BIO_free(b); }
};

Result<Algorithm> algorithmOf(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return Algorithm::kRsaSha256;
  if (EVP_PKEY_is_a(key, "ED25519")) return Algorithm::kEd25519Sha256;
  return Error::invalidArgument("unsupported key type (want RSA or Ed25519)");
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* k) const {
  EVP_PKEY_free(k);
}

std::string sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

// Fetched once: EVP_sha256() makes every EVP_DigestInit_ex do a provider lookup (locks and a
// hash-table walk), which is a visible share of signing a small message.
const EVP_MD* sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md ? md : EVP_sha256();
}

namespace {
// One spare context per thread: a signature hashes twice per message, and a new context
// costs an allocation for it and another for the provider's state each time.
thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> spareSha256Ctx;
}  // namespace

Sha256::Sha256() {
  if (spareSha256Ctx) {
    ctx_ = spareSha256Ctx.release();
    EVP_DigestInit_ex2(ctx_, nullptr, nullptr);  // SHA-256 already: its provider state is reused
  } else {
    ctx_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex2(ctx_, sha256Md(), nullptr);
  }
}
Sha256::~Sha256() {
  if (spareSha256Ctx) {
    EVP_MD_CTX_free(ctx_);
  } else {
    spareSha256Ctx.reset(ctx_);
  }
}
void Sha256::reset() {
  EVP_DigestInit_ex2(ctx_, nullptr, nullptr);  // same digest, provider state reused
}
void Sha256::finish(char* out32) {
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out32), &len);
}
void Sha256::update(std::string_view data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}
std::string Sha256::finish() {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

Result<PrivateKey> PrivateKey::fromPem(std::string_view pem) {
  std::unique_ptr<BIO, CtxDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Error::invalidArgument(opensslError("cannot read PEM private key"));
  auto alg = algorithmOf(key.get());
  if (!alg) return alg.error();
  return PrivateKey(std::move(key), *alg);
}

Result<PrivateKey> PrivateKey::fromEd25519Seed(std::string_view base64Seed) {
  auto seed = base64Decode(base64Seed);
  if (!seed) return Error::invalidArgument("Ed25519 seed: " + seed.error().message);
  if (seed->size() != 32)
    return Error::invalidArgument("Ed25519 seed must be 32 bytes, got " +
                                  std::to_string(seed->size()));
  PkeyPtr key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed->data()), 32));
  if (!key) return Error::invalidArgument(opensslError("cannot load Ed25519 seed"));
  return PrivateKey(std::move(key), Algorithm::kEd25519Sha256);
}

Result<PrivateKey> PrivateKey::generate(Algorithm algorithm, int rsaBits) {
  EVP_PKEY* raw = nullptr;
  if (algorithm == Algorithm::kRsaSha256) {
    if (rsaBits < kMinSignRsaBits)
      return Error::invalidArgument("RSA signing keys need at least 2048 bits (RFC 8301 §3.2)");
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsaBits));
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (!raw) return Error::internal(opensslError("key generation failed"));
  return PrivateKey(PkeyPtr(raw), algorithm);
}

int PrivateKey::bits() const {
  return EVP_PKEY_get_bits(key_.get());
}

std::string PrivateKey::publicKeyBytes() const {
  if (algorithm_ == Algorithm::kEd25519Sha256) {
    std::string out(32, '\0');
    size_t len = out.size();
    EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()), &len);
    out.resize(len);
    return out;
  }
  int len = i2d_PUBKEY(key_.get(), nullptr);
  if (len <= 0) return {};
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_PUBKEY(key_.get(), &p);
  return out;
}

std::string PrivateKey::toPem() const {
  std::unique_ptr<BIO, CtxDeleter> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> PrivateKey::signDigest(std::string_view digest) const {
  if (digest.size() != 32) return Error::invalidArgument("expected a 32-byte SHA-256 digest");
  const auto* in = reinterpret_cast<const unsigned char*>(digest.data());
  if (algorithm_ == Algorithm::kEd25519Sha256) {
    // RFC 8463 §3: the Ed25519 input is the SHA-256 hash itself (PureEdDSA, no prehash mode).
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> md(EVP_MD_CTX_new());
    if (EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
      return Error::internal(opensslError("Ed25519 sign init"));
    std::string sig(64, '\0');
    size_t len = sig.size();
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                       digest.size()) != 1)
      return Error::internal(opensslError("Ed25519 sign"));
    sig.resize(len);
    return sig;
  }
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
    return Error::internal(opensslError("RSA sign init"));
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, in, digest.size()) != 1)
    return Error::internal(opensslError("RSA sign size"));
  std::string sig(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                    digest.size()) != 1)
    return Error::internal(opensslError("RSA sign"));
  sig.resize(len);
  return sig;
}

Result<PublicKey> PublicKey::fromDnsKey(Algorithm algorithm, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (algorithm == Algorithm::kEd25519Sha256) {
    if (bytes.size() != 32)
      return Error::invalidArgument("p=: Ed25519 key must be 32 bytes, got " +
                                    std::to_string(bytes.size()));
    PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, 32));
    if (!key) return Error::invalidArgument(opensslError("p=: bad Ed25519 key"));
    return PublicKey(std::move(key), algorithm);
  }
  const unsigned char* q = p;
  PkeyPtr key(d2i_PUBKEY(nullptr, &q, static_cast<long>(bytes.size())));
  if (!key) {
    ERR_clear_error();
    q = p;  // RFC 6376 §3.6.1 says "RSAPublicKey"; some records really carry PKCS#1.
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, static_cast<long>(bytes.size())));
  }
  if (!key) return Error::invalidArgument(opensslError("p=: not an RSA public key"));
  if (!EVP_PKEY_is_a(key.get(), "RSA"))
    return Error::invalidArgument("p=: key is not RSA although k=rsa");
  return PublicKey(std::move(key), algorithm);
}

int PublicKey::bits() const {
  return EVP_PKEY_get_bits(key_.get());
}

bool PublicKey::verifyDigest(std::string_view digest, std::string_view signature) const {
  const auto* in = reinterpret_cast<const unsigned char*>(digest.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  bool ok = false;
  if (algorithm_ == Algorithm::kEd25519Sha256) {
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> md(EVP_MD_CTX_new());
    ok = EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(md.get(), sig, signature.size(), in, digest.size()) == 1;
  } else {
    std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), sig, signature.size(), in, digest.size()) == 1;
  }
  ERR_clear_error();
  return ok;
}

Result<std::string> LocalSigner::sign(Algorithm algorithm, std::string_view sha256Digest) {
  if (algorithm != key_.algorithm())
    return Error::invalidArgument(std::string("signer holds a ") + keyTypeName(key_.algorithm()) +
                                  " key, asked for " + algorithmName(algorithm));
  return key_.signDigest(sha256Digest);
}

}  // namespace mailroom::dkim
