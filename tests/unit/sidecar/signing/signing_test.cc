#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/verify.h"
#include "sidecar/signing/signing.h"
#include "tests/mocks/fake_resolver.h"

namespace mailroom::signing {
namespace {

namespace fs = std::filesystem;

const std::string kMessage =
    "From: App <app@example.com>\r\nTo: user@example.net\r\nSubject: hi\r\n"
    "Date: Tue, 24 Nov 2026 07:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n";

class SigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("signing_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a fresh key for selector to a file, publishes it in the fake DNS, returns its path.
  std::string newKey(dkim::Algorithm alg, const std::string& selector) {
    auto key = dkim::PrivateKey::generate(alg);
    EXPECT_TRUE(key.ok());
    auto path = (dir_ / (selector + ".pem")).string();
    std::ofstream(path) << key->toPem();
    resolver_.addTxt(selector + "._domainkey.example.com", dkim::renderKeyRecord(*key));
    return path;
  }

  std::vector<dkim::Verdict> verify(const std::string& signedMessage) {
    return testing::runTask(
        dkim::verifyMessage(resolver_, signedMessage, {std::chrono::system_clock::now()}));
  }

  fs::path dir_;
  testing::FakeResolver resolver_;
};

TEST_F(SigningTest, SignsWithRsaAndEd25519ThatVerify) {
  sidecarconfig::Dkim cfg;
  cfg.keys.push_back(
      {"example.com", "rsa1", "rsa-sha256", newKey(dkim::Algorithm::kRsaSha256, "rsa1")});
  cfg.keys.push_back(
      {"example.com", "ed1", "ed25519-sha256", newKey(dkim::Algorithm::kEd25519Sha256, "ed1")});
  auto signer = MessageSigner::create(cfg);
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  auto s = (*signer)->sign(kMessage, "example.com", std::chrono::system_clock::now());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->note,
            "signed: d=example.com s=rsa1 (rsa-sha256), d=example.com s=ed1 (ed25519-sha256)");
  auto verdicts = verify(s->headers + kMessage);
  ASSERT_EQ(verdicts.size(), 2u);
  for (const auto& v : verdicts) EXPECT_EQ(v.status, dkim::Status::kPass) << v.detail;
}

TEST_F(SigningTest, UnknownDomainUnsignedOrRefusedWhenRequired) {
  sidecarconfig::Dkim cfg;
  cfg.keys.push_back(
      {"example.com", "ed1", "ed25519-sha256", newKey(dkim::Algorithm::kEd25519Sha256, "ed1")});
  auto signer = MessageSigner::create(cfg);
  ASSERT_TRUE(signer.ok());
  auto s = (*signer)->sign(kMessage, "example.org", std::chrono::system_clock::now());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->headers, "");
  EXPECT_EQ(s->note, "unsigned: no DKIM key for example.org");
  cfg.required = true;
  auto strict = MessageSigner::create(cfg);
  ASSERT_TRUE(strict.ok());
  auto refused = (*strict)->sign(kMessage, "example.org", std::chrono::system_clock::now());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("dkim.required"), std::string::npos);
}

// hasKeyFor answers exactly as sign() decides: the key's domain and its subdomains.
TEST_F(SigningTest, HasKeyForMatchesWhatSignSigns) {
  sidecarconfig::Dkim cfg;
  cfg.keys.push_back(
      {"example.com", "ed1", "ed25519-sha256", newKey(dkim::Algorithm::kEd25519Sha256, "ed1")});
  auto signer = MessageSigner::create(cfg);
  ASSERT_TRUE(signer.ok());
  const auto now = std::chrono::system_clock::now();
  for (const std::string domain :
       {"example.com", "mail.example.com", "example.org", "badexample.com", "com"}) {
    const bool signs = !(*signer)->sign(kMessage, domain, now).value().headers.empty();
    EXPECT_EQ((*signer)->hasKeyFor(domain), signs) << domain;
  }
  EXPECT_TRUE((*signer)->hasKeyFor("mail.example.com"));
  EXPECT_FALSE((*signer)->hasKeyFor("badexample.com"));
  auto none = MessageSigner::create(sidecarconfig::Dkim{});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->hasKeyFor("example.com"));
}

TEST_F(SigningTest, BrokenKeyFileKeepsPreviousKeyThenNewKeyIsPickedUp) {
  sidecarconfig::Dkim cfg;
  auto path = newKey(dkim::Algorithm::kEd25519Sha256, "ed1");
  cfg.keys.push_back({"example.com", "ed1", "ed25519-sha256", path});
  auto signer = MessageSigner::create(cfg);
  ASSERT_TRUE(signer.ok());

  std::ofstream(path) << "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n";
  auto problems = (*signer)->reloadChangedKeys();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("previous key stays in force"), std::string::npos) << problems[0];
  auto s = (*signer)->sign(kMessage, "example.com", std::chrono::system_clock::now());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(verify(s->headers + kMessage).at(0).status, dkim::Status::kPass);

  // Rotate: a new key at the same path (and in DNS) replaces the old one.
  auto rotated = newKey(dkim::Algorithm::kEd25519Sha256, "ed1");
  ASSERT_EQ(rotated, path);
  EXPECT_TRUE((*signer)->reloadChangedKeys().empty());
  auto after = (*signer)->sign(kMessage, "example.com", std::chrono::system_clock::now());
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->headers, s->headers);
  // The fake DNS now serves both records at the name; the new signature verifies against one.
  auto v = verify(after->headers + kMessage);
  ASSERT_EQ(v.size(), 1u);
}

TEST_F(SigningTest, StartupFailsOnABadKeyNamingIt) {
  sidecarconfig::Dkim cfg;
  cfg.keys.push_back({"example.com", "rsa1", "rsa-sha256", (dir_ / "missing.pem").string()});
  auto signer = MessageSigner::create(cfg);
  ASSERT_FALSE(signer.ok());
  EXPECT_NE(signer.error().message.find("example.com s=rsa1"), std::string::npos);
  cfg.keys[0] = {"example.com", "rsa1", "rsa-sha256", newKey(dkim::Algorithm::kEd25519Sha256, "x")};
  auto mismatch = MessageSigner::create(cfg);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("not rsa-sha256"), std::string::npos);
}

}  // namespace
}  // namespace mailroom::signing
