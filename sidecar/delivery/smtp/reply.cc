#include "sidecar/delivery/smtp/reply.h"

#include <cstring>

namespace mailroom::smtp {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// 1*3digit
size_t digits(std::string_view s, size_t at) {
  size_t n = 0;
  while (at + n < s.size() && n < 4 && isDigit(s[at + n])) ++n;
  return n >= 1 && n <= 3 ? n : 0;
}

}  // namespace

bool parseEnhancedCode(std::string_view t, size_t* length) {
  if (t.size() < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.') return false;
  size_t subject = digits(t, 2);
  if (!subject || 2 + subject >= t.size() || t[2 + subject] != '.') return false;
  size_t at = 3 + subject;
  size_t detail = digits(t, at);
  if (!detail) return false;
  at += detail;
  if (at < t.size() && t[at] != ' ') return false;
  if (length) *length = at;
  return true;
}

std::string Reply::text() const {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!enhanced.empty() && line.substr(0, enhanced.size()) == enhanced &&
        (line.size() == enhanced.size() || line[enhanced.size()] == ' ')) {
      line.remove_prefix(std::min(line.size(), enhanced.size() + 1));
    }
    if (i) out += '\n';
    out += line;
  }
  return out;
}

std::string renderReply(const Reply& reply) {
  const std::string code = std::to_string(reply.code);
  if (reply.lines.empty()) return code + "\r\n";
  std::string out;
  for (size_t i = 0; i < reply.lines.size(); ++i) {
    out += code;
    out += i + 1 < reply.lines.size() ? '-' : ' ';
    out += reply.lines[i];
    out += "\r\n";
  }
  return out;
}

void ReplyParser::feed(std::string_view bytes) {
  // Drop the consumed prefix once it dominates, so the buffer stays small without moving
  // bytes on every reply.
  if (pos_ > 0 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<Result<Reply>> ReplyParser::next() {
  if (failed_) return Result<Reply>(*failed_);
  auto fail = [&](std::string message) -> std::optional<Result<Reply>> {
    failed_ = Error::temporary("malformed SMTP reply: " + message);
    return Result<Reply>(*failed_);
  };
  while (true) {
    const char* begin = buffer_.data() + pos_;
    const size_t avail = buffer_.size() - pos_;
    const void* nl = std::memchr(begin, '\n', avail);
    if (!nl) {
      // +1: the CR of a line that is exactly at the limit may already be here.
      if (avail > kMaxLineLength + 1) return fail("line longer than 4096 octets");
      return std::nullopt;
    }
    size_t len = static_cast<const char*>(nl) - begin;
    const size_t consumed = len + 1;
    // CRLF per §2.3.8; a bare LF is accepted when reading (be liberal).
    if (len > 0 && begin[len - 1] == '\r') --len;
    if (len > kMaxLineLength) return fail("line longer than 4096 octets");
    std::string_view line(begin, len);
    // Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
    // with Reply-code = %x32-35 %x30-35 %x30-39 (§4.2); we accept any digits 1-5 first.
    if (len < 3 || line[0] < '1' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2])) {
      return fail("bad reply code in \"" + std::string(line.substr(0, 64)) + "\"");
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    bool last;
    if (len == 3 || line[3] == ' ') {
      last = true;
    } else if (line[3] == '-') {
      last = false;
    } else {
      return fail("bad separator after reply code in \"" + std::string(line.substr(0, 64)) + "\"");
    }
    if (!partial_.lines.empty() && partial_.code != code) {
      return fail("reply code changed within a multi-line reply (" + std::to_string(partial_.code) +
                  " then " + std::to_string(code) + ")");
    }
    if (partial_.lines.size() >= kMaxLines) return fail("more than 512 lines in one reply");
    std::string_view text = len > 4 ? line.substr(4) : std::string_view();
    if (partial_.lines.empty()) {
      partial_.code = code;
      // RFC 2034 §4: the enhanced code's class matches the reply's first digit.
      size_t elen = 0;
      if (parseEnhancedCode(text, &elen) && text[0] == line[0]) {
        partial_.enhanced = std::string(text.substr(0, elen));
      }
    }
    partial_.lines.emplace_back(text);
    pos_ += consumed;
    if (last) {
      Reply done = std::move(partial_);
      partial_ = Reply{};
      return Result<Reply>(std::move(done));
    }
  }
}

}  // namespace mailroom::smtp
