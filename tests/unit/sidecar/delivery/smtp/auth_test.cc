// SASL for SMTP AUTH: the mechanism choice, PLAIN's message (RFC 4616 §4 example) and a full
// SCRAM-SHA-256 exchange from RFC 7677 §3, byte for byte.
#include "sidecar/delivery/smtp/auth.h"

#include <gtest/gtest.h>

namespace mailroom::smtp {
namespace {

TEST(ChooseMechanism, StrongestBothKnow) {
  using V = std::vector<std::string>;
  EXPECT_EQ(chooseMechanism(V{"PLAIN", "LOGIN", "SCRAM-SHA-256"}), SaslMechanism::kScramSha256);
  EXPECT_EQ(chooseMechanism(V{"LOGIN", "PLAIN"}), SaslMechanism::kPlain);
  EXPECT_EQ(chooseMechanism(V{"LOGIN", "CRAM-MD5"}), SaslMechanism::kLogin);
  EXPECT_EQ(chooseMechanism(V{"GSSAPI", "SCRAM-SHA-1"}), std::nullopt);
  EXPECT_EQ(chooseMechanism(V{}), std::nullopt);
}

TEST(Plain, AuthzidEmptyThenUserAndPassword) {
  // RFC 4616 §4: "\0tim\0tanstaaftanstaaf".
  EXPECT_EQ(plainResponse({"tim", "tanstaaftanstaaf"}), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  auto back = base64Decode(plainResponse({"a@example.com", "pw"}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::string("\0a@example.com\0pw", 17));
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto back = base64Decode(base64Encode(s));
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(base64Decode("abc").ok());
  EXPECT_FALSE(base64Decode("ab!=").ok());
}

// RFC 7677 §3.
TEST(ScramSha256, Rfc7677Exchange) {
  ScramSha256 scram({"user", "pencil"}, "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(scram.clientFirst(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final = scram.clientFinal(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_TRUE(final.ok()) << final.error().message;
  EXPECT_EQ(*final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_FALSE(scram.verifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_FALSE(scram.verifyServerFinal("e=invalid-proof"));
}

TEST(ScramSha256, RefusesABadServerFirstMessage) {
  const char* bad[] = {
      "r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",     // does not extend ours
      "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // adds nothing
      "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",
      "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=12x",
      "r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!!,i=4096",
      "r=rOprNGfwEbeRWgbNEkqOxyz,i=4096",
  };
  for (const char* b : bad) {
    ScramSha256 scram({"user", "pencil"}, "rOprNGfwEbeRWgbNEkqO");
    auto final = scram.clientFinal(b);
    EXPECT_FALSE(final.ok()) << b;
    if (!final.ok()) {
      EXPECT_EQ(final.error().message.find("pencil"), std::string::npos);
    }
    EXPECT_FALSE(scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  }
}

TEST(ScramSha256, EscapesTheUserName) {
  ScramSha256 scram({"a=b,c", "x"}, "n0nce");
  EXPECT_EQ(scram.clientFirst(), "n,,n=a=3Db=2Cc,r=n0nce");
  EXPECT_NE(scramNonce(), scramNonce());
}

}  // namespace
}  // namespace mailroom::smtp
