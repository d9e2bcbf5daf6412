// Message intake for the sidecar's Send: turns either raw RFC 5322 bytes or structured fields
// into an SMTP envelope (RFC 5321) and the CRLF message to transmit, or an invalid-argument
// error whose message starts with the offending field ("to[1]: ...", "raw.From: ...").
// Structured messages are built as MIME (RFC 2045-2049): text/plain, multipart/alternative
// for text + HTML, multipart/related (RFC 2387) for inline images referenced by cid:, and
// multipart/mixed for attachments. Non-ASCII header text is written as RFC 2047 encoded-words
// even when the message needs SMTPUTF8 anyway (so a relay without RFC 6532 support still shows
// it correctly); only address local parts, which have no encoded form, stay raw UTF-8.
// Bodies are 7bit when they are ASCII with lines <= 998 octets, else quoted-printable;
// attachments are base64. File names use RFC 2231.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::compose {

struct Attachment {
  std::string filename;
  std::string contentType;  // "type/subtype[; params]"; "" means application/octet-stream
  std::string content;      // raw bytes
  std::string contentId;    // non-empty: inline part referenced as cid:<contentId> from HTML
};

struct Structured {
  std::string from;     // "Name <local@domain>" or "local@domain"; exactly one mailbox
  std::string replyTo;  // optional; may be a list
  std::vector<std::string> to, cc, bcc;  // each element may itself be a list
  std::string subject;
  std::string text, html;  // either or both (or neither, with attachments)
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (name, value)
  std::vector<Attachment> attachments;
};

// An explicit envelope; when absent the envelope comes from the header fields.
struct EnvelopeInput {
  std::string mailFrom;  // "" with hasMailFrom = the null reverse-path "<>" (bounces)
  bool hasMailFrom = false;
  std::vector<std::string> rcptTo;  // empty: To + Cc + Bcc
};

struct Options {
  std::string hostname;                       // right-hand side of generated Message-IDs
  std::chrono::system_clock::time_point now;  // for the Date field
  size_t maxMessageBytes = 0;                 // 0 = no limit
  // Source of randomness for Message-IDs and MIME boundaries; empty uses a generator seeded
  // from std::random_device. Tests inject a deterministic one.
  std::function<uint64_t()> random;
};

struct Composed {
  std::string message;   // CRLF; Bcc removed; Date and Message-ID added if missing
  std::string mailFrom;  // envelope sender; "" = null reverse-path (only when explicit)
  std::vector<std::string> recipients;  // deduplicated (domains compared case-insensitively)
  std::string fromDomain;      // domain of the From address as an A-label (DKIM picks keys by it)
  std::string messageId;       // with angle brackets, as in the header
  bool needsSmtpUtf8 = false;  // RFC 6531: UTF-8 local part somewhere, or UTF-8 header bytes
  bool eightBit = false;       // RFC 6152: the body has octets >= 0x80
};

Result<Composed> composeStructured(const Structured& in, const EnvelopeInput& envelope,
                                   const Options& options);
Result<Composed> composeRaw(std::string_view raw, const EnvelopeInput& envelope,
                            const Options& options);

}  // namespace mailroom::compose
