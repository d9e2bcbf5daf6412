// Transfer and header encodings used when composing a message: quoted-printable and base64
// (RFC 2045 §6.7, §6.8), encoded-words for non-ASCII header text (RFC 2047), parameter value
// encoding for non-ASCII file names (RFC 2231), header folding (RFC 5322 §2.1.1, §2.2.3) and
// the RFC 5322 §3.3 date. All functions are pure; output lines end in CRLF.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mailroom::compose {

// True when every byte is 7-bit ASCII.
bool isAscii(std::string_view s);
// Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view s);

// RFC 2045 §6.8 base64 with lines of 76 characters, each ended by CRLF.
std::string encodeBase64(std::string_view data);
// Decodes base64, ignoring whitespace and line breaks; nullopt on invalid input.
std::optional<std::string> decodeBase64(std::string_view text);

// RFC 2045 §6.7 quoted-printable for text whose line breaks are CRLF: line breaks stay hard
// line breaks, lines are soft-broken to at most 76 characters, trailing whitespace is encoded.
std::string encodeQuotedPrintable(std::string_view crlfText);
// Decodes quoted-printable (soft line breaks removed); nullopt on a malformed escape.
std::optional<std::string> decodeQuotedPrintable(std::string_view text);

// RFC 2047 encoded-words for UTF-8 text that will be written after `usedOnFirstLine` octets
// (e.g. the length of "Subject: "). Chooses Q or B per word (whichever is shorter), never
// splits a UTF-8 sequence, keeps each word <= 75 octets and each line <= 78 octets, and
// separates words by CRLF SP (folding whitespace that decoders drop between encoded-words).
// Q uses the restricted character set of §5(3) so the result is valid in a phrase too.
std::string encodeWords(std::string_view utf8, size_t usedOnFirstLine);
// Decodes RFC 2047 encoded-words in unstructured text (utf-8, us-ascii and iso-8859-1
// charsets; others stay encoded). Whitespace between adjacent encoded-words is dropped.
// Words whose decoding would contain control characters other than HTAB or invalid UTF-8 are left
// as written.
std::string decodeWords(std::string_view text);
// One encoded-word ("=?charset?Q|B?text?="), decoded; nullopt if it is not one (or as above).
std::optional<std::string> decodeWord(std::string_view word);

// A MIME parameter `name="value"` for ASCII values, or RFC 2231 `name*=utf-8''%XX` (split into
// name*0*, name*1*, ... continuations when long) for non-ASCII ones. Starts with "; " and
// contains CRLF SP folds so that no line exceeds 78 octets when it follows `usedOnLine`.
std::string encodeParameter(std::string_view name, std::string_view value, size_t usedOnLine);

// Folds "Name: value" at whitespace so lines stay within 78 octets where the text allows it
// (RFC 5322 §2.1.1); returns the field without a final CRLF.
std::string foldHeader(std::string_view name, std::string_view value);

// "Tue, 24 Nov 2026 07:40:00 +0000" (RFC 5322 §3.3), in UTC.
std::string formatDate(std::chrono::system_clock::time_point t);

}  // namespace mailroom::compose
