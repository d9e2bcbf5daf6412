// Generated keys sign, and lib/auth/dkim verifies the signature against the TXT value generated
// with the key; the RSA size follows keySize.
#include "operator/dkimkeys/keygen.h"

#include <gtest/gtest.h>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/sign.h"
#include "lib/auth/dkim/verify.h"
#include "tests/mocks/fake_resolver.h"

namespace mailroom::dkimkeys {
namespace {

using dkim::Algorithm;

constexpr std::string_view kMessage =
    "From: Joe <joe@example.com>\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nHello.\r\n";
const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1795000000)};

dkim::Verdict signAndVerify(const GeneratedKey& key, const std::string& txtValue) {
  auto priv = dkim::PrivateKey::fromPem(key.privatePem);
  EXPECT_TRUE(priv.ok());
  auto signer = dkim::DkimSigner::create(
      {{"example.com", "sel", key.algorithm, std::make_shared<dkim::LocalSigner>(*priv)}});
  EXPECT_TRUE(signer.ok());
  auto fields = signer->signatureHeaders(kMessage, "example.com", kNow);
  EXPECT_TRUE(fields.ok());
  testing::FakeResolver resolver;
  resolver.addTxt("sel._domainkey.example.com", txtValue);
  auto verdicts =
      testing::runTask(dkim::verifyMessage(resolver, *fields + std::string(kMessage), {kNow}));
  EXPECT_EQ(verdicts.size(), 1u);
  return verdicts.empty() ? dkim::Verdict{} : verdicts.front();
}

TEST(GenerateKey, RsaDefaultIs2048AndVerifiesAgainstItsOwnRecord) {
  auto key = generateKey(Algorithm::kRsaSha256, std::nullopt);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->bits, 2048);
  EXPECT_NE(key->privatePem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);  // PKCS#8
  EXPECT_EQ(key->txtValue.rfind("v=DKIM1; k=rsa; p=", 0), 0u);
  EXPECT_GT(key->txtValue.size(), 255u);  // published as several strings
  auto verdict = signAndVerify(*key, key->txtValue);
  EXPECT_EQ(verdict.status, dkim::Status::kPass) << verdict.detail;
  EXPECT_EQ(verdict.keyBits, 2048);
}

TEST(GenerateKey, RsaKeySizeIsHonoured) {
  auto key = generateKey(Algorithm::kRsaSha256, 3072);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->bits, 3072);
  EXPECT_EQ(signAndVerify(*key, key->txtValue).keyBits, 3072);
}

TEST(GenerateKey, Ed25519VerifiesAgainstItsOwnRecord) {
  auto key = generateKey(Algorithm::kEd25519Sha256, std::nullopt);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->txtValue.rfind("v=DKIM1; k=ed25519; p=", 0), 0u);
  EXPECT_LT(key->txtValue.size(), 255u);
  auto verdict = signAndVerify(*key, key->txtValue);
  EXPECT_EQ(verdict.status, dkim::Status::kPass) << verdict.detail;
}

TEST(GenerateKey, AnotherKeysRecordDoesNotVerify) {
  auto a = generateKey(Algorithm::kEd25519Sha256, std::nullopt);
  auto b = generateKey(Algorithm::kEd25519Sha256, std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->txtValue, b->txtValue);
  EXPECT_EQ(signAndVerify(*a, b->txtValue).status, dkim::Status::kFail);
}

TEST(GenerateKey, ErrorsNameKeySize) {
  auto small = generateKey(Algorithm::kRsaSha256, 1024);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(small.error().message.rfind("keySize: ", 0), 0u) << small.error().message;
  auto ed = generateKey(Algorithm::kEd25519Sha256, 2048);
  ASSERT_FALSE(ed.ok());
  EXPECT_EQ(ed.error().message.rfind("keySize: ", 0), 0u);
}

TEST(DescribeKey, ReadsBackAlgorithmSizeAndRecordKeepingThePem) {
  auto key = generateKey(Algorithm::kRsaSha256, std::nullopt);
  ASSERT_TRUE(key.ok());
  auto described = describeKey(key->privatePem);
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->algorithm, Algorithm::kRsaSha256);
  EXPECT_EQ(described->bits, 2048);
  EXPECT_EQ(described->txtValue, key->txtValue);
  EXPECT_EQ(described->privatePem, key->privatePem);
  EXPECT_FALSE(describeKey("not a key").ok());
}

}  // namespace
}  // namespace mailroom::dkimkeys
