// The DKIM-Signature header field, RFC 6376 §3.5: parsing every tag (errors name the tag) and
// rendering a new field folded at <= 78 characters (RFC 5322 §2.1.1), with b= last so that the
// signed form (b= empty) and the final form differ only in b='s value (§3.7).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/dkim/types.h"
#include "lib/common/result.h"

namespace mailroom::dkim {

inline constexpr std::string_view kSignatureFieldName = "DKIM-Signature";

struct Signature {
  Algorithm algorithm = Algorithm::kRsaSha256;             // a=
  std::string signature;                                   // b=, decoded
  std::string bodyHash;                                    // bh=, decoded
  Canonicalization canon{Canon::kSimple, Canon::kSimple};  // c= (absent: simple/simple)
  std::string domain;                                      // d=, as written
  std::vector<std::string> headers;                        // h=, names as written (order matters)
  std::string identity;                                    // i=, "@" + d when absent
  std::optional<uint64_t> length;                          // l=
  std::string query = "dns/txt";                           // q=
  std::string selector;                                    // s=
  std::optional<int64_t> timestamp;                        // t=
  std::optional<int64_t> expiration;                       // x=
  std::string copiedHeaders;                               // z=, kept as written (diagnostics only)
};

// Parses the value of a DKIM-Signature field (the text after the colon). Errors are
// permanent syntax errors naming the tag: missing required tag (v a b bh d h s), v != 1,
// unsupported a= (rsa-sha1 included, RFC 8301), bad c=, From absent from h= (§5.4),
// i= not within d= (§3.5), x= before t=, q= without dns/txt, bad numbers or base64.
Result<Signature> parseSignature(std::string_view value);

// Renders the whole field ("DKIM-Signature: v=1; a=...; b=<sig>") folded with CRLF + TAB at
// <= 78 characters per line. Tag order: v a c d s [i] [t] [x] h bh b. l= is rendered only if
// set (signers here never set it). With an empty sig.signature this is the form to hash.
std::string renderSignatureField(const Signature& sig);

// What renderSignatureField renders, as views: the signer fills this from its configuration
// and never builds a Signature (no per-message copies of names and values).
struct SignatureFieldValues {
  Algorithm algorithm = Algorithm::kRsaSha256;
  Canonicalization canon;
  std::string_view domain;
  std::string_view selector;
  std::string_view identity;  // rendered as i= unless empty or "@" + domain
  std::optional<uint64_t> length;
  std::optional<int64_t> timestamp;
  std::optional<int64_t> expiration;
  std::span<const std::string_view> headers;
  std::string_view bodyHash;   // decoded
  std::string_view signature;  // decoded; empty for the form to hash
};
std::string renderSignatureField(const SignatureFieldValues& sig);
// The same in two steps, for a signer that renders many fields for one key: the tags that
// depend only on the key (v a c d s i) once, then the field from that prefix.
std::string renderSignatureFieldPrefix(const SignatureFieldValues& sig);
std::string renderSignatureField(const SignatureFieldValues& sig, std::string_view prefix);

// The final field from the signed form (renderSignatureField with an empty signature): the
// base64 of signature appended and folded exactly as renderSignatureField would, so only the
// b= value differs from the bytes that were hashed.
std::string appendSignatureValue(std::string unsignedField, std::string_view signature);

// Parse -> render -> parse helper for tests/fuzzing: the tags as a canonical tag list.
std::string renderSignatureTags(const Signature& sig);

}  // namespace mailroom::dkim
