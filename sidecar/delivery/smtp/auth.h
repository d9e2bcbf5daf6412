// SMTP AUTH, the client side (RFC 4954): which SASL mechanism to use from those a server
// announces, and the messages of each — PLAIN (RFC 4616), LOGIN (the de facto mechanism of
// draft-murchison-sasl-login) and SCRAM-SHA-256 (RFC 5802, RFC 7677), which never sends the
// password and proves the server knows it too. Pure: no I/O; the session drives the exchange.
// Credentials never appear in an error message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::smtp {

struct Credentials {
  std::string username;
  std::string password;
};

enum class SaslMechanism { kScramSha256, kPlain, kLogin };
const char* saslMechanismName(SaslMechanism mechanism);  // "SCRAM-SHA-256", "PLAIN", "LOGIN"

// The strongest mechanism both sides know (SCRAM-SHA-256, then PLAIN, then LOGIN); nullopt when
// the server offers none of them. `offered` is Capabilities::auth (upper case).
std::optional<SaslMechanism> chooseMechanism(const std::vector<std::string>& offered);

std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);

// PLAIN's one message, base64: "" NUL username NUL password (no authorization identity).
std::string plainResponse(const Credentials& credentials);

// One SCRAM-SHA-256 exchange without channel binding ("n,,"):
//   client-first  →  server-first  →  client-final  →  server-final (verified).
class ScramSha256 {
 public:
  // `nonce`: printable, without ','; fresh random bytes per exchange (tests pass RFC 7677's).
  ScramSha256(Credentials credentials, std::string nonce);
  std::string clientFirst() const;  // "n,,n=user,r=nonce" (not base64)
  // The client-final message for the server-first one; an error when the server's nonce does
  // not extend ours, or its salt or iteration count is unusable.
  Result<std::string> clientFinal(std::string_view serverFirst);
  // True when the server's signature ("v=...") proves it knows the password.
  bool verifyServerFinal(std::string_view serverFinal) const;

 private:
  Credentials credentials_;
  std::string nonce_;
  std::string clientFirstBare_;
  std::string expectedServerSignature_;
};

// A nonce of 24 random bytes, base64: for ScramSha256.
std::string scramNonce();

}  // namespace mailroom::smtp
