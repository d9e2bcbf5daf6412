// DKIM-Signature parsing/rendering (RFC 6376 §3.5), key records (§3.6.1, RFC 8463 §4) and key
// handling (PEM, raw Ed25519 seeds, generation, sign/verify of digests).
#include <gtest/gtest.h>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"
#include "lib/auth/dkim/signature.h"
#include "tests/unit/lib/auth/dkim/test_util.h"

namespace mailroom::dkim {
namespace {

using testutil::readTestFile;

const std::string kBh = base64Encode(std::string(32, 'x'));

std::string sigValue(std::string extra) {
  return "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=" + kBh + "; b=AAAA" + extra;
}

TEST(Signature, ParsesAllTags) {
  auto s = parseSignature(
      "v=1; a=ed25519-sha256; c=relaxed/simple; d=Example.com; s=sel;\r\n\t"
      "h=From : To:subject; i=joe@mail.example.com; l=10; q=dns/txt; t=100; x=200;\r\n\t"
      "z=From:joe; bh=" +
      kBh + "; b=AAAA\r\n BBBB");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->algorithm, Algorithm::kEd25519Sha256);
  EXPECT_EQ(s->canon.header, Canon::kRelaxed);
  EXPECT_EQ(s->canon.body, Canon::kSimple);
  EXPECT_EQ(s->domain, "Example.com");
  EXPECT_EQ(s->headers, (std::vector<std::string>{"From", "To", "subject"}));
  EXPECT_EQ(s->identity, "joe@mail.example.com");
  EXPECT_EQ(s->length, 10u);
  EXPECT_EQ(s->timestamp, 100);
  EXPECT_EQ(s->expiration, 200);
  EXPECT_EQ(s->signature.size(), 6u);
  EXPECT_EQ(s->copiedHeaders, "From:joe");
}

TEST(Signature, Defaults) {
  auto s = parseSignature(sigValue(""));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->canon, (Canonicalization{Canon::kSimple, Canon::kSimple}));  // §3.5 c= default
  EXPECT_EQ(s->identity, "@example.com");
  auto relaxedOnly = parseSignature(sigValue("; c=relaxed"));
  ASSERT_TRUE(relaxedOnly.ok());
  EXPECT_EQ(relaxedOnly->canon.body, Canon::kSimple);
}

void expectTagError(const std::string& value, const std::string& tag) {
  auto s = parseSignature(value);
  ASSERT_FALSE(s.ok()) << value;
  EXPECT_EQ(s.error().message.rfind(tag + "=:", 0), 0u) << s.error().message;
}

TEST(Signature, ErrorsNameTheTag) {
  expectTagError("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" + kBh, "b");
  expectTagError(sigValue("; v=2").replace(0, 4, ""), "v");
  std::string sha1 = sigValue("");
  sha1.replace(sha1.find("rsa-sha256"), 10, "rsa-sha1");
  expectTagError(sha1, "a");
  std::string noFrom = sigValue("");
  noFrom.replace(noFrom.find("h=from:to"), 9, "h=to:subject");
  expectTagError(noFrom, "h");
  expectTagError(sigValue("; i=joe@evil.example"), "i");
  expectTagError(sigValue("; t=200; x=100"), "x");
  expectTagError(sigValue("; c=fancy/simple"), "c");
  std::string badDomain = sigValue("");
  badDomain.replace(badDomain.find("d=example.com"), 13, "d=exa mple.com");
  expectTagError(badDomain, "d");
  std::string badSelector = sigValue("");
  badSelector.replace(badSelector.find("s=sel"), 5, "s=a@b");
  expectTagError(badSelector, "s");
  expectTagError(sigValue("; l=12a"), "l");
  expectTagError(sigValue("; q=http/well-known"), "q");
  std::string badBh = sigValue("");
  badBh.replace(badBh.find(kBh), kBh.size(), "AAAA");
  expectTagError(badBh, "bh");
}

TEST(Signature, RenderFoldsAtMost78AndParsesBack) {
  Signature s;
  s.algorithm = Algorithm::kRsaSha256;
  s.canon = {Canon::kRelaxed, Canon::kRelaxed};
  s.domain = "example.com";
  s.selector = "mr2026a";
  s.identity = "@example.com";
  s.headers = {"from",
               "to",
               "cc",
               "subject",
               "date",
               "message-id",
               "reply-to",
               "in-reply-to",
               "references",
               "mime-version",
               "content-type",
               "content-transfer-encoding",
               "list-unsubscribe",
               "list-unsubscribe-post",
               "from"};
  s.bodyHash = std::string(32, '\x11');
  s.signature = std::string(256, '\x22');
  s.timestamp = 1795000000;
  s.expiration = 1795604800;
  std::string field = renderSignatureField(s);
  size_t pos = 0;
  while (pos < field.size()) {
    size_t eol = field.find("\r\n", pos);
    if (eol == std::string::npos) eol = field.size();
    EXPECT_LE(eol - pos, 78u) << field.substr(pos, eol - pos);
    pos = eol + 2;
  }
  ASSERT_TRUE(field.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
  auto back = parseSignature(field.substr(field.find(':') + 1));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->headers, s.headers);
  EXPECT_EQ(back->signature, s.signature);
  EXPECT_EQ(back->bodyHash, s.bodyHash);
  EXPECT_EQ(back->expiration, s.expiration);
  EXPECT_FALSE(back->length.has_value());  // l= is never emitted by the signer

  // The signed form (empty b=) is a prefix of the final form: only b='s value is added.
  Signature unsignedSig = s;
  unsignedSig.signature.clear();
  std::string prefix = renderSignatureField(unsignedSig);
  EXPECT_TRUE(prefix.ends_with("b="));
  EXPECT_EQ(field.substr(0, prefix.size()), prefix);
  EXPECT_EQ(appendSignatureValue(prefix, s.signature), field);
}

TEST(KeyRecord, ParsesTagsAndFlags) {
  auto r = parseKeyRecord("v=DKIM1; h=sha256:sha1; k=RSA; n=hello there; s=email; t=y:s:zz; p=" +
                          base64Encode("key"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->keyType, "rsa");
  EXPECT_EQ(r->hashes, (std::vector<std::string>{"sha256", "sha1"}));
  EXPECT_EQ(r->notes, "hello there");
  EXPECT_TRUE(r->testing);
  EXPECT_TRUE(r->strictIdentity);
  EXPECT_EQ(r->publicKey, "key");
  EXPECT_FALSE(r->revoked);
  EXPECT_TRUE(checkKeyAllows(*r, Algorithm::kRsaSha256).ok());
  EXPECT_FALSE(checkKeyAllows(*r, Algorithm::kEd25519Sha256).ok());
}

TEST(KeyRecord, EmptyPMeansRevokedAndDefaultsApply) {
  auto r = parseKeyRecord("p=");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->revoked);
  EXPECT_EQ(r->keyType, "rsa");  // k= defaults to rsa
}

void expectKeyError(const std::string& txt, const std::string& tag) {
  auto r = parseKeyRecord(txt);
  ASSERT_FALSE(r.ok()) << txt;
  EXPECT_NE(r.error().message.find(" " + tag + "=:"), std::string::npos) << r.error().message;
}

TEST(KeyRecord, ErrorsNameTheTag) {
  expectKeyError("v=DKIM2; p=AAAA", "v");
  expectKeyError("k=rsa; v=DKIM1; p=AAAA", "v");  // v= must come first
  expectKeyError("v=DKIM1; k=rsa", "p");
  expectKeyError("v=DKIM1; k=dsa; p=AAAA", "k");
  expectKeyError("v=DKIM1; p=AA*A", "p");
  expectKeyError("v=DKIM1; s=tlsrpt; p=AAAA", "s");
  auto h = parseKeyRecord("v=DKIM1; h=sha1; p=AAAA");
  ASSERT_TRUE(h.ok());
  auto allows = checkKeyAllows(*h, Algorithm::kRsaSha256);
  ASSERT_FALSE(allows.ok());
  EXPECT_NE(allows.error().message.find("h=:"), std::string::npos);
}

TEST(KeyRecord, GoldenTxtForCommittedKeys) {
  // golden/*.zone came from an independent generator (see testdata/README.md).
  auto rsa = PrivateKey::fromPem(readTestFile("testdata/rsa2048.key.pem"));
  ASSERT_TRUE(rsa.ok()) << rsa.error().message;
  std::string golden = readTestFile("golden/rsa2048.zone");
  ASSERT_FALSE(golden.empty());
  while (golden.back() == '\n') golden.pop_back();
  // That generator splits at 250 octets; ours at the 255-octet maximum by default.
  EXPECT_EQ(renderZoneTxt(splitTxtStrings(renderKeyRecord(*rsa), 250)), golden);
  auto strings = splitTxtStrings(renderKeyRecord(*rsa));
  ASSERT_EQ(strings.size(), 2u);
  EXPECT_EQ(strings[0].size(), 255u);
  std::string golden255 = readTestFile("golden/rsa2048.255.zone");
  while (!golden255.empty() && golden255.back() == '\n') golden255.pop_back();
  EXPECT_EQ(renderZoneTxt(strings), golden255);

  auto ed = PrivateKey::fromEd25519Seed(readTestFile("testdata/ed25519.seed.b64"));
  ASSERT_TRUE(ed.ok()) << ed.error().message;
  std::string edGolden = readTestFile("golden/ed25519.zone");
  while (!edGolden.empty() && edGolden.back() == '\n') edGolden.pop_back();
  EXPECT_EQ(renderZoneTxt(splitTxtStrings(renderKeyRecord(*ed))), edGolden);
}

TEST(KeyRecord, RenderParsesBack) {
  KeyRecord r;
  r.keyType = "ed25519";
  r.publicKey = std::string(32, '\x05');
  r.testing = true;
  r.services = {"email"};
  auto back = parseKeyRecord(renderKeyRecord(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->keyType, "ed25519");
  EXPECT_EQ(back->publicKey, r.publicKey);
  EXPECT_TRUE(back->testing);
  EXPECT_EQ(renderZoneTxt({"a\"b\\c"}), "\"a\\\"b\\\\c\"");
}

TEST(Keys, Pkcs1AndPkcs8LoadTheSameRsaKey) {
  auto p8 = PrivateKey::fromPem(readTestFile("testdata/rsa2048.key.pem"));
  auto p1 = PrivateKey::fromPem(readTestFile("testdata/rsa2048.pkcs1.key.pem"));
  ASSERT_TRUE(p8.ok() && p1.ok());
  EXPECT_EQ(p8->algorithm(), Algorithm::kRsaSha256);
  EXPECT_EQ(p8->bits(), 2048);
  EXPECT_EQ(p8->publicKeyBytes(), p1->publicKeyBytes());
}

TEST(Keys, Ed25519SeedAndPkcs8Agree) {
  auto pem = PrivateKey::fromPem(readTestFile("testdata/ed25519.key.pem"));
  auto seed = PrivateKey::fromEd25519Seed(readTestFile("testdata/ed25519.seed.b64"));
  ASSERT_TRUE(pem.ok() && seed.ok());
  EXPECT_EQ(pem->algorithm(), Algorithm::kEd25519Sha256);
  EXPECT_EQ(pem->publicKeyBytes(), seed->publicKeyBytes());
  EXPECT_EQ(base64Encode(seed->publicKeyBytes()), "JzchlS8amNocou3fkwErxiEmmMhZKtan/lDM86qFzdo=");
}

TEST(Keys, Rfc8463SeedDerivesThePublishedKey) {
  // RFC 8463 A.1/A.2 (RFC 8032 §7.1 test 1).
  auto k = PrivateKey::fromEd25519Seed("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(base64Encode(k->publicKeyBytes()), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST(Keys, RejectsBadInput) {
  EXPECT_FALSE(
      PrivateKey::fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(PrivateKey::fromEd25519Seed(base64Encode("short")).ok());
  EXPECT_FALSE(PrivateKey::generate(Algorithm::kRsaSha256, 1024).ok());  // signing needs 2048
  EXPECT_FALSE(PublicKey::fromDnsKey(Algorithm::kEd25519Sha256, "too short").ok());
  EXPECT_FALSE(PublicKey::fromDnsKey(Algorithm::kRsaSha256, "not der").ok());
}

TEST(Keys, GeneratedKeysSignAndVerify) {
  for (Algorithm a : {Algorithm::kRsaSha256, Algorithm::kEd25519Sha256}) {
    auto key = PrivateKey::generate(a);
    ASSERT_TRUE(key.ok()) << key.error().message;
    if (a == Algorithm::kRsaSha256) {
      EXPECT_EQ(key->bits(), 2048);
    }
    // The PEM written for a Secret loads back as the same key.
    auto reloaded = PrivateKey::fromPem(key->toPem());
    ASSERT_TRUE(reloaded.ok());
    EXPECT_EQ(reloaded->publicKeyBytes(), key->publicKeyBytes());

    std::string digest = sha256("data to sign");
    LocalSigner signer(*key);
    auto sig = signer.sign(a, digest);
    ASSERT_TRUE(sig.ok()) << sig.error().message;
    auto pub = PublicKey::fromDnsKey(a, key->publicKeyBytes());
    ASSERT_TRUE(pub.ok()) << pub.error().message;
    EXPECT_TRUE(pub->verifyDigest(digest, *sig));
    EXPECT_FALSE(pub->verifyDigest(sha256("other data"), *sig));
    Algorithm other =
        a == Algorithm::kRsaSha256 ? Algorithm::kEd25519Sha256 : Algorithm::kRsaSha256;
    EXPECT_FALSE(signer.sign(other, digest).ok());
  }
}

TEST(Keys, Sha256KnownAnswer) {
  EXPECT_EQ(base64Encode(sha256("")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

}  // namespace
}  // namespace mailroom::dkim
