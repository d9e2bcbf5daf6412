// DKIM canonicalization, RFC 6376 §3.4: the "simple" and "relaxed" forms of header fields
// (§3.4.1, §3.4.2) and bodies (§3.4.3, §3.4.4). Pure functions over bytes; the input is the
// wire form with CRLF line endings (lib/mime parseMessage normalizes bare LF before this), or,
// for BodyCanonicalizer with LineEnds::kAny, a body whose bare LF and CR end lines too.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "lib/auth/dkim/types.h"

namespace mailroom::dkim {

// One header field as written ("Name: value", folding CRLFs included, no final CRLF) in its
// canonical form, terminated by CRLF.
std::string canonicalizeHeader(Canon canon, std::string_view rawField);
// The same bytes appended to out (the signer builds its whole header hash input in one string).
void appendCanonicalHeader(std::string& out, Canon canon, std::string_view rawField);
// The same bytes written at w, which must have room for canonicalHeaderBound(rawField.size())
// chars (the canonical form plus slack the copying may scribble on); returns the end.
inline constexpr size_t kCanonicalHeaderSlack = 16;
constexpr size_t canonicalHeaderBound(size_t rawSize) {
  return rawSize + 3 + kCanonicalHeaderSlack;
}
char* canonicalizeHeaderTo(char* w, Canon canon, std::string_view rawField);

// The canonical body. simple: trailing empty lines removed, an empty body becomes one CRLF.
// relaxed: WSP runs reduced to one SP, WSP at line ends removed, trailing empty lines removed,
// an empty body stays empty. Both add a CRLF after a last line that lacks one.
std::string canonicalizeBody(Canon canon, std::string_view body);

// The same bytes handed to sink in order, in chunks, without building the whole canonical
// body (the signer feeds them straight into the body hash).
using BodySink = std::function<void(std::string_view)>;
void canonicalizeBody(Canon canon, std::string_view body, const BodySink& sink);

// Which line ends a body has. kCrlf: the wire form, only CRLF ends a line and a lone CR or LF is
// line content (what canonicalizeBody assumes). kAny: CRLF, a bare LF and a bare CR each end a
// line, so the result is that of canonicalizing lib/mime normalizeCrlf(body), without the copy
// (a lib/mime MessageView body is like that).
enum class LineEnds { kCrlf, kAny };

// canonicalizeBody over a body handed over in pieces of any size: a CRLF, a WSP run or a run of
// trailing empty lines may straddle pieces. The canonical bytes go to sink in chunks of up to
// kChunk bytes; their concatenation is canonicalizeBody of the concatenated pieces (for kAny,
// of their normalizeCrlf). Ordinary text (no HTAB, no double SP) is copied 16 bytes at a time.
class BodyCanonicalizer {
 public:
  static constexpr size_t kChunk = 8192;
  BodyCanonicalizer(Canon canon, BodySink sink, LineEnds lineEnds = LineEnds::kCrlf);
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;
  void update(std::string_view piece);
  // After the last piece: the final CRLF, if due, and the last chunk. Once.
  void finish();

 private:
  template <bool kRelaxed, bool kAny>
  struct Run;  // the per-byte loop, one instance per mode (canon.cc)
  void flush();
  BodySink sink_;
  bool relaxed_;
  bool anyLineEnd_;
  // The state between pieces (and between bytes on the slow path).
  size_t emptyLines_ = 0;  // empty lines seen and held back until a non-empty line follows
  bool inLine_ = false;    // the current line has content already written
  bool wsp_ = false;       // relaxed: a WSP run is pending (written as one SP if text follows)
  bool cr_ = false;        // kCrlf: the last byte was a CR; an LF next makes it a line end
  bool skipLf_ = false;    // kAny: the last byte was a CR line end; an LF next belongs to it
  bool wroteAny_ = false;  // simple: an empty body canonicalizes to one CRLF
  size_t used_ = 0;
  char buf_[kChunk];
};

}  // namespace mailroom::dkim
