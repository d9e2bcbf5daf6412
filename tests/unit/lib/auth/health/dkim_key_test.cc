#include "lib/auth/health/dkim_key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/key_record.h"
#include "tests/unit/lib/auth/health/test_keys.h"

namespace mailroom::health {
namespace {

std::string pem(const std::string& label, const std::string& der) {
  std::string b64 = dkim::base64Encode(der), out = "-----BEGIN " + label + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

// The bare PKCS#1 RSAPublicKey inside an RSA SubjectPublicKeyInfo.
std::string pkcs1(const std::string& spki) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  unsigned char* der = nullptr;
  int len = i2d_PublicKey(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

TEST(ParseExpectedKey, EveryRsaSpellingGivesTheSameKey) {
  const auto& k = testKeys();
  const std::string spki = k.rsa.publicKeyBytes();
  const std::string b64 = dkim::base64Encode(spki);
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"private PEM", k.rsaPem},
      {"public PEM", spkiPem(spki)},
      {"PKCS#1 PEM", pem("RSA PUBLIC KEY", pkcs1(spki))},
      {"DER", spki},
      {"record", dkim::renderKeyRecord(k.rsa)},
      {"p= base64 with whitespace", "  " + b64.substr(0, 40) + "\n " + b64.substr(40) + "\n"},
      {"p= of bare PKCS#1", dkim::base64Encode(pkcs1(spki))},
  };
  for (const auto& [what, input] : inputs) {
    auto key = parseExpectedKey(input);
    ASSERT_TRUE(key.ok()) << what << ": " << key.error().message;
    EXPECT_EQ(key->keyType, "rsa") << what;
    EXPECT_EQ(key->bits, 2048) << what;
    EXPECT_EQ(key->bytes, spki) << what;  // canonical: SubjectPublicKeyInfo
  }
}

TEST(ParseExpectedKey, Ed25519IsThe32RawBytes) {
  const auto& k = testKeys();
  const std::string raw = k.ed25519.publicKeyBytes();
  ASSERT_EQ(raw.size(), 32u);
  for (const std::string& input :
       {k.ed25519Pem, dkim::renderKeyRecord(k.ed25519), dkim::base64Encode(raw)}) {
    auto key = parseExpectedKey(input);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(key->keyType, "ed25519");
    EXPECT_EQ(key->bytes, raw);
  }
}

TEST(ParseExpectedKey, RejectsWhatIsNoKey) {
  EXPECT_FALSE(parseExpectedKey("").ok());
  EXPECT_FALSE(parseExpectedKey("   \n").ok());
  EXPECT_FALSE(parseExpectedKey("not a key at all!").ok());
  EXPECT_FALSE(parseExpectedKey(dkim::base64Encode("sixteen bytes..!")).ok());
  EXPECT_FALSE(
      parseExpectedKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").ok());
  auto revoked = parseExpectedKey("v=DKIM1; k=rsa; p=");
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);
}

TEST(PublishedKey, ChecksTheKeyAgainstK) {
  const auto& k = testKeys();
  dkim::KeyRecord rec;
  rec.keyType = "ed25519";
  rec.publicKey = k.ed25519.publicKeyBytes().substr(0, 31);
  EXPECT_FALSE(publishedKey(rec).ok());
  rec.keyType = "rsa";
  rec.publicKey = k.ed25519.publicKeyBytes();
  EXPECT_FALSE(publishedKey(rec).ok());
  rec.publicKey = k.rsa.publicKeyBytes();
  auto key = publishedKey(rec);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, *parseExpectedKey(k.rsaPem));
  EXPECT_FALSE(*key == *parseExpectedKey(k.ed25519Pem));
}

}  // namespace
}  // namespace mailroom::health
