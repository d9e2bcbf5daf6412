#include "lib/auth/health/dkim_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>

#include "lib/auth/dkim/base64.h"

namespace mailroom::health {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The comparable form of any RSA or Ed25519 EVP_PKEY.
Result<DkimKey> canonical(EVP_PKEY* key) {
  DkimKey out;
  out.bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "ED25519")) {
    out.keyType = "ed25519";
    size_t len = 32;
    out.bytes.resize(len);
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.bytes.data()),
                                    &len) != 1 ||
        len != 32) {
      ERR_clear_error();
      return Error::invalidArgument("cannot read the Ed25519 public key");
    }
    return out;
  }
  if (!EVP_PKEY_is_a(key, "RSA")) {
    return Error::invalidArgument("not an RSA or Ed25519 key (DKIM knows only those)");
  }
  out.keyType = "rsa";
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    ERR_clear_error();
    return Error::invalidArgument("cannot encode the RSA public key");
  }
  out.bytes.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// DER SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey.
Pkey fromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) {
    p = reinterpret_cast<const unsigned char*>(der.data());
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  }
  ERR_clear_error();
  return key;
}

Pkey fromPem(std::string_view pem) {
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return key;
  }
  // "PUBLIC KEY" (SPKI) and "RSA PUBLIC KEY" (PKCS#1) differ only in the DER inside; fromDer
  // reads both, so take the base64 between the armor lines.
  auto begin = pem.find("-----BEGIN ");
  auto bodyStart = pem.find('\n', begin);
  auto end = pem.find("-----END ", begin);
  if (bodyStart == std::string_view::npos || end == std::string_view::npos || end < bodyStart) {
    return nullptr;
  }
  auto der = dkim::base64Decode(pem.substr(bodyStart + 1, end - bodyStart - 1));
  if (!der) return nullptr;
  return fromDer(*der);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<DkimKey> publishedKey(const dkim::KeyRecord& record) {
  if (record.revoked || record.publicKey.empty()) {
    return Error::invalidArgument("p= is empty: the key is revoked");
  }
  if (record.keyType == "ed25519") {
    if (record.publicKey.size() != 32) {
      return Error::invalidArgument("k=ed25519 but p= is " +
                                    std::to_string(record.publicKey.size()) +
                                    " bytes, not 32 (RFC 8463 §4)");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(record.publicKey.data());
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, 32));
    ERR_clear_error();
    if (!key) return Error::invalidArgument("p= is not an Ed25519 public key");
    return canonical(key.get());
  }
  Pkey key = fromDer(record.publicKey);
  if (!key || !EVP_PKEY_is_a(key.get(), "RSA")) {
    return Error::invalidArgument("k=rsa but p= is not an RSA public key");
  }
  return canonical(key.get());
}

Result<DkimKey> parseExpectedKey(std::string_view input) {
  std::string_view text = trim(input);
  if (text.empty()) return Error::invalidArgument("the expected DKIM key is empty");
  if (text.find("-----BEGIN ") != std::string_view::npos) {
    Pkey key = fromPem(text);
    if (!key) return Error::invalidArgument("cannot read the PEM key");
    return canonical(key.get());
  }
  // Binary DER (a file written by openssl ... -outform DER) starts with a SEQUENCE tag.
  if (static_cast<unsigned char>(text.front()) == 0x30) {
    Pkey key = fromDer(input);
    if (key) return canonical(key.get());
  }
  // A whole record value: reuse the record parser, which knows k= and p=. Base64 never holds
  // ';', and a record without one is a lone tag.
  if (text.find(';') != std::string_view::npos || text.starts_with("v=") ||
      text.starts_with("p=") || text.starts_with("k=")) {
    auto rec = dkim::parseKeyRecord(text);
    if (!rec) return Error::invalidArgument(rec.error().message);
    return publishedKey(*rec);
  }
  // The base64 p= text alone: 32 bytes are Ed25519 (RFC 8463 §4), anything else RSA.
  auto bytes = dkim::base64Decode(text);
  if (!bytes) {
    return Error::invalidArgument("not a PEM key, DER key, DKIM record or base64 p= value (" +
                                  bytes.error().message + ")");
  }
  dkim::KeyRecord rec;
  rec.keyType = bytes->size() == 32 ? "ed25519" : "rsa";
  rec.publicKey = std::move(*bytes);
  return publishedKey(rec);
}

}  // namespace mailroom::health
