// RFC 5322 §2.1-2.2 message structure: header fields, then an empty line, then the body.
// Fields are kept byte-for-byte (name, colon, folded value) because DKIM canonicalization
// (RFC 6376 §3.4) and re-emission both need the original bytes; accessors unfold on demand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::mime {

struct HeaderField {
  std::string name;  // as written (case preserved), without the colon
  std::string raw;   // the whole field as written, folding CRLFs included, no final CRLF
  // The value after the colon, unfolded (CRLF/LF before WSP removed), leading/trailing WSP trimmed.
  std::string value() const;
};

struct Message {
  std::vector<HeaderField> headers;
  std::string body;  // everything after the empty line, line endings normalized to CRLF
  // First field with this name (case-insensitive), or nullptr.
  const HeaderField* find(std::string_view name) const;
  std::vector<const HeaderField*> findAll(std::string_view name) const;
};

// A header field as views into the parsed text (see MessageView).
struct HeaderFieldView {
  std::string_view name;      // as HeaderField::name
  std::string_view raw;       // as HeaderField::raw
  std::string value() const;  // as HeaderField::value
};

// A message split without copying it: views into the text given to parseMessageView (or into
// its storage argument), valid while that text lives. DKIM signing parses every outgoing
// message; copying each one first was a visible share of signing a small message.
struct MessageView {
  std::vector<HeaderFieldView> headers;
  // Everything after the empty line, as written: lines may end in CRLF, bare LF or bare CR
  // (normalizeCrlf(body) is Message::body).
  std::string_view body;
  // Index of the first field with this name (case-insensitive), or npos.
  size_t find(std::string_view name) const;
  static constexpr size_t npos = static_cast<size_t>(-1);
};

// Splits a message. Accepts CRLF or bare-LF line endings (normalized to CRLF in the output).
// Errors name the line: a header line without a colon, a field name with invalid characters
// (RFC 5322 §3.6.8 ftext), a continuation line before any field.
Result<Message> parseMessage(std::string_view raw);

// The same split (same fields, same errors) as views. When the header section has only CRLF
// line ends (the usual wire form) the views point into raw and nothing is copied; otherwise the
// message is normalized into storage first and the views point there.
Result<MessageView> parseMessageView(std::string_view raw, std::string& storage);

// Views of an owned message (body as stored).
MessageView viewOf(const Message& message);

// Re-emits the message with CRLF line endings (headers as stored, empty line, body).
std::string render(const Message& message);

// Converts bare LF and bare CR to CRLF (SMTP and DKIM both require CRLF).
std::string normalizeCrlf(std::string_view text);

bool iequals(std::string_view a, std::string_view b);

}  // namespace mailroom::mime
