// MIME body construction for structured messages (RFC 2045 §6 transfer encodings, RFC 2046
// §5.1 multipart/mixed and /alternative, RFC 2387 multipart/related, RFC 2183 and RFC 2231
// Content-Disposition file names). Pure: randomness comes in as a function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/common/result.h"
#include "sidecar/compose/compose.h"

namespace mailroom::compose {

// A MIME entity: its Content-* header fields (each ending in CRLF) and its encoded body.
struct Part {
  std::string headers;
  std::string body;
  std::string render() const { return headers + "\r\n" + body; }
};

// text/<subtype>; charset=utf-8 — 7bit when ASCII with lines <= 998 octets, else
// quoted-printable. Line endings are normalized to CRLF first.
Part textPart(std::string_view text, std::string_view subtype);

// One attachment, base64; errors name the field with `field` ("attachments[2]").
Result<Part> attachmentPart(const Attachment& a, const std::string& field);

// multipart/<subtype> around the children with a random boundary that occurs in none of them.
// `extraParams` is appended to Content-Type (e.g. "; type=\"text/html\"" for related).
Part multipart(std::string_view subtype, std::vector<Part> children,
               const std::function<uint64_t()>& random, std::string_view extraParams = "");

// The whole body tree for a structured message (see compose.h for the structure).
Result<Part> buildBody(const Structured& in, const std::function<uint64_t()>& random);

}  // namespace mailroom::compose
