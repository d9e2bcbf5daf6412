// DkimSigner and the verifier together, with keys served by the map-backed FakeResolver:
// header selection, one body pass for several keys, and every verdict class of RFC 6376 §6.
#include <gtest/gtest.h>

#include <atomic>

#include "lib/auth/dkim/base64.h"
#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/hash.h"
#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/sign.h"
#include "lib/auth/dkim/verify.h"
#include "tests/mocks/fake_resolver.h"
#include "tests/unit/lib/auth/dkim/test_util.h"

namespace mailroom::dkim {
namespace {

using mailroom::testing::FakeResolver;
using mailroom::testing::runTask;
using testutil::readTestFile;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow{std::chrono::seconds(1795000000)};

constexpr std::string_view kMessage =
    "From: Joe <joe@example.com>\r\n"
    "To: Suzie <suzie@example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
    "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
    "X-Mailer: not signed\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

// A Signer that counts calls and checks it only ever sees a digest.
class CountingSigner : public Signer {
 public:
  explicit CountingSigner(PrivateKey key) : inner_(std::move(key)) {}
  Result<std::string> sign(Algorithm a, std::string_view digest) override {
    ++calls;
    EXPECT_EQ(digest.size(), 32u);
    return inner_.sign(a, digest);
  }
  std::atomic<int> calls{0};

 private:
  LocalSigner inner_;
};

class FailingSigner : public Signer {
 public:
  Result<std::string> sign(Algorithm, std::string_view) override {
    return Error::temporary("key process unavailable");
  }
};

struct Fixture {
  PrivateKey rsa = *PrivateKey::fromPem(readTestFile("testdata/rsa2048.key.pem"));
  PrivateKey ed = *PrivateKey::fromEd25519Seed(readTestFile("testdata/ed25519.seed.b64"));
  FakeResolver resolver;

  Fixture() {
    resolver.addTxt("rsa._domainkey.example.com", renderKeyRecord(rsa));
    resolver.addTxt("ed._domainkey.example.com", renderKeyRecord(ed));
  }
  SigningKeyConfig rsaKey(Canonicalization c = {}) {
    return {"example.com", "rsa", Algorithm::kRsaSha256, std::make_shared<LocalSigner>(rsa), c};
  }
  SigningKeyConfig edKey(Canonicalization c = {}) {
    return {"example.com", "ed", Algorithm::kEd25519Sha256, std::make_shared<LocalSigner>(ed), c};
  }
  std::vector<Verdict> verify(const std::string& message, Clock::time_point now = kNow) {
    return runTask(verifyMessage(resolver, message, VerifyOptions{now}));
  }
};

std::string sign(const std::vector<SigningKeyConfig>& keys, std::string_view message,
                 Clock::time_point now = kNow) {
  auto signer = DkimSigner::create(keys);
  EXPECT_TRUE(signer.ok());
  auto fields = signer->signatureHeaders(message, "example.com", now);
  EXPECT_TRUE(fields.ok()) << fields.error().message;
  return fields.ok() ? *fields + std::string(message) : std::string(message);
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

TEST(HeadersToSign, RecommendedSetBottomUpWithFromOversigned) {
  auto m = mime::parseMessage(
      "Received: x\r\nFrom: a@example.com\r\nTo: b@example.net\r\nTo: c@example.net\r\n"
      "List-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: "
      "List-Unsubscribe=One-Click\r\n"
      "X-Custom: y\r\n\r\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(headersToSign(*m),
            (std::vector<std::string>{"from", "from", "to", "to", "list-unsubscribe",
                                      "list-unsubscribe-post"}));
  EXPECT_EQ(fromDomain(*m), "example.com");
  auto named = mime::parseMessage("From: \"Joe, Jr\" <Joe@Mail.Example.COM>\r\n\r\n");
  EXPECT_EQ(fromDomain(*named), "mail.example.com");
}

TEST(HeadersToSign, NamesMatchIgnoringAsciiCaseOnly) {
  // Long names go through an 8-bytes-at-a-time comparison: case folds, nothing else does
  // (a CR is not '-', and a byte with the high bit set is not a letter).
  mime::Message m;
  for (const char* name : {"CONTENT-TRANSFER-ENCODING", "list-UNSUBSCRIBE-post", "Message\rID",
                           "Message-I\xC4", "MESSAGE-ID", "Content-Transfer-Encodin\xE7", "From"})
    m.headers.push_back({name, std::string(name) + ": x"});
  EXPECT_EQ(headersToSign(m),
            (std::vector<std::string>{"from", "from", "message-id", "content-transfer-encoding",
                                      "list-unsubscribe-post"}));
}

TEST(DkimSigner, CreateRejectsBadConfig) {
  Fixture f;
  EXPECT_FALSE(DkimSigner::create({}).ok());
  auto noSigner = f.rsaKey();
  noSigner.signer = nullptr;
  EXPECT_FALSE(DkimSigner::create({noSigner}).ok());
  auto noSelector = f.rsaKey();
  noSelector.selector.clear();
  EXPECT_FALSE(DkimSigner::create({noSelector}).ok());
  auto badIdentity = f.rsaKey();
  badIdentity.identity = "joe@other.example";
  EXPECT_FALSE(DkimSigner::create({badIdentity}).ok());
  auto goodIdentity = f.rsaKey();
  goodIdentity.identity = "bounces@mail.example.com";
  auto withIdentity = DkimSigner::create({goodIdentity});
  ASSERT_TRUE(withIdentity.ok());
  std::string signedWithIdentity =
      *withIdentity->signatureHeaders(kMessage, "example.com", kNow) + std::string(kMessage);
  EXPECT_NE(signedWithIdentity.find("i=bounces@mail.example.com;"), std::string::npos);
  auto v = f.verify(signedWithIdentity);
  EXPECT_EQ(v.at(0).status, Status::kPass);
  EXPECT_EQ(v[0].identity, "bounces@mail.example.com");
  auto dup = DkimSigner::create({f.rsaKey(), f.rsaKey()});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("twice"), std::string::npos);
}

TEST(DkimSigner, BothAlgorithmsAllCanonicalizationsVerify) {
  for (Canon h : {Canon::kRelaxed, Canon::kSimple}) {
    for (Canon b : {Canon::kRelaxed, Canon::kSimple}) {
      Fixture f;
      std::string signed_ = sign({f.rsaKey({h, b}), f.edKey({h, b})}, kMessage);
      auto v = f.verify(signed_);
      ASSERT_EQ(v.size(), 2u);
      for (const auto& r : v) {
        EXPECT_EQ(r.status, Status::kPass)
            << canonName(h) << "/" << canonName(b) << " " << r.selector << ": " << r.detail;
        EXPECT_TRUE(r.warnings.empty());
      }
      EXPECT_EQ(v[0].selector, "rsa");
      EXPECT_EQ(v[0].keyBits, 2048);
      EXPECT_EQ(v[1].algorithm, Algorithm::kEd25519Sha256);
    }
  }
}

TEST(DkimSigner, FieldsAreFoldedAndCarryTheExpectedTags) {
  Fixture f;
  auto key = f.edKey();
  key.validity = std::chrono::hours(24 * 7);
  auto signer = DkimSigner::create({key});
  auto fields = signer->signatureHeaders(kMessage, "", kNow);  // domain from the From field
  ASSERT_TRUE(fields.ok()) << fields.error().message;
  EXPECT_TRUE(fields->starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
  EXPECT_NE(fields->find("t=1795000000;"), std::string::npos);
  EXPECT_NE(fields->find("x=1795604800;"), std::string::npos);
  EXPECT_NE(fields->find("h=from:from:to:subject:date:message-id;"), std::string::npos) << *fields;
  EXPECT_EQ(fields->find(" l="), std::string::npos);
  size_t pos = 0;
  while (pos < fields->size()) {
    size_t eol = fields->find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol - pos, 78u);
    pos = eol + 2;
  }
}

TEST(DkimSigner, OneBodyCanonicalizationPassForSeveralKeysAndDomainChoice) {
  Fixture f;
  auto rsaSigner = std::make_shared<CountingSigner>(f.rsa);
  auto edSigner = std::make_shared<CountingSigner>(f.ed);
  SigningKeyConfig other{"other.example", "x", Algorithm::kEd25519Sha256, edSigner};
  auto signer = DkimSigner::create({{"example.com", "rsa", Algorithm::kRsaSha256, rsaSigner},
                                    other,
                                    {"example.com", "ed", Algorithm::kEd25519Sha256, edSigner}});
  ASSERT_TRUE(signer.ok());
  // mail.example.com is within example.com (relaxed alignment); other.example is not.
  auto fields = signer->signatureHeaders(kMessage, "mail.example.com", kNow);
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(rsaSigner->calls, 1);
  EXPECT_EQ(edSigner->calls, 1);
  EXPECT_EQ(fields->find("d=other.example"), std::string::npos);
  auto none = signer->signatureHeaders(kMessage, "unrelated.example", kNow);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kNotFound);
}

TEST(DkimSigner, WireFormWithBareLineEndsSignsLikeTheParsedMessage) {
  // The wire-form overload canonicalizes the body as written (bare LF and CR as line ends) and
  // views the headers without copying; the result must be the Message overload's, whose body
  // parseMessage normalized. Ed25519 signatures are deterministic, so whole fields compare.
  Fixture f;
  for (Canon b : {Canon::kRelaxed, Canon::kSimple}) {
    auto signer = DkimSigner::create({f.edKey({Canon::kRelaxed, b})});
    ASSERT_TRUE(signer.ok());
    std::string crlf(kMessage);
    std::string bodyLf = crlf.substr(0, crlf.find("\r\n\r\n") + 4) +
                         "Hi.\n\nWe lost  the game.\rAre you hungry yet?  \n\n\r\n";
    std::string allLf;
    for (char c : bodyLf)
      if (c != '\r') allLf += c;
    for (const std::string& raw : {crlf, bodyLf, allLf}) {
      auto parsed = mime::parseMessage(raw);
      ASSERT_TRUE(parsed.ok());
      auto fromWire = signer->signatureHeaders(raw, "example.com", kNow);
      auto fromMessage = signer->signatureHeaders(*parsed, "example.com", kNow);
      ASSERT_TRUE(fromWire.ok() && fromMessage.ok());
      EXPECT_EQ(*fromWire, *fromMessage) << ::testing::PrintToString(raw);
      EXPECT_EQ(f.verify(*fromWire + mime::render(*parsed)).at(0).status, Status::kPass);
    }
  }
}

TEST(DkimSigner, RepeatedSignedFieldsAreHashedBottomUp) {
  // The signer picks the instances for its h= itself (each name's instances bottom-up); the
  // verifier's §5.4.2 selection must find the same fields.
  Fixture f;
  std::string message =
      "To: first@example.net\r\nFrom: Joe <joe@example.com>\r\nSubject: one\r\n"
      "Received: x\r\nTo: second@example.net\r\nsubject: two\r\nTO: third@example.net\r\n"
      "\r\nbody\r\n";
  std::string signed_ = sign({f.rsaKey(), f.edKey({Canon::kSimple, Canon::kSimple})}, message);
  EXPECT_NE(signed_.find("h=from:from:to:to:to:subject:subject;"), std::string::npos) << signed_;
  for (const auto& v : f.verify(signed_)) EXPECT_EQ(v.status, Status::kPass) << v.detail;
  // Swapping two To values breaks it: the order of instances is signed.
  std::string swapped = replace(replace(signed_, "first@", "XXXXX@"), "third@", "first@");
  swapped = replace(swapped, "XXXXX@", "third@");
  for (const auto& v : f.verify(swapped)) EXPECT_NE(v.status, Status::kPass);
}

TEST(DkimSigner, LongKeyTagsFoldInsideThePrecomputedPrefix) {
  // The key's own tags (v a c d s i) are rendered once at create(); when they already fold,
  // the per-message tags must continue from the prefix's last line.
  Fixture f;
  std::string selector = "selector-with-a-rather-long-name-2026-11";
  f.resolver.addTxt(selector + "._domainkey.example.com", renderKeyRecord(f.ed));
  SigningKeyConfig key{"example.com", selector, Algorithm::kEd25519Sha256,
                       std::make_shared<LocalSigner>(f.ed)};
  key.identity = "bounces-for-a-very-long-campaign-name@mail.example.com";
  auto signer = DkimSigner::create({key});
  ASSERT_TRUE(signer.ok());
  auto fields = signer->signatureHeaders(kMessage, "example.com", kNow);
  ASSERT_TRUE(fields.ok());
  size_t identity = fields->find("i=bounces-for-a-very-long-campaign-name@mail.example.com;");
  ASSERT_NE(identity, std::string::npos) << *fields;
  EXPECT_LT(fields->find("\r\n"), identity) << *fields;  // the prefix itself folds
  for (size_t pos = 0; pos < fields->size();) {
    size_t eol = fields->find("\r\n", pos);
    EXPECT_LE(eol - pos, 78u);
    pos = eol + 2;
  }
  auto v = f.verify(*fields + std::string(kMessage));
  EXPECT_EQ(v.at(0).status, Status::kPass) << v[0].detail;
}

TEST(DkimSigner, SignerErrorsPassThrough) {
  auto signer = DkimSigner::create(
      {{"example.com", "s", Algorithm::kRsaSha256, std::make_shared<FailingSigner>()}});
  auto r = signer->signatureHeaders(kMessage, "example.com", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTemporary);
  auto noFrom = signer->signatureHeaders("To: x@example.com\r\n\r\nhi\r\n", "example.com", kNow);
  ASSERT_FALSE(noFrom.ok());
  EXPECT_EQ(noFrom.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Verify, BodyChangeIsBodyHashMismatch) {
  Fixture f;
  auto v = f.verify(replace(sign({f.rsaKey()}, kMessage), "hungry", "thirsty"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].status, Status::kFail);
  EXPECT_EQ(v[0].reason, Reason::kBodyHashMismatch);
}

TEST(Verify, SignedHeaderChangeIsSignatureMismatch) {
  Fixture f;
  auto v = f.verify(replace(sign({f.edKey()}, kMessage), "dinner", "lunch"));
  EXPECT_EQ(v.at(0).status, Status::kFail);
  EXPECT_EQ(v[0].reason, Reason::kSignatureMismatch);
}

TEST(Verify, AddedFromBreaksTheOversignedSignature) {
  Fixture f;
  std::string s = sign({f.rsaKey()}, kMessage);
  auto v = f.verify(replace(s, "From: Joe", "From: Mallory <m@evil.example>\r\nFrom: Joe"));
  EXPECT_EQ(v.at(0).status, Status::kFail);
  // An unsigned header added anywhere is fine.
  EXPECT_EQ(f.verify("Received: by relay\r\n" + s).at(0).status, Status::kPass);
}

TEST(Verify, RelaxedSurvivesWhitespaceSimpleDoesNot) {
  Fixture f;
  std::string relaxed = sign({f.rsaKey({Canon::kRelaxed, Canon::kRelaxed})}, kMessage);
  std::string simple = sign({f.rsaKey({Canon::kSimple, Canon::kSimple})}, kMessage);
  auto reflow = [](std::string s) {
    s = replace(s, "Subject: Is dinner", "subject:   Is\r\n  dinner");
    s = replace(s, "Joe.\r\n", "Joe.  \r\n\r\n\r\n");
    return s;
  };
  EXPECT_EQ(f.verify(reflow(relaxed)).at(0).status, Status::kPass);
  EXPECT_EQ(f.verify(reflow(simple)).at(0).status, Status::kFail);
}

TEST(Verify, ExpiredSignatureUsesTheInjectedClock) {
  Fixture f;
  auto key = f.rsaKey();
  key.validity = std::chrono::hours(1);
  std::string s = sign({key}, kMessage);
  EXPECT_EQ(f.verify(s, kNow + std::chrono::minutes(59)).at(0).status, Status::kPass);
  auto late = f.verify(s, kNow + std::chrono::hours(2));
  EXPECT_EQ(late.at(0).status, Status::kPermError);
  EXPECT_EQ(late[0].reason, Reason::kExpired);
  EXPECT_EQ(f.resolver.totalQueries(), 1);  // no key lookup for an expired signature
}

TEST(Verify, KeyLookupOutcomes) {
  Fixture f;
  std::string s = sign({f.rsaKey()}, kMessage);
  FakeResolver::Type txt = FakeResolver::Type::kTxt;

  f.resolver.fail("rsa._domainkey.example.com", txt, dns::Status::kTempFail);
  auto temp = f.verify(s);
  EXPECT_EQ(temp.at(0).status, Status::kTempError);
  EXPECT_EQ(temp[0].reason, Reason::kDnsTemporary);
  f.resolver.fail("rsa._domainkey.example.com", txt, dns::Status::kTimeout);
  EXPECT_EQ(f.verify(s).at(0).status, Status::kTempError);

  FakeResolver empty;
  auto missing = runTask(verifyMessage(empty, s, VerifyOptions{kNow}));
  EXPECT_EQ(missing.at(0).status, Status::kPermError);
  EXPECT_EQ(missing[0].reason, Reason::kKeyMissing);

  FakeResolver revoked;
  revoked.addTxt("rsa._domainkey.example.com", "v=DKIM1; k=rsa; p=");
  auto rv = runTask(verifyMessage(revoked, s, VerifyOptions{kNow}));
  EXPECT_EQ(rv.at(0).reason, Reason::kKeyRevoked);

  FakeResolver wrongType;
  wrongType.addTxt("rsa._domainkey.example.com", renderKeyRecord(f.ed));
  auto wt = runTask(verifyMessage(wrongType, s, VerifyOptions{kNow}));
  EXPECT_EQ(wt.at(0).status, Status::kPermError);
  EXPECT_EQ(wt[0].reason, Reason::kAlgorithmMismatch);

  FakeResolver garbage;
  garbage.addTxt("rsa._domainkey.example.com", "v=spf1 -all");
  auto g = runTask(verifyMessage(garbage, s, VerifyOptions{kNow}));
  EXPECT_EQ(g.at(0).reason, Reason::kKeySyntax);
}

TEST(Verify, TestingKeyTurnsFailureIntoNeutral) {
  Fixture f;
  std::string s = replace(sign({f.rsaKey()}, kMessage), "hungry", "thirsty");
  FakeResolver r;
  r.addTxt("rsa._domainkey.example.com",
           "v=DKIM1; k=rsa; t=y; p=" + base64Encode(f.rsa.publicKeyBytes()));
  auto v = runTask(verifyMessage(r, s, VerifyOptions{kNow}));
  EXPECT_EQ(v.at(0).status, Status::kNeutral);
  EXPECT_TRUE(v[0].testingKey);
}

TEST(Verify, SyntaxErrorsArePermErrorsWithoutDns) {
  Fixture f;
  std::string s = sign({f.rsaKey()}, kMessage);
  auto v = f.verify(replace(s, "a=rsa-sha256", "a=rsa-sha1"));
  EXPECT_EQ(v.at(0).status, Status::kPermError);
  EXPECT_EQ(v[0].reason, Reason::kUnsupportedAlgorithm);
  auto noFrom = f.verify(replace(s, "h=from:from:", "h="));
  EXPECT_EQ(noFrom.at(0).reason, Reason::kFromNotSigned);
  EXPECT_EQ(f.resolver.totalQueries(), 0);
  EXPECT_TRUE(f.verify(std::string(kMessage)).empty());  // unsigned: no verdicts
}

// Builds a signature by hand (the signer never emits l=), to check l= handling when verifying.
std::string signWithLength(const PrivateKey& key, std::string_view message, uint64_t length) {
  auto m = mime::parseMessage(message);
  Signature sig;
  sig.algorithm = key.algorithm();
  sig.canon = {Canon::kRelaxed, Canon::kRelaxed};
  sig.domain = "example.com";
  sig.selector = key.algorithm() == Algorithm::kRsaSha256 ? "rsa" : "ed";
  sig.identity = "@example.com";
  sig.headers = headersToSign(*m);
  sig.length = length;
  sig.bodyHash = bodyHashOfCanonical(canonicalizeBody(Canon::kRelaxed, m->body), length);
  std::string data = headerHashInput(*m, sig.headers, Canon::kRelaxed, renderSignatureField(sig));
  sig.signature = *key.signDigest(sha256(data));
  return renderSignatureField(sig) + "\r\n" + std::string(message);
}

TEST(Verify, HonoursLengthWhenVerifying) {
  Fixture f;
  std::string canonical = canonicalizeBody(Canon::kRelaxed, mime::parseMessage(kMessage)->body);
  std::string s = signWithLength(f.ed, kMessage, canonical.size());
  auto v = f.verify(s + "Appended by a list.\r\n");
  EXPECT_EQ(v.at(0).status, Status::kPass) << v[0].detail;
  EXPECT_FALSE(v[0].warnings.empty());  // unsigned appended text is flagged
  auto tooLong = f.verify(signWithLength(f.ed, kMessage, canonical.size() + 10));
  EXPECT_EQ(tooLong.at(0).status, Status::kFail);
}

TEST(Verify, WeakRsaKeysWarnTinyOnesFail) {
  for (auto [file, status, warn] :
       {std::tuple{"testdata/rfc6376-C-rsa1024.key.pem", Status::kPass, true},
        std::tuple{"testdata/rsa512.key.pem", Status::kPermError, false}}) {
    auto key = PrivateKey::fromPem(readTestFile(file));
    ASSERT_TRUE(key.ok()) << file;
    FakeResolver r;
    r.addTxt("rsa._domainkey.example.com", renderKeyRecord(*key));
    // The signer refuses to generate such keys, but a loaded one can still sign (tests only).
    auto signer = DkimSigner::create(
        {{"example.com", "rsa", Algorithm::kRsaSha256, std::make_shared<LocalSigner>(*key)}});
    std::string s =
        *signer->signatureHeaders(kMessage, "example.com", kNow) + std::string(kMessage);
    auto v = runTask(verifyMessage(r, s, VerifyOptions{kNow}));
    EXPECT_EQ(v.at(0).status, status) << file << ": " << v[0].detail;
    EXPECT_EQ(!v[0].warnings.empty(), warn) << file;
    if (status == Status::kPermError) {
      EXPECT_EQ(v[0].reason, Reason::kKeyTooSmall);
    }
  }
}

TEST(Verify, LfOnlyInputIsTreatedAsCrlf) {
  Fixture f;
  std::string s = sign({f.rsaKey({Canon::kSimple, Canon::kSimple})}, kMessage);
  std::string lf;
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) lf += s[i];
  EXPECT_EQ(f.verify(lf).at(0).status, Status::kPass);
}

}  // namespace
}  // namespace mailroom::dkim
