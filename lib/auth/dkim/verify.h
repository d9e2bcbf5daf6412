// DKIM verification, RFC 6376 §6 (RFC 8463 for Ed25519, RFC 8301 for algorithm and key-size
// rules): each DKIM-Signature field is judged on its own and gets one RFC 8601 result:
// pass, fail (body hash or signature mismatch), neutral (a failure under a t=y testing key),
// temperror (the key lookup failed temporarily) or permerror (bad syntax, unsupported algorithm,
// From not signed, expired x=, key missing/revoked/malformed/mismatched/too small).
//
// verifySignature() is the pure core (message + key lookup outcome in, verdict out);
// verifyMessage() is the thin edge that fetches keys with a dns::Resolver.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dkim/signature.h"
#include "lib/auth/dkim/types.h"
#include "lib/dns/resolver.h"
#include "lib/mime/message.h"

namespace mailroom::dkim {

enum class Status { kPass, kFail, kNeutral, kTempError, kPermError };

enum class Reason {
  kNone,
  kBodyHashMismatch,      // fail: the body changed (or l= is longer than the body)
  kSignatureMismatch,     // fail: a signed header changed, or the signature is wrong
  kSyntax,                // permerror: DKIM-Signature does not parse
  kUnsupportedAlgorithm,  // permerror: a= is not rsa-sha256 / ed25519-sha256 (rsa-sha1!)
  kFromNotSigned,         // permerror: h= lacks From
  kExpired,               // permerror: x= is in the past
  kKeyMissing,            // permerror: NXDOMAIN / no TXT at <s>._domainkey.<d>
  kKeyRevoked,            // permerror: p= empty
  kKeySyntax,             // permerror: the key record or the key in it does not parse
  kAlgorithmMismatch,     // permerror: k= (or h=) of the key does not allow a=
  kKeyTooSmall,           // permerror: RSA key under 1024 bits (RFC 8301 §3.2)
  kIdentityMismatch,      // permerror: t=s key but i= is a subdomain of d=
  kDnsTemporary,          // temperror: SERVFAIL / timeout fetching the key
};

const char* statusName(Status s);  // "pass", "fail", "neutral", "temperror", "permerror"
const char* reasonName(Reason r);  // "body hash mismatch", ...

struct Verdict {
  Status status = Status::kPermError;
  Reason reason = Reason::kNone;
  std::string detail;  // human-readable, names the tag or the DNS outcome
  std::string domain;  // d=, selector s=, identity i= (when the field parsed that far)
  std::string selector;
  std::string identity;
  std::optional<Algorithm> algorithm;
  int keyBits = 0;
  bool testingKey = false;            // the key record has t=y
  std::vector<std::string> warnings;  // e.g. 1024-bit RSA key, l= leaves text unsigned
};

struct VerifyOptions {
  std::chrono::system_clock::time_point now;  // injected clock for x= checks
  size_t maxSignatures = 8;                   // further fields are not checked (DoS bound)
};

// What the key lookup for one signature returned (the TXT strings already joined).
struct KeyLookup {
  dns::Status status = dns::Status::kTempFail;
  std::vector<std::string> records;
  std::string detail;
};

// Canonical bodies by canonicalization, so several signatures hash the body once per form.
using BodyCache = std::map<Canon, std::string>;

// "<s>._domainkey.<d>" (§3.6.2.1).
std::string keyName(const Signature& sig);

// Verifies message.headers[fieldIndex] (a DKIM-Signature field) against the key lookup result.
Verdict verifySignature(const mime::Message& message, size_t fieldIndex, const KeyLookup& key,
                        const VerifyOptions& options, BodyCache* cache = nullptr);

// Verifies every DKIM-Signature field of message (wire form; bare LF treated as CRLF), top to
// bottom, fetching each key with resolver.txt(). An unparsable message yields one permerror.
// Returns an empty vector when the message has no DKIM-Signature field (RFC 8601 "none").
Task<std::vector<Verdict>> verifyMessage(dns::Resolver& resolver, std::string message,
                                         VerifyOptions options);

}  // namespace mailroom::dkim
