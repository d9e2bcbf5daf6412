// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, announced per RFC 2034),
// and an incremental parser that turns the bytes a server sends into complete replies. The
// parser is pure (no I/O): the session feeds it what it reads, the fuzzer feeds it anything.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/common/result.h"

namespace mailroom::smtp {

struct Reply {
  int code = 0;          // 0 when the reply was made up locally (no server said it)
  std::string enhanced;  // "5.1.1" when the first line starts with one, else ""
  // Each line's text after "250-" / "250 ", as sent (enhanced code included).
  std::vector<std::string> lines;

  // The lines joined with "\n", each without its leading enhanced code (which `enhanced`
  // carries), so that "code enhanced text" reads as the server wrote it.
  std::string text() const;
  bool positive() const { return code >= 200 && code < 400; }  // 2xx and 3xx (354)
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500 && code < 600; }
  bool operator==(const Reply&) const = default;
};

// "250-first\r\n250 last\r\n": the wire form of a reply (the fuzzer's render step, and the fake
// server's). A reply without lines renders as "250\r\n".
std::string renderReply(const Reply& reply);

// RFC 3463 §2: class "." subject "." detail with class 2, 4 or 5 and 1-3 digits each; true when
// `text` starts with one followed by a space or the end. Sets *length to its length.
bool parseEnhancedCode(std::string_view text, size_t* length);

class ReplyParser {
 public:
  // RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets, but §4.5.3.1 asks implementations
  // to avoid such limits, and real servers send long banners; we accept 4096 octets per line
  // and 512 lines per reply so that a hostile server cannot make us buffer without bound.
  static constexpr size_t kMaxLineLength = 4096;
  static constexpr size_t kMaxLines = 512;

  void feed(std::string_view bytes);
  // The next complete reply, an error for a malformed one (after which the stream cannot be
  // resynchronized: every later call returns the same error), or nullopt when more bytes are
  // needed.
  std::optional<Result<Reply>> next();
  // Bytes received but not yet part of a returned reply (a server that talks out of turn).
  size_t buffered() const { return buffer_.size() - pos_; }

 private:
  std::string buffer_;
  size_t pos_ = 0;  // consumed prefix of buffer_
  Reply partial_;   // lines of a multi-line reply read so far
  std::optional<Error> failed_;
};

}  // namespace mailroom::smtp
