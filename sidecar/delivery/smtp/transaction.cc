#include "sidecar/delivery/smtp/transaction.h"

#include <cctype>
#include <cstring>

namespace mailroom::smtp {

size_t messageSize(std::string_view m) {
  size_t n = m.size();
  // Bare LFs become CRLF on the wire.
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) ++n;
  }
  if (!m.empty() && m.back() != '\n') n += 2;
  return n;
}

std::optional<Reply> precheck(const Capabilities& caps, const Transaction& txn) {
  if (txn.needsSmtpUtf8 && !caps.smtpUtf8) {
    // RFC 6531 §3.5: without SMTPUTF8 the message cannot be sent; downgrading is out of scope.
    return Reply{0, "5.6.7", {"5.6.7 server does not support SMTPUTF8, which this message needs"}};
  }
  if (txn.eightBit && !caps.eightBitMime) {
    // RFC 6152 §3: 8-bit data only to a server that announces 8BITMIME; otherwise convert or
    // return it. Converting would break the DKIM signatures made at intake (structured
    // messages are always 7-bit; this is a raw message with an 8-bit body), so it is returned.
    return Reply{0,
                 "5.6.3",
                 {"5.6.3 server does not support 8BITMIME and the message body is 8-bit; "
                  "send it quoted-printable or base64 encoded"}};
  }
  if (caps.size) {
    const size_t size = messageSize(txn.message);
    if (size > *caps.size) {
      // RFC 1870 §6: a client should not send a message larger than the announced limit.
      return Reply{0,
                   "5.3.4",
                   {"5.3.4 message size " + std::to_string(size) + " exceeds the server's limit " +
                    std::to_string(*caps.size)}};
    }
  }
  if (!safeAddress(txn.mailFrom)) {
    return Reply{0, "5.1.7", {"5.1.7 invalid characters in the sender address"}};
  }
  return std::nullopt;
}

bool recipientLimitReached(const Reply& r) {
  if (r.code != 452 && r.code != 552) return false;
  if (r.enhanced == "4.5.3" || r.enhanced == "5.5.3") return true;
  // Without an enhanced code, 452 is also "insufficient storage": only the words decide.
  std::string text = r.text();
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text.find("too many recipients") != std::string::npos;
}

bool safeAddress(std::string_view a) {
  for (char c : a) {
    if (c == '\r' || c == '\n' || c == '\0' || c == '<' || c == '>') return false;
  }
  return true;
}

std::string mailCommand(const Capabilities& caps, const Transaction& txn) {
  std::string out;
  out.reserve(txn.mailFrom.size() + 64);
  out += "MAIL FROM:<";
  out += txn.mailFrom;
  out += '>';
  if (caps.size) {
    out += " SIZE=";
    out += std::to_string(messageSize(txn.message));
  }
  if (txn.eightBit && caps.eightBitMime) out += " BODY=8BITMIME";
  if (txn.needsSmtpUtf8 && caps.smtpUtf8) out += " SMTPUTF8";
  out += "\r\n";
  return out;
}

std::string rcptCommand(std::string_view recipient) {
  std::string out;
  out.reserve(recipient.size() + 12);
  out += "RCPT TO:<";
  out += recipient;
  out += ">\r\n";
  return out;
}

void appendDataPayload(std::string& out, std::string_view m) {
  out.reserve(out.size() + m.size() + 8);
  size_t runStart = 0;
  // A line starts at 0 and after every LF. Find the next LF that needs attention: one that is
  // bare, or one followed by ".".
  if (!m.empty() && m[0] == '.') out += '.';
  size_t i = 0;
  while (true) {
    const void* hit = std::memchr(m.data() + i, '\n', m.size() - i);
    if (!hit) break;
    const size_t lf = static_cast<const char*>(hit) - m.data();
    const bool bare = lf == 0 || m[lf - 1] != '\r';
    const bool dot = lf + 1 < m.size() && m[lf + 1] == '.';
    if (bare || dot) {
      out.append(m.data() + runStart, lf - runStart);
      out += bare ? "\r\n" : "\n";
      if (dot) out += '.';
      runStart = lf + 1;
    }
    i = lf + 1;
  }
  out.append(m.data() + runStart, m.size() - runStart);
  if (!m.empty() && m.back() != '\n') out += "\r\n";
  out += ".\r\n";
}

}  // namespace mailroom::smtp
