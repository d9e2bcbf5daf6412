#include "sidecar/delivery/smtp/auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace mailroom::smtp {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest hmac(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

std::string_view view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// RFC 5802 §5.1: "=" and "," in a user name are written =3D and =2C.
std::string saslName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=')
      out += "=3D";
    else if (c == ',')
      out += "=2C";
    else
      out += c;
  }
  return out;
}

// The value of "key=" among the comma-separated attributes, or nullopt.
std::optional<std::string_view> attribute(std::string_view message, char key) {
  size_t at = 0;
  while (at <= message.size()) {
    size_t end = message.find(',', at);
    if (end == std::string_view::npos) end = message.size();
    std::string_view item = message.substr(at, end - at);
    if (item.size() >= 2 && item[0] == key && item[1] == '=') return item.substr(2);
    at = end + 1;
  }
  return std::nullopt;
}

// A hostile server could ask for any number of PBKDF2 rounds; RFC 7677 recommends 4096.
constexpr int kMaxIterations = 200000;

}  // namespace

const char* saslMechanismName(SaslMechanism m) {
  switch (m) {
    case SaslMechanism::kScramSha256:
      return "SCRAM-SHA-256";
    case SaslMechanism::kPlain:
      return "PLAIN";
    case SaslMechanism::kLogin:
      return "LOGIN";
  }
  return "?";
}

std::optional<SaslMechanism> chooseMechanism(const std::vector<std::string>& offered) {
  for (auto m : {SaslMechanism::kScramSha256, SaslMechanism::kPlain, SaslMechanism::kLogin})
    if (std::find(offered.begin(), offered.end(), saslMechanismName(m)) != offered.end()) return m;
  return std::nullopt;
}

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error::permanent("malformed base64");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return Error::permanent("malformed base64");
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

std::string plainResponse(const Credentials& c) {
  std::string message;
  message += '\0';
  message += c.username;
  message += '\0';
  message += c.password;
  return base64Encode(message);
}

ScramSha256::ScramSha256(Credentials credentials, std::string nonce)
    : credentials_(std::move(credentials)), nonce_(std::move(nonce)) {
  clientFirstBare_ = "n=" + saslName(credentials_.username) + ",r=" + nonce_;
}

std::string ScramSha256::clientFirst() const {
  return "n,," + clientFirstBare_;
}

Result<std::string> ScramSha256::clientFinal(std::string_view serverFirst) {
  auto nonce = attribute(serverFirst, 'r');
  auto salt64 = attribute(serverFirst, 's');
  auto iterations = attribute(serverFirst, 'i');
  if (!nonce || !salt64 || !iterations)
    return Error::permanent("SCRAM: the server's first message lacks r=, s= or i=");
  if (nonce->size() <= nonce_.size() || !nonce->starts_with(nonce_))
    return Error::permanent("SCRAM: the server's nonce does not extend ours");
  int rounds = 0;
  auto parsed =
      std::from_chars(iterations->data(), iterations->data() + iterations->size(), rounds);
  if (parsed.ec != std::errc() || parsed.ptr != iterations->data() + iterations->size() ||
      rounds < 1 || rounds > kMaxIterations)
    return Error::permanent("SCRAM: unusable iteration count");
  auto salt = base64Decode(*salt64);
  if (!salt.ok() || salt->empty()) return Error::permanent("SCRAM: malformed salt");

  Digest salted{};
  // The password is used as given (SASLprep, RFC 4013, is the identity for ASCII passwords).
  PKCS5_PBKDF2_HMAC(credentials_.password.data(), static_cast<int>(credentials_.password.size()),
                    reinterpret_cast<const unsigned char*>(salt->data()),
                    static_cast<int>(salt->size()), rounds, EVP_sha256(), salted.size(),
                    salted.data());
  const Digest clientKey = hmac(view(salted), "Client Key");
  Digest storedKey{};
  SHA256(clientKey.data(), clientKey.size(), storedKey.data());
  const std::string withoutProof = "c=biws,r=" + std::string(*nonce);  // biws = base64("n,,")
  const std::string authMessage =
      clientFirstBare_ + "," + std::string(serverFirst) + "," + withoutProof;
  const Digest clientSignature = hmac(view(storedKey), authMessage);
  Digest proof{};
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = clientKey[i] ^ clientSignature[i];
  const Digest serverKey = hmac(view(salted), "Server Key");
  expectedServerSignature_ = base64Encode(view(hmac(view(serverKey), authMessage)));
  return withoutProof + ",p=" + base64Encode(view(proof));
}

bool ScramSha256::verifyServerFinal(std::string_view serverFinal) const {
  auto v = attribute(serverFinal, 'v');
  return v && !expectedServerSignature_.empty() && *v == expectedServerSignature_;
}

std::string scramNonce() {
  std::array<unsigned char, 24> bytes{};
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  return base64Encode({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

}  // namespace mailroom::smtp
