// DKIM signing, RFC 6376 §5 (and RFC 8463 for Ed25519): which header fields to sign (§5.4),
// the body hash (computed once per body canonicalization however many keys sign), the header
// hash, and the DKIM-Signature fields to prepend. The private-key operation is delegated to a
// Signer (lib/auth/dkim/keys.h); this code never sees key material.
//
// Typical use (sidecar): build one DkimSigner from the configured keys at start-up or reload,
// then per message:
//   auto fields = signer.signatureHeaders(wireMessage, "example.com", clock.now());
//   if (fields.ok()) deliver(*fields + wireMessage);
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/keys.h"
#include "lib/auth/dkim/signature.h"
#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"
#include "lib/mime/message.h"

namespace mailroom::dkim {

struct SigningKeyConfig {
  SigningKeyConfig() = default;
  SigningKeyConfig(std::string domain, std::string selector, Algorithm algorithm,
                   std::shared_ptr<Signer> signer, Canonicalization canon = {})
      : domain(std::move(domain)),
        selector(std::move(selector)),
        algorithm(algorithm),
        signer(std::move(signer)),
        canon(canon) {}

  std::string domain;    // d=, e.g. "example.com"
  std::string selector;  // s=, e.g. "mr2026a"
  Algorithm algorithm = Algorithm::kRsaSha256;
  std::shared_ptr<Signer> signer;  // holds (or talks to the holder of) the private key
  Canonicalization canon;          // relaxed/relaxed unless configured otherwise
  // x= = t= + validity when set (§3.5; RFC 6376 recommends it for replay limits).
  std::optional<std::chrono::seconds> validity;
  bool timestamp = true;  // emit t= (signing time)
  std::string identity;   // i=, e.g. "@example.com" or "bounces@mail.example.com"; "" = none
};

// The header fields to sign for message, in h= order: the §5.4 recommended set (From, To, Cc,
// Subject, Date, Message-ID, Reply-To, In-Reply-To, References, MIME-Version, Content-Type,
// Content-Transfer-Encoding, List-Unsubscribe, List-Unsubscribe-Post) that are present, each
// name listed once per instance (verifiers take instances bottom-up), From once more than
// present so a From added later breaks the signature. Names lower case.
std::vector<std::string> headersToSign(const mime::Message& message);

// The domain of the first From address ("a@Example.COM" -> "example.com"), or "".
std::string fromDomain(const mime::Message& message);
std::string fromDomain(const mime::MessageView& message);

class DkimSigner {
 public:
  // Errors (invalid argument): no keys, empty domain or selector, null signer, a (domain,
  // selector) pair configured twice, an identity outside its domain.
  static Result<DkimSigner> create(std::vector<SigningKeyConfig> keys);

  // The DKIM-Signature fields (each ending with CRLF) to prepend to message, one per key
  // whose d= is fromDomain or a parent domain of it (relaxed DMARC alignment), in configured
  // order. fromDomain "" means the domain of the message's From field. message is the wire
  // form (CRLF; bare LF is accepted and treated as CRLF). Errors: unparsable message or
  // no From field (invalid argument), no key for the domain (not found), a Signer failure
  // (passed through, e.g. temporary if the key process is unavailable).
  Result<std::string> signatureHeaders(std::string_view message, std::string_view fromDomain,
                                       std::chrono::system_clock::time_point now) const;
  Result<std::string> signatureHeaders(const mime::Message& message, std::string_view fromDomain,
                                       std::chrono::system_clock::time_point now) const;

  const std::vector<SigningKeyConfig>& keys() const { return keys_; }

 private:
  explicit DkimSigner(std::vector<SigningKeyConfig> keys);
  // Both public forms end here; lineEnds says what the body's line ends are (a view parsed
  // from the wire form may have bare LF or CR; an owned Message's body is taken as written).
  Result<std::string> sign(const mime::MessageView& message, LineEnds lineEnds,
                           std::string_view fromDomain,
                           std::chrono::system_clock::time_point now) const;
  std::vector<SigningKeyConfig> keys_;
  std::vector<std::string> fieldPrefixes_;  // per key: renderSignatureFieldPrefix
};

}  // namespace mailroom::dkim
