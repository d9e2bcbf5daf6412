#include "lib/auth/dkim/verify.h"

#include "lib/auth/dkim/canon.h"
#include "lib/auth/dkim/hash.h"
#include "lib/auth/dkim/key_record.h"
#include "lib/auth/dkim/keys.h"

namespace mailroom::dkim {
namespace {

Verdict fromError(Verdict v, Status status, Reason reason, std::string detail) {
  v.status = status;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

// parseSignature errors name the tag first ("a=: ...", "h=: From ..."); map the ones that
// have their own reason.
Reason reasonForParseError(const std::string& message) {
  if (message.starts_with("a=:")) return Reason::kUnsupportedAlgorithm;
  if (message.starts_with("h=: From")) return Reason::kFromNotSigned;
  return Reason::kSyntax;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

}  // namespace

const char* statusName(Status s) {
  switch (s) {
    case Status::kPass:
      return "pass";
    case Status::kFail:
      return "fail";
    case Status::kNeutral:
      return "neutral";
    case Status::kTempError:
      return "temperror";
    case Status::kPermError:
      return "permerror";
  }
  return "?";
}

const char* reasonName(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "none";
    case Reason::kBodyHashMismatch:
      return "body hash mismatch";
    case Reason::kSignatureMismatch:
      return "signature mismatch";
    case Reason::kSyntax:
      return "signature syntax error";
    case Reason::kUnsupportedAlgorithm:
      return "unsupported algorithm";
    case Reason::kFromNotSigned:
      return "From not signed";
    case Reason::kExpired:
      return "signature expired";
    case Reason::kKeyMissing:
      return "key not found";
    case Reason::kKeyRevoked:
      return "key revoked";
    case Reason::kKeySyntax:
      return "key record syntax error";
    case Reason::kAlgorithmMismatch:
      return "key type does not match algorithm";
    case Reason::kKeyTooSmall:
      return "key too small";
    case Reason::kIdentityMismatch:
      return "identity not allowed by key";
    case Reason::kDnsTemporary:
      return "DNS temporary failure";
  }
  return "?";
}

std::string keyName(const Signature& sig) {
  return keyRecordName(sig.selector, sig.domain);
}

Verdict verifySignature(const mime::Message& message, size_t fieldIndex, const KeyLookup& key,
                        const VerifyOptions& options, BodyCache* cache) {
  Verdict v;
  const mime::HeaderField& field = message.headers.at(fieldIndex);
  auto sig = parseSignature(std::string_view(field.raw).substr(field.raw.find(':') + 1));
  if (!sig) {
    const std::string& m = sig.error().message;
    return fromError(v, Status::kPermError, reasonForParseError(m), m);
  }
  v.domain = sig->domain;
  v.selector = sig->selector;
  v.identity = sig->identity;
  v.algorithm = sig->algorithm;

  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();
  if (sig->expiration && *sig->expiration < now)
    return fromError(v, Status::kPermError, Reason::kExpired,
                     "x=: signature expired at " + std::to_string(*sig->expiration));

  // §6.1.2: the key.
  switch (key.status) {
    case dns::Status::kOk:
      break;
    case dns::Status::kTempFail:
    case dns::Status::kTimeout:
      return fromError(v, Status::kTempError, Reason::kDnsTemporary,
                       "key lookup " + keyName(*sig) + ": " + dns::statusName(key.status) +
                           (key.detail.empty() ? "" : " (" + key.detail + ")"));
    default:
      return fromError(v, Status::kPermError, Reason::kKeyMissing,
                       "key lookup " + keyName(*sig) + ": " + dns::statusName(key.status));
  }
  std::optional<KeyRecord> record;
  std::string recordError = "no TXT record";
  for (const auto& txt : key.records) {
    auto r = parseKeyRecord(txt);
    if (r) {
      record = std::move(*r);
      break;
    }
    recordError = r.error().message;
  }
  if (!record)
    return fromError(v, Status::kPermError, Reason::kKeySyntax, keyName(*sig) + ": " + recordError);
  v.testingKey = record->testing;
  if (record->revoked)
    return fromError(v, Status::kPermError, Reason::kKeyRevoked,
                     keyName(*sig) + ": key revoked (empty p=)");
  if (auto ok = checkKeyAllows(*record, sig->algorithm); !ok)
    return fromError(v, Status::kPermError, Reason::kAlgorithmMismatch, ok.error().message);
  if (record->strictIdentity) {
    std::string idDomain = lower(sig->identity.substr(sig->identity.rfind('@') + 1));
    if (idDomain != lower(sig->domain))
      return fromError(v, Status::kPermError, Reason::kIdentityMismatch,
                       "i=: key has t=s but the identity domain differs from d=");
  }
  auto pub = PublicKey::fromDnsKey(sig->algorithm, record->publicKey);
  if (!pub) return fromError(v, Status::kPermError, Reason::kKeySyntax, pub.error().message);
  v.keyBits = pub->bits();
  if (sig->algorithm == Algorithm::kRsaSha256) {
    if (v.keyBits < kMinVerifyRsaBits)
      return fromError(v, Status::kPermError, Reason::kKeyTooSmall,
                       "RSA key of " + std::to_string(v.keyBits) + " bits (minimum 1024)");
    if (v.keyBits < kMinSignRsaBits)
      v.warnings.push_back("weak RSA key: " + std::to_string(v.keyBits) +
                           " bits (RFC 8301 recommends at least 2048)");
  }

  // A failure under a testing key must not count against the message (§3.6.1 t=y).
  Status failStatus = record->testing ? Status::kNeutral : Status::kFail;

  // §6.1.3: body hash first, then the header hash and signature.
  std::string localCanon;
  const std::string* canonical = nullptr;
  if (cache) {
    auto it = cache->find(sig->canon.body);
    if (it == cache->end())
      it = cache->emplace(sig->canon.body, canonicalizeBody(sig->canon.body, message.body)).first;
    canonical = &it->second;
  } else {
    localCanon = canonicalizeBody(sig->canon.body, message.body);
    canonical = &localCanon;
  }
  if (sig->length) {
    if (*sig->length > canonical->size())
      return fromError(v, failStatus, Reason::kBodyHashMismatch,
                       "l=" + std::to_string(*sig->length) + " exceeds the body (" +
                           std::to_string(canonical->size()) + " canonical bytes)");
    if (*sig->length < canonical->size())
      v.warnings.push_back("l= leaves " + std::to_string(canonical->size() - *sig->length) +
                           " body bytes unsigned");
  }
  if (bodyHashOfCanonical(*canonical, sig->length) != sig->bodyHash)
    return fromError(v, failStatus, Reason::kBodyHashMismatch, "body hash mismatch");

  auto emptied = withEmptySignatureValue(field.raw);
  if (!emptied) return fromError(v, Status::kPermError, Reason::kSyntax, emptied.error().message);
  std::string data = headerHashInput(message, sig->headers, sig->canon.header, *emptied, &field);
  if (!pub->verifyDigest(sha256(data), sig->signature))
    return fromError(v, failStatus, Reason::kSignatureMismatch, "signature did not verify");
  v.status = Status::kPass;
  return v;
}

Task<std::vector<Verdict>> verifyMessage(dns::Resolver& resolver, std::string message,
                                         VerifyOptions options) {
  std::vector<Verdict> out;
  auto parsed = mime::parseMessage(message);
  if (!parsed) {
    Verdict v;
    v.status = Status::kPermError;
    v.reason = Reason::kSyntax;
    v.detail = "message: " + parsed.error().message;
    out.push_back(std::move(v));
    co_return out;
  }
  BodyCache cache;
  for (size_t i = 0; i < parsed->headers.size() && out.size() < options.maxSignatures; ++i) {
    const auto& field = parsed->headers[i];
    if (!mime::iequals(field.name, kSignatureFieldName)) continue;
    KeyLookup lookup;
    auto sig = parseSignature(std::string_view(field.raw).substr(field.raw.find(':') + 1));
    bool expired = sig && sig->expiration &&
                   *sig->expiration < std::chrono::duration_cast<std::chrono::seconds>(
                                          options.now.time_since_epoch())
                                          .count();
    if (sig && !expired) {  // no DNS query for a signature that is already a permerror
      auto answer = co_await resolver.txt(keyName(*sig));
      lookup.status = answer.status;
      lookup.records = std::move(answer.records);
      lookup.detail = std::move(answer.detail);
    }
    out.push_back(verifySignature(*parsed, i, lookup, options, &cache));
  }
  co_return out;
}

}  // namespace mailroom::dkim
