// appendDataPayload over arbitrary messages: the only CRLF "." CRLF in the payload is the
// terminator (no end-of-data smuggling, RFC 5321 §4.5.2), there is no bare LF, and removing
// the stuffed dots gives back the message (bare LFs as CRLF, a final CRLF added when missing).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sidecar/delivery/smtp/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string out;
  mailroom::smtp::appendDataPayload(out, in);

  if (in.empty()) {
    if (out != ".\r\n") abort();
    return 0;
  }
  if (out.size() < 5 || out.compare(out.size() - 5, 5, "\r\n.\r\n") != 0) abort();
  if (out.find("\r\n.\r\n") != out.size() - 5) abort();
  if (out[0] == '.' && out.rfind("..", 0) != 0) abort();
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) abort();
  }

  std::string expected;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) expected += '\r';
    expected += in[i];
  }
  if (expected.back() != '\n') expected += "\r\n";
  if (mailroom::smtp::messageSize(in) != expected.size()) abort();

  std::string unstuffed;
  const std::string_view body(out.data(), out.size() - 3);  // without the final ".\r\n"
  bool lineStart = true;
  for (char c : body) {
    if (lineStart && c == '.') {
      lineStart = false;
      continue;
    }
    unstuffed += c;
    lineStart = c == '\n';
  }
  if (unstuffed != expected) abort();
  return 0;
}
